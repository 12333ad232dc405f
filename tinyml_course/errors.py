"""The package's exceptions: each names what is wrong, so a CLI can print it as one line."""


class TinyMLError(Exception):
    """Base class of every error this package raises on purpose."""


class SpecError(TinyMLError, ValueError):
    """A network spec, shape, stride or option is invalid; the message names the field."""


class UnknownNameError(TinyMLError, ValueError):
    """A name (zoo model, device, convention, schedule, op) is not known; the message lists the known ones."""


class SRAMOverflowError(TinyMLError, MemoryError):
    """An allocation does not fit in the simulated SRAM arena.

    Attributes: ``op`` (name of the op that asked), ``needed`` and ``free`` (bytes).
    """

    def __init__(self, op, needed, free, capacity):
        self.op, self.needed, self.free, self.capacity = op, needed, free, capacity
        super().__init__(
            f"SRAM overflow in op {op!r}: needs {needed} bytes but only {free} of "
            f"{capacity} bytes are free"
        )
