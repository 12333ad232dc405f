#!/usr/bin/env python3
"""Find the takeaway quiz's answers in anything a student receives, and say where.

    python tools/answer_leaks.py dist/student.zip                  # a bundle, a wheel, a folder
    python tools/answer_leaks.py assignments/release
    python tools/answer_leaks.py --own-answers-ok assignments/feedback   # before release_feedback
    python tools/answer_leaks.py --key other_key.json PATH ...

Exit status 1 with one line per leak (file, where in it, what), 0 when nothing is found, 2 when a
path does not exist or nothing was scanned (a scan of nothing proves nothing).

What counts as stating an answer (``find_leaks``), for each question of the key
(instructor/takeaway_key.json):

- **the key's explanation**: any run of ``SHINGLE_WORDS`` consecutive words of it;
- **the key as data**: the question's id next to its letters (``answer_q5 = "C"``,
  ``'q4': ['A', 'B']``);
- **a sentence that names a takeaway question and a verdict**: it refers to the question
  ("takeaway question 4", "the first takeaway question", "q4") and, in the same sentence,
  states letters ("(A)", "A and B", "not C", ": C") or a verdict word (correct, wrong, right,
  answer). The questions' own prompts and options (public) are removed before looking.

Feedback shows each student's own answers (``answer_q4 = "AB"``) and how the notebook read them
(``q4: read as A, B; format OK``): a right answer there is the student's, not a leak.
``--own-answers-ok`` leaves those lines out, so what remains is what the grader wrote.

Standard library only: tools/check_course.py and tools/build_student.py use it, and a TA can
run it on the feedback folder before releasing feedback.
"""
import argparse
import html
import io
import json
import re
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KEY_PATH = REPO / "instructor" / "takeaway_key.json"
SHINGLE_WORDS = 7  # a run of this many words of an explanation is a copy, not a coincidence
ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]
# words that judge an option, or say that something is the answer
VERDICT_WORDS = (r"(?:correct|incorrect|wrong(?!\s+type)|right|answers\s+(?:to|of)|answer\s+is|answers\s+are"
                 r"|answered\s+by|key\s+is)")
TEXT_SUFFIXES = {".md", ".txt", ".py", ".json", ".html", ".htm", ".ipynb", ".cfg", ".toml",
                 ".csv", ".c", ".h", ".js", ".css", ".yml", ".yaml", ".rst", ""}


def load_key(path=KEY_PATH):
    """{question id: (sorted letters, explanation)} from the key's JSON."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {qid: (sorted(str(x).upper() for x in entry.get("correct", [])),
                  str(entry.get("explanation", "")))
            for qid, entry in data["questions"].items()}


def _words(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def _public_texts():
    """The questions' prompts and options: public, removed before looking for verdicts. Read
    from the package's questions.py by path (standard library only; no package import)."""
    import importlib.util
    path = REPO / "tinyml_course" / "quiz" / "questions.py"
    if not path.exists():  # a checkout without the package: nothing to remove
        return []
    spec = importlib.util.spec_from_file_location("_takeaway_questions", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    texts = []
    for q in module.TAKEAWAY_QUESTIONS:  # the notebook's format messages list the options too
        texts += [q.prompt, *q.options.values(), "options are " + ", ".join(q.options)]
    return sorted(texts, key=len, reverse=True)


def _number(qid):
    match = re.fullmatch(r"q(\d+)", qid)
    return int(match.group(1)) if match else None


def _reference(qid):
    """A regex matching a mention of question ``qid`` in prose or code."""
    n = _number(qid)
    forms = [rf"(?<![A-Za-z0-9]){re.escape(qid)}\b"]  # also answer_q4
    if n is not None:
        forms.append(rf"\btakeaway\s+(?:question|q)\s*#?\s*{n}\b")
        forms.append(rf"\bquestions?\s+{n}\b")
        if n <= len(ORDINALS):
            forms.append(rf"\b{ORDINALS[n - 1]}\s+takeaway\s+question\b")
    return re.compile("|".join(forms), re.I)


# a statement of option letters: "(A)", "A and B", "A, B", "not C", ": C", "only A"
LETTERS = re.compile(r"\([A-F]\)|\b[A-F]\s*(?:,|and|or|&)\s*[A-F]\b|\bnot\s+[A-F]\b"
                     r"|:\s*[A-F]\b(?![\w'-])|\bonly\s+[A-F]\b")
VERDICT = re.compile(rf"\b{VERDICT_WORDS}\b", re.I)
# a student's own answer line and the notebook's echo of it (feedback, with own_answers_ok)
OWN_ANSWER = re.compile(r"""answer_q\d+\s*=\s*[^\n]*|\bq\d+: read as [^;\n]*; format OK""")


def _sentences(text):
    """Sentences of prose: paragraphs and list items split, wrapped lines joined."""
    text = re.sub(r"^\s*(?:#+|//|\*)\s?", "", text, flags=re.M)  # comment and heading marks
    blocks = re.split(r"\n\s*\n|\n\s*(?=[-*+] |\(\w\) )", text)
    for block in blocks:
        joined = " ".join(block.split())
        yield from (s for s in re.split(r"(?<=[.!?;])\s+", joined) if s)


def _data_pattern(qid, letters):
    """The key as data: the id, then its letters as a string or a list, within a few tokens."""
    quoted = r"\s*,\s*".join(rf"['\"]{x}['\"]" for x in letters)
    joined = "".join(letters)
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(qid)}\b['\"]?\s*[:=]\s*(?:[\[({{]\s*{quoted}"
                      rf"|['\"]{joined}['\"])", re.I)


def find_leaks(text, key, public=None, own_answers_ok=False):
    """What in ``text`` states an answer of ``key`` ({qid: (letters, explanation)}): a list of
    short descriptions, empty when nothing does. ``own_answers_ok``: leave out a student's own
    answer lines and their echo (feedback)."""
    public = _public_texts() if public is None else public
    if own_answers_ok:
        text = OWN_ANSWER.sub(" ", text)
    leaks = []
    flat = " ".join(_words(text))
    for qid, (letters, explanation) in key.items():
        words = _words(explanation)
        for i in range(0, max(0, len(words) - SHINGLE_WORDS + 1)):
            shingle = " ".join(words[i:i + SHINGLE_WORDS])
            if f" {shingle} " in f" {flat} ":
                leaks.append(f"{qid}: the key's explanation ({shingle!r})")
                break
        if letters and _data_pattern(qid, letters).search(text):
            leaks.append(f"{qid}: the key as data ({qid} = {''.join(letters)})")
    prose = text
    for phrase in public:
        prose = prose.replace(phrase, " ")
    refs = {qid: _reference(qid) for qid in key}
    for sentence in _sentences(prose):
        for qid, ref in refs.items():
            if ref.search(sentence) and (LETTERS.search(sentence) or VERDICT.search(sentence)):
                leaks.append(f"{qid}: a sentence naming it with a verdict: {sentence[:160]!r}")
    return leaks


def _notebook_texts(data):
    """(where, text) of each cell's source and text outputs of a notebook's JSON."""
    try:
        nb = json.loads(data)
    except ValueError:
        yield "", data
        return
    for index, cell in enumerate(nb.get("cells", []) if isinstance(nb, dict) else []):
        source = cell.get("source", "")
        yield f"cell {index}", "".join(source) if isinstance(source, list) else str(source)
        for output in cell.get("outputs", []) or []:
            for part in [output.get("text", "")] + list((output.get("data") or {}).values()):
                part = "".join(part) if isinstance(part, list) else part
                if isinstance(part, str) and part:
                    yield f"cell {index} output", part
            if output.get("evalue"):
                yield f"cell {index} output", str(output["evalue"])
    yield "metadata", json.dumps(nb.get("metadata", {})) if isinstance(nb, dict) else ""


def _html_text(data):
    """Visible text of an HTML page (tags dropped, entities decoded)."""
    data = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", data)
    return html.unescape(re.sub(r"<[^>]+>", " ", data))


def scan_bytes(name, data, key, public=None, own_answers_ok=False):
    """Leaks in one file's bytes (notebooks cell by cell, HTML as text, zips and wheels member by
    member): ["name[!member] (where): what", ...]."""
    public = _public_texts() if public is None else public
    suffix = Path(name.split("!")[-1]).suffix.lower()
    if suffix in (".zip", ".whl"):
        found = []
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                if not member.endswith("/"):
                    found += scan_bytes(f"{name}!{member}", archive.read(member), key, public,
                                        own_answers_ok)
        return found
    if suffix not in TEXT_SUFFIXES:
        return []
    text = data.decode("utf-8", errors="replace")
    if suffix == ".ipynb":
        parts = list(_notebook_texts(text))
    elif suffix in (".html", ".htm"):
        parts = [("", _html_text(text))]
    else:
        parts = [("", text)]
    return [f"{name}{f' ({where})' if where else ''}: {leak}"
            for where, part in parts
            for leak in find_leaks(part, key, public, own_answers_ok)]


def scan_paths(paths, key, own_answers_ok=False):
    """(leaks, number of files scanned) over files, folders (recursively) and archives."""
    public = _public_texts()
    leaks, scanned = [], 0
    for root in map(Path, paths):
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            name = path.as_posix() if path == root else f"{root.as_posix()}/{path.relative_to(root).as_posix()}"
            leaks += scan_bytes(name, path.read_bytes(), key, public, own_answers_ok)
            scanned += 1
    return leaks, scanned


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="files, folders, zips or wheels")
    parser.add_argument("--key", type=Path, default=KEY_PATH, help="the quiz key (JSON)")
    parser.add_argument("--own-answers-ok", action="store_true",
                        help="feedback: leave out each student's own answer lines and their echo")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        print(f"answer_leaks.py: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    if not args.key.exists():
        print(f"answer_leaks.py: no quiz key at {args.key} (pass --key PATH)", file=sys.stderr)
        return 2
    leaks, scanned = scan_paths(args.paths, load_key(args.key), args.own_answers_ok)
    if not scanned:
        print("answer_leaks.py: nothing to scan (empty folders)", file=sys.stderr)
        return 2
    for leak in leaks:
        print(leak)
    print(f"answer_leaks.py: {len(leaks)} leak(s) in {scanned} file(s)")
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
