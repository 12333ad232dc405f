"""Multiple-choice questions: the public part of a quiz (prompts and options, never answers).

Answer keys live outside the installed package (``instructor/takeaway_key.json`` in the
repository); a caller that holds a key passes it in, see :mod:`tinyml_course.quiz.keys`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping


@dataclass(frozen=True)
class Question:
    """One multiple-choice question; any non-empty subset of the options may be correct.

    ``id`` is a short stable name (``"q1"``), ``prompt`` the question text, ``options`` an
    ordered mapping from an upper-case letter (``"A"``) to the option text, ``source`` where the
    question comes from (for the lecture slide it belongs to).
    """

    id: str
    prompt: str
    options: Mapping[str, str] = field(hash=False)  # frozen below: shared, so read-only
    source: str = ""

    def __post_init__(self):
        opts = dict(self.options)
        if not opts:
            raise ValueError(f"question {self.id!r} has no options")
        for letter in opts:
            if not (isinstance(letter, str) and len(letter) == 1 and letter.isalpha() and letter.isupper()):
                raise ValueError(f"question {self.id!r}: option label {letter!r} is not one upper-case letter")
        object.__setattr__(self, "options", MappingProxyType(opts))

    @property
    def letters(self) -> tuple[str, ...]:
        """The option letters in display order, e.g. ``("A", "B", "C")``."""
        return tuple(self.options)

    def __repr__(self):
        return f"Question({self.id!r}, {self.prompt!r}, options={''.join(self.letters)})"

    def to_markdown(self) -> str:
        """The question as markdown: the prompt, then one ``(A) text`` line per option."""
        lines = [f"**{self.id}.** {self.prompt}", ""]
        lines += [f"- ({letter}) {text}" for letter, text in self.options.items()]
        return "\n".join(lines)


_LECTURE = "lecture 12, TinyML basics"

# the takeaway questions that end the two parts of the lecture, word for word up to typos
TAKEAWAY_QUESTIONS: tuple[Question, ...] = (
    Question("q1", "What are advantages of TinyML?",
             {"A": "Low latency", "B": "Low cost", "C": "Good privacy"},
             source=f"{_LECTURE}, part 1"),
    Question("q2", "What are challenges of TinyML on MCUs?",
             {"A": "Memory size of MCUs is too small to hold DNNs",
              "B": "Slow CPU processing speed",
              "C": "Sparse input activations"},
             source=f"{_LECTURE}, part 1"),
    Question("q3", "What are possible ways to reduce model size?",
             {"A": "Data augmentation", "B": "Model pruning", "C": "Quantization"},
             source=f"{_LECTURE}, part 1"),
    Question("q4", "Why does TinyML put input/output activations on SRAM memory?",
             {"A": "Low latency",
              "B": "The speed of data written on SRAM is higher than Flash",
              "C": "The SRAM memory density is high"},
             source=f"{_LECTURE}, part 2"),
    Question("q5", "What are advantages of depth-wise separable convolution?",
             {"A": "Reduce the size of input/output activation",
              "B": "Decrease the number of layers",
              "C": "Shrink the model size"},
             source=f"{_LECTURE}, part 2"),
    Question("q6", "Which are correct descriptions of MCUNet-v1?",
             {"A": "Using in-place depthwise convolution to reduce peak memory usage",
              "B": "Small peak memory contributes the speedup",
              "C": "Store activations on a temp buffer"},
             source=f"{_LECTURE}, part 2"),
    Question("q7", "How does MCUNet-v2 save peak SRAM memory usage?",
             {"A": "Only store the small patches on SRAM memory",
              "B": "Overlapping patch computation",
              "C": "Regularization"},
             source=f"{_LECTURE}, part 2"),
)


def get_question(question_id: str, questions=TAKEAWAY_QUESTIONS) -> Question:
    """Return the question named ``question_id`` (``"q3"``); raise KeyError listing the ids."""
    for q in questions:
        if q.id == question_id:
            return q
    raise KeyError(f"no question {question_id!r}; known: {', '.join(q.id for q in questions)}")
