"""nbgrader's autograde step, with the student's code out of nbgrader's reach.

`SandboxedExecute` takes the place of nbgrader's `Execute` in `Autograde.autograde_preprocessors`
(assignments/nbgrader_config.py), so `nbgrader autograde` and tools/autograde_class.py both use
it. Instead of a Jupyter kernel in nbgrader's own process tree, it

1. sends every code cell of the (sanitized) notebook to runner.py, started by sandbox.py in a
   bubblewrap sandbox, which runs them and records their outputs (as a kernel would);
2. asks the same runner to call the student's functions with the inputs of the assignment's
   hidden checks (`source/<assignment>/hidden_checks.py`, never released, hidden inside the
   sandbox), and gets plain JSON back;
3. compares outside the sandbox (checks.py), and writes the outcome of each checked cell as
   that cell's output: nothing but a line of text when it passed, numeric partial credit, or
   an error whose one-line message says what failed. nbgrader's SaveAutoGrades then records
   the grade as it always does, so Formgrader, feedback and export work unchanged.

Hidden test code never exists in the notebook, so no trick in the student's kernel (`print(In)`,
caller inspection, redefined helpers, patched packages, input or AST transformers) can show it
or change a grade. Graded cells without a hidden check keep the outcome of running them in the
sandbox (the other assignments until they are converted). The run's facts (sandboxed or not,
each check's verdict, similarity and integrity)
go into the notebook's metadata under "tinyml_grading" for the grading report (report.py).
"""
import json
from dataclasses import asdict
from pathlib import Path

from nbformat import NotebookNode, from_dict
from traitlets import Float, Integer, Unicode

from nbgrader.preprocessors import NbGraderPreprocessor
from tinyml_course.homework.quiz_variant import STUDENT_ID_ENV  # the quiz's variants read it

from . import checks as checks_mod
from . import sandbox

META = "tinyml_grading"


class NotebookNotRun(RuntimeError):
    """The sandboxed run ended without an answer (killed, crashed, out of time): nbgrader then
    records the student as failed, with this message in its log, like a dead kernel."""
STREAM_NAMES = {"stdout", "stderr"}


def _clean_output(o):
    """An nbformat output from the runner's untrusted JSON, or None when malformed."""
    if not isinstance(o, dict):
        return None
    kind = o.get("output_type")
    if kind == "stream" and o.get("name") in STREAM_NAMES and isinstance(o.get("text"), str):
        return {"output_type": "stream", "name": o["name"], "text": o["text"]}
    if kind == "error":
        tb = o.get("traceback")
        tb = [t for t in tb if isinstance(t, str)] if isinstance(tb, list) else []
        return {"output_type": "error", "ename": str(o.get("ename", "Error"))[:200],
                "evalue": str(o.get("evalue", ""))[:2000], "traceback": tb}
    if kind in ("execute_result", "display_data") and isinstance(o.get("data"), dict):
        data = {k: v for k, v in o["data"].items()
                if isinstance(k, str) and "/" in k and isinstance(v, (str, dict, list))}
        if not data:
            return None
        out = {"output_type": kind, "data": data, "metadata": {}}
        if kind == "execute_result":
            count = o.get("execution_count")
            out["execution_count"] = count if isinstance(count, int) else None
        return out
    return None


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


class SandboxedExecute(NbGraderPreprocessor):
    """Run the notebook in the sandboxed runner and decide checked cells outside it."""

    timeout = Integer(30, help="seconds for one cell or one hidden-check call").tag(config=True)
    run_timeout = Integer(600, help="seconds for the whole notebook and its checks").tag(config=True)
    memory_mb = Integer(4096, help="address space of the runner, MiB (0: none)").tag(config=True)
    fsize_mb = Integer(256, help="largest file the runner may write, MiB").tag(config=True)
    nproc = Integer(256, help="processes/threads of the sandbox user").tag(config=True)
    uid = Integer(sandbox.NOBODY, help="user a root grader runs student code as (the tool "
                  "gives each worker its own, so the process limit is per worker)").tag(config=True)
    sandbox = Unicode("auto", help="auto | required | off").tag(config=True)
    checks_file = Unicode("hidden_checks.py", help="in source/<assignment>/").tag(config=True)
    similarity_threshold = Float(checks_mod.SIMILARITY_THRESHOLD).tag(config=True)
    max_output_chars = Integer(20000, help="text kept per cell").tag(config=True)

    def _coursedir(self):
        from nbgrader.coursedir import CourseDirectory
        return CourseDirectory(config=self.config)

    def load_checks(self, assignment):
        cd = self._coursedir()
        path = Path(cd.format_path(cd.source_directory, ".", assignment)) / self.checks_file
        if not path.exists():
            return "", {}, self.similarity_threshold
        module = checks_mod.load(path)
        by_id = {c.grade_id: c for c in getattr(module, "CHECKS", [])}
        return (getattr(module, "HELPERS", ""), by_id,
                getattr(module, "SIMILARITY_THRESHOLD", self.similarity_threshold))

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        assignment, student = info.get("assignment"), info.get("student")
        cd = self._coursedir()
        helpers, by_id, threshold = self.load_checks(assignment)
        present = {_grade_id(c): c for c in nb.cells if _grade_id(c)}
        active = [c for gid, c in by_id.items() if gid in present]
        cells = [{"index": i, "source": c.source} for i, c in enumerate(nb.cells)
                 if c.cell_type == "code"]
        calls = [{"id": f"{chk.grade_id}#{k}", "expr": case.expr, "timeout": case.timeout,
                  "block": list(chk.reference)}
                 for chk in active for k, case in enumerate(chk.cases)]
        if student:  # the id this submission is graded under, for the student's own code
            helpers = (f"import os as _grader_os\n_grader_os.environ[{STUDENT_ID_ENV!r}] = "
                       f"{str(student)!r}\n" + helpers)
        request = {"cells": cells, "cell_timeout": self.timeout, "helpers": helpers,
                   "calls": calls, "max_output_chars": self.max_output_chars}
        limits = sandbox.Limits(memory_mb=self.memory_mb, fsize_mb=self.fsize_mb,
                                nproc=self.nproc, uid=self.uid, timeout=self.run_timeout,
                                cell_timeout=self.timeout)
        files = Path(cd.format_path(cd.submitted_directory, student, assignment))
        run = sandbox.run_student(request, files_dir=files, course_root=cd.root,
                                  limits=limits, mode=self.sandbox)
        for note in run.notes:
            self.log.warning(note)
        if run.answer is None:
            raise NotebookNotRun(run.problem)
        answer = run.answer
        by_index = {a.get("index"): a for a in answer.get("cells", []) if isinstance(a, dict)}
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            got = by_index.get(i)
            outputs = [o for o in map(_clean_output, (got or {}).get("outputs", [])) if o]
            cell.outputs = [from_dict(o) for o in outputs]
            count = (got or {}).get("execution_count")
            cell.execution_count = count if isinstance(count, int) else None
        record = {"sandboxed": run.sandboxed, "memory_cgroup": run.memory_cgroup, "notes": run.notes,
                  "seconds": round(run.seconds, 2), "checks": {}}
        calls_answer = answer.get("calls", {}) if isinstance(answer.get("calls"), dict) else {}
        solutions = {_grade_id(c): c.source for c in nb.cells
                     if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
        for chk in active:
            answers = {k: calls_answer.get(f"{chk.grade_id}#{k}") for k in range(len(chk.cases))}
            v = checks_mod.verdict(chk, answers, solutions.get(chk.solution), threshold, student)
            v.challenge = chk.challenge
            v.points = round(v.fraction * float(
                present[chk.grade_id].metadata["nbgrader"].get("points", 0)), 6)
            self.write_verdict(present[chk.grade_id], v)
            record["checks"][chk.grade_id] = asdict(v)
        record["similarity_threshold"] = threshold
        nb.metadata[META] = record
        if any(v["flagged"] for v in record["checks"].values()):
            self.flag(info)
        return nb, resources

    def flag(self, info):
        """Flag the submitted notebook in the gradebook, as a TA would in Formgrader: a solution
        looks copied from the package's source (the report says which and how similar)."""
        from nbgrader.api import Gradebook
        try:
            with Gradebook(info["db_url"]) as gb:
                gb.find_submission_notebook(info["notebook"], info["assignment"],
                                            info["student"]).flagged = True
                gb.db.commit()
        except Exception as exc:  # a flag must never cost a grade
            self.log.warning("could not flag %s in the gradebook: %s", info.get("student"), exc)

    def write_verdict(self, cell, v):
        """The cell's outputs: its own printed lines, then the verdict nbgrader will grade."""
        points = float(cell.metadata["nbgrader"].get("points", 0))
        keep = [o for o in cell.outputs if o.output_type == "stream" and o.name == "stdout"]
        if v.fraction >= 1.0:
            verdict = [{"output_type": "stream", "name": "stdout", "text": f"{v.message}\n"}]
        elif v.fraction > 0.0:
            verdict = [{"output_type": "stream", "name": "stdout", "text": f"{v.message}\n"},
                       {"output_type": "execute_result", "execution_count": None, "metadata": {},
                        "data": {"text/plain": f"{round(v.fraction * points, 6)}"}}]
        else:
            ename = "IntegrityError" if v.integrity else "CheckFailed"
            verdict = [{"output_type": "error", "ename": ename, "evalue": v.message,
                        "traceback": [f"{ename}: {v.message}"]}]
        cell.outputs = keep + [from_dict(o) for o in verdict]


def grading_record(nb):
    """The metadata SandboxedExecute left in an autograded notebook ({} when none)."""
    meta = nb.get("metadata", {}).get(META)
    return json.loads(json.dumps(meta)) if meta else {}
