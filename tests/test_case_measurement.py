"""Issue 19 finding 3 (streaming): a kernel's peak memory measured from outside its process.

Each kernel below runs as a student's solution cell in a fresh sandboxed case process
(tinyml_course_grading.case_harness) on a 2 x 1024 x 1024 float32 case (a channel of scratch is
4 MiB), and the grader reads the peak from the kernel (VmHWM, the memory cgroup's). Every kernel
but the streaming one holds a whole channel of scratch, hidden a different way; each hiding
place either counts or is refused. Seen failing before the fix: in-process, `peakforger` read 0
extra elements (test_grading_attacks.py's xfail); the ways around the outside measurement were
each run once with the lock-down of case_harness._lock_down switched off (they then hid their
channel or ran their grandchild: see the commit message).
"""
import numpy as np
import pytest

from tinyml_course_grading import case_measurement, sandboxed_run
from tinyml_course.homework.challenges.streaming_case import case_inputs
from tinyml_course.runtime.kernels import depthwise_conv2d

CASE = (2, 1024, 1024, 3, 0)
CHANNEL_BYTES = 4 * CASE[1] * CASE[2]
ENTRY = "tinyml_course.homework.challenges.streaming_case:prepare"
NAMES = {"np": "numpy", "depthwise_conv2d": "tinyml_course.runtime.kernels:depthwise_conv2d"}
RESOLUTION = 2 << 20  # below this the measurement does not tell kernels apart (its noise: 1 MiB)

STREAMING = '''
def depthwise_streaming(arena, buf, weight, bias=None):
    c, h, w = buf.shape
    k = weight.shape[-1]
    p = k // 2
    ring = arena.alloc("rows", (p + 1, w), np.float32)
    x, rows = buf.array, ring.array
    for ch in range(c):
        plane = x[ch]
        for r in range(h + p):
            if r < h:
                acc = rows[r % (p + 1)]
                acc[...] = 0 if bias is None else bias[ch]
                for i in range(k):
                    src = r + i - p
                    if not 0 <= src < h:
                        continue
                    line = plane[src]
                    for j in range(k):
                        d = j - p
                        lo, hi = max(0, -d), min(w, w - d)
                        acc[lo:hi] += weight[ch, i, j] * line[lo + d:hi + d]
            done = r - p
            if done >= 0:
                plane[done] = rows[done % (p + 1)]
    arena.free(ring)
    return buf
'''
# a whole channel of scratch, in a buffer that ``{alloc}`` makes; ``{before}`` runs first
CHANNEL = '''
{top}
def depthwise_streaming(arena, buf, weight, bias=None):
    c, h, w = buf.shape
    k = weight.shape[-1]
    {before}
    scratch = {alloc}
    for ch in range(c):
        b = None if bias is None else bias[ch:ch + 1]
        scratch[...] = depthwise_conv2d(buf.array[ch:ch + 1], weight[ch:ch + 1], b, 1, k // 2)[0]
        buf.array[ch] = scratch
    {after}
    return buf
'''
ARENA = 'arena.alloc("channel", (h, w), np.float32).array'
KERNELS = {
    "channel": dict(top="", before="", alloc=ARENA, after=""),
    # finding 3: the in-process figures forged (they decide nothing now)
    "peakforger": dict(top="", before="", alloc=ARENA, after="arena.peak_bytes = arena.live_bytes; "
                       "__import__('tracemalloc').reset_peak()"),
    # a second tensor outside the arena, in an anonymous mmap
    "mmap": dict(top="import mmap", before="m = mmap.mmap(-1, 4 * h * w)",
                 alloc="np.frombuffer(m, np.float32).reshape(h, w)", after=""),
    # memory held by the cell before the call and freed in it: the call reuses it
    "pool": dict(top="_pool = [np.ones(1 << 20, np.float32)]", before="_pool.clear()",
                 alloc="np.empty((h, w), np.float32)", after=""),
}
# ways around the measurement that the case process refuses (the kernel raises: 0 points)
REFUSED = {
    "grandchild": "import os\nif os.fork() == 0:\n    os._exit(0)\n",
    "thread": "import threading\nthreading.Thread(target=lambda: None).start()\n",
    "pipe": "import os\nr, w = os.pipe()\n",
    "socket": "import socket\nsocket.socketpair()\n",
    "tmpfs": "open('/tmp/scratch', 'wb').write(bytes(1 << 20))\n",
    "memfd": "import os\nfd = os.memfd_create('scratch')\nos.write(fd, bytes(1 << 20))\n",
}


@pytest.fixture(scope="module")
def bwrap():
    ok, why = sandboxed_run.available()
    if not ok:
        pytest.skip(f"no sandbox here: {why}")
    return sandboxed_run.bwrap_path()


@pytest.fixture(scope="module")
def base(bwrap):
    return case_measurement.baseline(ENTRY, CASE, NAMES, CASE[:3], bwrap=bwrap)


@pytest.fixture(scope="module")
def expected():
    x, weight, bias = case_inputs(*CASE)
    return depthwise_conv2d(x, weight, bias, 1, CASE[3] // 2)


def _run(source, bwrap):
    return case_measurement.run_case(ENTRY, CASE, source, "depthwise_streaming", NAMES, CASE[:3],
                                     bwrap=bwrap)


def test_the_baseline_is_steady(base):
    """Do the null kernel's runs agree to within the measurement's resolution?"""
    print(f"baseline: VmHWM {base.rss_bytes} B (spread {base.rss_spread}), cgroup "
          f"{base.cgroup_bytes} B (spread {base.cgroup_spread})")
    assert base.rss_bytes > 0 and base.rss_spread < RESOLUTION
    assert base.cgroup_spread is None or base.cgroup_spread < RESOLUTION


def test_streaming_rows_measure_below_the_resolution(bwrap, base, expected):
    """Is the honest streaming kernel right and measured within the resolution of nothing?"""
    run = _run(STREAMING, bwrap)
    assert not run.problem and run.record["problem"] == "", (run.problem, run.record)
    np.testing.assert_allclose(run.out, expected, atol=1e-4)
    extra = case_measurement.extra_bytes(run, base)
    print(f"streaming: extra {extra} B")
    assert extra < RESOLUTION


@pytest.mark.parametrize("name", list(KERNELS))
def test_a_channel_of_scratch_counts_wherever_it_is(name, bwrap, base, expected):
    """Is a channel of scratch measured as at least a channel, however the kernel hides it?"""
    run = _run(CHANNEL.format(**KERNELS[name]), bwrap)
    assert not run.problem and run.record["problem"] == "", (run.problem, run.record)
    np.testing.assert_allclose(run.out, expected, atol=1e-4)
    extra = case_measurement.extra_bytes(run, base)
    print(f"{name}: extra {extra} B, a channel {CHANNEL_BYTES} B")
    assert extra >= CHANNEL_BYTES - RESOLUTION // 4


@pytest.mark.parametrize("name", list(REFUSED))
def test_hiding_places_outside_the_process_are_refused(name, bwrap):
    """Is a grandchild, a thread, a pipe, a socket, a file or a memfd refused in the case (the
    cell raises, so there is no output to score)?"""
    run = _run(REFUSED[name] + STREAMING, bwrap)
    assert run.out is None and "raised" in run.record.get("problem", ""), (run.problem, run.record)
