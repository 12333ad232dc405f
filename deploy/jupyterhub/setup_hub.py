#!/usr/bin/env python3
"""Set up the course's JupyterHub on one Linux machine, as root (Python stdlib only).

    python3 deploy/jupyterhub/setup_hub.py install [--prefix /opt/tinyml-course] [--port 8000]
    python3 deploy/jupyterhub/setup_hub.py instructor NAME        # account + course directory
    python3 deploy/jupyterhub/setup_hub.py students roster.csv    # CSV: username[,password]
    python3 deploy/jupyterhub/setup_hub.py start                  # runs the hub (foreground)

`install` builds the course environment every user's server runs in (a venv of Debian's
/usr/bin/python3.11, world-readable, with this repository's package `[lab]` installed
non-editable and jupyterhub), installs configurable-http-proxy with npm into the prefix, creates
nbgrader's exchange (mode 1777: everyone may write, nobody may delete others' files) and writes
the settings file `PREFIX/hub.json`, which `jupyterhub_config.py` and the global
`nbgrader_config.py` (both copied into the prefix) read. Every setting is an option, so a test
can use free ports and temporary folders. `instructor` creates the instructor's account (also the
Formgrader service's) and copies the course directory (`assignments/` and the grading `tools/`)
into its home. `students` creates one account per roster row in the students' group; the hub
lets that group in, so students added later need no restart.

Errors (not root, no Python or npm, a bad roster) exit 2 with one line.
"""
import argparse
import csv
import grp
import hashlib
import json
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULTS = {
    "course_id": "tinyml-course",
    "exchange": "/srv/nbgrader/exchange",
    "ip": "",                 # "" = every interface; put TLS in front (README)
    "port": 8000,             # the proxy: the address users open
    "hub_port": 8081,         # the hub behind the proxy (127.0.0.1)
    "proxy_api_port": 8001,   # configurable-http-proxy's REST API (127.0.0.1)
    "formgrader_port": 9999,  # the Formgrader service (127.0.0.1)
    "students_group": "tinyml-students",
    "instructors": [],
}
# the files that decide what the environment holds: its hash names a reusable build
ENV_INPUTS = ["pyproject.toml", "tinyml_course"]


class SetupError(Exception):
    """A one-line reason the setup cannot go on (printed, exit 2)."""


def run(cmd, **kw):
    """Run `cmd` (a list); raise SetupError with the tail of its output when it fails."""
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if proc.returncode != 0:
        tail = " | ".join(proc.stdout.strip().splitlines()[-3:])
        raise SetupError(f"{cmd[0]} {cmd[1] if len(cmd) > 1 else ''} failed: {tail}")
    return proc.stdout


# --- settings ----------------------------------------------------------------------------------

def settings_path(prefix):
    return Path(prefix) / "hub.json"


def load_settings(prefix):
    path = settings_path(prefix)
    if not path.exists():
        raise SetupError(f"{path} does not exist: run `setup_hub.py install --prefix {prefix}` first")
    return json.loads(path.read_text())


def save_settings(settings):
    path = settings_path(settings["prefix"])
    path.write_text(json.dumps(settings, indent=1, sort_keys=True) + "\n")
    path.chmod(0o644)


# --- the environment ---------------------------------------------------------------------------

def env_hash(python, repo=REPO):
    """Hex digest of the interpreter's path and the package's files: equal -> same environment."""
    h = hashlib.sha256(str(python).encode())
    for name in ENV_INPUTS:
        root = repo / name
        files = [root] if root.is_file() else sorted(
            p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for p in files:
            h.update(str(p.relative_to(repo)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def build_venv(venv, python, repo=REPO):
    """A venv of `python` at `venv` with `repo[lab]` (not editable) and jupyterhub; skipped when
    `venv/.tinyml-env` already records the same env_hash. World-readable, so every user runs it."""
    venv = Path(venv)
    stamp = venv / ".tinyml-env"
    want = env_hash(python, repo)
    if stamp.exists() and stamp.read_text().strip() == want:
        print(f"setup_hub: environment {venv} is up to date ({want})")
        return venv
    if not Path(python).exists():
        raise SetupError(f"no {python}: apt-get install python3 python3-venv (or pass --python)")
    if venv.exists():
        shutil.rmtree(venv)
    print(f"setup_hub: building the course environment in {venv} (a few minutes) ...", flush=True)
    run([str(python), "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    run(pip + [f"{repo}[lab]", "jupyterhub>=5"])
    for path in [venv, *venv.parents]:  # every user must reach it
        if path == Path("/"):
            break
        path.chmod(path.stat().st_mode | 0o755)
    stamp.write_text(want + "\n")
    return venv


def install_proxy(folder):
    """npm-install configurable-http-proxy into `folder` (once); return its executable."""
    exe = Path(folder) / "node_modules" / ".bin" / "configurable-http-proxy"
    if exe.exists():
        return exe
    if not shutil.which("npm") or not shutil.which("node"):
        raise SetupError("no node/npm: apt-get install nodejs npm")
    print("setup_hub: installing configurable-http-proxy with npm ...", flush=True)
    Path(folder).mkdir(parents=True, exist_ok=True)
    run(["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund",
         "configurable-http-proxy@^4"])
    return exe


def make_exchange(path):
    """nbgrader's exchange: world-writable with the sticky bit, like /tmp."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o1777)
    return path


def install(args):
    prefix = Path(args.prefix).resolve()
    prefix.mkdir(parents=True, exist_ok=True)
    prefix.chmod(0o755)
    old = json.loads(settings_path(prefix).read_text()) if settings_path(prefix).exists() else {}
    settings = {**DEFAULTS, **old}
    for key in ["course_id", "exchange", "ip", "port", "hub_port", "proxy_api_port",
                "formgrader_port", "students_group"]:
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    venv = Path(args.venv).resolve() if args.venv else prefix / "venv"
    settings.update(prefix=str(prefix), venv=str(venv), state=str(prefix / "state"))
    build_venv(venv, Path(args.python))
    settings["proxy"] = str(install_proxy(Path(args.proxy_dir or prefix / "proxy").resolve()))
    make_exchange(settings["exchange"])
    (prefix / "state").mkdir(exist_ok=True)
    (prefix / "state").chmod(0o700)  # the hub's database and cookie secret
    shutil.copy2(HERE / "jupyterhub_config.py", prefix / "jupyterhub_config.py")
    # JUPYTER_CONFIG_PATH: etc/jupyter for every server, etc/student before it for a student's
    shutil.copytree(HERE / "config" / "student", prefix / "etc" / "student", dirs_exist_ok=True)
    (prefix / "etc" / "jupyter").mkdir(exist_ok=True)
    shutil.copy2(HERE / "nbgrader_config.py", prefix / "etc" / "jupyter" / "nbgrader_config.py")
    for p in [prefix / "etc", *(prefix / "etc").rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    ensure_group(settings["students_group"])
    save_settings(settings)
    print(f"setup_hub: installed in {prefix}; next: setup_hub.py instructor NAME --prefix {prefix}")


# --- accounts ----------------------------------------------------------------------------------

def ensure_group(name):
    try:
        grp.getgrnam(name)
    except KeyError:
        run(["groupadd", name])


def ensure_user(name, group=None, password=None):
    """Create system user `name` (home /home/NAME, bash) unless it exists; set the password."""
    if not name or not name.replace("-", "").replace("_", "").isalnum() or name[0] == "-":
        raise SetupError(f"not a valid user name: {name!r}")
    try:
        pwd.getpwnam(name)
    except KeyError:
        run(["useradd", "--create-home", "--shell", "/bin/bash", name])
        os.chmod(pwd.getpwnam(name).pw_dir, 0o700)  # nobody reads another's work (or the key)
    if group:
        run(["usermod", "--append", "--groups", group, name])
    if password:
        run(["chpasswd"], input=f"{name}:{password}\n")
    return pwd.getpwnam(name)


def chown_tree(path, user):
    for p in [path, *Path(path).rglob("*")]:
        os.lchown(p, user.pw_uid, user.pw_gid)


def instructor(args):
    settings = load_settings(args.prefix)
    user = ensure_user(args.name, password=read_password(args.password_file))
    course = Path(user.pw_dir) / "tinyml-course"
    if not (course / "assignments").exists():  # never overwrite an instructor's work
        course.mkdir(exist_ok=True)
        shutil.copytree(REPO / "assignments", course / "assignments",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        shutil.copytree(REPO / "tools", course / "tools",
                        ignore=shutil.ignore_patterns("__pycache__"))
        chown_tree(course, user)
    if args.name not in settings["instructors"]:
        settings["instructors"].append(args.name)
    settings.setdefault("grader", args.name)  # the Formgrader service's account
    settings.setdefault("course_dir", str(course / "assignments"))
    save_settings(settings)
    print(f"setup_hub: instructor {args.name}, course directory {course / 'assignments'}")


def read_password(path):
    return Path(path).read_text().strip() if path else None


def read_roster(path):
    """[(username, password or None)] from a CSV with a `username` and optional `password` column."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "username" not in rows[0]:
        raise SetupError(f"{path}: no `username` column (first line: username,password)")
    return [(r["username"].strip(), (r.get("password") or "").strip() or None) for r in rows]


def students(args):
    settings = load_settings(args.prefix)
    roster = read_roster(args.roster)
    for name, password in roster:
        ensure_user(name, group=settings["students_group"], password=password)
    print(f"setup_hub: {len(roster)} students in group {settings['students_group']}")


def start(args):
    """Replace this process with the hub, run in PREFIX/state."""
    settings = load_settings(args.prefix)
    os.chdir(settings["state"])
    hub = str(Path(settings["venv"]) / "bin" / "jupyterhub")
    os.execv(hub, [hub, "-f", str(Path(settings["prefix"]) / "jupyterhub_config.py"), *args.extra])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    i = sub.add_parser("install", help="environment, proxy, exchange, settings")
    i.add_argument("--python", default="/usr/bin/python3.11")
    i.add_argument("--venv", help="where the environment goes (default PREFIX/venv)")
    i.add_argument("--proxy-dir", help="where npm installs the proxy (default PREFIX/proxy)")
    i.add_argument("--course-id", dest="course_id")
    i.add_argument("--exchange")
    i.add_argument("--ip")
    for port in ["port", "hub_port", "proxy_api_port", "formgrader_port"]:
        i.add_argument("--" + port.replace("_", "-"), dest=port, type=int)
    i.add_argument("--students-group", dest="students_group")
    n = sub.add_parser("instructor", help="the instructor's account and course directory")
    n.add_argument("name")
    n.add_argument("--password-file")
    s = sub.add_parser("students", help="student accounts from a roster CSV")
    s.add_argument("roster")
    t = sub.add_parser("start", help="run the hub in the foreground (more options: jupyterhub's)")
    for q in [i, n, s, t]:
        q.add_argument("--prefix", default="/opt/tinyml-course")
    args, args.extra = p.parse_known_args(argv)
    if args.extra and args.command != "start":
        p.error(f"unrecognized arguments: {' '.join(args.extra)}")
    if os.geteuid() != 0:
        print("setup_hub: run as root (it creates users and runs the hub for them)", file=sys.stderr)
        return 2
    try:
        {"install": install, "instructor": instructor, "students": students,
         "start": start}[args.command](args)
    except SetupError as exc:
        print(f"setup_hub: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
