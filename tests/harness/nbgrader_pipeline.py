"""Drive the whole nbgrader 0.9 pipeline in a throwaway course directory, through its CLI.

    course = Course.from_assignments(tmp_path)              # copy of assignments/ (source + config)
    course.generate_assignment("hw1")                        # -> course.release_dir("hw1")
    course.submit("hw1", {"alice": solved_submission(course, "hw1"),
                          "bob": untouched_submission(course, "hw1")})
    course.autograde("hw1")
    course.generate_feedback("hw1")
    rows = course.export()                                   # rows of the exported CSV
    course.scores("hw1")    # {"alice": {"hw1.ipynb": 4.0}, ...}  from the gradebook

Or all at once: `run_pipeline(course, "hw1", submissions) -> GradingResult`.

Every step runs `python -m nbgrader` of this interpreter in a subprocess with the hermetic
environment of env.py. nbgrader often exits 0 after a failure (and `validate` always does), so
the exit status is kept in `course.log` but results are judged by the gradebook and the files.
"""
import copy
import csv
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .env import subprocess_env

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENTS = REPO / "assignments"
STEP_TIMEOUT = 600  # seconds for one nbgrader command; cell time limits are nbgrader's own


class NbgraderError(RuntimeError):
    """An nbgrader command failed outright (non-zero exit or timed out)."""


@dataclass
class Step:
    args: list
    returncode: int
    output: str


@dataclass
class GradingResult:
    scores: dict            # student -> notebook file -> score (gradebook)
    max_scores: dict        # notebook file -> max score
    csv_rows: list          # exported CSV rows (dicts, as read by csv.DictReader)
    release_dir: Path       # course/release/<assignment>
    feedback_dir: Path      # course/feedback (feedback/<student>/<assignment>/<nb>.html)
    log: list = field(default_factory=list)

    def total(self, student):
        return sum(self.scores.get(student, {}).values())

    def csv_score(self, student):
        """The student's score in the exported CSV (float), KeyError if absent."""
        for row in self.csv_rows:
            if row["student_id"] == student:
                return float(row["score"])
        raise KeyError(student)


def _run(cmd, cwd, timeout, label):
    """Run ``cmd`` in ``cwd`` with the hermetic environment; both streams in ``.stdout``.
    Raises NbgraderError (with the output's tail) when it runs past ``timeout`` seconds."""
    try:
        return subprocess.run(cmd, cwd=cwd, env=subprocess_env(), timeout=timeout,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except subprocess.TimeoutExpired as e:
        raise NbgraderError(f"{label} ran past {timeout} s:\n{(e.output or '')[-4000:]}") from None


class Course:
    """One nbgrader course directory; each method is one nbgrader command."""

    def __init__(self, root):
        self.root = Path(root)
        self.log = []  # Step for every command run

    @classmethod
    def from_assignments(cls, dest, assignments_dir=ASSIGNMENTS, names=None):
        """Copy `nbgrader_config.py` and `source/<name>` (all, or `names`) into `dest/course`."""
        src = Path(assignments_dir)
        root = Path(dest) / "course"
        (root / "source").mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / "nbgrader_config.py", root / "nbgrader_config.py")
        for folder in sorted((src / "source").iterdir()):
            if folder.is_dir() and (names is None or folder.name in names) \
                    and not folder.name.startswith("."):
                shutil.copytree(folder, root / "source" / folder.name,
                                ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        return cls(root)

    # --- paths ---------------------------------------------------------------------------

    @property
    def db_url(self):
        return f"sqlite:///{self.root / 'gradebook.db'}"

    def source_dir(self, assignment):
        return self.root / "source" / assignment

    def release_dir(self, assignment):
        return self.root / "release" / assignment

    def feedback_dir(self):
        return self.root / "feedback"

    def feedback_html(self, student, assignment, notebook):
        """Text of the feedback HTML of one notebook ('hw1.ipynb' or 'hw1')."""
        stem = Path(notebook).stem
        return (self.root / "feedback" / student / assignment / f"{stem}.html").read_text()

    def notebook_names(self, assignment):
        return sorted(p.name for p in self.source_dir(assignment).glob("*.ipynb"))

    def source_notebook(self, assignment, notebook):
        return nbformat.read(self.source_dir(assignment) / notebook, as_version=4)

    def release_notebook(self, assignment, notebook):
        return nbformat.read(self.release_dir(assignment) / notebook, as_version=4)

    # --- commands ------------------------------------------------------------------------

    def nbgrader(self, *args, check=True, timeout=STEP_TIMEOUT):
        """Run `python -m nbgrader ARGS` in the course dir; return the Step (output = both streams)."""
        cmd = [sys.executable, "-m", "nbgrader", *map(str, args),
               f"--CourseDirectory.root={self.root}"]
        proc = _run(cmd, self.root, timeout, f"nbgrader {' '.join(map(str, args))}")
        step = Step(list(args), proc.returncode, proc.stdout)
        self.log.append(step)
        if check and proc.returncode != 0:
            raise NbgraderError(f"nbgrader {' '.join(map(str, args))} exited "
                                f"{proc.returncode}:\n{proc.stdout[-4000:]}")
        return step

    def generate_assignment(self, assignment):
        """source/<a> -> release/<a>; registers the assignment and its notebooks in the db."""
        self.nbgrader("generate_assignment", assignment, "--force")
        return self.release_dir(assignment)

    def submit(self, assignment, submissions):
        """Place files as nbgrader's collect would: submitted/<student>/<assignment>/<file>.

        `submissions` maps student -> {file name -> NotebookNode | str | bytes}; str and bytes
        are written as they are (e.g. a notebook that is not valid JSON).
        """
        for student, files in submissions.items():
            folder = self.root / "submitted" / student / assignment
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            for name, content in files.items():
                if isinstance(content, bytes):
                    (folder / name).write_bytes(content)
                elif isinstance(content, str):
                    (folder / name).write_text(content)
                else:
                    nbformat.write(content, folder / name)
            (folder / "timestamp.txt").write_text("2026-11-25 12:00:00.000000 UTC")

    def autograde(self, assignment, timeout=None, student=None):
        """Autograde all submissions (or one student); `timeout` overrides the per-cell limit (s)."""
        args = ["autograde", assignment, "--force"]
        if timeout is not None:
            args.append(f"--Execute.timeout={int(timeout)}")
            args.append(f"--SandboxedExecute.timeout={int(timeout)}")  # tinyml_course_grading
        if student is not None:
            args.append(f"--student={student}")
        return self.nbgrader(*args, check=False)  # a failed student makes the exit non-zero

    def generate_feedback(self, assignment):
        """autograded/ -> feedback/<student>/<assignment>/<notebook>.html."""
        return self.nbgrader("generate_feedback", assignment, "--force", check=False)

    def export(self, csv_path=None):
        """`nbgrader export` to a CSV file; return its rows as dicts."""
        csv_path = Path(csv_path or self.root / "grades.csv")
        self.nbgrader("export", f"--to={csv_path}")
        with open(csv_path, newline="") as f:
            return list(csv.DictReader(f))

    # --- gradebook -----------------------------------------------------------------------

    def scores(self, assignment):
        """{student: {notebook file: score}} of every autograded submission, from gradebook.db."""
        from nbgrader.api import Gradebook, MissingEntry

        out = {}
        with Gradebook(self.db_url) as gb:
            for student in gb.students:
                try:
                    sub = gb.find_submission(assignment, student.id)
                except MissingEntry:
                    continue
                out[student.id] = {f"{nb.name}.ipynb": float(nb.score) for nb in sub.notebooks}
        return out

    def max_scores(self, assignment):
        """{notebook file: max score} of the assignment, from gradebook.db."""
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url) as gb:
            a = gb.find_assignment(assignment)
            return {f"{nb.name}.ipynb": float(nb.max_score) for nb in a.notebooks}


# --- submissions ---------------------------------------------------------------------------

def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def solved_notebook(source_nb, release_nb):
    """The release notebook with every solution cell's source taken from the source notebook.

    This is what a student who writes the reference solution submits (solution regions
    included, as the instructor wrote them; nbgrader keeps solution cells as submitted).
    """
    solutions = {_grade_id(c): c.source for c in source_nb.cells
                 if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid in solutions:
            cell.source = solutions[gid]
    return nb


def solved_submission(course, assignment):
    """{notebook file: solved notebook} for `assignment` (needs generate_assignment first)."""
    return {name: solved_notebook(course.source_notebook(assignment, name),
                                  course.release_notebook(assignment, name))
            for name in course.notebook_names(assignment)}


def untouched_submission(course, assignment):
    """{notebook file: release notebook as handed out}: what a student who did nothing submits."""
    return {name: course.release_notebook(assignment, name)
            for name in course.notebook_names(assignment)}


def with_solution(notebook, grade_id, source):
    """Copy of `notebook` whose cell `grade_id` has `source` (e.g. a wrong or looping answer)."""
    nb = copy.deepcopy(notebook)
    matches = [c for c in nb.cells if _grade_id(c) == grade_id]
    assert matches, f"no cell with grade_id {grade_id!r}"
    matches[0].source = source
    return nb


def run_pipeline(course, assignment, submissions, timeout=None):
    """generate_assignment (if not yet), submit, autograde, generate_feedback, export.

    `submissions` maps student -> {file: notebook or raw text}, or student -> callable(course)
    returning that dict (so solved/untouched submissions can be built after the release).
    """
    if not course.release_dir(assignment).exists():
        course.generate_assignment(assignment)
    built = {s: (v(course, assignment) if callable(v) else v) for s, v in submissions.items()}
    course.submit(assignment, built)
    course.autograde(assignment, timeout=timeout)
    course.generate_feedback(assignment)
    rows = course.export()
    return GradingResult(
        scores=course.scores(assignment),
        max_scores=course.max_scores(assignment),
        csv_rows=[r for r in rows if r["assignment"] == assignment],
        release_dir=course.release_dir(assignment),
        feedback_dir=course.feedback_dir(),
        log=course.log,
    )


GRADE_COMMAND = Path(sys.executable).parent / "tinyml-course-grade"  # the installed console script


def autograde_class(course, assignment, *args, timeout=STEP_TIMEOUT):
    """Run the installed `tinyml-course-grade ASSIGNMENT ARGS` in the course dir; return the Step.

    Unlike `Course.nbgrader`, a non-zero exit is not an error here: the tool exits 1 when some
    student could not be graded, and the tests check that.
    """
    cmd = [str(GRADE_COMMAND), assignment, *map(str, args)]
    proc = _run(cmd, course.root, timeout, f"tinyml-course-grade {assignment}")
    step = Step(["autograde_class", assignment, *map(str, args)], proc.returncode, proc.stdout)
    course.log.append(step)
    return step
