"""The measurements a hidden check takes itself, in the grader, while a call runs in the sandbox.

A figure that decides a grade and needs the student's code in the loop (the patch challenge's
`evaluate(split, n)`: the chooser decides what to ask next from the answers) is not computed
where the student's code runs: the sandbox asks the grader (`conversation.ask`, one JSON line),
the grader measures with its own package, counts, refuses past the budget and answers. A
hidden_checks.py declares its oracles by name:

    ORACLES = {"patch-plan": PlanOracle}   # a class (or function) -> a fresh oracle per call

An oracle is called with the ask's plain arguments and returns plain data (or raises: its
message goes back as the sandbox's RuntimeError). Its `answer(value)` (optional) returns the
value the check's verdict sees: the sandbox's plain answer with the oracle's own records put in
(what was measured, how often), so that no count the verdict reads comes from the sandbox.

`Oracles(declared)` is one student's set, answering `(call id, Ask)` for sandboxed_run and
rewriting the run's CallResults afterwards (`answers`). Each answer runs under the grader's CPU
budget (verdicts.cpu_budget).
"""
from dataclasses import replace

from . import plain_data
from .conversation import Reply
from .verdicts import BudgetExceeded, cpu_budget

MAX_ASKS = 1000  # asks of one call past which the grader answers no more (a loop that asks)


class Oracles:
    """One student's oracles: ``declared`` maps a name to a factory of fresh oracles."""

    def __init__(self, declared=None):
        self.declared = dict(declared or {})
        self.live = {}   # (call id, name) -> the oracle of that call
        self.asks = {}   # call id -> asks so far

    def __call__(self, call_id, ask):
        """The grader's Reply to ``ask`` (conversation.Ask) made during call ``call_id``."""
        factory = self.declared.get(ask.oracle)
        if factory is None:
            return Reply(False, error=f"the grader measures no {ask.oracle!r:.60}")
        self.asks[call_id] = self.asks.get(call_id, 0) + 1
        if self.asks[call_id] > MAX_ASKS:
            return Reply(False, error=f"more than {MAX_ASKS} measurements asked in one call")
        key = (call_id, ask.oracle)
        try:
            with cpu_budget():
                if key not in self.live:
                    self.live[key] = factory()
                value = self.live[key](*plain_data.restore(list(ask.args)))
                return Reply(True, plain_data.plain(value))
        except BudgetExceeded as exc:
            return Reply(False, error=str(exc))
        except Exception as exc:  # a refusal or the student's bad arguments: said in one line
            return Reply(False, error=f"{exc}"[:300] or type(exc).__name__)

    def answers(self, calls):
        """``calls`` (call id -> CallResult) with each answered call's value passed through the
        ``answer`` of the oracles it asked (the grader's records put in)."""
        out = dict(calls)
        for (call_id, _), oracle in self.live.items():
            result = out.get(call_id)
            if result is None or not result.ok or not hasattr(oracle, "answer"):
                continue
            try:
                value = plain_data.plain(oracle.answer(plain_data.restore(result.value)))
                out[call_id] = replace(result, value=value)
            except Exception as exc:  # the sandbox's answer is not what the oracle records
                out[call_id] = replace(result, ok=False, value=None, error_type=type(exc).__name__,
                                       error=f"{type(exc).__name__}: {exc}"[:500])
        return out
