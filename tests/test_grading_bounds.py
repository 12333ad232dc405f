"""Issue 19, findings 7-11 (the class): no silent fallback, student HTML escaped, bounded
grader-side work, the leaderboard from the grader's records only, the exchange and the host out
of reach. The unit-level attacks on plain data are in test_plain_data_bounds.py, the C side in
test_kernel_check_bounds.py.

The class attacks grade one class with the README's `tinyml-course-grade` and one with plain
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
from pathlib import Path

import nbformat
import pytest

from tinyml_course_grading.limits import SANDBOX

MIB = 2**20


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
