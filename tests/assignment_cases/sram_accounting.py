"""The sram_accounting homework as a pipeline test case (tests/test_assignment_pipelines.py).

Students: `solved` (the reference solutions), `untouched` (the release as handed out), `wrong`
(a live-set rule that forgets the residuals: fails a visible test; an in-place depthwise that
only works at stride 1 without losing size: passes the visible test, fails the hidden ones).
"""
from harness.nbgrader_pipeline import solved_submission, with_solution

ASSIGNMENT = "sram_accounting"
NOTEBOOK = "sram_accounting.ipynb"
MAX_POINTS = 10.0
POINTS = {"test-tensor-bytes": 1, "test-io-rule-sram": 2, "test-live-set-sram": 3,
          "test-peak-sram": 1, "test-depthwise-inplace": 3}

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
WRONG_POINTS = MAX_POINTS - POINTS["test-live-set-sram"] - POINTS["test-depthwise-inplace"]

# code that only the solutions / the hidden tests contain
SOLUTION_SNIPPETS = ["block_input = {op.block", "flat[ch * ho * wo", "produced.append(op.name)",
                     "elements *= int(dim)", "key=lambda item: item[1]"]
HIDDEN_SNIPPETS = ["HIDDEN TESTS", "_check_inplace(6, 9, 11", "mcunet-in1", "default_rng(1)",
                   "_check_live_set(get_network", "_grader_inplace", "_GRADER_NETS", "hidden_checks"]
VISIBLE_SNIPPETS = ["_check_inplace(8, 10, 10, 3, 1, 1", "_compare(io_rule_sram(net, \"int8\")",
                    "peak_sram({\"a\": 5"]


def wrong_submission(course, assignment):
    solved = solved_submission(course, assignment)[NOTEBOOK]  # right everywhere else
    nb = with_solution(solved, "live-set-sram", WRONG_LIVE_SET)
    return {NOTEBOOK: with_solution(nb, "depthwise-inplace", WRONG_INPLACE)}

WRONG_STUDENT = "wrong"  # the name the partly wrong submission is graded under
FAILED_CELLS = {"test-live-set-sram", "test-depthwise-inplace"}  # the graded cells its mistakes break
