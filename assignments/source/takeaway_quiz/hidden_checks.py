"""Hidden checks of takeaway_quiz: WRITTEN BY instructor/build_takeaway_quiz.py FROM THE KEY.

Never released (the course ignores *.py) and hidden inside the grading sandbox. Each check reads
one answer variable in the sandbox and scores it here, outside, with the package's quiz scoring
under the POLICY of the source notebook's setup cell (docs/grading.md).
"""
import re
from pathlib import Path

from grading.checks import Case, Check

from tinyml_course import build_network, get_network, memory
from tinyml_course.memory import patch_plan
from tinyml_course.model.network import Network, Op
from tinyml_course.quiz import TAKEAWAY_QUESTIONS, get_question
from tinyml_course.quiz.grading import choice_explanation
from tinyml_course.quiz.scoring import score, score_bool, score_number

_SOURCE = Path(__file__).with_name("takeaway_quiz.ipynb")
POLICY = re.search(r'POLICY = \\?"([a-z-]+)\\?"', _SOURCE.read_text()).group(1)


def _fraction(result):
    return result.earned / result.possible if result.possible else 0.0, result.message


def _choice(qid):
    question = get_question(qid, TAKEAWAY_QUESTIONS)

    def grade(got, key):
        fraction, message = _fraction(score(got, key, 1.0, POLICY, question))
        return fraction, message + "\n" + choice_explanation(question, got, key, EXPLANATIONS[qid])
    return grade


def _number(got, expected):
    return _fraction(score_number(got, expected, 1.0))


def _bool(got, expected):
    return _fraction(score_bool(got, expected, 1.0))


# the layer and the network of the computed questions (as the notebook)
from tinyml_course import build_network
from tinyml_course.model.network import Network, Op

# one 3x3 depthwise convolution, stride 1, padding 1, on an int8 (C, H, W) = (96, 20, 20) input
dw_layer = Op("dw", "dwconv", ("input",), in_shape=(96, 20, 20), out_shape=(96, 20, 20),
              kernel=3, stride=1, padding=1)
dw_net = Network("one-depthwise", (96, 20, 20), [dw_layer])

QUIZ_SPEC = {
    "name": "quiz-net", "resolution": 32, "input_channels": 3,
    "stem": {"kernel": 3, "stride": 2, "out": 8},
    "blocks": [{"kernel": 3, "expand": 1, "out": 8, "stride": 1},
               {"kernel": 3, "expand": 4, "out": 16, "stride": 2}],
    "classes": 10,
}
quiz_net = build_network(QUIZ_SPEC)

KEY = {
    'q1': ['A', 'B', 'C'],
    'q2': ['A', 'B'],
    'q3': ['B', 'C'],
    'q4': ['A', 'B'],
    'q5': ['C'],
    'q6': ['A', 'C'],
    'q7': ['A'],
}

EXPLANATIONS = {  # why each option is right or wrong: shown after grading
    'q1': 'All three: AI moves to the edge for privacy (data stays on the device), latency (no round trip to a server) and cost (no server to pay per query, no radio to power for each upload).',
    'q2': "Memory (a few hundred kB of SRAM cannot hold a typical DNN's activations) and compute (a slow CPU makes latency high) are the constraints; sparse activations are an opportunity to save work, not a challenge.",
    'q3': 'Pruning removes weights and quantization stores each weight in fewer bits; data augmentation changes the training data, not the model.',
    'q4': 'Activations are rewritten at every inference, and writing to SRAM is fast while writing to Flash is slow; SRAM is LESS dense than Flash, which is exactly why there is so little of it.',
    'q5': 'Splitting a convolution into depthwise and pointwise parts cuts parameters and MACs; it adds a layer rather than removing one, and it does not shrink (often grows) the peak activation.',
    'q6': "In-place depthwise convolution overwrites the input channel by channel, keeping only one channel's output in a temporary buffer; the lecture credits the speedup to optimized operator kernels, not to the smaller peak memory.",
    'q7': 'Patch-based inference keeps only a small patch of the large early activations in SRAM; the overlap between patches is the price paid (recomputation), not the saving.',
}

CHECKS = [
    Check('check-q1', 'answer_q1', solution='answer-q1', grade=_choice('q1'),
          cases=[Case('q1', 'answer_q1', KEY['q1'])]),
    Check('check-q2', 'answer_q2', solution='answer-q2', grade=_choice('q2'),
          cases=[Case('q2', 'answer_q2', KEY['q2'])]),
    Check('check-q3', 'answer_q3', solution='answer-q3', grade=_choice('q3'),
          cases=[Case('q3', 'answer_q3', KEY['q3'])]),
    Check('check-q4', 'answer_q4', solution='answer-q4', grade=_choice('q4'),
          cases=[Case('q4', 'answer_q4', KEY['q4'])]),
    Check('check-q5', 'answer_q5', solution='answer-q5', grade=_choice('q5'),
          cases=[Case('q5', 'answer_q5', KEY['q5'])]),
    Check('check-q6', 'answer_q6', solution='answer-q6', grade=_choice('q6'),
          cases=[Case('q6', 'answer_q6', KEY['q6'])]),
    Check('check-q7', 'answer_q7', solution='answer-q7', grade=_choice('q7'),
          cases=[Case('q7', 'answer_q7', KEY['q7'])]),
    Check('check-c1-standard', 'answer_c1_standard', solution='answer-c1-standard', grade=_number,
          cases=[Case('c1_standard', 'answer_c1_standard',
                      lambda: memory.profile(dw_net, schedule="per-layer", convention="exact", dtype="int8").peak_sram_bytes)]),
    Check('check-c1-inplace', 'answer_c1_inplace', solution='answer-c1-inplace', grade=_number,
          cases=[Case('c1_inplace', 'answer_c1_inplace',
                      lambda: memory.profile(dw_net, schedule="in-place", convention="exact", dtype="int8").peak_sram_bytes)]),
    Check('check-c2-r0', 'answer_c2_r0', solution='answer-c2-r0', grade=_number,
          cases=[Case('c2_r0', 'answer_c2_r0',
                      lambda: patch_plan.input_window(quiz_net, "block0", 2, 1, 1, clip=True).r0)]),
    Check('check-c2-r1', 'answer_c2_r1', solution='answer-c2-r1', grade=_number,
          cases=[Case('c2_r1', 'answer_c2_r1',
                      lambda: patch_plan.input_window(quiz_net, "block0", 2, 1, 1, clip=True).r1)]),
    Check('check-c3', 'answer_c3', solution='answer-c3', grade=_number,
          cases=[Case('c3', 'answer_c3',
                      lambda: memory.flash_bytes(quiz_net, dtype="int8"))]),
    Check('check-c4', 'answer_c4', solution='answer-c4', grade=_number,
          cases=[Case('c4', 'answer_c4',
                      lambda: sum(op.macs for op in quiz_net.blocks()[1]))]),
    Check('check-c5-per-layer', 'answer_c5_per_layer', solution='answer-c5-per-layer', grade=_bool,
          cases=[Case('c5_per_layer', 'answer_c5_per_layer',
                      lambda: bool(memory.fits(get_network("mcunet-in2"), "arduino-nano-33-ble-sense", schedule="per-layer", convention="exact", dtype="int8")))]),
    Check('check-c5-inplace', 'answer_c5_inplace', solution='answer-c5-inplace', grade=_bool,
          cases=[Case('c5_inplace', 'answer_c5_inplace',
                      lambda: bool(memory.fits(get_network("mcunet-in2"), "arduino-nano-33-ble-sense", schedule="in-place", convention="exact", dtype="int8")))]),
]
