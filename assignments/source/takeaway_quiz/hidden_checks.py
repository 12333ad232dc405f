"""Hidden checks of takeaway_quiz: WRITTEN BY instructor/build_takeaway_quiz.py FROM THE KEY.

Never released (the course ignores *.py) and hidden inside the grading sandbox. Each check reads
one answer variable in the sandbox and scores it here, outside, with the package's quiz scoring
under the POLICY of the source notebook's setup cell (docs/grading.md). The computed answers
are per student: `expected(student)` computes them with the package for the id being graded
(tinyml_course.homework.quiz_variant). Feedback gives scores, the rule a wrong computed answer
breaks and where the lecture teaches each takeaway question; never the key.
"""
import re
from pathlib import Path

from tinyml_course_grading.check_declarations import Case, Check

from tinyml_course import get_network, memory
from tinyml_course.homework.quiz_variant import quiz_variant
from tinyml_course.memory import patch_plan
from tinyml_course.quiz import TAKEAWAY_QUESTIONS, get_question
from tinyml_course.quiz.scoring import score, score_bool, score_number

_SOURCE = Path(__file__).with_name("takeaway_quiz.ipynb")
POLICY = re.search(r'POLICY = \\?"([a-z-]+)\\?"', _SOURCE.read_text()).group(1)


def _fraction(result):
    return result.earned / result.possible if result.possible else 0.0, result.message


def _choice(qid):
    question = get_question(qid, TAKEAWAY_QUESTIONS)

    def grade(got, key):
        fraction, message = _fraction(score(got, key, 1.0, POLICY, question))
        if fraction < 1.0:
            message += f"; the lecture teaches it in {READ_AGAIN[qid]}"
        return fraction, f"{qid}: {message}"
    return grade


def _id_note(typed, student):
    if isinstance(typed, str) and typed.strip() and typed.strip() != student:
        return (f" (your notebook's STUDENT_ID is {typed.strip()[:40]!r}, but you are graded as "
                f"{student!r}: the expected values are those of {student!r})")
    return ""


def _computed(name, kind, rule):
    scorer = score_number if kind == "number" else score_bool

    def grade(got, expected):
        answer, typed = got if isinstance(got, list) and len(got) == 2 else (None, None)
        result = scorer(answer, expected["value"], 1.0)
        fraction, message = _fraction(result)
        if fraction < 1.0 and result.error is None:
            message += f"; the rule: {rule}"
        return fraction, f"{name}: {message}{_id_note(typed, expected['student'])}"
    return grade


_EXPECTED = {}


def _expected(name):
    def value(student):
        if student not in _EXPECTED:
            _EXPECTED[student] = expected(student)
        return {"value": _EXPECTED[student][name], "student": student}
    return value


def expected(student):
    """Every computed answer of ``student``, by the package (computed once per student)."""
    v = quiz_variant(student)
    dw_net, quiz_net = v.dw_net(), v.quiz_net()
    return {
        'c1_standard': memory.profile(dw_net, schedule="per-layer", convention="exact", dtype="int8").peak_sram_bytes,
        'c1_inplace': memory.profile(dw_net, schedule="in-place", convention="exact", dtype="int8").peak_sram_bytes,
        'c2_r0': patch_plan.input_window(quiz_net, "block0", v.grid, v.patch, v.patch, clip=True).r0,
        'c2_r1': patch_plan.input_window(quiz_net, "block0", v.grid, v.patch, v.patch, clip=True).r1,
        'c3': memory.flash_bytes(quiz_net, dtype="int8"),
        'c4': sum(op.macs for op in quiz_net.blocks()[1]),
        'c5_per_layer': bool(memory.fits(get_network(v.fit_network), v.fit_device, schedule="per-layer", convention="exact", dtype="int8")),
        'c5_inplace': bool(memory.fits(get_network(v.fit_network), v.fit_device, schedule="in-place", convention="exact", dtype="int8")),
    }


KEY = {
    'q1': ['A', 'B', 'C'],
    'q2': ['A', 'B'],
    'q3': ['B', 'C'],
    'q4': ['A', 'B'],
    'q5': ['C'],
    'q6': ['A', 'C'],
    'q7': ['A'],
}

READ_AGAIN = {  # where the lecture teaches each question: the feedback
    'q1': "00_why_tinyml, 'AI is coming to the edge quickly'",
    'q2': "00_why_tinyml, 'TinyML is challenging'",
    'q3': "00_why_tinyml, 'Two challenges, two families of answers', and 30_compression",
    'q4': "15_mobilenet_vs_peak, 'Activations in SRAM, weights in Flash'",
    'q5': "15_mobilenet_vs_peak, 'Depthwise-separable convolution'",
    'q6': "10_sram_dashboard, '6. In-place depthwise convolution, at work', and 50_mcunet_results, 'TinyEngine against TF-Lite Micro, CMSIS-NN and X-CUBE-AI'",
    'q7': "20_patch_inference, 'The problem: per-layer peak memory' and 'The price: overlapping windows'",
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
    Check('check-c1-standard', 'answer_c1_standard', solution='answer-c1-standard',
          grade=_computed('c1_standard', 'number', 'run the standard way, the layer holds its whole input and its whole output (Ho x Wo per channel: mind the stride).'),
          cases=[Case('c1_standard', '[answer_c1_standard, globals().get("STUDENT_ID")]',
                      _expected('c1_standard'), per_student=True)]),
    Check('check-c1-inplace', 'answer_c1_inplace', solution='answer-c1-inplace',
          grade=_computed('c1_inplace', 'number', 'in place, the layer holds its input and one output channel (Ho x Wo after the stride, not H x W).'),
          cases=[Case('c1_inplace', '[answer_c1_inplace, globals().get("STUDENT_ID")]',
                      _expected('c1_inplace'), per_student=True)]),
    Check('check-c2-r0', 'answer_c2_r0', solution='answer-c2-r0',
          grade=_computed('c2_r0', 'number', 'walk the window back op by op: a k x k op with stride s and padding p needs input rows [a*s - p, (b-1)*s - p + k) for output rows [a, b), cut to the tensor.'),
          cases=[Case('c2_r0', '[answer_c2_r0, globals().get("STUDENT_ID")]',
                      _expected('c2_r0'), per_student=True)]),
    Check('check-c2-r1', 'answer_c2_r1', solution='answer-c2-r1',
          grade=_computed('c2_r1', 'number', 'walk the window back op by op: a k x k op with stride s and padding p needs input rows [a*s - p, (b-1)*s - p + k) for output rows [a, b), cut to the tensor.'),
          cases=[Case('c2_r1', '[answer_c2_r1, globals().get("STUDENT_ID")]',
                      _expected('c2_r1'), per_student=True)]),
    Check('check-c3', 'answer_c3', solution='answer-c3',
          grade=_computed('c3', 'number', 'a conv holds C_out x C_in x k x k weights (a depthwise one C x k x k), 1 byte each, plus 4 bytes of bias per output channel; add and pool hold none.'),
          cases=[Case('c3', '[answer_c3, globals().get("STUDENT_ID")]',
                      _expected('c3'), per_student=True)]),
    Check('check-c4', 'answer_c4', solution='answer-c4',
          grade=_computed('c4', 'number', 'each output element of a conv costs C_in x k x k MACs (a depthwise one k x k); count the outputs after the stride.'),
          cases=[Case('c4', '[answer_c4, globals().get("STUDENT_ID")]',
                      _expected('c4'), per_student=True)]),
    Check('check-c5-per-layer', 'answer_c5_per_layer', solution='answer-c5-per-layer',
          grade=_computed('c5_per_layer', 'bool', "it fits when its peak SRAM (every live tensor of the worst op) and its Flash are both within the device's."),
          cases=[Case('c5_per_layer', '[answer_c5_per_layer, globals().get("STUDENT_ID")]',
                      _expected('c5_per_layer'), per_student=True)]),
    Check('check-c5-inplace', 'answer_c5_inplace', solution='answer-c5-inplace',
          grade=_computed('c5_inplace', 'bool', "it fits when its peak SRAM with in-place depthwise layers and its Flash are both within the device's."),
          cases=[Case('c5_inplace', '[answer_c5_inplace, globals().get("STUDENT_ID")]',
                      _expected('c5_inplace'), per_student=True)]),
]
