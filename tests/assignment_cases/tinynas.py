"""The TinyNAS homework as a pipeline test case (tests/test_assignment_pipelines.py).

Students: `solved` (the reference solutions), `untouched` (the release as handed out), `sramonly`
(a can_fit_memory that forgets Flash: fails the visible case where Flash decides, and the hidden
cases where SRAM fits and Flash does not; its search, built on it, fails where such an arch would
win; scored per case).
"""
from harness.nbgrader_pipeline import solved_submission, with_solution

ASSIGNMENT = "tinynas"
NOTEBOOK = "tinynas.ipynb"
MAX_POINTS = 10.0
POINTS = {"test-can-fit-memory": 2, "test-search-loop": 4, "test-my-arch-fits": 1,
          "test-beats-baseline": 1, "test-near-instructor": 1, "test-matches-instructor": 1}

SRAM_ONLY = '''
def can_fit_memory(arch, schedule, device):
    # forgets the Flash
    prof = memory.profile(arch.network(), schedule=schedule, dtype="int8")
    return bool(prof.peak_sram_bytes <= device.sram_bytes)
'''


def _sram_only_points():
    """What the sramonly student earns on exercises 1 and 2, by the rule: a case is right unless
    SRAM fits and Flash does not (exercise 1), unless such an arch changes the loop's result
    (exercise 2, the loop run with the SRAM-only test); the cases are hidden_checks'."""
    import importlib.util

    from harness.nbgrader_pipeline import REPO
    from tinyml_course import memory
    from tinyml_course.nas.tinynas import schedule_space
    spec = importlib.util.spec_from_file_location(
        "tinynas_checks", REPO / "assignments" / "source" / "tinynas" / "hidden_checks.py")
    checks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checks)

    def sram_fits(arch, schedule, device):
        return memory.profile(arch.network(), schedule=schedule,
                              dtype="int8").peak_sram_bytes <= device.sram_bytes

    fit_right = sum(sram_fits(*checks._grader_fit_inputs(checks.DEVICES, *case))
                    == checks._fit_expected(*case) for case in checks.FIT_CASES)
    search_right = 0
    for seed, count, device in checks.SEARCH_CASES:
        archs, dev = checks._grader_space(seed, count), checks.DEVICES[device]
        got = None
        for arch in archs:  # the slide's loop with the SRAM-only test, by hand
            first = next((s for s in schedule_space(arch) if sram_fits(arch, s, dev)), None)
            if first is not None and (got is None or checks._stand_in_acc(arch) > got[0]):
                got = (checks._stand_in_acc(arch), arch.name, str(first))
        want = checks._search_expected(seed, count, device)
        evaluated = [a.name for a in archs
                     if any(sram_fits(a, s, dev) for s in schedule_space(a))]
        search_right += (got or (0.0, None, "None"))[1:] == (want["arch"], str(want["schedule"])) \
            and sorted(evaluated) == sorted(want["evaluated"])
    return (POINTS["test-can-fit-memory"] * fit_right / len(checks.FIT_CASES)
            + POINTS["test-search-loop"] * search_right / len(checks.SEARCH_CASES))


WRONG_POINTS = round(MAX_POINTS - POINTS["test-can-fit-memory"] - POINTS["test-search-loop"]
                     + _sram_only_points(), 6)

SOLUTION_SNIPPETS = ["prof.flash_bytes <= device.flash_bytes", "best_acc, best_arch, best_schedule = acc",
                     "evolution(SMALL, seed=0"]
HIDDEN_SNIPPETS = ["HIDDEN TESTS", "_grader_fit", "sram-one-short", "hidden_checks",
                   "_grader_search", "_grader_arch"]
VISIBLE_SNIPPETS = ['"smallest(), per-layer, 7 KiB of Flash"',
                    "search(ARCHS, SMALL, schedules, _macs)", "my_arch = None"]


def wrong_submission(course, assignment):
    solved = solved_submission(course, assignment)[NOTEBOOK]
    return {NOTEBOOK: with_solution(solved, "can-fit-memory", SRAM_ONLY)}


WRONG_STUDENT = "sramonly"  # the name the partly wrong submission is graded under
FAILED_CELLS = set()  # its mistake costs part of two cells (scored per case), none whole
# sentences each student's feedback must hold (tests/test_assignment_pipelines.py)
FEEDBACK = {"untouched": ["my_arch is not answered yet", "can_fit_memory is not answered yet"],
            "sramonly": ["can_fit_memory fails", "device flash-bound: got True, expected False"],
            "solved": ["measured by the grader"]}
