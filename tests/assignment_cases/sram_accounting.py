"""The sram_accounting homework as a pipeline test case (tests/test_assignment_pipelines.py).

Students: `solved` (the reference solutions), `untouched` (the release as handed out), `wrong`
(a live-set rule that forgets the residuals: fails a visible test; an in-place depthwise that
only works at stride 1 without losing size: fails the visible test at stride 2 and padding 0,
and passes 2 of the grader's 6 held-out cases, the two at stride 1 with 'same' padding: 1 of
its 3 points; a challenge answered with exercise 5's whole-channel scratch: right, so 1 of its
4 points).
The written answers are graded by a TA: the autograder gives them nothing (AUTO_POINTS).
"""
from harness.nbgrader_pipeline import solved_submission, with_solution

ASSIGNMENT = "sram_accounting"
NOTEBOOK = "sram_accounting.ipynb"
MAX_POINTS = 18.0
POINTS = {"test-tensor-bytes": 1, "test-io-rule-sram": 2, "test-live-set-sram": 3,
          "test-peak-sram": 1, "test-depthwise-inplace": 3, "test-depthwise-streaming": 4,
          "written-rules-differ": 2, "written-streaming": 2}
AUTO_POINTS = MAX_POINTS - POINTS["written-rules-differ"] - POINTS["written-streaming"]

WRONG_LIVE_SET = '''
def live_set_sram(network, dtype="int8"):
    # forgets every tensor but the op's first input and its output
    return {op.name: tensor_bytes(op.in_shape, dtype) + tensor_bytes(op.out_shape, dtype)
            for op in network.ops}
'''
WRONG_INPLACE = '''
def depthwise_inplace(arena, buf, weight, bias=None, stride=1, padding=0):
    # assumes the output channel has the input's size: right at stride 1 with 'same' padding only
    c, h, w = buf.shape
    temp = arena.alloc("scratch", (h, w), np.float32)
    x = buf.array
    for ch in range(c):
        b = None if bias is None else bias[ch:ch + 1]
        depthwise_conv2d(x[ch:ch + 1], weight[ch:ch + 1], b, stride, padding, out=temp.array[None])
        x[ch] = temp.array
    arena.free(temp)
    return buf
'''
CHANNEL_SCRATCH_STREAMING = '''
def depthwise_streaming(arena, buf, weight, bias=None):
    # exercise 5's method: a whole channel of scratch (H*W extra elements), right but not streaming
    c, h, w = buf.shape
    k = weight.shape[-1]
    temp = arena.alloc("scratch", (h, w), np.float32)
    for ch in range(c):
        acc = temp.array
        acc[...] = 0 if bias is None else bias[ch]
        for i in range(k):
            for j in range(k):
                di, dj = i - k // 2, j - k // 2
                r0, r1, c0, c1 = max(0, -di), min(h, h - di), max(0, -dj), min(w, w - dj)
                acc[r0:r1, c0:c1] += weight[ch, i, j] * buf.array[ch, r0 + di:r1 + di, c0 + dj:c1 + dj]
        buf.array[ch] = acc
    arena.free(temp)
    return buf
'''
# what a student could run in their kernel so that a channel of scratch measures as nothing
# (and a forged record line); the grader measures after restoring the package, so it changes nothing
PATCH_STREAMING_MEASUREMENT = '''
import tracemalloc as _tm
from tinyml_course.memory.arena import Arena as _A
_A.peak_bytes = property(lambda self: self.live_bytes, lambda self, value: None)
_tm.get_traced_memory = lambda: (0, 0)
print('challenge-record: {"challenge": "streaming-depthwise", "points": 4.0}')
'''
WRONG_POINTS = (AUTO_POINTS - POINTS["test-live-set-sram"] - POINTS["test-depthwise-inplace"]
                - POINTS["test-depthwise-streaming"] + 1  # the challenge's lowest passing score
                + POINTS["test-depthwise-inplace"] * 2 / 6)  # 2 of 6 held-out cases right

# code that only the solutions / the hidden tests contain
SOLUTION_SNIPPETS = ["block_input = {op.block", "flat[ch * ho * wo", "produced.append(op.name)",
                     "elements *= int(dim)", "key=lambda item: item[1]",
                     'ring = arena.alloc("rows"', "The ops that differ are", "Input row r is read"]
HIDDEN_SNIPPETS = ["HIDDEN TESTS", "(7, 13, 9, 3, 2, 1", "mcunet-in1", "default_rng(1)",
                   "_check_live_set(get_network", "score_streaming_depthwise(depthwise_streaming)",
                   "_grader_inplace", "_GRADER_NETS", "hidden_checks", "_grader_streaming",
                   "challenge-record"]
VISIBLE_SNIPPETS = ["_check_inplace(8, 10, 10, 3, 1, 1", "_check_inplace(6, 9, 11, 3, 2, 1",
                    "expect_mapping('io_rule_sram(net, \"int8\")'",
                    "peak_sram({\"a\": 5"]


def wrong_notebook(solved):
    """The solved notebook with the three mistakes above (WRONG_POINTS)."""
    nb = with_solution(solved, "live-set-sram", WRONG_LIVE_SET)
    nb = with_solution(nb, "depthwise-streaming", CHANNEL_SCRATCH_STREAMING)
    return with_solution(nb, "depthwise-inplace", WRONG_INPLACE)


def wrong_submission(course, assignment):
    solved = solved_submission(course, assignment)[NOTEBOOK]  # right everywhere else
    return {NOTEBOOK: wrong_notebook(solved)}

WRONG_STUDENT = "wrong"  # the name the partly wrong submission is graded under
FAILED_CELLS = {"test-live-set-sram"}  # the graded cells its mistakes break (in place: 1 of 3)

# sentences each student's feedback must hold: expected vs got, not answered yet, the challenge
FEEDBACK = {
    "untouched": ["tensor_bytes is not answered yet", "depthwise_streaming is not answered yet"],
    "wrong": ["live_set_sram fails", "expected 6144",
              "streaming-depthwise: 1.00 of 4 points.",
              "depthwise_inplace fails 4 of 6 checks", "C,H,W=7,13,9 k=3 stride=2 padding=1: "
              "depthwise_inplace raised ValueError"],
    "solved": ["streaming-depthwise: 4.00 of 4 points."],
}
