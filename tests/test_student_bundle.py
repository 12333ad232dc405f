"""tools/build_student.py: the student bundle holds the package, JupyterLab (as the wheel's `lab`
extra), the lecture notebooks and the released homework, and nothing a student must not have."""
import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import REPO
from harness.instructor import KEY_PATH, load_answer_leaks

spec = importlib.util.spec_from_file_location("build_student", REPO / "tools" / "build_student.py")
build_student = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_student)

LECTURES = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
ASSIGNMENTS = sorted(p.name for p in (REPO / "assignments" / "source").iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "student"
    folder, archive = build_student.build(out)
    return folder, archive


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _wheel(folder):
    (wheel,) = folder.glob("tinyml_course-*.whl")
    return wheel


@pytest.mark.slow
def test_bundle_holds_exactly_the_student_files(bundle):
    """Is the bundle exactly: student.py, README, the wheel, the lecture notebooks and one
    released notebook per assignment? And the zip the same files?"""
    folder, archive = bundle
    expected = sorted(["README.md", "student.py", _wheel(folder).name]
                      + [f"notebooks/{n}" for n in LECTURES]
                      + [f"assignments/{a}/{a}.ipynb" for a in ASSIGNMENTS])
    assert _files(folder) == expected
    with zipfile.ZipFile(archive) as z:
        assert sorted(n[len("student/"):] for n in z.namelist() if not n.endswith("/")) == expected


@pytest.mark.slow
def test_bundle_holds_no_solution_hidden_test_or_key(bundle):
    """Does no file (nor any file inside the wheel) hold a solution or hidden-test region, an
    instructor file?"""
    folder, _ = bundle
    needles = ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "INSTRUCTOR ONLY"]
    texts = {}
    for name in _files(folder):
        data = (folder / name).read_bytes()
        if name.endswith(".whl"):
            with zipfile.ZipFile(folder / name) as wheel:
                for member in wheel.namelist():
                    assert not member.startswith(("instructor/", "assignments/", "tests/")), member
                    assert "takeaway_key" not in member and not member.endswith(".ipynb"), member
                    texts[f"{name}!{member}"] = wheel.read(member).decode("utf-8", "replace")
        else:
            texts[name] = data.decode("utf-8", "replace")
    leaks = [(name, n) for name, text in texts.items() for n in needles if n in text]
    assert not leaks, leaks
    # the released homework keeps its scaffold; the answers the solutions write are gone
    nb = nbformat.read(folder / "assignments/sram_accounting/sram_accounting.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "# YOUR CODE HERE" in text and "produced.append(op.name)" not in text


@pytest.mark.slow
def test_bundle_states_no_quiz_answer(bundle):
    """Does tools/answer_leaks.py find no statement of the quiz key anywhere in the bundle (the
    wheel's files included), and do the lecture notebooks carry no speaker notes?
    (On the bundle as built before the student edition: 15 leaks, notes and slides.)"""
    folder, archive = bundle
    leaks_tool = load_answer_leaks()
    key = leaks_tool.load_key(KEY_PATH)
    leaks, scanned = leaks_tool.scan_paths([folder], key)
    assert scanned == len(_files(folder)) and leaks == [], leaks
    assert leaks_tool.scan_paths([archive], key)[0] == []
    for path in sorted((folder / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        kinds = {c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells}
        assert "notes" not in kinds, path.name


@pytest.mark.slow
def test_wheel_brings_jupyterlab_with_the_lab_extra(bundle):
    """Does installing the wheel with [lab] (what student.py does) bring JupyterLab and nbgrader?"""
    folder, _ = bundle
    with zipfile.ZipFile(_wheel(folder)) as wheel:
        (meta,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = wheel.read(meta).decode()
    for requirement in ("jupyterlab", "nbgrader"):
        assert any(line.startswith(f"Requires-Dist: {requirement}") and 'extra == "lab"' in line
                   for line in metadata.splitlines()), requirement
    assert '[lab]' in (folder / "student.py").read_text()


def test_student_py_needs_its_wheel(tmp_path):
    """Does student.py (standard library only) refuse in one line when the wheel is missing?"""
    script = tmp_path / "student.py"
    script.write_text(build_student.STUDENT_PY)
    proc = subprocess.run([sys.executable, str(script), "--no-lab"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("student.py: expected one tinyml_course wheel beside this "
                                   "file, found 0")
    assert not (tmp_path / ".venv").exists()


def test_audit_catches_instructor_content(tmp_path):
    """Does the build's own audit name a solution region, a key file and a stray source?"""
    (tmp_path / "a.ipynb").write_text('{"source": "### BEGIN SOLUTION"}')
    (tmp_path / "takeaway_key.json").write_text("{}")
    (tmp_path / "hw.py").write_text("x = 1")
    shutil.copy(tmp_path / "hw.py", tmp_path / "student.py")
    problems = build_student.audit(tmp_path)
    assert any(p.startswith("a.ipynb: contains '### BEGIN SOLUTION'") for p in problems)
    assert any(p.startswith("takeaway_key.json: a name containing") for p in problems)
    assert "hw.py: a .py source outside the wheel" in problems
    assert not any(p.startswith("student.py") for p in problems)
    (tmp_path / "slides.md").write_text("So it shrinks the model (takeaway question 5: C).")
    assert any(p.startswith("slides.md: q5:") for p in build_student.audit(tmp_path))


def _lab_disabled(config_dir):
    """The JupyterLab plugins `jupyter labextension list` reports disabled with ``config_dir``
    first on the config path."""
    import os
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(config_dir))
    proc = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"],
                          capture_output=True, text=True, env=env, timeout=120)
    text = proc.stdout + proc.stderr
    tail = text.split("Disabled extensions:", 1)[1] if "Disabled extensions:" in text else ""
    return {line.strip().split()[0] for line in tail.splitlines() if line.strip().startswith("@")}


def _server_extensions(config_dir):
    """{server extension: on} as the Jupyter server reads ``config_dir`` alone."""
    from jupyter_server.extension.config import ExtensionConfigManager
    return ExtensionConfigManager(read_config_path=[str(config_dir)]).get_jpserver_extensions()


@pytest.mark.slow
def test_student_lab_shows_only_what_a_student_uses(tmp_path):
    """Does the Lab that student.py opens have nbgrader's Formgrader, Create Assignment, Course
    List and Assignment List off (JupyterLab plugins and server extensions) and Validate on?
    Before student.py's config, as pip installs nbgrader, all of them are on (issue 18, item 9)."""
    ns = {"__file__": str(tmp_path / "student.py"), "__name__": "student"}
    exec(build_student.STUDENT_PY, ns)
    etc = tmp_path / "venv" / "etc" / "jupyter"
    (etc / "jupyter_server_config.d").mkdir(parents=True)
    installed = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.d" / "nbgrader.json"
    shutil.copy(installed, etc / "jupyter_server_config.d")  # what pip puts in the student's .venv
    assert all(_server_extensions(etc).get(name) for name in ns["SERVER_EXTENSIONS_OFF"])
    assert not set(ns["LAB_PLUGINS_OFF"]) & _lab_disabled(etc)
    ns["configure_student_lab"](str(tmp_path / "venv"))
    ns["configure_student_lab"](str(tmp_path / "venv"))  # every start writes it again: idempotent
    server = _server_extensions(etc)
    assert not any(server[name] for name in ns["SERVER_EXTENSIONS_OFF"]), server
    assert server["nbgrader.server_extensions.validate_assignment"] is True
    disabled = _lab_disabled(etc)
    assert set(ns["LAB_PLUGINS_OFF"]) <= disabled, disabled
    assert "@jupyter/nbgrader:validate-assignment" not in disabled


def test_lab_extra_can_build_the_bundle():
    """Does the `lab` extra (what `python3 course.py lab` installs, the README's setup) bring
    everything tools/build_student.py runs: the build-system requirements of its offline
    `pip wheel --no-build-isolation`, and nbgrader? (With the lab extra alone it failed with
    "invalid command 'bdist_wheel'": issue 18, item 8.)"""
    import tomllib
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    lab = project["project"]["optional-dependencies"]["lab"]
    names = {req.split(";")[0].split(">")[0].split("<")[0].split("=")[0].strip() for req in lab}
    for requirement in project["build-system"]["requires"] + ["nbgrader"]:
        name = requirement.split(">")[0].split("=")[0].strip()
        assert name in names, f"the lab extra lacks {requirement!r}, which build_student needs"
    spec = [r for r in lab if r.startswith("setuptools")]
    assert spec == [r for r in project["build-system"]["requires"] if r.startswith("setuptools")]
