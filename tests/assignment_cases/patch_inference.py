"""The patch-inference homework as a pipeline test case (tests/test_assignment_pipelines.py).

Students: `solved` (the reference solutions), `untouched` (the release as handed out), `sloppy`
(a patch_forward whose tiles are H // n wide: right when n divides H, so it passes the visible
test, and leaves the last rows empty otherwise, so it fails the hidden one).
"""
from harness.nbgrader_pipeline import solved_submission, with_solution

ASSIGNMENT = "patch_inference"
NOTEBOOK = "patch_inference.ipynb"
MAX_POINTS = 10.0
POINTS = {"test-windows": 4, "test-patch-forward": 3, "test-patch-stage-cost": 3}

SLOPPY_FORWARD = '''
def patch_forward(network, x, n):
    c, h, w = network.output_shape
    out = np.zeros((c, h, w), np.float32)
    tiles = [(i * (h // n), (i + 1) * (h // n)) for i in range(n)]  # misses rows when n does not divide h
    for r0, r1 in tiles:
        rows = stage_windows(network, r0, r1)
        for c0, c1 in tiles:
            cols = stage_windows(network, c0, c1)
            t = x[:, slice(*rows["input"]), slice(*cols["input"])]
            for op in network.ops:
                pads = []
                for ranges in (rows, cols):
                    a, b = ranges[op.name]
                    lo, hi = ranges[op.inputs[0]]
                    pads.append((lo - (a * op.stride - op.padding),
                                 (b - 1) * op.stride - op.padding + op.kernel - hi))
                t = run_op_unpadded(op, np.pad(t, [(0, 0)] + pads))
            out[:, r0:r1, c0:c1] = t
    return out
'''
WRONG_POINTS = MAX_POINTS - POINTS["test-patch-forward"]

SOLUTION_SNIPPETS = ["lo = start * op.stride - op.padding", "ranges[op.inputs[0]] = op_input_rows",
                     "out[:, r0:r1, c0:c1] = t", "y_bytes = 0 if op is network.ops[-1]"]
HIDDEN_SNIPPETS = ["HIDDEN TESTS", "for _n in (1, 3, 5, 8):", "for _n in (3, 5, 8):",
                   "default_rng(_n)", "_grader_forward", "_GRADER_NET", "hidden_checks"]
VISIBLE_SNIPPETS = ['op_input_rows(stem, 2, 4, 32) == (3, 8)', 'tuple(got["input"]) == (1, 20)',
                    "for _n in (1, 2, 4):"]


def wrong_submission(course, assignment):
    solved = solved_submission(course, assignment)[NOTEBOOK]
    return {NOTEBOOK: with_solution(solved, "patch-forward", SLOPPY_FORWARD)}

WRONG_STUDENT = "sloppy"  # the name the partly wrong submission is graded under
FAILED_CELLS = {"test-patch-forward"}  # the graded cells its mistakes break
