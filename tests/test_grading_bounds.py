"""Issue 19, findings 7-11: no silent fallback, student HTML escaped, bounded grader-side work,
the leaderboard from the grader's records only, the exchange and the host out of reach, and a
student's C compiled and run within limits.

The unit-level attacks (fast) call what the grader calls on a student's plain data; the class
attacks grade one class with the README's `tinyml-course-grade` and one with plain
`nbgrader autograde`, each from a course directory copied outside the checkout (as
tests/test_grading_adversarial.py does). Each attack's cost to the grader is printed beside the
limit it must stay within (the figures are not asserted: a loaded machine is slower).

| student   | attack                                                               | expected            |
|-----------|----------------------------------------------------------------------|---------------------|
| solved    | -                                                                    | 14                  |
| xss       | `<script>`, `onerror=`, a `javascript:` link in outputs and markdown | 14, shown as text   |
| noteslink | a symlink notes.html -> the course's hidden_checks.py                 | 0, refused          |
| cells     | 100,000 extra cells                                                  | 0, counted first    |
| bigans    | a 60 MB answer from a checked function                               | 0, named            |
| tmpfill   | 3 GB written to /tmp                                                 | 14, /tmp is 512 MiB |
| exchange  | lists and writes /srv/nbgrader/exchange                              | 14, not there       |
| record    | the challenge cell deleted, a `challenge-record` line printed (99.0) | 10, ranks nowhere   |
"""
import json
import math
import os
import re
import resource
import time
import tracemalloc
from pathlib import Path

import nbformat
import numpy as np
import pytest

from tinyml_course.compression import trained
from tinyml_course.homework import plain_model as pm
from tinyml_course_grading import plain_data, submission, verdicts
from tinyml_course_grading.limits import GRADER, PLAIN, SANDBOX, SUBMISSION

MIB = 2**20


# --- 9: plain data validated before anything is allocated --------------------------------------

def padding_bomb(network, kernel=51, padding=50, layers=6):
    """A plain model that follows the op rules but costs the grader minutes: the stem, then
    ``layers`` depthwise ops of ``kernel`` x ``kernel`` with ``padding`` (the map grows by
    2 * padding - kernel + 1 each), a global pool and the classifier."""
    c, h, w = network.ops[0].out_shape
    ops = [list(pm.network_to_plain(network)["ops"][0])]
    weights = {ops[0][0]: [np.zeros((c, 1, 3, 3), np.float32), np.zeros(c, np.float32)]}
    prev = ops[0][0]
    for i in range(layers):
        grown = [c, h + 2 * padding - kernel + 1, w + 2 * padding - kernel + 1]
        ops.append([f"bomb{i}", "dwconv", [prev], [c, h, w], grown, kernel, 1, padding, None,
                    None, None])
        weights[f"bomb{i}"] = [np.zeros((c, kernel, kernel), np.float32), np.zeros(c, np.float32)]
        prev, (_, h, w) = f"bomb{i}", grown
    ops.append(["pool", "pool", [prev], [c, h, w], [c, 1, 1], 1, 1, 0, None, None, None])
    ops.append(["classifier", "linear", ["pool"], [c, 1, 1], [10, 1, 1], 1, 1, 0, None, None,
                None])
    weights["classifier"] = [np.zeros((10, c), np.float32), np.zeros(10, np.float32)]
    return {"network": {"name": "bomb", "input_shape": list(network.input_shape), "ops": ops},
            "weights": weights, "bits": 32}


@pytest.fixture(scope="module")
def digits_model():
    return trained.load_trained()


@pytest.mark.parametrize("kernel, padding, reason", [
    (51, 50, "kernel 51"), (3, 300, "padding 300 with a 3x3 kernel"), (7, 4, "padding 4"),
])
def test_costly_plain_models_are_refused_by_their_shapes(digits_model, kernel, padding, reason):
    """Is a model that follows the op rules but would cost the grader minutes (six 51x51
    depthwise with padding 50: 79 s a student before) refused before a weight is read, naming
    the op? The trained model itself is still rebuilt."""
    network, weights = digits_model
    bomb = padding_bomb(network, kernel, padding)
    tracemalloc.start()
    try:
        start = time.process_time()
        with pytest.raises(pm.ModelDataError, match=f"op 'bomb0': {reason}"):
            pm.model_from_plain(bomb, network)
        seconds, peak = time.process_time() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"refused in {seconds * 1000:.1f} ms CPU, {peak / MIB:.2f} MiB allocated "
          f"(limits: {GRADER.verdict_seconds:g} s, a few hundred MB)")
    assert pm.model_from_plain(pm.model_to_plain(network, weights, 8), network).network.ops == \
        network.ops


def test_a_model_over_the_mac_limit_is_refused(digits_model):
    """Kernel and padding within bounds but the MACs of many layers above 2^20: refused at the
    op that crosses the limit (the digits model needs 341,488)."""
    network, _ = digits_model
    assert network.macs == 341_488 < pm.LIMITS.macs == 2**20
    bomb = padding_bomb(network, kernel=7, padding=3, layers=40)  # 16x16 stays: 100,352 MACs each
    with pytest.raises(pm.ModelDataError, match=r"op 'bomb\d+': the network needs more than "
                                                r"1,048,576 MACs"):
        pm.model_from_plain(bomb, network)


def test_ops_are_counted_before_any_is_read(digits_model):
    """100,000 op rows that are not even ops: refused by their count, not by reading them."""
    network, _ = digits_model
    record = {"network": {"name": "n", "input_shape": list(network.input_shape),
                          "ops": [None] * 100_000}, "weights": {}, "bits": 8}
    with pytest.raises(pm.ModelDataError, match="1 to 64 ops, got 100000"):
        pm.model_from_plain(record, network)


def test_a_forged_array_header_allocates_nothing():
    """`(16000, 16000)` float64 (2 GB) with a few bytes of data: refused before allocating."""
    forged = {plain_data.ARRAY: "AAAA", "dtype": "float64", "shape": [16000, 16000]}
    tracemalloc.start()
    try:
        with pytest.raises(plain_data.PlainDataError, match="256000000 elements"):
            plain_data.restore({"weights": [forged]})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"forged header refused; {peak / 1024:.1f} KiB allocated (the header claims "
          f"{16000 * 16000 * 8 / MIB:,.0f} MiB)")
    assert peak < MIB


def test_extra_cells_are_counted_before_the_notebook_is_validated(tmp_path, monkeypatch):
    """100,000 extra cells: refused by their count, without nbformat's validation (a minute
    and hundreds of MB for one student before)."""
    cell = {"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": [],
            "execution_count": None}
    nb = {"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [cell] * 100_000}
    path = tmp_path / "s" / "hw.ipynb"
    path.parent.mkdir()
    path.write_text(json.dumps(nb))
    calls = []
    monkeypatch.setattr(nbformat, "validate", lambda *a, **k: calls.append(1))
    monkeypatch.setattr(nbformat, "reads", lambda *a, **k: calls.append(1) or nb)
    start = time.process_time()
    failure = submission.problem(path.parent)
    seconds = time.process_time() - start
    print(f"{path.stat().st_size / MIB:.1f} MiB notebook of 100,000 cells refused in "
          f"{seconds:.2f} s CPU (limit: {SUBMISSION.cells} cells)")
    assert failure is not None and failure.detail == \
        f"hw.ipynb has 100000 cells (at most {SUBMISSION.cells})"
    assert calls == []


def test_the_graders_measurement_has_a_cpu_budget():
    """A check's `grade` that would run for minutes ends at the budget with one sentence; what
    it caught with `except Exception` does not stop the budget."""
    def endless():
        while True:
            try:
                sum(range(10**6))
            except Exception:
                pass
    start = time.process_time()
    with pytest.raises(verdicts.BudgetExceeded, match="budget of 0.5 CPU seconds"):
        with verdicts.cpu_budget(0.5):
            endless()
    spent = time.process_time() - start
    print(f"stopped after {spent:.2f} s CPU (budget 0.5 s; the grader's: "
          f"{GRADER.verdict_seconds:g} s)")
    assert 0.5 <= spent < 30
    with verdicts.cpu_budget(5):  # within the budget: nothing happens, the timer is cleared
        sum(range(1000))
    import signal
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


def test_limits_are_written_once():
    """The grading limits the issue names, each in limits.py (the plain model's in plain_model:
    the course package cannot import the grading package)."""
    assert (SANDBOX.tmp_mb, SANDBOX.work_mb, SANDBOX.answer_mb) == (512, 512, 16)
    assert (pm.LIMITS.kernel, pm.LIMITS.macs, pm.LIMITS.ops) == (7, 2**20, 64)
    assert PLAIN.array_elements == 8 * 2**20 and 0 < GRADER.verdict_seconds <= 10


# --- the class: both grading commands, from a course copied outside the checkout ----------------

A = "sram_accounting"
NB = "sram_accounting.ipynb"
MAX = 14.0  # autograded points (18 in all: 4 are written answers)
STREAMING = 4.0  # the challenge cell's points
TOOL_ARGS = ["--jobs", "2", "--cell-timeout", "3", "--timeout", "90", "--nproc", "64"]
EXCHANGE = Path("/srv/nbgrader/exchange")
SECRET = "EXCHANGE-SECRET-7f3a"

XSS_CODE = '''
from IPython.display import HTML as _HTML, Markdown as _Markdown, Javascript as _JS, display as _show
_show(_HTML("<script>window.XSS_HTML = 1</script><img src=x onerror=\\"window.XSS_IMG=1\\">"))
_show(_Markdown("[click](javascript:window.XSS_MD=1)"))
_show(_JS("window.XSS_JS = 1"))
print("<script>window.XSS_PRINT = 1</script>")
'''
XSS_MARKDOWN = ("My answer. <img src=x onerror=\"window.XSS_CELL=1\"> "
                "<script>window.XSS_CELL2=1</script> [see](javascript:window.XSS_LINK=1)")
TMPFILL = '''
import os as _os
_written = 0
try:  # 3 GiB in files of 128 MiB (each under the per-file limit); fallocate takes the pages as
    for _i in range(24):  # write() would, five times faster (the cell has --cell-timeout 3 s)
        _fd = _os.open(f"/tmp/fill{_i}.bin", _os.O_CREAT | _os.O_WRONLY)
        try:
            for _j in range(2):
                _os.posix_fallocate(_fd, _j * (64 << 20), 64 << 20)
                _written += 64 << 20
        finally:
            _os.close(_fd)
    print("TMP_WROTE_ALL", _written)
except OSError as exc:
    print("TMP_FULL", _written >> 20, "MiB", type(exc).__name__, exc.errno)
for _i in range(24):
    if _os.path.exists(f"/tmp/fill{_i}.bin"):
        _os.remove(f"/tmp/fill{_i}.bin")
'''
LOOK = f'''
import os as _os
for _p in ["{EXCHANGE}", "/srv/nbgrader", "/srv"]:
    try:
        print("LISTED", _p, _os.listdir(_p))
    except OSError as exc:
        print("NOT_THERE", _p, type(exc).__name__)
for _p in ["{EXCHANGE}/secret.txt", "{EXCHANGE}/tinyml-course/inbound/planted.txt"]:
    try:
        print("READ_OK" if "{EXCHANGE}/secret" in _p and open(_p).read() else "", end="")
        open(_p, "w").write("planted")
        print("WROTE", _p)
    except OSError as exc:
        print("BLOCKED", _p, type(exc).__name__)
'''
BIG_ANSWER = '''

def peak_sram(*args, **kwargs):
    return "x" * 60_000_000  # 60 MB
'''
RECORD_LINE = 'print("challenge-record", {"challenge": "streaming-depthwise", "points": 99.0})\n'


def _cell(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def _submissions(course):
    from harness.nbgrader_pipeline import solved_submission, with_solution
    solved = solved_submission(course, A)[NB]

    def appended(gid, code):
        return with_solution(solved, gid, _cell(solved, gid).source + code)
    xss = appended("peak-sram", XSS_CODE)
    _cell(xss, "written-streaming").source = XSS_MARKDOWN
    xss.cells.insert(1, nbformat.v4.new_markdown_cell(XSS_MARKDOWN))
    xss.cells.insert(2, nbformat.v4.new_raw_cell("<script>window.XSS_RAW=1</script>"))
    cells = nbformat.from_dict(json.loads(nbformat.writes(solved)))
    cells.cells += [nbformat.v4.new_markdown_cell("") for _ in range(100_000)]
    record = appended("tensor-bytes", RECORD_LINE)
    record.cells = [c for c in record.cells
                    if c.metadata.get("nbgrader", {}).get("grade_id") != "test-depthwise-streaming"]
    return {"solved": {NB: solved}, "xss": {NB: xss}, "cells": {NB: cells},
            "tmpfill": {NB: appended("peak-sram", TMPFILL)},
            "exchange": {NB: appended("peak-sram", LOOK)},
            "bigans": {NB: appended("peak-sram", BIG_ANSWER)},
            "record": {NB: record}}


EXPECTED = {"solved": MAX, "xss": MAX, "tmpfill": MAX, "exchange": MAX,
            "record": MAX - STREAMING, "noteslink": None, "cells": None, "bigans": None}
FAILED = {"noteslink": "invalid submission", "cells": "invalid notebook",
          "bigans": "kernel died"}


def _exchange():
    """Plant the hub's exchange with a secret (root only); the folders this made, to remove."""
    made = [p for p in (EXCHANGE.parent, EXCHANGE) if not p.exists()]
    if made and os.geteuid() != 0:
        return None
    (EXCHANGE / "tinyml-course" / "inbound").mkdir(parents=True, exist_ok=True)
    (EXCHANGE / "secret.txt").write_text(SECRET)
    return made


def _grade(tmp, command):
    from harness.nbgrader_pipeline import Course, autograde_class
    course = Course.from_assignments(tmp, names=[A])
    course.generate_assignment(A)
    course.submit(A, _submissions(course))
    from harness.nbgrader_pipeline import solved_submission
    course.submit(A, {"noteslink": solved_submission(course, A)})
    links = course.root / "submitted" / "noteslink" / A
    (links / "notes.html").symlink_to(course.source_dir(A) / "hidden_checks.py")
    made = _exchange()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    try:
        if command == "tool":
            step = autograde_class(course, A, *TOOL_ARGS, timeout=600)
        else:
            step = course.autograde(A, timeout=3)
    finally:
        planted = (EXCHANGE / "tinyml-course" / "inbound" / "planted.txt").exists()
        if made:
            import shutil
            shutil.rmtree(made[0])
    seconds = time.monotonic() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    course.generate_feedback(A)
    return {"course": course, "step": step, "seconds": seconds, "planted": planted,
            "exchange": made is not None, "peak_mb": peak_mb, "before_mb": before / 1024}


@pytest.fixture(scope="module", params=["tool", "nbgrader"])
def graded(request, tmp_path_factory):
    from harness.shared import once
    return once(tmp_path_factory, f"grading-bounds-{request.param}",
                lambda tmp: _grade(tmp, request.param)) | {"command": request.param}


def _scores(g):
    return {s: v.get(NB) for s, v in g["course"].scores(A).items()}


@pytest.mark.slow
def test_every_student_gets_exact_score(graded):
    """Honest work keeps its points, each attack gets what the table says; a refused student
    has no score (the tool records 0 on every cell, plain nbgrader none)."""
    scores, step = _scores(graded), graded["step"]
    for student, want in EXPECTED.items():
        got = scores.get(student)
        if want is None:
            assert got in (None, 0.0), (student, got, step.output[-3000:])
        else:
            assert got == want, (student, got, step.output[-3000:])
    lines = [ln for ln in step.output.splitlines() if re.match(r"^\S+ .* / 18\b", ln)]
    costs = {ln.split()[0]: float(m.group(1)) for ln in lines
             if (m := re.search(r"([\d.]+) s\b", ln))}
    worst = max(costs.items(), key=lambda kv: kv[1]) if costs else ("-", math.nan)
    print(f"{graded['command']}: class of {len(EXPECTED)} in {graded['seconds']:.1f} s wall; "
          f"worst student {worst[0]} {worst[1]:.1f} s; largest process of the run "
          f"{graded['peak_mb']:.0f} MB peak RSS, sandboxed runners included (limits: a few seconds, "
          f"a few hundred MB)")
    if graded["command"] == "tool":
        for student, reason in FAILED.items():
            line = next(ln for ln in step.output.splitlines() if ln.startswith(student + " "))
            assert f"FAILED: {reason}:" in line, line


def _feedback_files(course, student):
    folder = course.root / "feedback" / student / A
    return sorted(folder.rglob("*")) if folder.exists() else []


@pytest.mark.slow
def test_a_symlink_in_a_submission_is_refused_and_never_copied(graded):
    """notes.html -> hidden_checks.py: the student is refused with a note naming the link, and
    no feedback or autograded file holds the hidden checks' text."""
    course, step = graded["course"], graded["step"]
    assert "notes.html is a symbolic link" in step.output, step.output[-3000:]
    hidden = (course.source_dir(A) / "hidden_checks.py").read_text()[:200]
    for folder in ("feedback", "autograded"):
        for path in sorted((course.root / folder).rglob("*")):
            assert not path.is_symlink(), path
            if path.is_file():
                assert hidden not in path.read_text(errors="replace"), path


class _Markup(__import__("html.parser").parser.HTMLParser):
    """Every script element's text, every on* attribute and every javascript: URL of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts, self.handlers, self.urls, self._in_script = [], [], [], False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name, value))
            if name in ("href", "src") and "javascript:" in (value or "").replace(" ", "").lower():
                self.urls.append(value)

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)

    def handle_endtag(self, tag):
        self._in_script = False


def _markup(text):
    parser = _Markup()
    parser.feed(text)
    return parser


@pytest.mark.slow
def test_student_markup_never_reaches_a_tas_browser(graded):
    """The xss student's `<script>`, `onerror=` and `javascript:` (in a display, a printed line,
    markdown cells, a raw cell) are in no script element, attribute or link of the feedback
    HTML, nor of the autograded notebook rendered as Formgrader does (nbconvert's HTML, which
    passes markdown's HTML and text/html outputs through raw); the TA still sees them as text."""
    from nbconvert import HTMLExporter
    course = graded["course"]
    feedback = course.feedback_html("xss", A, NB)
    autograded = nbformat.read(course.root / "autograded" / "xss" / A / NB, as_version=4)
    formgrader_view = HTMLExporter().from_notebook_node(autograded)[0]
    for page in (feedback, formgrader_view):
        found = _markup(page)
        assert not [s for s in found.scripts if "XSS" in s], [s for s in found.scripts if "XSS" in s]
        assert not found.handlers and not found.urls, (found.handlers, found.urls)
        assert "window.XSS_CELL=1" in page and "window.XSS_PRINT = 1" in page  # shown as text
    solved = _markup(course.feedback_html("solved", A, NB))
    assert not solved.handlers


@pytest.mark.slow
def test_tmp_is_size_limited(graded):
    """3 GB written to /tmp: the sandbox's /tmp is a tmpfs of SANDBOX.tmp_mb; the write fails
    there and nothing reaches the host's disk."""
    from harness.nbgrader_pipeline import Course  # noqa: F401  (the course is graded already)
    nb = nbformat.read(graded["course"].root / "autograded" / "tmpfill" / A / NB, as_version=4)
    cell = _cell(nb, "peak-sram")
    text = "".join(str(o.get("text", "")) + str(o.get("ename", "")) + str(o.get("evalue", ""))
                   for o in cell.outputs)
    match = re.search(r"TMP_FULL (\d+) MiB (\w+) (\d+)", text)
    assert match and "TMP_WROTE_ALL" not in text, text[-2000:]
    print(f"/tmp full after {match.group(1)} MiB ({match.group(2)} errno {match.group(3)}; "
          f"limit {SANDBOX.tmp_mb} MiB)")
    assert int(match.group(1)) <= SANDBOX.tmp_mb and int(match.group(3)) == 28  # ENOSPC


@pytest.mark.slow
def test_the_exchange_is_not_in_the_sandbox(graded):
    """/srv/nbgrader/exchange (the hub's: every student's submissions) is not in the sandbox:
    not listed, not readable, nothing planted in it."""
    if not graded["exchange"]:
        pytest.skip("the exchange could not be planted (not root and no /srv/nbgrader)")
    nb = nbformat.read(graded["course"].root / "autograded" / "exchange" / A / NB, as_version=4)
    text = "".join(str(o.get("text", "")) for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs)
    assert f"NOT_THERE {EXCHANGE} FileNotFoundError" in text, text[-2000:]
    assert "READ_OK" not in text and SECRET not in text and "WROTE" not in text
    assert not graded["planted"]


@pytest.mark.slow
def test_the_leaderboard_reads_only_the_graders_records(graded):
    """The record student deleted the challenge cell and printed a challenge-record line of 99
    points: ranked nowhere; the honest students rank from the grader's verdicts."""
    from tinyml_course.homework.records import class_records, leaderboard
    records = class_records(graded["course"].root / "autograded", A)
    rows = leaderboard(records, "streaming-depthwise")
    students = [row[0] for row in rows]
    assert "record" not in students and "solved" in students, rows
    assert all(row[2]["scored_by"] == "grader" and row[1] <= STREAMING for row in rows), rows


# --- 11: a student's C, compiled and run by the grader -------------------------------------------

KERNEL_HEAD = ("void student_dwconv_inplace(int8_t *x, int8_t *scratch, const tm_geom *g, "
               "const tm_quant *q) {")


def _macro_bomb(levels):
    """C whose one initializer expands to 2^levels tokens (30 lines of source)."""
    lines = ["#define A0 1"] + [f"#define A{i} A{i - 1},A{i - 1}" for i in range(1, levels + 1)]
    return "\n".join(lines) + f"\nconst int8_t tm_bomb[] = {{A{levels}}};\n" + \
        KERNEL_HEAD + " x[0] = tm_bomb[(uint8_t)x[1]]; }\n"


@pytest.mark.parametrize("what, source, reason", [
    ("a macro expanding to 2^26 tokens", _macro_bomb(26), "the compiler ran out of its 1024 MiB"),
    ("a 300 MB initialized array", "const int8_t tm_big[300000000] = {1};\n" + KERNEL_HEAD +
     " x[0] = tm_big[(uint8_t)x[1]]; }\n", "the compiler's output grew past 16 MiB"),
])
def test_compile_bombs_stop_at_the_compilers_limits(what, source, reason):
    """A few lines of C that would take the grader's compiler minutes and gigabytes (or a
    gigabyte of object file on its disk) end at kernel_check's limits, as the check's error."""
    from tinyml_course.deploy import kernel_check as kc
    start = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    got = kc.check_inplace_depthwise(source)
    seconds = time.monotonic() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"{what}: {got.error!r} after {seconds:.1f} s wall, compiler peak RSS "
          f"{max(peak, before) / 1024:.0f} MB (limits: {kc.COMPILE_SECONDS} s, "
          f"{kc.COMPILE_MB} MiB, files {kc.COMPILE_OUTPUT_MB} MiB)")
    assert got.error and got.error.startswith(reason), got.error
    assert not got.bit_exact


@pytest.mark.parametrize("body, fault", [
    ("volatile int8_t *p = (volatile int8_t *)0x60000000; x[0] = *p;", "0x60000000"),
    ("x[0] = x[-4000000];", "0x1f"),
    ("volatile int8_t *p = (volatile int8_t *)0x08000000; int s = 0;"
     " for (int i = 0; i < (2 << 20); i++) s += p[i]; x[0] = s;", "0x08100000"),
])
def test_out_of_bounds_reads_fault(body, fault):
    """Reads outside the device's Flash and SRAM are memory faults: the check's error, no
    output, nothing raised."""
    from tinyml_course.deploy.kernel_check import check_inplace_depthwise
    got = check_inplace_depthwise(f"{KERNEL_HEAD} {body} }}\n")
    assert got.error and got.error.startswith("memory fault: read from unmapped address " + fault), \
        got.error
    assert not got.bit_exact


def test_what_a_kernel_can_read_holds_no_expected_output(tmp_path):
    """A kernel may read all of Flash and SRAM; the image the grader builds holds the case's
    input and weights but never its expected output (computed outside, in numpy), so reading
    everything learns nothing that decides a point."""
    from tinyml_course.deploy.kernel_check import check_inplace_depthwise, depthwise_case
    case = depthwise_case(3, 9, 3, 2, 1)  # deploy_kernel's first held-out case
    scan = (f"{KERNEL_HEAD} volatile int8_t *p = (volatile int8_t *)0x20000000; int s = 0;"
            f" for (int i = 0; i < 320 * 1024; i++) s += p[i]; x[0] = (int8_t)s; }}\n")
    got = check_inplace_depthwise(scan, case, workdir=tmp_path)
    assert got.error is None and not got.bit_exact
    image = (tmp_path / "kernel.elf").read_bytes()
    assert case.x.tobytes() in image and case.expected.tobytes() not in image
