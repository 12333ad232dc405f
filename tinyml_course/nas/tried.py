"""``Tried``: one schedule the search tried for an architecture, with its cost."""

from typing import NamedTuple

from ..memory.schedule import Schedule


class Tried(NamedTuple):
    """A schedule tried for an architecture: its peak SRAM (bytes) and executed MACs."""

    peak_sram_bytes: int
    executed_macs: int  # patch overlap included
    schedule: Schedule

    def order(self):
        """Sort key for 'the lowest peak': peak, then executed MACs, then the schedule's string."""
        return self.peak_sram_bytes, self.executed_macs, str(self.schedule)
