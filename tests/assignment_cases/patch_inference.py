"""The patch-inference homework as a pipeline test case (tests/test_assignment_pipelines.py).

Students: `solved` (the reference solutions), `untouched` (the release as handed out), `sloppy`
(a patch_forward whose tiles are H // n wide: right when n divides H, and leaves the last rows
empty otherwise: it fails the visible test's 3x3 grid, and 4 of the grader's 5 held-out grids,
3, 5, 6 and 7 on the 8x8 output, passing 8: 0.6 of its 3 points; windows and the challenge's
plan given as lists where a tuple is natural: still full marks).
The written answers are graded by a TA: the autograder gives them nothing (AUTO_POINTS).
"""
from harness.nbgrader_pipeline import solved_submission, with_solution

ASSIGNMENT = "patch_inference"
NOTEBOOK = "patch_inference.ipynb"
MAX_POINTS = 18.0
POINTS = {"test-windows": 4, "test-patch-forward": 3, "test-patch-stage-cost": 3,
          "test-choose-patch-plan": 4, "written-mac-overhead": 2, "written-plan": 2}
AUTO_POINTS = MAX_POINTS - POINTS["written-mac-overhead"] - POINTS["written-plan"]

LIST_WINDOWS = '''
def op_input_rows(op, start, stop, in_size):
    lo = start * op.stride - op.padding
    hi = (stop - 1) * op.stride - op.padding + op.kernel
    return [max(lo, 0), min(hi, in_size)]  # a list where a tuple is natural
'''
LIST_PLAN = '''
def choose_patch_plan(network, sram_bytes, evaluate):
    # the reference's strategy, written differently, answering with a list
    inplace = memory.profile(network, "in-place", "mcunet", "int8").layers
    index = {op.name: i for i, op in enumerate(network.ops)}
    candidates = []
    for b, ops in network.blocks().items():
        i = index[ops[-1].name]
        if all(l.sram_bytes <= sram_bytes for l in inplace[i + 1:]):
            candidates.append(f"block{b}")
    results = []
    for split in candidates[:2]:
        for n in range(2, 5):
            if len(evaluate.calls) == evaluate.budget:
                break
            peak, macs = evaluate(split, n)
            if peak <= sram_bytes:
                results.append([macs, split, n])
                break
    return sorted(results)[0][1:]
'''

# the reference patch_forward with tiles H // n wide: right when n divides H, rows missed otherwise
TILES = "tiles = [(i * h // n, (i + 1) * h // n) for i in range(n)]"
SLOPPY_TILES = "tiles = [(i * (h // n), (i + 1) * (h // n)) for i in range(n)]"


def _sloppy_forward(solved):
    cell = next(c for c in solved.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "patch-forward")
    assert TILES in cell.source, "the reference patch_forward changed: update SLOPPY_TILES"
    return cell.source.replace(TILES, SLOPPY_TILES)
WRONG_POINTS = AUTO_POINTS - POINTS["test-patch-forward"] + 0.6  # 1 of 5 held-out grids

SOLUTION_SNIPPETS = ["lo = start * op.stride - op.padding", "ranges[op.inputs[0]] = op_input_rows",
                     "out[:, r0:r1, c0:c1] = t", "y_bytes = 0 if op is network.ops[-1]",
                     "for split in splits[:2]:", "Neighbouring patches need overlapping"]
HIDDEN_SNIPPETS = ["HIDDEN TESTS", "for _n in (1, 3, 5, 8):", "for _n in (3, 5, 8):",
                   "default_rng(_n)", "score_patch_chooser(choose_patch_plan", "_grader_forward",
                   "_GRADER_NET", "hidden_checks", "_grader_chooser", "challenge-record"]
VISIBLE_SNIPPETS = ['expect_equal("op_input_rows(stem, 2, 4, 32)"',
                    "stage_windows(network, 2, 4)['input']", "for n in (1, 2, 3, 4)"]


def wrong_submission(course, assignment):
    solved = solved_submission(course, assignment)[NOTEBOOK]
    nb = with_solution(solved, "op-input-rows", LIST_WINDOWS)
    nb = with_solution(nb, "choose-patch-plan", LIST_PLAN)
    return {NOTEBOOK: with_solution(nb, "patch-forward", _sloppy_forward(solved))}

WRONG_STUDENT = "sloppy"  # the name the partly wrong submission is graded under
FAILED_CELLS = set()  # the graded cells its mistakes break (patch_forward: 0.6 of 3)

# sentences each student's feedback must hold: not answered yet, the property a hidden test
# names, the challenge's score
FEEDBACK = {
    "untouched": ["stage_windows is not answered yet", "choose_patch_plan is not answered yet"],
    "sloppy": ["patch_forward fails 4 of 5 checks", "3x3 patches: values differ by up to",
               "patch-plan: 4.00 of 4 points."],
    "solved": ["patch-plan: 4.00 of 4 points."],
}
