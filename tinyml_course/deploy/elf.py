"""What the linker put where: section sizes and symbols of an ELF (pyelftools).

Flash = .text + .rodata + .data (its initial values are stored in Flash); static SRAM = .data +
.bss. Sizes in bytes. ``image`` gives the bytes to load into an emulator (the PT_LOAD segments).
"""

from dataclasses import dataclass

from elftools.elf.elffile import ELFFile

FLASH_SECTIONS = (".text", ".rodata", ".data")
SRAM_SECTIONS = (".data", ".bss")


@dataclass
class ElfInfo:
    """Section sizes (bytes), symbols (name -> (address, size in bytes)) and the loadable
    segments [(address, bytes)] of a linked program."""

    sections: dict
    symbols: dict
    segments: list
    entry: int

    @property
    def flash_bytes(self):
        return sum(self.sections.get(s, (0, 0))[1] for s in FLASH_SECTIONS)

    @property
    def static_sram_bytes(self):
        return sum(self.sections.get(s, (0, 0))[1] for s in SRAM_SECTIONS)

    def section_end(self, name):
        address, size = self.sections.get(name, (0, 0))
        return address + size


def read_elf(path):
    """ElfInfo of the ELF file at ``path``: sections name -> (address, size)."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        sections = {s.name: (s["sh_addr"], s["sh_size"]) for s in elf.iter_sections()
                    if s["sh_flags"] & 0x2}  # SHF_ALLOC: sections that occupy memory
        symbols = {}
        symtab = elf.get_section_by_name(".symtab")
        for sym in symtab.iter_symbols() if symtab else ():
            if sym.name and sym["st_info"]["type"] in ("STT_FUNC", "STT_OBJECT"):
                symbols[sym.name] = (sym["st_value"] & ~1, sym["st_size"])  # thumb bit cleared
        segments = [(seg["p_vaddr"], seg.data()) for seg in elf.iter_segments()
                    if seg["p_type"] == "PT_LOAD" and seg["p_filesz"]]
        return ElfInfo(sections, symbols, segments, elf.header["e_entry"] & ~1)
