"""Drive the course's JupyterHub (deploy/jupyterhub/) as its users would, over HTTP, as root.

    accounts = Accounts(prefix="tmlc1a2b")          # throwaway system users, removed by .remove()
    hub = Hub(prefix_dir, env)                       # setup_hub.py's prefix; .start() / .stop()
    me = hub.login("tmlc1a2bs1", password)           # PAM login -> a User with an API token
    me.start_server(); me.assignments(); me.fetch("sram_accounting"); me.submit("sram_accounting")
    hub.run_as("tmlc1a2bi", ["nbgrader", "collect", "sram_accounting"], cwd=course_dir)

Everything the hub starts is stopped by process id: the hub (and its process group), the proxy
(its pid file), every user server and service (the hub's records, then any process left of
the throwaway users).
"""
import json
import os
import pwd
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
SETUP = REPO / "deploy" / "jupyterhub" / "setup_hub.py"


class HubError(RuntimeError):
    """The hub or a user's server did not do what was asked (the reply is in the message)."""


def free_ports(n):
    """`n` distinct TCP ports that were free on 127.0.0.1 a moment ago."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def setup(*args, env=None, timeout=1800):
    """Run setup_hub.py ARGS with this machine's python3; raise HubError on failure."""
    proc = subprocess.run(["/usr/bin/python3", str(SETUP), *map(str, args)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise HubError(f"setup_hub.py {args[0]} exited {proc.returncode}: {proc.stdout[-3000:]}")
    return proc.stdout


class Accounts:
    """Throwaway system users named PREFIX + suffix; remove() deletes them and their homes."""

    def __init__(self, prefix=None):
        self.prefix = prefix or "tmlc" + secrets.token_hex(3)
        self.group = self.prefix + "-students"

    def name(self, suffix):
        return self.prefix + suffix

    def existing(self):
        return [p.pw_name for p in pwd.getpwall() if p.pw_name.startswith(self.prefix)]

    def uids(self):
        return {p.pw_uid for p in pwd.getpwall() if p.pw_name.startswith(self.prefix)}

    def remove(self):
        for name in self.existing():  # each user's own group goes with it
            subprocess.run(["userdel", "--remove", name], capture_output=True)
        subprocess.run(["groupdel", self.group], capture_output=True)


def _processes_of(uids):
    """Pids of every process whose real uid is in `uids` (read from /proc)."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if d.stat().st_uid in uids:
                    pids.append(int(d.name))
            except OSError:
                pass
    return pids


def _kill(pid, sig):
    for target in (lambda: os.killpg(pid, sig), lambda: os.kill(pid, sig)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass


class Hub:
    """The hub of setup_hub.py's prefix `prefix`, started by start() and stopped by stop()."""

    def __init__(self, prefix):
        self.prefix = Path(prefix)
        self.settings = json.loads((self.prefix / "hub.json").read_text())
        self.url = f"http://127.0.0.1:{self.settings['port']}"
        self.proc = None
        self.log_path = self.prefix / "hub.log"

    # --- the hub's process -------------------------------------------------------------------

    def start(self, timeout=120):
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}  # nothing of the test's environment
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", str(SETUP), "start", "--prefix", str(self.prefix)],
            env=env, stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise HubError(f"the hub exited {self.proc.returncode}: {self.log()[-3000:]}")
            try:
                if requests.get(self.url + "/hub/api", timeout=5).ok:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        raise HubError(f"the hub did not answer within {timeout} s: {self.log()[-3000:]}")

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def server_pids(self):
        """Pids of the user servers the hub recorded (its database's spawner state)."""
        import sqlite3

        db = Path(self.settings["state"]) / "jupyterhub.sqlite"
        if not db.exists():
            return []
        with sqlite3.connect(db) as con:
            rows = con.execute("select state from spawners").fetchall()
        return [json.loads(r[0]).get("pid") for r in rows if r[0] and json.loads(r[0]).get("pid")]

    def stop(self, uids=(), timeout=30):
        """SIGTERM the hub (it stops the servers, the service and the proxy), then SIGKILL by pid
        whatever is left: the hub's group, the proxy, the recorded servers, the users' processes."""
        pids = set(self.server_pids())
        pidfile = Path(self.settings["state"]) / "proxy.pid"
        if pidfile.exists():
            pids.add(int(pidfile.read_text().strip() or 0))
        if self.proc is not None and self.proc.poll() is None:
            _kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        if self.proc is not None:
            pids.add(self.proc.pid)
        pids |= set(_processes_of(set(uids)))
        for pid in pids - {0}:
            _kill(pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout)
        left = _processes_of(set(uids))
        return left

    # --- users -------------------------------------------------------------------------------

    def login(self, name, password):
        """Log in through the hub's login form (PAM); return a User holding an API token."""
        session = requests.Session()
        session.get(self.url + "/hub/login", timeout=30)
        reply = session.post(self.url + "/hub/login?next=", timeout=60, allow_redirects=False,
                             data={"username": name, "password": password,
                                   "_xsrf": session.cookies.get("_xsrf", "")})
        if reply.status_code != 302:
            raise HubError(f"login of {name} refused: HTTP {reply.status_code}")
        # the login made the hub know the user; a token asked for with the password, cookieless
        token = requests.post(self.url + f"/hub/api/users/{name}/tokens", timeout=60,
                             data=json.dumps({"auth": {"username": name, "password": password},
                                              "note": "hub e2e test"}))
        if token.status_code != 201:
            raise HubError(f"no token for {name}: HTTP {token.status_code} {token.text[:300]}")
        return User(self, name, token.json()["token"])

    def run_as(self, user, argv, cwd, timeout=900):
        """Run `argv` (a command of the course environment's bin/) as system user `user` in
        `cwd`, with the environment a user's server has; return (exit status, output)."""
        pw = pwd.getpwnam(user)
        venv = Path(self.settings["venv"])
        env = {"HOME": pw.pw_dir, "USER": user, "LANG": "C.UTF-8",
               "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
               "JUPYTER_CONFIG_PATH": str(self.prefix / "etc" / "jupyter")}
        exe = str(venv / "bin" / argv[0]) if (venv / "bin" / argv[0]).exists() else argv[0]
        proc = subprocess.run([exe, *map(str, argv[1:])], cwd=cwd, env=env, user=pw.pw_uid,
                              group=pw.pw_gid, extra_groups=[], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout)
        return proc.returncode, proc.stdout


class User:
    """One logged-in user: their token, their server (through the hub's proxy)."""

    def __init__(self, hub, name, token):
        self.hub, self.name, self.token = hub, name, token
        self.headers = {"Authorization": f"token {token}"}

    def api(self, method, path, **kw):
        """A call of the hub's REST API with this user's token."""
        return requests.request(method, self.hub.url + "/hub/api" + path, headers=self.headers,
                                timeout=60, **kw)

    def get(self, url_path, **kw):
        """GET a path under the hub's public URL (a server's, a service's) with the token."""
        return requests.get(self.hub.url + url_path, headers=self.headers, timeout=60,
                            allow_redirects=False, **kw)

    def start_server(self, timeout=180):
        """Ask the hub to start this user's server and wait until it is ready."""
        return self.request_server().wait_for_server(timeout)

    def request_server(self):
        """Ask the hub to start this user's server (several users' servers start side by side)."""
        reply = self.api("POST", f"/users/{self.name}/server")
        if reply.status_code not in (201, 202, 400):  # 400: already running
            raise HubError(f"{self.name}: server not started: {reply.status_code} {reply.text[:300]}")
        return self

    def wait_for_server(self, timeout=180):
        deadline = time.time() + timeout
        while time.time() < deadline:
            model = self.api("GET", f"/users/{self.name}").json()
            server = (model.get("servers") or {}).get("", {})
            if server.get("ready"):
                return self
            time.sleep(1)
        raise HubError(f"{self.name}: server not ready in {timeout} s: {self.hub.log()[-3000:]}")

    def server(self, method, path, **kw):
        """A call of this user's own server (e.g. 'assignments', 'api/contents/x')."""
        url = f"{self.hub.url}/user/{self.name}/{path}"
        return requests.request(method, url, headers=self.headers, timeout=300, **kw)

    # --- nbgrader's assignment_list extension: what the Assignments tab does ----------------

    def _assignment_call(self, method, action, course_id, assignment_id=None):
        path = "assignments" + (f"/{action}" if action else "")
        params = {"course_id": course_id}
        if assignment_id:
            params["assignment_id"] = assignment_id
        reply = self.server(method, path, params=params)
        if reply.status_code != 200:
            raise HubError(f"{self.name}: {path} -> HTTP {reply.status_code} {reply.text[:300]}")
        body = reply.json()
        if not body.get("success"):
            raise HubError(f"{self.name}: {path} failed: {str(body.get('value'))[-1000:]}")
        return body["value"]

    def assignments(self, course_id):
        return self._assignment_call("GET", None, course_id)

    def fetch(self, course_id, assignment_id):
        return self._assignment_call("POST", "fetch", course_id, assignment_id)

    def submit(self, course_id, assignment_id):
        return self._assignment_call("POST", "submit", course_id, assignment_id)

    def fetch_feedback(self, course_id, assignment_id):
        return self._assignment_call("POST", "fetch_feedback", course_id, assignment_id)

    # --- the contents API: what saving a notebook in Lab does ----------------------------------

    def read_notebook(self, path):
        reply = self.server("GET", f"api/contents/{path}", params={"content": 1})
        if reply.status_code != 200:
            raise HubError(f"{self.name}: cannot read {path}: HTTP {reply.status_code}")
        return reply.json()["content"]

    def save_notebook(self, path, nb):
        reply = self.server("PUT", f"api/contents/{path}",
                            data=json.dumps({"type": "notebook", "format": "json", "content": nb}))
        if reply.status_code not in (200, 201):
            raise HubError(f"{self.name}: cannot save {path}: "
                           f"HTTP {reply.status_code} {reply.text[:300]}")

    def listing(self, path=""):
        reply = self.server("GET", f"api/contents/{path}")
        return [item["path"] for item in reply.json().get("content", [])] if reply.ok else []


def python_for_hub():
    """The interpreter the hub's environment is built from (setup_hub.py install --python)."""
    return os.environ.get("TINYML_HUB_PYTHON", "/usr/bin/python3.11")
