"""Issue 19 finding 2, the references the student edition keeps (KEEP_IN_GRADING: tinynas's
`can_fit_memory`, `memory.fits`, `memory.fit_report`, which the package's own evolution calls):
does a second, private import of the package answer tinynas's exercise 1 with `memory.fits`?

In one process, as the sandboxed runner calls a check (student_runner.Runner.call: the check's
HELPERS, the student's namespace, its `reference` list blocked by tripwires, the verdict). The
student edition keeps these functions, so the sandbox's copy of the package holds them as here.
Seen failing before the fix: the private copy's `fits` was not blocked (2 of 2 points, +2).
"""
import pytest

from harness.attacks import PRIVATE_COPY
from harness.nbgrader_pipeline import REPO

from tinyml_course_grading import check_declarations, messages
from tinyml_course_grading import student_runner as runner
from tinyml_course_grading.verdicts import verdict

CHECKS = REPO / "assignments" / "source" / "tinynas" / "hidden_checks.py"

# can_fit_memory answered by a private import's memory.fits (registered in sys.modules, as a
# package's private import must be for its relative imports to resolve)
PRIVATE_FITS = PRIVATE_COPY + '''_FITS = getattr(_il.import_module("_privtc.memory." + "accounting"), "fi" + "ts")
_SCHEDULE = _il.import_module("_privtc.memory.schedule").Schedule  # the copy's own classes
_DEVICE = _il.import_module("_privtc.model.devices").Device


def can_fit_memory(arch, schedule, device):
    mine, dev = _SCHEDULE(**vars(schedule)), _DEVICE(**vars(device))
    return bool(_FITS(arch.network(), dev, schedule=mine, dtype="int8").fits)
'''
DIRECT_FITS = '''
from tinyml_course import memory


def can_fit_memory(arch, schedule, device):
    return bool(memory.fits(arch.network(), device, schedule=schedule, dtype="int8").fits)
'''
OWN = '''
from tinyml_course import memory


def can_fit_memory(arch, schedule, device):
    prof = memory.profile(arch.network(), schedule=schedule, dtype="int8")
    return bool(prof.peak_sram_bytes <= device.sram_bytes and prof.flash_bytes <= device.flash_bytes)
'''


def _verdict(student_code):
    hidden = check_declarations.load(CHECKS)
    check = hidden.checks["test-can-fit-memory"]
    helpers, student = {}, {}
    exec(hidden.helpers, helpers)
    saved = runner.snapshot()
    try:
        exec(student_code, student)
        runner.restore(saved)
        ns = {**student, **{k: v for k, v in helpers.items() if k != "__builtins__"}}
        answers = {}
        for i, case in enumerate(check.cases):
            call = messages.CallRequest(f"c{i}", case.expr, block=tuple(check.reference))
            got = runner.Runner(messages.RunRequest(cells=())).call(call, ns)
            answers[i] = messages.loads(messages.CallResult, messages.dumps(got))
    finally:
        runner.restore(saved)
        for name in [m for m in list(__import__("sys").modules) if m.startswith("_privtc")]:
            del __import__("sys").modules[name]
    return verdict(check, answers, student_code)


@pytest.mark.parametrize("code, fraction", [(OWN, 1.0), (DIRECT_FITS, 0.0), (PRIVATE_FITS, 0.0)],
                         ids=["own", "direct", "private"])
def test_a_private_import_of_a_kept_reference_earns_nothing(code, fraction):
    """Is exercise 1 answered with the package's `fits`, however imported, 0 with the integrity
    sentence, and the student's own comparison full marks?"""
    v = verdict_ = _verdict(code)
    assert v.fraction == fraction, v.message
    if fraction == 0.0:
        assert "No credit" in verdict_.message and "accounting.fits" in verdict_.message, v.message
