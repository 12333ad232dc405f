#!/usr/bin/env python3
"""Build the student bundle: what a student installs, and nothing a student must not have.

    python tools/build_student.py                   # -> dist/student/ and dist/student.zip
    python tools/build_student.py --out DIR         # another folder (and DIR.zip)
    python tools/build_student.py --no-zip

Run it inside the course environment (it calls `pip wheel` and `nbgrader generate_assignment`
with this interpreter). The bundle holds:

    student.py                          the one command a student runs: python3 student.py
    README.md                           what is inside, for the student
    tinyml_course-<version>-*.whl       the package (no instructor files, no quiz key)
    notebooks/<NN_name>.ipynb           the lecture demos, student edition
                                        (tools/student_edition.py): no speaker notes,
                                        no outputs, no sentence stating a quiz answer
    assignments/<a>/<a>.ipynb           the homework as released by nbgrader: no solutions, no
                                        hidden tests

It never holds: instructor/ (the quiz key, the rubrics), assignments/source/ (solutions, hidden
tests), the percent .py sources, gradebooks or feedback, nor any statement of the takeaway
quiz's answers (tools/answer_leaks.py). Before writing the zip the bundle is audited for those
(exit 1 naming the offending file); tests/test_student_bundle.py checks the same from outside.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import answer_leaks  # noqa: E402
import student_edition  # noqa: E402

# text that marks instructor-only content; none of it may appear in any file of the bundle
FORBIDDEN_TEXT = ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS", "BEGIN HIDDEN TESTS",
                  "INSTRUCTOR ONLY")
KEY_PATH = REPO / "instructor" / "takeaway_key.json"
FORBIDDEN_NAMES = ("takeaway_key", "instructor/", "source/", "gradebook", "autograded/",
                   "feedback/", "submitted/", "rubric")

STUDENT_README = """# TinyML Basics: student bundle

Install and open everything with one command (Python 3.11 or newer; the first run downloads
the dependencies, a few minutes):

    python3 student.py

It creates `.venv/` here, installs the `tinyml_course` package with JupyterLab into it, and
opens JupyterLab on this folder (nbgrader's Validate button on; the instructor's tools off):

- `notebooks/`: the lecture demos (run them, change them);
- `assignments/<name>/<name>.ipynb`: the homework. Work in the notebook, run all cells, press
  **Validate**, and hand the notebook in as your course says.

`python3 student.py --no-lab` installs without opening JupyterLab; other options are passed to
`jupyter lab` (e.g. `python3 student.py --no-browser --port 8888`).
"""

STUDENT_PY = '''#!/usr/bin/env python3
"""Install the tinyml_course package and JupyterLab into .venv/ here, then open JupyterLab.

    python3 student.py              # install (first run), then open JupyterLab on this folder
    python3 student.py --no-lab     # install only
    python3 student.py ARGS...      # ARGS go to jupyter lab (e.g. --no-browser --port 8888)

Standard library only: it runs before anything is installed.
"""
import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(HERE, ".venv")
STAMP = os.path.join(VENV, ".student-installed")
# what a student uses of nbgrader here is Validate: the instructor's tools (Formgrader, Create
# Assignment), the exchange panels (Assignment List, Course List: no exchange in a bundle) and
# the Nbgrader menu that opens them are turned off, in JupyterLab and in the server, in this
# .venv's own Jupyter config
LAB_PLUGINS_OFF = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                   "@jupyter/nbgrader:course-list", "@jupyter/nbgrader:assignment-list",
                   "@jupyter/nbgrader:menu"]
SERVER_EXTENSIONS_OFF = ["nbgrader.server_extensions.formgrader",
                         "nbgrader.server_extensions.course_list",
                         "nbgrader.server_extensions.assignment_list"]


def configure_student_lab(venv=VENV):
    """Write the student's Jupyter config into ``venv``/etc/jupyter (read by its jupyter lab)."""
    etc = os.path.join(venv, "etc", "jupyter")
    lab = os.path.join(etc, "labconfig", "page_config.json")
    os.makedirs(os.path.dirname(lab), exist_ok=True)
    page = {}
    if os.path.exists(lab):
        with open(lab) as f:
            page = json.load(f)
    page.setdefault("disabledExtensions", {}).update({name: True for name in LAB_PLUGINS_OFF})
    with open(lab, "w") as f:
        json.dump(page, f, indent=1)
    server = os.path.join(etc, "jupyter_server_config.d", "tinyml-student.json")
    os.makedirs(os.path.dirname(server), exist_ok=True)  # read after nbgrader.json: it wins
    with open(server, "w") as f:
        json.dump({"ServerApp": {"jpserver_extensions": {
            name: False for name in SERVER_EXTENSIONS_OFF}}}, f, indent=1)


def python_in_venv():
    sub = ("Scripts", "python.exe") if os.name == "nt" else ("bin", "python")
    return os.path.join(VENV, *sub)


def main(argv):
    if sys.version_info < (3, 11):
        sys.exit("student.py: Python 3.11 or newer is needed, this is " + sys.version.split()[0])
    wheels = sorted(glob.glob(os.path.join(HERE, "tinyml_course-*.whl")))
    if len(wheels) != 1:
        sys.exit(f"student.py: expected one tinyml_course wheel beside this file, found {len(wheels)}")
    python = python_in_venv()
    if not os.path.exists(python):
        print("student.py: creating .venv ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    if not os.path.exists(STAMP) or open(STAMP).read() != os.path.basename(wheels[0]):
        print("student.py: installing tinyml_course and JupyterLab (first run: a few minutes) ...",
              flush=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        wheels[0] + "[lab]"], check=True)
        with open(STAMP, "w") as f:
            f.write(os.path.basename(wheels[0]))
    configure_student_lab()
    if "--no-lab" in argv:
        print("student.py: installed; open JupyterLab with: python3 student.py")
        return 0
    cmd = [python, "-m", "jupyter", "lab", "--notebook-dir=" + HERE] + argv
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''


class BuildError(Exception):
    """A step of the build failed; printed as one line."""


def _run(cmd, cwd, what):
    env = dict(os.environ)  # this interpreter's scripts first: nbgrader runs `alembic` by name
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=900)
    if proc.returncode != 0:
        raise BuildError(f"{what} failed (exit {proc.returncode}): {proc.stdout[-2000:]}")
    return proc.stdout


def build_wheel(out):
    """The package wheel into ``out`` (offline: no build isolation); its path."""
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
          "-w", str(out), str(REPO)], REPO, "pip wheel")
    wheels = sorted(Path(out).glob("tinyml_course-*.whl"))
    if len(wheels) != 1:
        raise BuildError(f"expected one wheel, got {[w.name for w in wheels]}")
    without_grader(wheels[0])
    return wheels[0]


GRADER = "tinyml_course_grading/"  # the instructor's grading tool: not a student's


def without_grader(wheel):
    """Rewrite ``wheel`` without the grading package and its console script (RECORD kept
    consistent): students get the course package only."""
    import base64
    import hashlib

    with zipfile.ZipFile(wheel) as z:
        items = [(i, z.read(i)) for i in z.infolist() if not i.filename.startswith(GRADER)]
    fixed = {}
    for info, data in items:
        if info.filename.endswith(".dist-info/entry_points.txt"):
            fixed[info.filename] = b"".join(ln for ln in data.splitlines(keepends=True)
                                            if b"tinyml_course_grading" not in ln)
    for info, data in items:
        if info.filename.endswith(".dist-info/RECORD"):
            rows = []
            for row in data.decode().splitlines():
                name = row.split(",")[0]
                if name.startswith(GRADER):
                    continue
                if name in fixed:
                    digest = base64.urlsafe_b64encode(hashlib.sha256(fixed[name]).digest())
                    row = f"{name},sha256={digest.rstrip(b'=').decode()},{len(fixed[name])}"
                rows.append(row)
            fixed[info.filename] = ("\n".join(rows) + "\n").encode()
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            z.writestr(info, fixed.get(info.filename, data))


def release_assignments(out):
    """Every assignment as nbgrader releases it (a throwaway course copy) into ``out``."""
    with tempfile.TemporaryDirectory(prefix="student-release-") as tmp:
        course = Path(tmp) / "course"
        shutil.copytree(REPO / "assignments", course,
                        ignore=shutil.ignore_patterns("release", "submitted", "autograded",
                                                      "feedback", "gradebook.db", "*.csv",
                                                      "autograde_logs", ".ipynb_checkpoints",
                                                      "__pycache__"))
        names = sorted(p.name for p in (course / "source").iterdir() if p.is_dir()
                       and not p.name.startswith("."))
        for name in names:
            _run([sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force",
                  f"--CourseDirectory.root={course}",
                  f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}"],
                 course, f"nbgrader generate_assignment {name}")
            shutil.copytree(course / "release" / name, Path(out) / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return names


def audit(bundle):
    """Problems (strings) of a bundle folder: forbidden file names or text (instructor markers,
    solution and hidden-test regions), a statement of the quiz key's answers
    (tools/answer_leaks.py), also inside wheels."""
    problems = []
    key = answer_leaks.load_key(KEY_PATH) if KEY_PATH.exists() else {}

    def check(name, data):
        lowered = name.lower()
        for needle in FORBIDDEN_NAMES:
            if needle in lowered:
                problems.append(f"{name}: a name containing {needle!r}")
        text = data.decode("utf-8", errors="replace")
        for needle in FORBIDDEN_TEXT:
            if needle in text:
                problems.append(f"{name}: contains {needle!r}")

    for path in sorted(Path(bundle).rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(bundle).as_posix()
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as wheel:
                for member in wheel.namelist():
                    check(f"{rel}!{member}", wheel.read(member))
        elif path.suffix == ".py" and rel != "student.py":
            problems.append(f"{rel}: a .py source outside the wheel")
        else:
            check(rel, path.read_bytes())
        problems += answer_leaks.scan_bytes(rel, path.read_bytes(), key)
    return problems


def build(out, make_zip=True):
    """Build the bundle in ``out`` (replaced); return (bundle folder, zip path or None)."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    build_wheel(out)
    try:
        student_edition.write_student_edition(out / "notebooks")
    except student_edition.LeakError as err:
        raise BuildError(str(err)) from None
    release_assignments(out / "assignments")
    (out / "student.py").write_text(STUDENT_PY)
    (out / "README.md").write_text(STUDENT_README)
    problems = audit(out)
    if problems:
        raise BuildError("the bundle holds instructor-only content: " + "; ".join(problems[:5]))
    archive = None
    if make_zip:
        archive = Path(shutil.make_archive(str(out), "zip", root_dir=out.parent, base_dir=out.name))
    return out, archive


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "dist" / "student",
                        help="the bundle folder to write (replaced); default dist/student")
    parser.add_argument("--no-zip", action="store_true", help="do not write OUT.zip beside it")
    args = parser.parse_args(argv)
    try:
        folder, archive = build(args.out, not args.no_zip)
    except BuildError as err:
        print(f"build_student.py: {err}", file=sys.stderr)
        return 1
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    print(f"wrote {folder} ({len(files)} files)" + (f" and {archive}" if archive else ""))
    for name in files:
        print(f"  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
