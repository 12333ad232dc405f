"""A cycle ESTIMATE from executed instructions: a per-instruction-class cost table for Cortex-M4
and Cortex-M7. It is labelled an estimate everywhere: the emulator counts instructions exactly,
but cycles depend on pipelines, wait states, caches and branch prediction that it does not model.

Classes come from the Thumb-2 encoding (``classify``: 16- or 32-bit, decoded by the top bits, no
disassembler needed). The costs follow the Cortex-M4 Technical Reference Manual's instruction
timings (ALU and multiply-accumulate 1 cycle, SMLAD 1, load 2, store 1 when pipelined, a taken
branch 1 + refill ~ 3, LDM/STM/PUSH/POP 1 + registers, SDIV 2-12) and, for the dual-issue
Cortex-M7, a rough "most simple pairs dual-issue, loads from TCM in 1" reading of its manual.
"""

from dataclasses import dataclass

CLASSES = ("alu", "mul", "div", "load", "store", "multi", "branch", "other")

# cycles per instruction of each class (multi: per instruction + per register moved)
CYCLES = {
    "cortex_m4": {"alu": 1.0, "mul": 1.0, "div": 7.0, "load": 2.0, "store": 1.0, "multi": 1.0,
                  "branch": 2.0, "other": 1.0, "per_register": 1.0},
    "cortex_m7": {"alu": 0.6, "mul": 1.0, "div": 5.0, "load": 1.0, "store": 1.0, "multi": 1.0,
                  "branch": 1.5, "other": 1.0, "per_register": 0.5},
}


def is_32bit(halfword):
    """Whether a Thumb instruction starting with ``halfword`` is 32 bits long (0b11101/11110/11111)."""
    return (halfword >> 11) in (0b11101, 0b11110, 0b11111)


def _popcount(v):
    return bin(v).count("1")


def classify(hw1, hw2=0):
    """(class, registers moved) of one Thumb instruction (first and second halfword)."""
    if not is_32bit(hw1):
        if hw1 >> 12 == 0b0101:  # load/store register offset: STR, STRH, STRB < LDRSB ...
            return ("store" if (hw1 >> 9) & 7 < 3 else "load"), 0
        if hw1 >> 13 == 0b011 or hw1 >> 12 in (0b1000, 0b1001):  # immediate offset, SP-relative
            return ("load" if hw1 & 0x0800 else "store"), 0
        if hw1 >> 11 == 0b01001:  # LDR literal
            return "load", 0
        if hw1 & 0xf600 == 0xb400:  # PUSH / POP
            return "multi", _popcount(hw1 & 0x1ff)
        if hw1 >> 12 == 0b1100:  # LDM / STM
            return "multi", _popcount(hw1 & 0xff)
        if hw1 >> 12 == 0b1101 and (hw1 >> 8) & 0xf < 0xe or hw1 >> 11 == 0b11100:
            return "branch", 0  # B<cond>, B
        if hw1 & 0xff00 == 0x4700 or hw1 & 0xf500 == 0xb100:  # BX/BLX, CBZ/CBNZ
            return "branch", 0
        if hw1 & 0xffc0 == 0x4340:  # MULS
            return "mul", 0
        return "alu", 0
    top = hw1 >> 11
    if top == 0b11101:
        if hw1 & 0xfe40 == 0xe800:  # LDM/STM (incl. PUSH.W/POP.W)
            return "multi", _popcount(hw2 & 0xffff)
        if hw1 & 0xfe40 == 0xe840:  # LDRD/STRD, exclusives, table branch
            if hw1 & 0xfff0 == 0xe8d0 and hw2 & 0xffe0 == 0xf000:
                return "branch", 0  # TBB/TBH
            return ("load" if hw1 & 0x0010 else "store"), 2
        if hw1 & 0x0c00 == 0x0c00:  # coprocessor / floating point
            return "other", 0
        return "alu", 0  # data processing, shifted register
    if top == 0b11110:
        return ("branch" if hw2 & 0x8000 else "alu"), 0
    if hw1 & 0xfe00 == 0xf800:  # load/store single
        return ("load" if hw1 & 0x0010 else "store"), 0
    if hw1 & 0xff00 == 0xfa00:  # data processing register (SXTB16, parallel add, ...)
        return "alu", 0
    if hw1 & 0xff80 == 0xfb00:  # multiply, multiply-accumulate, SMLAD
        return "mul", 0
    if hw1 & 0xff80 == 0xfb80:  # long multiply, divide
        return ("div" if (hw1 >> 4) & 7 in (1, 3) else "mul"), 0
    return "other", 0


def decode_block(code):
    """[(class, registers)] of the instructions in ``code`` (bytes of straight-line Thumb)."""
    out, i = [], 0
    while i + 1 < len(code):
        hw1 = code[i] | code[i + 1] << 8
        if is_32bit(hw1) and i + 3 < len(code):
            out.append(classify(hw1, code[i + 2] | code[i + 3] << 8))
            i += 4
        else:
            out.append(classify(hw1))
            i += 2
    return out


@dataclass
class CycleEstimate:
    """An ESTIMATE of cycles: class counts x the table's cycles; ``ms`` at the device's clock."""

    cpu: str
    counts: dict  # class -> executed instructions
    cycles: float
    clock_mhz: int

    @property
    def ms(self):
        return self.cycles / (self.clock_mhz * 1e3)


def estimate_cycles(counts, registers, cpu, clock_mhz):
    """CycleEstimate of ``counts`` (class -> instructions) plus ``registers`` moved by LDM/STM."""
    table = CYCLES[cpu]
    cycles = sum(table[c] * n for c, n in counts.items()) + table["per_register"] * registers
    return CycleEstimate(cpu, dict(counts), float(cycles), clock_mhz)
