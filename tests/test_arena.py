"""The SRAM arena: allocation, high-water mark, compaction, overflow."""

import numpy as np
import pytest

from tinyml_course import SpecError, SRAMOverflowError
from tinyml_course.memory.arena import Arena


def test_views_share_the_arena_bytes_and_peak_is_the_live_high_water_mark():
    arena = Arena(1000)
    a = arena.alloc("a", (10, 10), np.float32)  # 400 bytes
    a.array[...] = 1.5
    assert np.frombuffer(arena.memory[:400].tobytes(), np.float32).sum() == 150
    b = arena.alloc("b", (100,), np.int8)
    arena.free(a)
    arena.alloc("c", (50,), np.int8)
    assert arena.live_bytes == 150 and arena.peak_bytes == 500
    assert b.array.base is not None  # a view, not a copy


def test_compaction_keeps_contents_when_only_the_sum_of_gaps_fits():
    arena = Arena(300)
    a, b, c = (arena.alloc(n, (100,), np.uint8) for n in "abc")
    for buf, value in ((a, 1), (b, 2), (c, 3)):
        buf.array[...] = value
    arena.free(a)
    arena.shrink(c, (60,))
    # free: 100 at the start, 40 at the end; 120 fits only after compaction
    d = arena.alloc("d", (120,), np.uint8)
    assert arena.moved_bytes == 160
    assert np.all(b.array == 2) and np.all(c.array == 3) and d.offset == 160
    assert arena.live_bytes == 280


def test_overflow_names_op_needed_and_free_bytes():
    arena = Arena(256)
    arena.begin_op("block3.dw")
    arena.alloc("x", (200,), np.int8)
    with pytest.raises(SRAMOverflowError) as err:
        arena.alloc("y", (100,), np.int8)
    assert (err.value.op, err.value.needed, err.value.free) == ("block3.dw", 100, 56)
    assert "block3.dw" in str(err.value) and "100 bytes" in str(err.value) and "56" in str(err.value)


def test_trace_records_the_most_live_bytes_of_each_op():
    arena = Arena(1000)
    arena.begin_op("one")
    x = arena.alloc("x", (100,), np.int8)
    t = arena.alloc("t", (50,), np.int8)
    arena.free(t)
    arena.end_op()
    arena.begin_op("two")
    arena.free(x)
    arena.end_op()
    assert arena.trace == [("one", 150), ("two", 100)]


def test_bad_capacity_is_rejected():
    with pytest.raises(SpecError, match="capacity"):
        Arena(0)
