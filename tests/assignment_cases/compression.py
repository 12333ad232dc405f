"""The compression homework as a pipeline test case (tests/test_assignment_pipelines.py).

Students: `solved` (the reference solutions), `untouched` (the release as handed out), `wrong`
(quantization parameters that forget to widen the range to contain 0: pass the visible test, fail
the hidden cases whose range lies on one side of 0; an int8 conv that pads with 0 instead of the
input zero point: fails the visible test, and the two hidden cases with padding;
a challenge model that claims 4 bits but stores float32 weights: rejected, 0 points).
The written answers are graded by a TA: the autograder gives them nothing (AUTO_POINTS).
"""
from harness.nbgrader_pipeline import solved_submission, with_solution

ASSIGNMENT = "compression"
NOTEBOOK = "compression.ipynb"
MAX_POINTS = 18.0
POINTS = {"test-magnitude-prune": 2, "test-channel-importance": 2, "test-linear-qparams": 3,
          "test-int8-conv": 3}
POINTS.update({"test-compress-for-budget": 4, "written-flash": 2, "written-sram": 2})
AUTO_POINTS = MAX_POINTS - POINTS["written-flash"] - POINTS["written-sram"]

CLAIMED_BITS = '''
def compress_for_budget(network, weights, digits):
    return network, weights, 4  # claims 4 bits, stores float32: rejected
'''

WRONG_QPARAMS = '''
def linear_qparams(r_min, r_max, bits=8, symmetric=False):
    # forgets to widen [r_min, r_max] to contain 0
    qmax = 2 ** (bits - 1) - 1
    if symmetric:
        return max(abs(r_min), abs(r_max)) / qmax, 0
    qmin = -qmax - 1
    scale = (r_max - r_min) / (qmax - qmin)
    x = qmin - r_min / scale
    return scale, int(min(max(np.sign(x) * np.floor(abs(x) + 0.5), qmin), qmax))
'''
WRONG_CONV = '''
def int8_conv2d(x, x_zp, w, bias, m0, shift, y_zp, stride=1, padding=0, act_min=-128, act_max=127):
    # pads with 0 instead of the input zero point
    xp = np.pad(x.astype(np.int32) - x_zp, ((0, 0), (padding, padding), (padding, padding)),
                constant_values=-x_zp)
    cout, _, k, _ = w.shape
    ho, wo = (xp.shape[1] - k) // stride + 1, (xp.shape[2] - k) // stride + 1
    acc = np.zeros((cout, ho, wo), np.int32)
    for r in range(ho):
        for s in range(wo):
            patch = xp[:, r * stride:r * stride + k, s * stride:s * stride + k]
            acc[:, r, s] = (w.astype(np.int32) * patch[None]).sum(axis=(1, 2, 3))
    acc += bias[:, None, None]
    y = multiply_by_quantized_multiplier(acc, m0[:, None, None], shift[:, None, None]).astype(np.int64)
    return np.clip(y + y_zp, act_min, act_max).astype(np.int8)
'''


def _wrong_qparams_fraction():
    """The share of the grader's qparams cases the unwidened range still gets right, by the rule
    (not by running it): the symmetric ones and those whose range already holds 0; of the four
    fixed cases, [-1, 3] and the symmetric one (the same draws as hidden_checks._qparams_cases)."""
    import numpy as np
    rng = np.random.default_rng(3)
    right, total = 2, 4
    for _ in range(40):
        lo, hi = sorted(float(v) for v in rng.normal(0, 3, 2))
        rng.integers(2, 9)  # the bits: the same draw order
        right += 1 + (lo <= 0 <= hi)  # symmetric always; asymmetric when 0 is in the range
        total += 2
    return right / total


# scored per case: qparams right where the range holds 0; the conv right at padding 0 (2 of 4)
WRONG_POINTS = round(AUTO_POINTS - POINTS["test-compress-for-budget"]
                     - POINTS["test-linear-qparams"] * (1 - _wrong_qparams_fraction())
                     - POINTS["test-int8-conv"] * (1 - 2 / 4), 6)

SOLUTION_SNIPPETS = ['order[:n_zero]] = 0', "np.sqrt((flat ** 2).sum(axis=1))",
                     "x = qmin - r_min / scale", "acc[:, r, s] = (w32 * patch[None])",
                     "def kmeans_levels(", "Of the reference's 4058 bytes", "SRAM holds activations"]
HIDDEN_SNIPPETS = ["HIDDEN TESTS", "default_rng(7)", "default_rng(11)", "_oracle(_lo, _hi, _bits, _sym)",
                   '"block3.project", "classifier"', "_score.report()", "_grader_conv", "_GRADER_PRUNE",
                   "hidden_checks", "_grader_compress", "challenge-record"]
VISIBLE_SNIPPETS = ["magnitude_prune(np.array([0.1, -3, 0.5, 2]), 0.5)", "linear_qparams(-1.0, 3.0, 8)",
                    "int8_conv2d(_x, -3, _w, _b, _m0, _sh, 5, 1, 1)"]


def wrong_submission(course, assignment):
    solved = solved_submission(course, assignment)[NOTEBOOK]
    nb = with_solution(solved, "linear-qparams", WRONG_QPARAMS)
    nb = with_solution(nb, "compress-for-budget", CLAIMED_BITS)
    return {NOTEBOOK: with_solution(nb, "int8-conv", WRONG_CONV)}

WRONG_STUDENT = "wrong"  # the name the partly wrong submission is graded under
FAILED_CELLS = {"test-compress-for-budget"}  # the graded cells its mistakes break (the others: partly)

# sentences each student's feedback must hold: expected vs got, not answered yet, the challenge
FEEDBACK = {
    "untouched": ["magnitude_prune is not answered yet", "compress_for_budget is not answered yet"],
    "wrong": ["int8_conv2d fails", "the bits claimed are not the bits stored"],
    "solved": ["compress-to-budget: 4.00 of 4 points."],
}
