"""The course as a TA has it: a fresh copy of this checkout somewhere else, its own venv with the
course installed (editable, as `python3 course.py lab` does it, or a plain install), and the
README's own commands run there with no help from the test run (no PYTHONPATH, HOME elsewhere).

    checkout = clone(tmp / "home" / "tinyml-course")       # tracked + new files, no .venv/.git
    venv = make_venv(checkout / ".venv", checkout, editable=True)
    env = ta_env(home=tmp / "home", venv=venv)             # as after `source .venv/bin/activate`
    readme_ta_command("sram_accounting")                   # the README's grading command line

Installing the course's dependencies from the registry would take minutes per venv, so a venv
made here gets them from this test run's environment (a .pth naming its site-packages) and
console scripts of its own (this run's scripts, their first line pointing at the new venv's
python); the course package itself is installed into it by pip (`-e` or not), so it imports the
clone's package, wherever the clone is.
"""
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"


def clone(dest):
    """Copy this checkout's tracked and new (not ignored) files into ``dest``; -> dest."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
    dest = Path(dest)
    for rel in filter(None, files):
        src = REPO / rel
        if not src.is_file():  # deleted in the working tree
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
    return dest


def make_venv(venv, checkout, editable=True):
    """A venv at ``venv`` with ``checkout``'s package installed (editable or plain) and this
    run's dependencies; -> its python. The course.py stamp is written, so `course.py lab` in
    the checkout uses it as it is."""
    venv = Path(venv)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                                "['purelib'])"], capture_output=True, text=True,
                               check=True).stdout.strip())
    (site / "zz_test_run_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    ours = Path(sys.executable).parent
    for script in ours.iterdir():
        target = venv / "bin" / script.name
        if target.exists() or not script.is_file():
            continue
        with open(script, "rb") as f:
            head = f.readline()
        if head.startswith(b"#!") and b"python" in head:
            target.write_bytes(_shebang(python) + script.read_bytes()[len(head):])
            target.chmod(0o755)
    cmd = [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
           "--disable-pip-version-check"] + (["-e"] if editable else []) + [str(checkout)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_clean_env())
    if proc.returncode != 0:
        raise RuntimeError(f"pip install of the clone failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    if not editable:
        shutil.rmtree(Path(checkout) / "build", ignore_errors=True)
    import hashlib
    digest = hashlib.sha256((Path(checkout) / "pyproject.toml").read_bytes()).hexdigest()
    (venv / ".course-stamp-lab").write_text(digest + "\n")
    return python


def _shebang(python):
    """A script's first line(s) running ``python``; a path with a space gets pip's sh trampoline
    (a #! line cannot hold one)."""
    if " " not in str(python):
        return b"#!" + str(python).encode() + b"\n"
    return ("#!/bin/sh\n'''exec' \"" + str(python) + "\" \"$0\" \"$@\"\n' '''\n").encode()


def _clean_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("PYTEST")}
    return env


def ta_env(home, venv_python):
    """The environment of a TA with HOME ``home`` after `source .venv/bin/activate`."""
    env = _clean_env()
    venv = Path(venv_python).parent.parent
    env.update(HOME=str(home), VIRTUAL_ENV=str(venv),
               PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}")
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                "MPLCONFIGDIR", "XDG_CACHE_HOME", "TINYML_COURSE_HERMETIC_DIR"):
        env.pop(var, None)
    Path(home).mkdir(parents=True, exist_ok=True)
    return env


def readme_ta_command(assignment, readme=README):
    """The README's grading command for ``assignment`` (the first command line of its "For
    TAs" section that grades: not an nbgrader one), split into words."""
    text = Path(readme).read_text()
    section = text[text.index("## For TAs"):]
    section = section[:section.index("\n## ", 1)]
    for line in re.findall(r"```bash\n(.*?)```", section, re.S)[0].splitlines():
        command = line.split("#")[0].strip()
        if command and "grade" in command and not command.startswith(("nbgrader", "cd ")):
            return command.replace("sram_accounting", assignment).split()
    raise AssertionError("the README's TA section names no grading command")
