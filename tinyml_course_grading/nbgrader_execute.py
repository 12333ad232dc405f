"""nbgrader's autograde step, with the student's code out of nbgrader's reach.

`SandboxedExecute` takes the place of nbgrader's `Execute` in `Autograde.autograde_preprocessors`
(assignments/nbgrader_config.py), so `nbgrader autograde` and `tinyml-course-grade` both use it.
Instead of a Jupyter kernel in nbgrader's own process tree, it

1. sends every code cell of the (sanitized) notebook to the runner (student_runner.py), started
   by sandboxed_run.py in a bubblewrap sandbox, which runs them and records their outputs;
2. asks the same runner to call the student's functions with the inputs of the assignment's
   hidden checks (`source/<assignment>/hidden_checks.py`, never released, never in the
   sandbox), and gets plain data back;
3. decides outside the sandbox (verdicts.py), and writes each checked cell's verdict as that
   cell's output: a line of text when it passed, nbgrader's numeric partial credit, or an error
   whose one line says what failed. nbgrader's SaveAutoGrades records the grade as it always
   does, so Formgrader, feedback and export work unchanged.

The run's facts (a `messages.GradingRecord`: sandboxed or not, each check's verdict) go into
the notebook's metadata under "tinyml_grading" for the grading report. A notebook that could
not be run raises `NotebookNotRun` carrying a typed `Failure`, which nbgrader records as a
failed student and the grading worker reads with `take_failure` (never from the log).
"""
import functools
from dataclasses import replace
from pathlib import Path

import nbformat
from nbformat import from_dict
from nbgrader.preprocessors import NbGraderPreprocessor
from tinyml_course.homework.quiz_variant import STUDENT_ID_ENV  # the quiz's variants read it
from traitlets import Float, Integer, Unicode

from . import (case_measurement, check_declarations, messages, oracles, package_edition,
               plain_data, sandboxed_run, submission)
from .limits import SANDBOX, SandboxLimits
from .messages import CallRequest, CellSource, Failure, FailureKind, GradingRecord, RunRequest
from .verdicts import _as_python, verdict

META = "tinyml_grading"
_FAILURES = {}  # student -> Failure of the last notebook that could not be run in this process


class NotebookNotRun(RuntimeError):
    """The sandboxed run ended without an answer (killed, crashed, out of time, refused)."""

    def __init__(self, failure):
        super().__init__(f"{failure.kind.value}: {failure.detail}")
        self.failure = failure


def take_failure(student):
    """The Failure SandboxedExecute recorded for ``student`` in this process (None), cleared."""
    return _FAILURES.pop(student, None)


def student_environ(student):
    """The environment the student's code runs with: the id this submission is graded under
    (the quiz's per-student variants read it before any hidden check has run)."""
    return (f"{STUDENT_ID_ENV}={student}",) if student else ()


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


class SandboxedExecute(NbGraderPreprocessor):
    """Run the notebook in the sandboxed runner and decide checked cells outside it."""

    timeout = Integer(int(SANDBOX.cell_seconds),
                      help="seconds for one cell or one hidden-check call").tag(config=True)
    run_timeout = Integer(int(SANDBOX.run_seconds),
                          help="seconds for the whole notebook and its checks").tag(config=True)
    memory_mb = Integer(SANDBOX.memory_mb, help="memory of the runner, MiB (0: none)").tag(config=True)
    fsize_mb = Integer(SANDBOX.fsize_mb, help="largest file the runner may write, MiB").tag(config=True)
    nproc = Integer(SANDBOX.nproc, help="processes/threads of the sandbox user").tag(config=True)
    uid = Integer(SANDBOX.uid, help="user a root grader runs student code as (the grading "
                  "command gives each worker its own)").tag(config=True)
    sandbox = Unicode("required", help="required (refuse to grade without bubblewrap) | off "
                      "(the instructor's explicit choice, recorded in the report)").tag(config=True)
    checks_file = Unicode("hidden_checks.py", help="in source/<assignment>/").tag(config=True)
    similarity_threshold = Float(check_declarations.SIMILARITY_THRESHOLD).tag(config=True)
    max_output_chars = Integer(SANDBOX.output_chars, help="text kept per cell").tag(config=True)

    def limits(self):
        return SandboxLimits(run_seconds=self.run_timeout, cell_seconds=self.timeout,
                             memory_mb=self.memory_mb, fsize_mb=self.fsize_mb, nproc=self.nproc,
                             uid=self.uid, output_chars=self.max_output_chars)

    def _coursedir(self):
        from nbgrader.coursedir import CourseDirectory
        return CourseDirectory(config=self.config)

    def load_checks(self, assignment):
        """The assignment's HiddenChecks (none declared: an empty one)."""
        cd = self._coursedir()
        path = Path(cd.format_path(cd.source_directory, ".", assignment)) / self.checks_file
        if not path.exists():
            return check_declarations.HiddenChecks(str(path), "", {}, self.similarity_threshold)
        return check_declarations.load(path)

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        assignment, student = info.get("assignment"), info.get("student")
        cd = self._coursedir()
        files = Path(cd.format_path(cd.submitted_directory, student, assignment))
        refused = submission.problem(files)  # plain nbgrader: the grading command checked it
        if refused:
            _FAILURES[student] = refused
            raise NotebookNotRun(refused)
        hidden = self.load_checks(assignment)
        present = {_grade_id(c): c for c in nb.cells if _grade_id(c)}
        active = [c for gid, c in hidden.checks.items() if gid in present]
        request = RunRequest(
            cells=tuple(CellSource(i, c.source) for i, c in enumerate(nb.cells)
                        if c.cell_type == "code"),
            helpers=hidden.helpers, environ=student_environ(student),
            calls=tuple(CallRequest(f"{chk.grade_id}#{k}", case.expr, case.timeout,
                                    tuple(chk.reference))
                        for chk in active for k, case in enumerate(chk.cases)))
        measured = oracles.Oracles(getattr(hidden.module, "ORACLES", None))
        edition = self.student_edition(assignment, student)
        run = self.run(request, files, student, hide=[cd.root], package_source=edition,
                       oracle=measured)
        for note in run.notes:
            self.log.warning(note)
        if run.answer.helper_error:  # before any student code ran: the grader's own failure
            failure = Failure(FailureKind.SANDBOX, "the hidden checks' helpers failed in the "
                              f"sandbox: {run.answer.helper_error}")
            _FAILURES[student] = failure
            raise NotebookNotRun(failure)
        self.write_outputs(nb, run.answer)
        record = GradingRecord(sandboxed=run.sandboxed, sandbox=self.sandbox,
                               memory_cgroup=run.memory_cgroup, notes=tuple(run.notes),
                               seconds=round(run.seconds, 2),
                               similarity_threshold=hidden.similarity_threshold)
        solutions = {_grade_id(c): c.source for c in nb.cells
                     if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
        calls = measured.answers(run.answer.calls)  # the grader's own measurements put in
        calls = self.measure_outside(active, calls, solutions, edition)
        for chk in active:
            answers = {k: calls.get(f"{chk.grade_id}#{k}")
                       for k in range(len(chk.cases))}
            v = verdict(chk, answers, solutions.get(chk.solution), hidden.similarity_threshold,
                        student)
            v.points = round(v.fraction * float(
                present[chk.grade_id].metadata["nbgrader"].get("points", 0)), 6)
            self.write_verdict(present[chk.grade_id], v)
            record.checks[chk.grade_id] = v
        nb.metadata[META] = messages.dump(record)
        if any(v.flagged for v in record.checks.values()):
            self.flag(info)
        return nb, resources

    def measure_outside(self, checks, calls, solutions, package_source=None):
        """``calls`` with the answer of each check declaring ``outside`` replaced by what that
        function measures of the student's solution cell outside the student's process
        (case_measurement.OutsideCases: a fresh sandboxed process per case), where the
        sandbox's call answered (not None, no blocked reference reached)."""
        out = dict(calls)
        for chk in checks:
            key = f"{chk.grade_id}#0"
            answer = out.get(key)
            if chk.outside is None or answer is None or not answer.ok or answer.used \
                    or answer.value is None:
                continue
            cases = case_measurement.OutsideCases(
                _as_python(solutions.get(chk.solution) or ""), self.limits(), package_source,
                sandboxed_run.bwrap_path() if self.sandbox == "required" else None,
                seconds=float(self.timeout))
            try:
                out[key] = replace(answer, value=plain_data.plain(chk.outside(cases)))
            except Exception as exc:  # the grader's own failure: 0 with its reason, in one line
                out[key] = replace(answer, ok=False, value=None, error_type=type(exc).__name__,
                                   error=f"the grader's measurement failed ({exc})"[:500])
        return out

    def student_edition(self, assignment, student=None):
        """The folder of the package's student edition the sandbox shows for ``assignment``
        (package_edition.py: every reference its hidden checks list withheld, except one the
        instructor's source notebook calls); None without references or without a sandbox.
        NotebookNotRun (a SANDBOX Failure, recorded for ``student``) when one cannot be
        withheld."""
        if self.sandbox != "required":
            return None
        cd = self._coursedir()
        folder = Path(cd.format_path(cd.source_directory, ".", assignment))
        try:
            return _edition(folder / self.checks_file, tuple(sorted(folder.glob("*.ipynb"))))
        except (package_edition.EditionError, check_declarations.CheckDeclarationError,
                OSError, ValueError) as exc:
            failure = Failure(FailureKind.SANDBOX, f"the package's student edition: {exc}"[:300])
            _FAILURES[student] = failure
            raise NotebookNotRun(failure) from None

    def run(self, request, files, student, hide=(), package_source=None, oracle=None):
        """The sandboxed Run of ``request``; NotebookNotRun (its Failure recorded) when there is
        no answer."""
        try:
            run = sandboxed_run.run_student(request, files, self.limits(), self.sandbox, hide,
                                            oracle, package_source)
        except sandboxed_run.SandboxUnavailable as exc:
            failure = Failure(FailureKind.SANDBOX, f"--sandbox required, but {exc}")
            _FAILURES[student] = failure
            raise NotebookNotRun(failure) from None
        if run.answer is None:
            _FAILURES[student] = run.failure
            raise NotebookNotRun(run.failure)
        return run

    @staticmethod
    def write_outputs(nb, answer):
        by_index = {c.index: c for c in answer.cells}
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            got = by_index.get(i)
            cell.outputs = [from_dict(o) for o in (got.outputs if got else ())]
            cell.execution_count = got.execution_count if got else None

    def flag(self, info):
        """Flag the submitted notebook in the gradebook, as a TA would in Formgrader: a solution
        looks copied from the package's source (the report says which and how similar)."""
        from nbgrader.api import Gradebook, MissingEntry
        try:
            with Gradebook(info["db_url"]) as gb:
                gb.find_submission_notebook(info["notebook"], info["assignment"],
                                            info["student"]).flagged = True
                gb.db.commit()
        except (MissingEntry, KeyError, OSError) as exc:  # a flag must never cost a grade
            self.log.warning("could not flag %s in the gradebook: %s", info.get("student"), exc)

    def write_verdict(self, cell, v):
        """The cell's outputs: its own printed lines, then the verdict nbgrader will grade."""
        points = float(cell.metadata["nbgrader"].get("points", 0))
        keep = [o for o in cell.outputs if o.output_type == "stream" and o.name == "stdout"]
        if v.fraction >= 1.0:
            verdict_outputs = [{"output_type": "stream", "name": "stdout",
                                "text": f"{v.message}\n"}]
        elif v.fraction > 0.0:
            verdict_outputs = [{"output_type": "stream", "name": "stdout", "text": f"{v.message}\n"},
                               {"output_type": "execute_result", "execution_count": None,
                                "metadata": {},
                                "data": {"text/plain": f"{round(v.fraction * points, 6)}"}}]
        else:
            ename = "IntegrityError" if v.integrity else "CheckFailed"
            verdict_outputs = [{"output_type": "error", "ename": ename, "evalue": v.message,
                                "traceback": [f"{ename}: {v.message}"]}]
        cell.outputs = keep + [from_dict(o) for o in verdict_outputs]


@functools.lru_cache(maxsize=None)
def _edition(checks_path, notebooks):
    """The student edition's folder for the checks at ``checks_path`` (a Path) and the source
    ``notebooks`` (Paths): the checks' references withheld, less those the notebooks call and
    those hidden_checks.py lists in KEEP_IN_GRADING (package functions the given code reaches
    through the package); None when nothing is withheld. Once per process."""
    if not checks_path.exists():
        return None
    hidden = check_declarations.load(checks_path)
    references = {r for chk in hidden.checks.values() for r in chk.reference}
    if not references:
        return None
    sources = [c.source for path in notebooks for c in nbformat.read(path, as_version=4).cells
               if c.cell_type == "code"]
    keep = set(getattr(hidden.module, "KEEP_IN_GRADING", ()))  # the package calls them itself
    return package_edition.edition(package_edition.withheld_names(references - keep, sources))


def grading_record(nb):
    """The GradingRecord SandboxedExecute left in an autograded notebook (None when none);
    MessageError when the metadata is not one."""
    meta = nb.get("metadata", {}).get(META)
    return messages.load(GradingRecord, dict(meta)) if meta else None
