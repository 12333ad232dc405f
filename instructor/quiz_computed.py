"""The computed part of the takeaway quiz, per student; read by build_takeaway_quiz.py.

Instructor-only. Each student's layer, network, patch grid and network/device pair come from
their id (tinyml_course.homework.quiz_variant). For every answer this file holds

- the question's text (the same for everyone: it names the student's own variables);
- the reference solution, worked out *by hand* from the printed shapes (the formulas a student
  uses), so that the instructor's solution earns full marks for any id only if the grader's
  figures agree with a second derivation;
- the expected value, an expression the grader evaluates with the package for the id it grades
  (``v``: the QuizVariant, ``dw_net``, ``quiz_net``);
- the rule, one sentence the feedback shows under a wrong answer (what to count, never the value).

And READ_AGAIN: where the lecture teaches each takeaway question, the feedback's pointer in place
of the key.
"""

INTRO = """## Part 2: computed questions, your own numbers

All memory is in **bytes**, activations and weights in **int8** (1 byte per element), biases in
**int32** (4 bytes), as in the lecture. Every student has their own layer and network: the
numbers depend on your student id. Put it in the next cell (on the course's hub it is found for
you), run the cell after it, and work your numbers out by hand from what it prints; you may then
check yourself with `tinyml_course`. The grader computes the expected values for the id your
submission is graded under, so answers copied from someone else do not fit yours.
"""

STUDENT_ID_CELL = '''# your student id: the name your submission is graded under (your course login), e.g. "jdoe"
STUDENT_ID = None
### BEGIN SOLUTION
STUDENT_ID = None  # the instructor's notebook takes the id the grader or the hub gives
### END SOLUTION'''

GIVEN = '''# your layer and network for the computed questions (given; do not edit)
from tinyml_course.homework.quiz_variant import student_variant

variant = student_variant(STUDENT_ID)  # prints your parameters, or what to fix
if variant is not None:
    dw_layer, dw_net, quiz_net = variant.dw_layer(), variant.dw_net(), variant.quiz_net()
    for op in quiz_net:
        print(f"{op.name:15s} {op.kind:7s} in {op.in_shape} -> out {op.out_shape} "
              f"kernel {op.kernel} stride {op.stride} padding {op.padding}")'''

# the expected values' context in the grader (hidden_checks.py): the variant of the graded id
EXPECTED_CONTEXT = '''def expected(student):
    """Every computed answer of ``student``, by the package (computed once per student)."""
    v = quiz_variant(student)
    dw_net, quiz_net = v.dw_net(), v.quiz_net()
    return {{
{entries}
    }}'''

_DW = ("C, H, W = dw_layer.in_shape\n"
       "_, Ho, Wo = dw_layer.out_shape\n")
_WINDOW = ('ops = {op.name: op for op in quiz_net}\n'
           'S = ops["block0.dw"].in_shape[1]  # rows of the stem output = of block 0\n'
           'a, b = variant.patch * S // variant.grid, (variant.patch + 1) * S // variant.grid\n'
           'p = ops["block0.dw"].padding  # block0.dw: k x k, stride 1 (project, add: 1x1)\n'
           'a, b = max(0, a - p), min(S, b + p)  # rows of the stem output the patch needs\n')
_FLASH = ('answer_c3 = 0\n'
          'for op in quiz_net:\n'
          '    c_out, c_in = op.out_shape[0], op.in_shape[0]\n'
          '    if op.kind in ("conv", "pwconv", "linear"):\n'
          '        answer_c3 += c_out * c_in * op.kernel ** 2 + 4 * c_out\n'
          '    elif op.kind == "dwconv":\n'
          '        answer_c3 += c_out * op.kernel ** 2 + 4 * c_out')
_MACS = ('answer_c4 = 0\n'
         'for op in quiz_net:\n'
         '    if op.name.startswith("block1."):\n'
         '        per_output = op.kernel ** 2 * (1 if op.kind == "dwconv" else op.in_shape[0])\n'
         '        answer_c4 += op.out_shape[0] * op.out_shape[1] * op.out_shape[2] * per_output')


def _fits(schedule, var):
    return ('from tinyml_course import get_network, memory\n'
            'from tinyml_course.model.devices import get_device\n'
            'device = get_device(variant.fit_device)\n'
            f'prof = memory.profile(get_network(variant.fit_network), "{schedule}", "exact", "int8")\n'
            f'{var} = (prof.peak_sram_bytes <= device.sram_bytes\n'
            f'{" " * len(var)}    and prof.flash_bytes <= device.flash_bytes)')


def _fits_expected(schedule):
    return (f'bool(memory.fits(get_network(v.fit_network), v.fit_device, schedule="{schedule}", '
            f'convention="exact", dtype="int8"))')


# (id, text, [(answer suffix, hint, solution, kind, unit, expected expression, rule)])
QUESTIONS = [
    ("c1", "**c1.** Your depthwise layer `dw_layer` (printed above) runs alone. How many bytes of "
           "SRAM does it need at its peak **(a)** run the standard way, the output in a buffer of "
           "its own beside the input; **(b)** run in place (MCUNet-v1): each output channel is "
           "computed into one temporary channel buffer and then written over the input's memory? "
           "Count every tensor alive while it runs (the `exact` convention).",
     [("c1_standard", "(a) bytes, standard", _DW + "answer_c1_standard = C * H * W + C * Ho * Wo",
       "number", "bytes",
       'memory.profile(dw_net, schedule="per-layer", convention="exact", dtype="int8")'
       '.peak_sram_bytes',
       "run the standard way, the layer holds its whole input and its whole output (Ho x Wo "
       "per channel: mind the stride)."),
      ("c1_inplace", "(b) bytes, in place", _DW + "answer_c1_inplace = C * H * W + Ho * Wo",
       "number", "bytes",
       'memory.profile(dw_net, schedule="in-place", convention="exact", dtype="int8")'
       '.peak_sram_bytes',
       "in place, the layer holds its input and one output channel (Ho x Wo after the stride, "
       "not H x W).")]),
    ("c2", "**c2.** Patch-based inference (MCUNetV2) runs the ops of `quiz_net` up to and "
           "including block 0 (`stem`, `block0.*`) on your grid of patches of block 0's output "
           "(printed above: n x n, tile t of a size-S axis covering [t*S // n, (t+1)*S // n)), one "
           "patch at a time. Which rows of the input image does your patch (grid row i, column i) "
           "read? Give the half-open range [r0, r1), cut to the image (the zero padding is never "
           "stored): **(a)** r0; **(b)** r1. The columns are the same, by symmetry.",
     [("c2_r0", "(a) first input row read, r0", _WINDOW + "answer_c2_r0 = max(0, 2 * a - 1)  "
       "# the stem: 3 x 3, stride 2, padding 1", "number", "",
       'patch_plan.input_window(quiz_net, "block0", v.grid, v.patch, v.patch, clip=True).r0',
       "walk the window back op by op: a k x k op with stride s and padding p needs input rows "
       "[a*s - p, (b-1)*s - p + k) for output rows [a, b), cut to the tensor."),
      ("c2_r1", "(b) one past the last input row read, r1", _WINDOW + "R = quiz_net.ops[0]"
       ".in_shape[1]\nanswer_c2_r1 = min(R, 2 * b)", "number", "",
       'patch_plan.input_window(quiz_net, "block0", v.grid, v.patch, v.patch, clip=True).r1',
       "walk the window back op by op: a k x k op with stride s and padding p needs input rows "
       "[a*s - p, (b-1)*s - p + k) for output rows [a, b), cut to the tensor.")]),
    ("c3", "**c3.** How many bytes of Flash do the weights and biases of `quiz_net` take? Every "
           "conv and linear op has int8 weights and one int32 bias per output channel.",
     [("c3", "bytes of Flash", _FLASH, "number", "bytes",
       'memory.flash_bytes(quiz_net, dtype="int8")',
       "a conv holds C_out x C_in x k x k weights (a depthwise one C x k x k), 1 byte each, "
       "plus 4 bytes of bias per output channel; add and pool hold none.")]),
    ("c4", "**c4.** How many multiply-accumulates (MACs) does block 1 of `quiz_net` (the ops "
           "named `block1.*`) take for one inference?",
     [("c4", "MACs", _MACS, "number", "MACs", "sum(op.macs for op in quiz_net.blocks()[1])",
       "each output element of a conv costs C_in x k x k MACs (a depthwise one k x k); count "
       "the outputs after the stride.")]),
    ("c5", "**c5.** Does your zoo network (printed above; int8, `exact` convention) fit your device "
           "(its SRAM and Flash printed above) **(a)** run per layer; **(b)** with in-place "
           "depthwise convolution?",
     [("c5_per_layer", "(a) True or False", _fits("per-layer", "answer_c5_per_layer"), "bool", "",
       _fits_expected("per-layer"),
       "it fits when its peak SRAM (every live tensor of the worst op) and its Flash are both "
       "within the device's."),
      ("c5_inplace", "(b) True or False", _fits("in-place", "answer_c5_inplace"), "bool", "",
       _fits_expected("in-place"),
       "it fits when its peak SRAM with in-place depthwise layers and its Flash are both within "
       "the device's.")]),
]

# where the lecture teaches each takeaway question: the feedback's pointer (never the key)
READ_AGAIN = {
    "q1": "00_why_tinyml, 'AI is coming to the edge quickly'",
    "q2": "00_why_tinyml, 'TinyML is challenging'",
    "q3": "00_why_tinyml, 'Two challenges, two families of answers', and 30_compression",
    "q4": "15_mobilenet_vs_peak, 'Activations in SRAM, weights in Flash'",
    "q5": "15_mobilenet_vs_peak, 'Depthwise-separable convolution'",
    "q6": "10_sram_dashboard, '6. In-place depthwise convolution, at work', and "
          "50_mcunet_results, 'TinyEngine against TF-Lite Micro, CMSIS-NN and X-CUBE-AI'",
    "q7": "20_patch_inference, 'The problem: per-layer peak memory' and 'The price: "
          "overlapping windows'",
}


def expected_source():
    """The grader's expected(student) function, one entry per computed answer."""
    entries = [f"        {suffix!r}: {expected},"
               for _, _, answers in QUESTIONS for suffix, *_rest, expected, _rule in answers]
    return EXPECTED_CONTEXT.format(entries="\n".join(entries))
