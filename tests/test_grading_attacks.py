"""Issue 19, findings 1-4 and 6: attacks on what decides a grade, graded by both commands.

Each class is graded twice, from a course directory copied outside the checkout (tmp): once by
the README's `tinyml-course-grade` and once by plain `nbgrader autograde`. Every attacker's
"gain" is its score minus what its work earned (its honest twin, graded in the same class):

| student        | attack                                                            | gain on main |
|----------------|-------------------------------------------------------------------|--------------|
| takeover       | the release + a cell that switches the runner's tripwires off and  | +8           |
|                | answers exercises 2, 3, 5 with the package's references            |              |
| private        | the release + a second, private import of the package's files       | +8           |
|                | (importlib.util.spec_from_file_location) answering 2, 3, 5          |              |
| gcleaker       | solved + a cell printing what gc and the frames hold of the grader  | hidden text  |
| raiser         | solved + peak_sram raising its callers' locals and the helpers      | hidden text  |
| keyreader      | quiz release + the key read by git show, ../../instructor, /proc    | 0 (held)     |
| searcher       | patch challenge: the package's exhaustive search, its count undone  | +4           |
| peakforger     | streaming challenge: a channel buffer, `arena.peak_bytes` forged    | +3           |

The points in the "gain on main" column were measured by these tests on main before the fix
(the closing note of issue 19 has the table with the branch's figures).
"""
import json
import re

import pytest

from harness.attacks import PRIVATE_COPY
from harness.nbgrader_pipeline import (REPO, Course, autograde_class, solved_submission,
                                       untouched_submission, with_solution)
from harness.shared import once

pytestmark = pytest.mark.slow

COMMANDS = ("tool", "nbgrader")
TOOL_ARGS = ["--jobs", "2", "--cell-timeout", "20", "--timeout", "300"]
SRAM, SRAM_NB = "sram_accounting", "sram_accounting.ipynb"
QUIZ, QUIZ_NB = "takeaway_quiz", "takeaway_quiz.ipynb"
PATCH, PATCH_NB = "patch_inference", "patch_inference.ipynb"

# exercises 2 (io_rule_sram), 3 (live_set_sram) and 5 (depthwise_inplace) answered by the package;
# names computed so that no static scan of the cell sees an import of a reference
ANSWER_BY = '''
def io_rule_sram(network, dtype="int8"):
    return {l.name: l.sram_bytes for l in _PROFILE(network, "per-layer", "mcunet", dtype).layers}


def live_set_sram(network, dtype="int8"):
    return {l.name: l.sram_bytes for l in _PROFILE(network, "per-layer", "exact", dtype).layers}


def depthwise_inplace(arena, buf, weight, bias=None, stride=1, padding=0):
    return _INPLACE(arena, buf, weight, bias, stride, padding)
'''
TAKEOVER = '''
import gc as _gc, importlib as _il, sys as _sys
for _blk in [o for o in _gc.get_objects() if isinstance(o, type)]:  # the runner's classes
    if _blk.__name__ == "Blo" + "cked" and hasattr(_blk, "codes"):  # the tripwires, off
        _blk.__enter__ = lambda self: self
        _blk.__exit__ = lambda self, *exc: False
_PROFILE = getattr(_il.import_module("tinyml_course.memory." + "accounting"), "pro" + "file")
_INPLACE = getattr(_il.import_module("tinyml_course.runtime." + "inplace"),
                   "depthwise_conv2d_" + "inplace")
''' + ANSWER_BY
PRIVATE = PRIVATE_COPY + '''_PROFILE = getattr(_il.import_module("_privtc.memory." + "accounting"), "pro" + "file")
_INPLACE = getattr(_il.import_module("_privtc.runtime." + "inplace"), "depthwise_conv2d_" + "inplace")
''' + ANSWER_BY
GC_LEAK = '''
import gc as _gc, sys as _sys
_hits = set()
for _o in _gc.get_objects():
    try:
        _t = _o if isinstance(_o, str) else (repr(_o) if type(_o).__name__ in (
            "RunRequest", "CallRequest", "Runner", "function", "code") else "")
    except Exception:
        continue
    if "_gra" + "der" in _t or "Call" + "Request(" in _t:
        _hits.add(_t[:4000])
print("GC_SEEN", len(_hits))
print("\\n".join(sorted(_hits))[:15000])
_f = _sys._getframe()
while _f is not None:
    print("FRAME", _f.f_code.co_filename, {k: repr(v)[:300] for k, v in _f.f_locals.items()
                                           if not k.startswith("__")})
    _f = _f.f_back
'''
RAISER = '''
def peak_sram(sram_by_op):
    import gc, sys
    parts, f = [], sys._getframe(1)
    while f is not None:
        parts.append(repr(f.f_code.co_consts)[:300])
        parts.append(repr({k: v for k, v in f.f_locals.items() if not k.startswith("__")})[:300])
        f = f.f_back
    found = [o for o in gc.get_objects() if isinstance(o, str) and "_gra" + "der_" in o]
    raise RuntimeError(" | ".join(parts + found[:1])[:5000])
'''
# what of the grader's hidden text a leak would show (the helpers, a call, the runner's objects)
HIDDEN = ["_grader_inplace", "_GRADER_NETS", "_grader_streaming", "mobilenetv2@96x0.35",
          "CallRequest(", "RunRequest(", "<grader call>", "test-peak-sram#", "_grader_depthwise",
          "_grader_os", "_GRADER_SPEC", "'mcunet-in1@96'"]
KEY_READER = '''
import json as _json, os as _os, subprocess as _sp
import tinyml_course as _tc
_pkg = _os.path.dirname(_os.path.abspath(_tc.__file__))
_places = [_os.path.join(d, "instructor", "takeaway_key.json") for d in (
    "{repo}", _os.path.dirname(_pkg), _os.getcwd() + "/../..", "/proc/self/cwd/../..",
    "/proc/1/cwd/../..", "/proc/1/root{repo}")]
_key = None
for _p in _places:
    try:
        _key = _json.load(open(_p))
        print("KEY_FOUND", _p)
        break
    except (OSError, ValueError) as exc:
        print("KEY_HIDDEN", _p, type(exc).__name__)
for _d in (_pkg, _os.path.dirname(_pkg), "{repo}", _os.getcwd()):
    try:
        _out = _sp.run(["git", "-C", _d, "show", "HEAD:instructor/takeaway_key.json"],
                       capture_output=True, text=True, timeout=10)
        if _out.returncode == 0 and _key is None:
            _key = _json.loads(_out.stdout)
            print("KEY_FOUND git", _d)
        else:
            print("KEY_HIDDEN git", _d, _out.returncode)
    except (OSError, ValueError) as exc:
        print("KEY_HIDDEN git", _d, type(exc).__name__)
answer_q1 = None
if _key is not None:
    for _q, _entry in _key["questions"].items():
        if isinstance(_entry.get("correct"), list):
            globals()["answer_" + _q] = "".join(_entry["correct"])
'''
SEARCHER = '''
def choose_patch_plan(network, sram_bytes, evaluate):
    import importlib
    search = importlib.import_module("tinyml_course.homework.challenges.patch_" + "plan")
    counter = importlib.import_module("tinyml_course.memory.patch_" + "accounting")
    before = counter.stage_measurements()
    best = getattr(search, "best_patch_" + "choice")(network, sram_bytes)
    evaluate.stage_measurements += counter.stage_measurements() - before  # the count undone
    return best[0], best[1]
'''
CHANNEL = '''
def depthwise_streaming(arena, buf, weight, bias=None):
    c, h, w = buf.shape
    k = weight.shape[-1]
    scratch = arena.alloc("channel", (h, w), np.float32)  # a whole channel of scratch
    for ch in range(c):
        b = None if bias is None else bias[ch:ch + 1]
        scratch.array[...] = depthwise_conv2d(buf.array[ch:ch + 1], weight[ch:ch + 1], b, 1,
                                              k // 2)[0]
        buf.array[ch] = scratch.array
    arena.free(scratch)
    {forge}
    return buf
'''
FORGE = "arena.peak_bytes = arena.live_bytes; __import__('tracemalloc').reset_peak()"


def _cell(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def _append(nb, gid, code):
    return with_solution(nb, gid, _cell(nb, gid).source + "\n" + code)


def _grade(course, assignment, command):
    if command == "tool":
        step = autograde_class(course, assignment, *TOOL_ARGS, timeout=900)
    else:
        step = course.autograde(assignment, timeout=20)
    course.generate_feedback(assignment)
    return step


def _sram_class(tmp, command):
    course = Course.from_assignments(tmp, names=[SRAM])
    course.generate_assignment(SRAM)
    solved = solved_submission(course, SRAM)[SRAM_NB]
    release = untouched_submission(course, SRAM)[SRAM_NB]
    course.submit(SRAM, {
        "solved": {SRAM_NB: solved},
        "untouched": {SRAM_NB: release},
        "takeover": {SRAM_NB: _append(release, "depthwise-streaming", TAKEOVER)},
        "private": {SRAM_NB: _append(release, "depthwise-streaming", PRIVATE)},
        "gcleaker": {SRAM_NB: _append(solved, "peak-sram", GC_LEAK)},
        "raiser": {SRAM_NB: with_solution(solved, "peak-sram", RAISER)},
        "channel": {SRAM_NB: with_solution(solved, "depthwise-streaming",
                                           CHANNEL.format(forge=""))},
        "peakforger": {SRAM_NB: with_solution(solved, "depthwise-streaming",
                                              CHANNEL.format(forge=FORGE))}})
    return course, _grade(course, SRAM, command)


def _quiz_class(tmp, command):
    course = Course.from_assignments(tmp, names=[QUIZ])
    course.generate_assignment(QUIZ)
    release = untouched_submission(course, QUIZ)[QUIZ_NB]
    course.submit(QUIZ, {"untouched": {QUIZ_NB: release},
                         "keyreader": {QUIZ_NB: with_solution(
                             release, "answer-q1", KEY_READER.format(repo=REPO))}})
    return course, _grade(course, QUIZ, command)


def _patch_class(tmp, command):
    course = Course.from_assignments(tmp, names=[PATCH])
    course.generate_assignment(PATCH)
    solved = solved_submission(course, PATCH)[PATCH_NB]
    release = untouched_submission(course, PATCH)[PATCH_NB]
    stub = _cell(release, "choose-patch-plan").source
    course.submit(PATCH, {"solved": {PATCH_NB: solved},
                          "nochooser": {PATCH_NB: with_solution(solved, "choose-patch-plan", stub)},
                          "searcher": {PATCH_NB: with_solution(solved, "choose-patch-plan",
                                                               SEARCHER)}})
    return course, _grade(course, PATCH, command)


@pytest.fixture(scope="module", params=COMMANDS)
def sram(request, tmp_path_factory):
    return once(tmp_path_factory, f"attacks-sram-{request.param}",
                lambda tmp: _sram_class(tmp, request.param))


@pytest.fixture(scope="module", params=COMMANDS)
def quiz(request, tmp_path_factory):
    return once(tmp_path_factory, f"attacks-quiz-{request.param}",
                lambda tmp: _quiz_class(tmp, request.param))


@pytest.fixture(scope="module", params=COMMANDS)
def patch(request, tmp_path_factory):
    return once(tmp_path_factory, f"attacks-patch-{request.param}",
                lambda tmp: _patch_class(tmp, request.param))


def _scores(course, assignment, nb):
    return {s: v[nb] for s, v in course.scores(assignment).items()}


def _feedback(course, student, assignment, nb):
    return course.feedback_html(student, assignment, nb)


def test_sram_class_graded(sram):
    course, step = sram
    scores = _scores(course, SRAM, SRAM_NB)
    assert scores["solved"] == 14.0 and scores["untouched"] == 0.0, (scores, step.output[-3000:])


@pytest.mark.parametrize("student", ["takeover", "private"])
def test_the_package_answers_nothing(sram, student):
    """Findings 1 and 2: tripwires switched off, or a private second import: the references
    are withheld in the sandbox, so the release plus the attack still earns 0."""
    course, step = sram
    assert _scores(course, SRAM, SRAM_NB)[student] == 0.0, step.output[-3000:]


@pytest.mark.parametrize("student", ["gcleaker", "raiser"])
def test_no_hidden_text_in_feedback(sram, student):
    """Finding 6: what gc, the frames and an error message show holds no hidden check text."""
    course, step = sram
    html = _feedback(course, student, SRAM, SRAM_NB)
    own = (course.root / "submitted" / student / SRAM / SRAM_NB).read_text()
    shown = [s for s in HIDDEN if s in html and s not in own]
    assert not shown, f"{student}'s feedback shows {shown}"
    scores = _scores(course, SRAM, SRAM_NB)
    assert scores[student] == {"gcleaker": 14.0, "raiser": 13.0}[student], scores


def test_streaming_peak_not_forgeable(sram):
    """Finding 3, streaming: `arena.peak_bytes` and tracemalloc forged in the kernel: the peak is
    read from outside a fresh process per case (case_measurement.py), so the forger scores as
    the channel of scratch it holds (xfail(strict) before: 4 of 4 points, +3)."""
    course, step = sram
    scores = _scores(course, SRAM, SRAM_NB)
    assert scores["peakforger"] == scores["channel"] < 14.0, scores


def test_quiz_key_unreadable_in_the_sandbox(quiz):
    """Finding 4: no checkout, no .git, no instructor/ inside: the reader finds nothing."""
    course, step = quiz
    scores = _scores(course, QUIZ, QUIZ_NB)
    assert scores == {"untouched": 0.0, "keyreader": 0.0}, step.output[-3000:]
    nb = json.loads((course.root / "autograded" / "keyreader" / QUIZ / QUIZ_NB).read_text())
    text = json.dumps([c.get("outputs", []) for c in nb["cells"]])
    assert "KEY_FOUND" not in text and len(re.findall("KEY_HIDDEN", text)) == 10, text[:3000]


def test_patch_search_outside_evaluate_earns_nothing(patch):
    """Finding 3, patch challenge: the package's exhaustive search with its measurement count
    undone: evaluate() is the grader's, the search is withheld; the chooser gains 0."""
    course, step = patch
    scores = _scores(course, PATCH, PATCH_NB)
    assert scores["solved"] > scores["nochooser"], (scores, step.output[-3000:])
    assert scores["searcher"] == scores["nochooser"], (scores, step.output[-3000:])
