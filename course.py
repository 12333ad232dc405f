#!/usr/bin/env python3
"""Set up the course environment and open the lecture demos or run the tests.

    python3 course.py lab  [--grading] [jupyter lab options, e.g. --no-browser --port 8888]
    python3 course.py test [pytest options, e.g. -k arena -x]

Both commands create `.venv/` next to this file on first use (stdlib `venv` + pip, no conda
needed) and install the package into it: `lab` with the `[lab]` extra, `test` with `[dev]`.
The install is skipped while a stamp file in `.venv/` records the same pyproject.toml hash.

Options that go before the command's own arguments:
    --no-setup   use the interpreter running this script as is: no venv, no install
                 (for tests and for people who manage their own environment)

This file uses the standard library only, so it runs before anything is installed.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

MIN_PYTHON = (3, 11)  # keep in step with requires-python in pyproject.toml
ROOT = os.path.dirname(os.path.abspath(__file__))
VENV_DIR = os.path.join(ROOT, ".venv")
# extra -> extras whose install also satisfies it (dev is a superset of lab)
SATISFIED_BY = {"lab": ("lab", "dev"), "dev": ("dev",)}
# the per-user Jupyter/IPython/matplotlib state that tests must never read or write
HERMETIC_DIRS = {
    "JUPYTER_CONFIG_DIR": "jupyter-config",
    "JUPYTER_DATA_DIR": "jupyter-data",
    "JUPYTER_RUNTIME_DIR": "jupyter-runtime",
    "IPYTHONDIR": "ipython",
    "MPLCONFIGDIR": "matplotlib",
    "HOME": "home",  # libraries that write under ~ (onnxruntime's ~/.cache/Microsoft)
    "XDG_CACHE_HOME": "cache",
}


class CourseError(Exception):
    """A problem the user can fix; printed as one line, no traceback."""


def venv_python():
    """Path of the interpreter inside `.venv` (POSIX or Windows layout)."""
    if os.name == "nt":
        return os.path.join(VENV_DIR, "Scripts", "python.exe")
    return os.path.join(VENV_DIR, "bin", "python")


def pyproject_hash():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def stamp_path(extra):
    return os.path.join(VENV_DIR, f".course-stamp-{extra}")


def is_installed(extra):
    digest = pyproject_hash()
    for other in SATISFIED_BY[extra]:
        try:
            with open(stamp_path(other)) as f:
                if f.read().strip() == digest:
                    return True
        except OSError:
            pass
    return False


def run_quiet(cmd, what):
    """Run `cmd`; on failure show its captured output and raise CourseError."""
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-6000:])
        raise CourseError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}")


def ensure_venv(extra):
    """Create `.venv` if missing and install `-e .[extra]` unless already done; return its python."""
    python = venv_python()
    if not os.path.exists(python):
        print(f"course.py: creating {os.path.relpath(VENV_DIR)} ...", flush=True)
        shutil.rmtree(VENV_DIR, ignore_errors=True)  # a half-made venv from an interrupted run
        try:
            import venv  # noqa: F401  (Debian ships it separately as python3-venv)
            import ensurepip  # noqa: F401
        except ImportError:
            raise CourseError("this Python has no working 'venv'/'ensurepip' module; "
                              "install it (e.g. apt-get install python3-venv) and retry")
        run_quiet([sys.executable, "-m", "venv", VENV_DIR], "creating the virtual environment")
    if is_installed(extra):
        return python
    print(f"course.py: installing tinyml-course[{extra}] into .venv "
          "(first run: a few minutes) ...", flush=True)
    for name in SATISFIED_BY["lab"]:  # invalidate stamps while the install is in flight
        try:
            os.remove(stamp_path(name))
        except OSError:
            pass
    pip = [python, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    run_quiet(pip + ["install", "-q", "--upgrade", "pip"], "upgrading pip")
    run_quiet(pip + ["install", "-q", "-e", f".[{extra}]"], f"pip install -e .[{extra}]")
    with open(stamp_path(extra), "w") as f:
        f.write(pyproject_hash() + "\n")
    return python


def hermetic_env(base_dir, python):
    """Environment with all per-user Jupyter/IPython/matplotlib state under `base_dir`.

    `python`'s folder goes first on PATH, as if its venv were activated (nbgrader runs the
    `alembic` script by name).
    """
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(python) + os.pathsep + env.get("PATH", "")
    for var, sub in HERMETIC_DIRS.items():
        path = os.path.join(base_dir, sub)
        os.makedirs(path, exist_ok=True)
        env[var] = path
    env.pop("JUPYTER_PATH", None)  # no kernelspecs or extensions from outside the venv
    env["MPLBACKEND"] = "Agg"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


LAB_CONFIG_DIR = os.path.join(ROOT, "lab-config")  # turns off nbgrader's exchange panels
# the lecture view: no Create Assignment panel, no Validate button (Formgrader stays in the menu)
LECTURE_CONFIG_DIR = os.path.join(LAB_CONFIG_DIR, "lecture")
COURSE_DIR = os.path.join(ROOT, "assignments")  # the nbgrader course (nbgrader_config.py)
EXCHANGE_DIR = os.path.join(ROOT, ".nbgrader-exchange")  # Formgrader's release status (gitignored)


def lab_command(python, args, env=None, root=ROOT, grading=False):
    """(argv, env, cwd) of the lecture's JupyterLab server; `env` defaults to os.environ, `root`
    (the served folder, with notebooks/ in it) to this repository.

    `grading` False (the lecture view): lab-config/lecture/ turns off nbgrader's Create
    Assignment panel and Validate button; True (`course.py lab --grading`, for writing and
    checking homework) keeps them. Both list each lecture notebook once (its percent .py source
    hidden) and cull kernels idle for 20 minutes with no tab connected (lab-config/).

    The server's root is the repository and it opens on notebooks/; it runs in assignments/,
    where Formgrader reads nbgrader_config.py; lab-config/ (on JUPYTER_CONFIG_PATH) turns off
    the Assignment List and Course List (students get notebooks without nbgrader's exchange)
    and points Formgrader's exchange at TINYML_COURSE_EXCHANGE (default .nbgrader-exchange/).
    """
    env = dict(os.environ if env is None else env)
    env.setdefault("TINYML_COURSE_EXCHANGE", EXCHANGE_DIR)
    os.makedirs(env["TINYML_COURSE_EXCHANGE"], exist_ok=True)
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        ([] if grading else [LECTURE_CONFIG_DIR]) + [LAB_CONFIG_DIR]
        + [p for p in env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p])
    cmd = [python, "-m", "jupyter", "lab", f"--ServerApp.root_dir={root}",
           "--LabApp.default_url=/lab/tree/notebooks"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # jupyter refuses to run as root without it
    return cmd + list(args), env, COURSE_DIR


def cmd_lab(python, args):
    grading = "--grading" in args
    cmd, env, cwd = lab_command(python, [a for a in args if a != "--grading"], grading=grading)
    if os.name == "posix":
        sys.stdout.flush()
        os.chdir(cwd)
        os.execve(python, cmd, env)  # the server replaces us: Ctrl-C and kill reach it directly
    return subprocess.call(cmd, env=env, cwd=cwd)


def cmd_test(python, args):
    with tempfile.TemporaryDirectory(prefix="tinyml-course-test-") as tmp:
        env = hermetic_env(tmp, python)
        env["TINYML_COURSE_HERMETIC_DIR"] = tmp  # tests/harness/env.py keeps these dirs
        # --dist loadfile: a module's tests share one worker, so each module-scoped nbgrader
        # pipeline fixture runs once per test run instead of once per worker
        cmd = [python, "-m", "pytest", "-n", "auto", "--dist", "loadfile"] + args
        try:
            return subprocess.call(cmd, cwd=ROOT, env=env)
        except KeyboardInterrupt:
            return 130


COMMANDS = {"lab": ("lab", cmd_lab), "test": ("dev", cmd_test)}


def main(argv):
    if sys.version_info < MIN_PYTHON:
        raise CourseError(f"Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]}+ is needed, this is "
                          f"{sys.version.split()[0]} ({sys.executable})")
    if not argv or argv[0] not in COMMANDS:
        got = repr(argv[0]) if argv else "nothing"
        raise CourseError(f"usage: python3 course.py {{lab|test}} [--no-setup] [args...] "
                          f"(got {got})")
    name, args = argv[0], argv[1:]
    extra, run = COMMANDS[name]
    no_setup = "--no-setup" in args
    args = [a for a in args if a != "--no-setup"]
    python = sys.executable if no_setup else ensure_venv(extra)
    return run(python, args)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except CourseError as e:
        sys.stderr.write(f"course.py: error: {e}\n")
        sys.exit(2)
