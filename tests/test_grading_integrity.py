"""No credit for calling the reference, a flag for copying it, full marks for honest variants:
sram_accounting graded by both commands (tinyml-course-grade, then plain `nbgrader
autograde`) on the same class, with the same scores, feedback sentences and report.

| student  | submission                                                       | score | report        |
|----------|------------------------------------------------------------------|-------|---------------|
| solved   | the reference solutions                                          | 10    | clean         |
| variant  | every function written another way (numpy ints, a list, loops)   | 10    | clean         |
| wrapper  | io/live-set call memory.profile, depthwise calls the package's   | 2     | 3 integrity   |
| aliased  | live-set calls profile fetched by __import__ in the cell         | 7     | 1 integrity   |
| copied   | depthwise pasted from the package's source, renamed              | 10    | flagged       |
| untouched| the release                                                      | 0     | clean         |
| patcher  | streaming with a channel of scratch + Arena.peak_bytes, tracemalloc  | 11    | clean,        |
|          | patched to report no extra memory, a forged challenge-record line | (challenge 1 of 4) |           |
"""
import json
import re
from html import unescape

import pytest

from assignment_cases import sram_accounting as sram_case
from harness.nbgrader_pipeline import (Course, autograde_class, solved_submission,
                                       untouched_submission, with_solution)
from harness.shared import once

pytestmark = pytest.mark.slow

A = "sram_accounting"
NB = "sram_accounting.ipynb"
MAX = 14.0  # the autograded points (the 4 of the written answers are a TA's)
CHALLENGE = 4.0  # the streaming challenge: every student here keeps the solved one

VARIANT = {
    "tensor-bytes": '''
def tensor_bytes(shape, dtype="int8"):
    return np.prod(np.array(shape, dtype=np.int64)) * {"int8": 1, "float32": 4}[dtype]  # np.int64
''',
    "io-rule-sram": '''
def io_rule_sram(network, dtype="int8"):
    keep = {}
    for op in network.ops:
        if op.kind == "add":
            keep[op.block] = network.shape_of(op.inputs[1])
    out = {}
    for op in network.ops:
        if op.kind in ("add", "pool"):
            out[op.name] = 0
            continue
        total = tensor_bytes(op.in_shape, dtype) + tensor_bytes(op.out_shape, dtype)
        if op.kind == "dwconv" and op.block in keep:
            total += tensor_bytes(keep[op.block], dtype)
        out[op.name] = total
    return out
''',
    "live-set-sram": '''
def live_set_sram(network, dtype="int8"):
    last = network.last_use()
    names = ["input"] + [op.name for op in network.ops]
    out = {}
    for i, op in enumerate(network.ops):
        alive = [t for t in names[:i + 1] if last[t] >= i]
        out[op.name] = sum(tensor_bytes(network.shape_of(t), dtype) for t in alive) \\
            + tensor_bytes(op.out_shape, dtype)
    return out
''',
    "peak-sram": '''
def peak_sram(sram_by_op):
    best = None
    for name, nbytes in sram_by_op.items():
        if best is None or nbytes > best[1]:
            best = [name, nbytes]
    return best  # a list where a tuple is natural
''',
    "depthwise-inplace": '''
def depthwise_inplace(arena, buf, weight, bias=None, stride=1, padding=0):
    c, h, w = buf.shape
    k = weight.shape[-1]
    ho, wo = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    tmp = arena.alloc("tmp", (ho, wo), np.float32)
    for ch in range(c):
        xp = np.pad(buf.array[ch], padding)
        acc = tmp.array
        acc[...] = 0 if bias is None else bias[ch]
        for i in range(k):
            for j in range(k):
                acc += weight[ch, i, j] * xp[i:i + stride * ho:stride, j:j + stride * wo:stride]
        buf.array.reshape(-1)[ch * ho * wo:(ch + 1) * ho * wo] = acc.reshape(-1)
    arena.free(tmp)
    return arena.shrink(buf, (c, ho, wo))
''',
}
WRAPPER = {
    "io-rule-sram": '''
from tinyml_course import memory


def io_rule_sram(network, dtype="int8"):
    return {l.name: l.sram_bytes for l in memory.profile(network, "per-layer", "mcunet", dtype).layers}
''',
    "live-set-sram": '''
from tinyml_course.memory.accounting import profile


def live_set_sram(network, dtype="int8"):
    return {l.name: l.sram_bytes for l in profile(network, "per-layer", "exact", dtype).layers}
''',
    "depthwise-inplace": '''
from tinyml_course.runtime.inplace import depthwise_conv2d_inplace as _dw


def depthwise_inplace(arena, buf, weight, bias=None, stride=1, padding=0):
    return _dw(arena, buf, weight, bias, stride, padding)
''',
}
ALIASED = {"live-set-sram": '''
_p = getattr(__import__("tinyml_course.memory.accounting", fromlist=["x"]), "pro" + "file")


def live_set_sram(network, dtype="int8"):
    return {l.name: l.sram_bytes for l in _p(network, "per-layer", "exact", dtype).layers}
'''}


def _copied():
    import inspect

    import tinyml_course.runtime.inplace as ip
    helper = inspect.getsource(ip.depthwise_inplace).replace("def depthwise_inplace", "def _inplace")
    helper = helper.replace("        raise SpecError(", "        raise ValueError(")
    caller = inspect.getsource(ip.depthwise_conv2d_inplace)
    for old, new in [("depthwise_conv2d_inplace", "depthwise_inplace"), (", act=None", ""),
                     ("kernels.", ""), (" act,", ""), ("return depthwise_inplace(", "return _inplace("),
                     ("raise SpecError(", "raise ValueError(")]:
        caller = caller.replace(old, new)
    return helper + "\n\n" + caller


# the challenge answered with exercise 5's method (1 of its 4 points), after patching, in the
# student's kernel, what the challenge is measured with: in-kernel scoring would have read 0
# extra elements (4 points); the grader measures after restoring the package and scores it 1
PATCHER = {"depthwise-streaming": sram_case.PATCH_STREAMING_MEASUREMENT
                                  + sram_case.CHANNEL_SCRATCH_STREAMING}
PATCHER_CHALLENGE = 1.0

EXPECTED = {"solved": MAX, "variant": MAX, "wrapper": 2.0 + CHALLENGE, "aliased": 7.0 + CHALLENGE,
            "copied": MAX, "patcher": MAX - CHALLENGE + PATCHER_CHALLENGE,
            "untouched": 0.0}
INTEGRITY = {"wrapper": ["test-depthwise-inplace", "test-io-rule-sram", "test-live-set-sram"],
             "aliased": ["test-live-set-sram"]}
FLAGGED = {"copied": ["test-depthwise-inplace"]}


def _edit(nb, cells):
    for gid, src in cells.items():
        nb = with_solution(nb, gid, src)
    return nb


def _feedback_text(course, student):
    html = course.feedback_html(student, A, NB)
    return html, unescape(re.sub(r"<[^>]+>", "", html))


def _flagged(course):
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url) as gb:
        return {s for s in EXPECTED if gb.find_submission_notebook(NB[:-6], A, s).flagged}


def _unflag(course):
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url) as gb:
        for s in EXPECTED:
            gb.find_submission_notebook(NB[:-6], A, s).flagged = False
        gb.db.commit()


def _run(tmp):
    course = Course.from_assignments(tmp, names=[A])
    course.generate_assignment(A)
    solved = solved_submission(course, A)[NB]
    course.submit(A, {"solved": {NB: solved}, "variant": {NB: _edit(solved, VARIANT)},
                      "wrapper": {NB: _edit(solved, WRAPPER)},
                      "aliased": {NB: _edit(solved, ALIASED)},
                      "copied": {NB: _edit(solved, {"depthwise-inplace": _copied()})},
                      "patcher": {NB: _edit(solved, PATCHER)},
                      "untouched": untouched_submission(course, A)})
    results = {}
    tool = autograde_class(course, A, "--jobs", "2", "--timeout", "240", timeout=600)
    course.generate_feedback(A)
    report = json.loads((course.root / "reports" / f"{A}.json").read_text())
    results["tool"] = (tool, course.scores(A), report,
                       {s: _feedback_text(course, s) for s in EXPECTED}, None, _flagged(course))
    _unflag(course)  # the plain run must flag on its own
    plain = course.autograde(A)
    course.generate_feedback(A)
    rep = autograde_class(course, A, "--report-only", timeout=120)
    report = json.loads((course.root / "reports" / f"{A}.json").read_text())
    results["nbgrader"] = (plain, course.scores(A), report,
                           {s: _feedback_text(course, s) for s in EXPECTED}, rep, _flagged(course))
    return course, results


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return once(tmp_path_factory, "grading-integrity", _run)


@pytest.mark.parametrize("command", ["tool", "nbgrader"])
@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_scores(graded, command, student):
    """Does each submission get exactly its points under both grading commands?"""
    course, results = graded
    step, scores, *_ = results[command]
    assert scores[student][NB] == EXPECTED[student], step.output[-3000:]


@pytest.mark.parametrize("command", ["tool", "nbgrader"])
def test_integrity_and_flags_in_the_report(graded, command):
    """Does the report list exactly the reference users and the copy, per exercise?"""
    course, results = graded
    report = results[command][2]
    for student in EXPECTED:
        entry = report["students"][student]
        assert entry["integrity"] == INTEGRITY.get(student, []), (student, entry)
        assert entry["flagged"] == FLAGGED.get(student, []), (student, entry)
    copied = report["students"]["copied"]["exercises"]["test-depthwise-inplace"]
    assert copied["similarity"] >= report["similarity_threshold"] > \
        report["students"]["solved"]["exercises"]["test-depthwise-inplace"]["similarity"]


@pytest.mark.parametrize("command", ["tool", "nbgrader"])
def test_feedback_says_why_in_one_sentence(graded, command):
    """Does the wrapper's feedback say, for each wrapped exercise, why it earned nothing?"""
    course, results = graded
    html, text = results[command][3]["wrapper"]
    for function, ref in [("io_rule_sram", "profile"), ("live_set_sram", "profile"),
                          ("depthwise_inplace", "depthwise_conv2d_inplace")]:
        assert re.search(rf"No credit: {function} uses the package's reference \S*{ref} for "
                         rf"this exercise, which you are asked to write yourself\.", text), text[-3000:]
    html, text = results[command][3]["untouched"]
    assert "live_set_sram is not answered yet." in text


@pytest.mark.parametrize("command", ["tool", "nbgrader"])
def test_copy_is_flagged_in_the_gradebook(graded, command):
    """Is the copied submission flagged where Formgrader shows it, and no honest one?"""
    course, results = graded
    assert results[command][5] == {"copied"}


@pytest.mark.parametrize("command", ["tool", "nbgrader"])
def test_patching_the_measurement_in_the_notebook_changes_no_challenge_score(graded, command):
    """Is the challenge of a student who patched Arena.peak_bytes and tracemalloc in their own
    kernel (and printed a forged record) scored as its honest figures say, 1 of 4, in the
    gradebook, the report, the leaderboard, the records and the feedback?"""
    from tinyml_course.homework.records import class_records, leaderboard

    course, results = graded
    _, scores, report, feedback, *_ = results[command]
    entry = report["students"]["patcher"]
    assert entry["challenges"] == {"streaming-depthwise": PATCHER_CHALLENGE}
    assert report["students"]["solved"]["challenges"] == {"streaming-depthwise": CHALLENGE}
    board = report["leaderboards"]["streaming-depthwise"]
    assert board[-2:] == [{"student": "patcher", "score": PATCHER_CHALLENGE},
                          {"student": "untouched", "score": 0.0}]
    measured = entry["exercises"]["test-depthwise-streaming"]["record"]["measured"]["cases"]
    assert all(case["correct"] and case["extra_elements"] >= case["shape"][1] * case["shape"][2]
               for case in measured)  # at least the channel it holds, as measured honestly
    rows = leaderboard(class_records(course.root / "autograded", A), "streaming-depthwise")
    assert ("patcher", PATCHER_CHALLENGE, "grader") in [(s, p, r["scored_by"]) for s, p, r in rows]
    assert "streaming-depthwise: 1.00 of 4 points." in feedback["patcher"][1]


def test_tool_names_the_cases(graded):
    tool = graded[1]["tool"][0]
    assert tool.returncode == 0, tool.output
    assert re.search(r"ATTENTION: copied: test-depthwise-inplace is 0\.\d+ similar", tool.output)
    assert re.search(r"ATTENTION: wrapper: no credit .* on test-depthwise-inplace", tool.output)
