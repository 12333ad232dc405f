"""A cycle ESTIMATE from executed instructions: a per-instruction-class cost table for Cortex-M4
and Cortex-M7. It is labelled an estimate everywhere: the emulator counts instructions exactly,
but cycles depend on pipelines, wait states, caches and branch prediction that it does not model.

Classes come from the Thumb-2 encoding (``classify``: 16- or 32-bit, decoded by the top bits, no
disassembler needed). Where each cost comes from:

Cortex-M4: ARM Cortex-M4 Technical Reference Manual r0p1 (ARM DDI 0439B), 3.3.1 "Table of
processor instructions", Table 3-1 "Processor instruction set summary" (cycle counts for zero
wait states), and 3.3.2 "Load/store timings":
  alu      1  rows Move, Add, Subtract, Logical, Shift, Compare, Extend, Bit field, Saturate,
              Parallel add/subtract (SADD16), Packing (PKHBT): 1 cycle;
  mul      1  rows Multiply (MUL, MLA, MLS), Long multiply (SMULL, UMULL, SMLAL): 1 cycle, and
              the DSP multiply-accumulates (SMLAD, SMMLAR): 1 cycle;
  div      7  rows Divide (SDIV, UDIV): 2 to 12 cycles, "depending on the number of leading
              ones and zeros in the input operands": the middle of the range, an assumption;
  load     2  row Load (LDR, LDRH, LDRB, ...): 2; 3.3.2: neighbouring loads and stores can
              pipeline, one cycle less each, which this table does not model (an upper bound);
  store    1  3.3.2: "STR Rx,[Ry,#imm] is always one cycle" (the table's 2 is without the
              write buffer);
  multi    1 + 1 per register  rows Load/Store Multiple, Push, Pop: 1 + N;
  branch   2  rows Branch (B, BL, BX, CBZ) and conditional taken: 1 + P, P (the pipeline refill)
              1 to 3: P = 1 assumed; a conditional branch not taken is 1, counted as 2 here;
  other    1  (floating point and the rest: none of the package's kernels use them).
Cortex-M7: ARM publishes no per-instruction cycle table for it (its TRM, ARM DDI 0489,
describes an in-order, dual-issue superscalar pipeline with branch prediction, 1.2 "Features",
without timings). The figures below are our reading, NOT a published table: two ALU
instructions, or a load and an ALU instruction, often issue together (alu 0.6), a load from
TCM or a cache hit completes in 1, a predicted branch costs about 1.5, LDM/STM move two
registers per cycle. A scale factor fitted on ONE measured row (scripts/validate_estimate.py)
absorbs the rest.

Memory: the estimate assumes instruction fetches and constant loads hit the device's Flash
accelerator or caches (zero wait states): ``model.devices.Device.memory`` records each device's
Flash wait states at its clock, its accelerator, caches and TCM, with the vendor document they
come from, and says where a figure was not found. The emulator does not see which loads go to
Flash, so a miss's wait states are not added: on the STM32F746 at 216 MHz a miss costs 7.
"""

from dataclasses import dataclass

CLASSES = ("alu", "mul", "div", "load", "store", "multi", "branch", "other")

# cycles per instruction of each class (multi: per instruction + per register moved); sources
# in the module docstring (Cortex-M4: its TRM's Table 3-1; Cortex-M7: no published table)
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
