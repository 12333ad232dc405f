"""Load an answer key from a file the caller names; the package itself holds no key.

The takeaway key lives at ``instructor/takeaway_key.json`` in the course repository, outside
the installed package, in this form::

    {"questions": {"<question id>": {"correct": [<letters>], "explanation": "<why>"}, ...}}
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .answers import AnswerFormatError, parse_answer
from .questions import TAKEAWAY_QUESTIONS

KEY_RELPATH = Path("instructor") / "takeaway_key.json"  # relative to the repository root
KEY_ENV_VAR = "TINYML_QUIZ_KEY"  # set to a path to use another key file


@dataclass(frozen=True)
class KeyEntry:
    """The correct letters of one question and the explanation shown after checking."""

    correct: frozenset
    explanation: str = ""


def parse_key(data: dict, questions=TAKEAWAY_QUESTIONS) -> dict[str, KeyEntry]:
    """Turn the key's JSON object into ``{question id: KeyEntry}``, checked against ``questions``.

    Raises ValueError naming the question for a key that names an unknown question, an
    unknown option letter or no correct option. Questions missing from the key are allowed
    (they are shown but cannot be checked).
    """
    by_id = {q.id: q for q in questions}
    entries = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise ValueError('answer key must be a JSON object {"questions": {id: {...}}}')
    key = {}
    for qid, entry in entries.items():
        if qid not in by_id:
            raise ValueError(f"answer key names unknown question {qid!r}")
        try:
            correct = parse_answer(entry.get("correct"), by_id[qid])
        except (AnswerFormatError, AttributeError) as err:
            raise ValueError(f"answer key entry {qid!r} is malformed: {err}") from None
        key[qid] = KeyEntry(correct, str(entry.get("explanation", "")))
    return key


def load_key(path, questions=TAKEAWAY_QUESTIONS) -> dict[str, KeyEntry]:
    """Read the JSON answer key at ``path`` (see module docstring) and check it."""
    with open(path, encoding="utf-8") as f:
        return parse_key(json.load(f), questions)


def find_key_file(start=None, relpath=KEY_RELPATH) -> Path | None:
    """Find the key file: ``$TINYML_QUIZ_KEY`` if set, else ``relpath`` in ``start`` or a parent.

    ``start`` defaults to the current directory (a notebook's own folder in Jupyter). Returns
    None when there is no key file, as on a student's machine.
    """
    env = os.environ.get(KEY_ENV_VAR)
    if env:
        return Path(env) if Path(env).is_file() else None
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / relpath
        if candidate.is_file():
            return candidate
    return None
