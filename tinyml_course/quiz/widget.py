"""The interactive quiz for the lecture: a thin ipywidgets view over :class:`QuizState`.

Every callback is one call into the state followed by a redraw from the pure ``render_*``
functions, so tests drive the same logic without a browser.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from .questions import TAKEAWAY_QUESTIONS, Question
from .scoring import DEFAULT_POLICY
from .state import CheckResult, QuizState


def render_question_html(state: QuizState) -> str:
    """The header and prompt of the current question as HTML."""
    q: Question = state.current
    return (f"<b>Question {state.index + 1} of {len(state.questions)}</b> "
            f"<span style='color:gray'>({html.escape(q.id)})</span>"
            f"<p style='font-size:1.1em'>{html.escape(q.prompt)}</p>")


def render_feedback_html(result: CheckResult | None) -> str:
    """What "check" reveals, as HTML: a mark per option, the score and the explanation."""
    if result is None:
        return ""
    if not result.revealed:
        return f"<p style='color:#a60'>{html.escape(result.message)}</p>"
    rows = []
    for f in result.options:
        mark, colour = ("&#10004;", "#070") if f.right else ("&#10008;", "#b00")
        rows.append(f"<li style='color:{colour}'>{mark} ({f.letter}) {html.escape(f.text)}"
                    f" &mdash; {html.escape(f.verdict)}</li>")
    explanation = (f"<p><i>Why:</i> {html.escape(result.explanation)}</p>"
                   if result.explanation else "")
    return (f"<ul style='list-style:none;padding-left:0'>{''.join(rows)}</ul>"
            f"<p>{html.escape(result.message)}</p>{explanation}")


class QuizWidget(widgets.VBox):
    """One question at a time, checkboxes for the options, Check / Previous / Next buttons.

    ``key`` is passed in by the caller (None: questions are shown, "check" says no key is
    loaded). ``policy`` names the scoring policy used for the points shown after a check.
    """

    def __init__(self, questions=TAKEAWAY_QUESTIONS, key=None, policy=DEFAULT_POLICY, **kwargs):
        self.state = QuizState(questions, key, policy)
        self.question_html = widgets.HTML()
        self.options_box = widgets.VBox()
        self.check_button = widgets.Button(description="Check", button_style="primary")
        self.previous_button = widgets.Button(description="Previous", icon="arrow-left")
        self.next_button = widgets.Button(description="Next", icon="arrow-right")
        self.feedback_html = widgets.HTML()
        self.checkboxes: dict[str, widgets.Checkbox] = {}
        self.check_button.on_click(lambda _: self._after(self.state.check))
        self.previous_button.on_click(lambda _: self._after(self.state.previous))
        self.next_button.on_click(lambda _: self._after(self.state.next))
        buttons = widgets.HBox([self.previous_button, self.check_button, self.next_button])
        super().__init__([self.question_html, self.options_box, buttons, self.feedback_html],
                         **kwargs)
        self.refresh()

    def _after(self, action):
        action()
        self.refresh()

    def _on_box(self, change, letter):
        self.state.select(letter, bool(change["new"]))
        self.feedback_html.value = render_feedback_html(self.state.result())

    def refresh(self):
        """Redraw everything from the state (rebuilds the checkboxes of the current question)."""
        s = self.state
        self.question_html.value = render_question_html(s)
        self.checkboxes = {}
        for letter, text in s.current.options.items():
            box = widgets.Checkbox(value=letter in s.selection, description=f"({letter}) {text}",
                                   indent=False, layout=widgets.Layout(width="auto"))
            box.observe(lambda change, x=letter: self._on_box(change, x), names="value")
            self.checkboxes[letter] = box
        self.options_box.children = tuple(self.checkboxes.values())
        self.previous_button.disabled = s.at_first
        self.next_button.disabled = s.at_last
        self.check_button.disabled = not s.has_key
        self.check_button.tooltip = "" if s.has_key else "no answer key loaded"
        self.feedback_html.value = render_feedback_html(s.result())
