"""Keep Jupyter, IPython and matplotlib state of the test run away from the user's home."""
import atexit
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

# same variables and sub-folder names as course.py's HERMETIC_DIRS
HERMETIC_DIRS = {
    "JUPYTER_CONFIG_DIR": "jupyter-config",
    "JUPYTER_DATA_DIR": "jupyter-data",
    "JUPYTER_RUNTIME_DIR": "jupyter-runtime",
    "IPYTHONDIR": "ipython",
    "MPLCONFIGDIR": "matplotlib",
    "HOME": "home",  # libraries that write under ~ (onnxruntime's ~/.cache/Microsoft)
    "XDG_CACHE_HOME": "cache",
}
MARKER = "TINYML_COURSE_HERMETIC_DIR"  # set once the dirs above point into a throwaway folder


def ensure_hermetic():
    """Point the per-user dirs into one temp folder for this process and its children.

    Does nothing when an outer process (course.py test, or a pytest controller whose xdist
    workers inherit the environment) already did it. Removed at exit when created here.
    """
    if os.environ.get(MARKER) and Path(os.environ[MARKER]).is_dir():
        base = Path(os.environ[MARKER])
    else:
        base = Path(tempfile.mkdtemp(prefix="tinyml-course-pytest-"))
        atexit.register(shutil.rmtree, base, ignore_errors=True)
        os.environ[MARKER] = str(base)
        os.environ.pop("JUPYTER_PATH", None)  # no kernelspecs from outside this venv
    for var, sub in HERMETIC_DIRS.items():  # the same paths course.py chose, when it made base
        os.environ[var] = str(base / sub)
        Path(os.environ[var]).mkdir(parents=True, exist_ok=True)
    os.environ["MPLBACKEND"] = "Agg"
    # notebook kernels and nbgrader's subprocesses import this checkout's package, installed or not
    repo = str(Path(__file__).resolve().parents[2])
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if repo not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([repo] + paths)
    # console scripts of this venv first, as if activated: nbgrader's Gradebook runs `alembic`
    bindir = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bindir:
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    install_kernelspec()
    return base


def install_kernelspec(name="python3"):
    """Write kernelspec `name` running *this* interpreter into JUPYTER_DATA_DIR; return its dir.

    The user data dir comes first in Jupyter's search path, so notebooks whose metadata says
    `python3` (and nbgrader's autograde) run in sys.executable, not some other Python on PATH.
    """
    kdir = Path(os.environ["JUPYTER_DATA_DIR"]) / "kernels" / name
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python 3 ({Path(sys.prefix).name})",
        "language": "python",
        "metadata": {"debugger": False},
    }
    kfile = kdir / "kernel.json"
    if not kfile.exists() or json.loads(kfile.read_text()) != spec:
        kdir.mkdir(parents=True, exist_ok=True)
        tmp = kfile.with_suffix(f".{os.getpid()}.tmp")  # xdist workers may race: write atomically
        tmp.write_text(json.dumps(spec, indent=1))
        os.replace(tmp, kfile)
    return kdir


def subprocess_env(**extra):
    """A copy of os.environ for child processes (after ensure_hermetic), plus `extra`."""
    ensure_hermetic()
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update({k: str(v) for k, v in extra.items()})
    return env
