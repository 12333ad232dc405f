"""Feedback preprocessors (the course's `GenerateFeedback.preprocessors`, nbgrader_config.py).

- `ScrubHiddenTracebacks`: the error output of a cell with hidden tests becomes `Name: message`,
  no code lines (IPython's traceback quotes the failing line, which may be hidden test code).
  It must run before ClearHiddenTestsInTests, which deletes the delimiters it keys on.
- `ClearHiddenTestsInTests`: nbgrader's ClearHiddenTests on graded test cells only. nbgrader's
  raises on a hidden-test marker in any other cell, so a student who typed `### BEGIN HIDDEN
  TESTS` in a solution made `generate_feedback` fail for themselves; a student's own text is
  never hidden test code.
- `EscapeStudentHTML` (also an autograde preprocessor, so Formgrader's view of the autograded
  notebook is covered): no markup a student wrote or printed is rendered (below).
"""
import html
import re
from html.parser import HTMLParser

from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests
from traitlets import Bool


class ScrubHiddenTracebacks(Preprocessor):
    """Reduce error outputs of cells with hidden tests to `Name: message`, with no code lines."""

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)
    begin_test_delimeter = "BEGIN HIDDEN TESTS"

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or self.begin_test_delimeter not in cell.source:
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [f"{output.get('ename', 'Error')}: "
                                       f"{output.get('evalue', '')}"]
        return cell, resources


class ClearHiddenTestsInTests(ClearHiddenTests):
    """nbgrader's ClearHiddenTests, applied to locked graded test cells only."""

    def preprocess_cell(self, cell, resources, cell_index):
        if not (utils.is_grade(cell) and not utils.is_solution(cell)):
            return cell, resources
        return super().preprocess_cell(cell, resources, cell_index)


# --- student HTML: nothing a student wrote reaches a TA's browser as markup -------------------

SAFE_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3",
             "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "span", "strong", "sub",
             "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"}
SAFE_ATTRIBUTES = {"href", "src", "alt", "title", "class", "id", "align", "colspan", "rowspan"}
SAFE_SCHEMES = ("http:", "https:", "mailto:", "attachment:", "data:image/png", "data:image/jpeg")
SAFE_OUTPUT_TYPES = {"text/plain", "image/png", "image/jpeg", "application/json"}
CHECKED_OUTPUT_TYPES = {"text/html", "text/markdown"}  # kept when their HTML is safe


class _MarkupCheck(HTMLParser):
    """Collects why an HTML text is not safe to show a TA (tags, attributes, URL schemes)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.unsafe = []

    def handle_starttag(self, tag, attrs):
        if tag not in SAFE_TAGS:
            self.unsafe.append(f"<{tag}>")
        for name, value in attrs:
            if name not in SAFE_ATTRIBUTES:
                self.unsafe.append(f"{name}=")
            elif name in ("href", "src") and not _safe_url(value or ""):
                self.unsafe.append(f"{name}={(value or '')[:20]}")

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        self.unsafe.append("<!-- -->")  # conditional comments are markup in old browsers

    def handle_decl(self, decl):
        self.unsafe.append("<!...>")

    def handle_pi(self, data):
        self.unsafe.append("<?...>")


def _safe_url(url):
    """An http(s)/mailto/attachment/image-data URL or one without a scheme (a relative path)."""
    url = "".join(ch for ch in html.unescape(url) if ch > " ").lower()
    scheme = url.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return ":" not in scheme or url.startswith(SAFE_SCHEMES)


def unsafe_markup(text):
    """What in the HTML ``text`` is not safe to show (a list of short strings; [] when safe)."""
    check = _MarkupCheck()
    check.feed(text)
    check.close()
    return check.unsafe


def as_text_block(source):
    """Markdown that shows ``source`` verbatim as a code block (a fence longer than any run of
    backticks in it)."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", source)), default=0))
    return (f"*(shown as text: it contains markup the grader does not render)*\n\n"
            f"{fence}text\n{source}\n{fence}")


class EscapeStudentHTML(Preprocessor):
    """Nothing a student wrote is rendered as markup in feedback or Formgrader (both render the
    autograded notebook with nbconvert, whose templates pass markdown's HTML and text/html
    outputs through raw).

    - a markdown cell whose rendered HTML holds anything outside SAFE_TAGS / SAFE_ATTRIBUTES /
      SAFE_SCHEMES (a `<script>`, `onerror=`, a `javascript:` link) is shown as a text block;
    - an output keeps text/plain, PNG, JPEG and JSON; its text/html or text/markdown only when
      that is safe the same way; anything else (JavaScript, SVG, LaTeX, widgets) is dropped, and
      an output left empty shows a one-line text/plain note;
    - a raw cell is marked text/plain, which the HTML exporter does not render.
    Honest markdown (headings, lists, code, tables, links, images) is left exactly as it was.
    """

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        from nbconvert.filters.markdown import markdown2html

        if cell.cell_type == "markdown" and unsafe_markup(markdown2html(cell.source)):
            cell.source = as_text_block(cell.source)
        elif cell.cell_type == "raw":
            cell.metadata["raw_mimetype"] = "text/plain"
            cell.metadata.pop("format", None)
        elif cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if "data" in output:
                    output["data"] = self.safe_data(output["data"], markdown2html)
        return cell, resources

    @staticmethod
    def safe_data(data, markdown2html):
        kept = {k: v for k, v in data.items() if k in SAFE_OUTPUT_TYPES}
        for kind in CHECKED_OUTPUT_TYPES & set(data):
            text = "".join(data[kind]) if isinstance(data[kind], list) else str(data[kind])
            rendered = markdown2html(text) if kind == "text/markdown" else text
            if not unsafe_markup(rendered):
                kept[kind] = data[kind]
        if not kept or set(kept) == {"application/json"}:
            kept["text/plain"] = "(an output the grader does not render: " \
                                 f"{', '.join(sorted(data))})"
        return kept
