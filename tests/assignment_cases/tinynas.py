"""The TinyNAS homework as a pipeline test case (tests/test_assignment_pipelines.py).

Students: `solved` (the reference solutions), `untouched` (the release as handed out), `sramonly`
(a can_fit_memory that forgets Flash: passes the visible test, where SRAM decides, and fails the
hidden one, on a device whose Flash is the tight one).
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
WRONG_POINTS = MAX_POINTS - POINTS["test-can-fit-memory"]

SOLUTION_SNIPPETS = ["prof.flash_bytes <= device.flash_bytes", "best_acc, best_arch, best_schedule = acc",
                     "evolution(SMALL, seed=0"]
HIDDEN_SNIPPETS = ["HIDDEN TESTS", "tiny-flash", "default_rng(5)"]
VISIBLE_SNIPPETS = ['can_fit_memory(sn.largest(80), Schedule("per-layer"), SMALL) is False',
                    "search(ARCHS, SMALL, schedules, _macs)", "my_arch = None"]


def wrong_submission(course, assignment):
    solved = solved_submission(course, assignment)[NOTEBOOK]
    return {NOTEBOOK: with_solution(solved, "can-fit-memory", SRAM_ONLY)}


WRONG_STUDENT = "sramonly"  # the name the partly wrong submission is graded under
FAILED_CELLS = {"test-can-fit-memory"}  # the graded cells its mistake breaks
# sentences each student's feedback must hold (tests/test_assignment_pipelines.py)
FEEDBACK = {"untouched": ["set my_arch"]}
