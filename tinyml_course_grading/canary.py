"""Before the first student: a grader that cannot grade says so, and writes no score.

`canary(execute, assignment)` runs, exactly as a student's notebook would run (the same
sandbox, limits and student edition of the package), the instructor's source notebook, with every call of
one hidden check (the first that is not a challenge) and a call that imports the package. It
returns None when that check gives the instructor's solution full marks, else one line naming
the cause: no sandbox (bubblewrap's own message), a stale name in hidden_checks.py, the package
missing inside the sandbox, the helpers failing, the solution not earning full marks.

`tinyml-course-grade` runs it before any worker starts (exit 2 on a failure). Plain `nbgrader
autograde` runs it through `before_first_student`, the course's `Autograde.pre_convert_hook`
(nbgrader_config.py), once per process before nbgrader creates any submission: on a failure it
ends nbgrader with that line (SystemExit: nbgrader's hook runner catches only Exception).
"""
from pathlib import Path

import nbformat

from . import check_declarations, package_edition, sandboxed_run
from .messages import CallRequest, CellSource, RunRequest
from .verdicts import verdict

STUDENT = "canary"  # the id the instructor's solution is graded under
IMPORT_CALL = CallRequest("canary#import", "__import__('tinyml_course').__name__")


def _source_notebooks(execute, assignment):
    cd = execute._coursedir()
    folder = Path(cd.format_path(cd.source_directory, ".", assignment))
    return sorted(folder.glob("*.ipynb"))


def canary(execute, assignment):
    """None when the grader can grade ``assignment`` (see the module doc), else why not."""
    from .nbgrader_execute import NotebookNotRun, student_environ

    notebooks = _source_notebooks(execute, assignment)
    if not notebooks:
        return f"no source notebook of {assignment}"
    nb = nbformat.read(notebooks[0], as_version=4)
    try:
        hidden = execute.load_checks(assignment)
        check_declarations.check_notebook(hidden, nb)
    except (check_declarations.StaleNameError,
            check_declarations.CheckDeclarationError) as exc:
        return f"{assignment}/{execute.checks_file}: {exc}"
    checks = list(hidden.checks.values())
    check = next((c for c in checks if c.challenge is None), checks[0] if checks else None)
    calls = [IMPORT_CALL]
    if check is not None:
        calls += [CallRequest(f"{check.grade_id}#{k}", case.expr, case.timeout,
                              tuple(check.reference)) for k, case in enumerate(check.cases)]
    request = RunRequest(cells=tuple(CellSource(i, c.source) for i, c in enumerate(nb.cells)
                                     if c.cell_type == "code"),
                         helpers=hidden.helpers, environ=student_environ(STUDENT),
                         calls=tuple(calls))
    try:
        edition = execute.student_edition(assignment, STUDENT)
        run = sandboxed_run.run_student(request, None, execute.limits(), execute.sandbox,
                                        package_source=edition)
    except NotebookNotRun as exc:
        return str(exc)
    except sandboxed_run.SandboxUnavailable as exc:
        return f"--sandbox required, but {exc}"
    if run.answer is None:
        return (f"the instructor's solution did not run in the sandbox "
                f"({run.failure.kind.value}: {run.failure.detail})")
    if run.answer.helper_error:
        return f"the hidden checks' helpers failed in the sandbox: {run.answer.helper_error}"
    withheld = _withheld_error(run.answer.cells)
    if withheld:
        return (f"the instructor's notebook fails in the sandbox's student edition of the "
                f"package ({withheld}): list that function in KEEP_IN_GRADING of "
                f"{execute.checks_file}")
    imported = run.answer.calls.get(IMPORT_CALL.id)
    if imported is None or not imported.ok:
        return ("the sandbox cannot import the course package "
                f"({imported.error if imported else 'no answer'})")
    if check is None:
        return None
    answers = {k: run.answer.calls.get(f"{check.grade_id}#{k}") for k in range(len(check.cases))}
    solutions = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells}
    v = verdict(check, answers, solutions.get(check.solution), hidden.similarity_threshold,
                STUDENT)
    if v.fraction < 1.0:
        return (f"the instructor's solution earns {v.fraction:.2f} of {check.grade_id} in the "
                f"sandbox: {v.message}")
    return None


def _withheld_error(cells):
    """The first cell error that says a function is withheld in grading, or ''."""
    for cell in cells:
        for out in cell.outputs:
            text = str(out.get("evalue", "")) if out.get("output_type") == "error" else ""
            if package_edition.WITHHELD in text:
                return text[:200]
    return ""


_DONE = {}  # (assignment, sandbox mode) -> the canary's answer, once per process


def before_first_student(assignment, student, notebooks):
    """nbgrader's pre_convert_hook: the canary, once per process, under plain `nbgrader
    autograde`; SystemExit with its line when the grader cannot grade. Inside the grading
    command's workers (no nbgrader application), the command ran the canary already."""
    from traitlets.config import Application

    from .nbgrader_execute import SandboxedExecute

    if not Application.initialized():
        return
    config = Application.instance().config
    mode = config.SandboxedExecute.get("sandbox", SandboxedExecute.sandbox.default_value)
    key = (assignment, str(mode))
    if key not in _DONE:
        _DONE[key] = canary(SandboxedExecute(config=config), assignment)
    why = _DONE[key]
    if why:
        raise SystemExit(f"nbgrader autograde: the grader cannot grade {assignment} ({why}); "
                         "no score was written")
