"""JupyterHub for one class of the tinyml-course (JupyterHub 5+, nbgrader 0.9), run as root.

Reads the settings file `hub.json` beside it (written by setup_hub.py; $TINYML_HUB_SETTINGS
names another). What it sets up:

- PAM login for the system accounts of the students' group and the instructors; each user's
  server runs as that user (LocalProcessSpawner) from the course environment (the venv's
  jupyterhub-singleuser, its Python kernel, the course package), in their home, opening Lab.
- nbgrader: every server finds the global nbgrader config (course id, exchange root) through
  JUPYTER_CONFIG_PATH=PREFIX/etc/jupyter. A student's server also reads PREFIX/etc/student,
  which turns Formgrader and Create Assignment off there (server and Lab extensions), so a
  student sees only the Assignments and Courses lists (fetch, submit, fetch feedback).
- Formgrader as a hub service named after the course id (nbgrader's course list looks for it
  at /services/<course_id>), run as the grader account in the course directory, reachable only
  by members of the hub group `formgrade-<course_id>` (the instructors).
"""
import json
import os
from pathlib import Path

c = get_config()  # noqa: F821  (injected by traitlets)

SETTINGS = Path(os.environ.get("TINYML_HUB_SETTINGS", Path(__file__).resolve().with_name("hub.json")))
s = json.loads(SETTINGS.read_text())
prefix, venv, state = Path(s["prefix"]), Path(s["venv"]), Path(s["state"])
course = s["course_id"]
instructors = set(s["instructors"])
grader = s.get("grader")

# --- the hub and its proxy -----------------------------------------------------------------------
c.JupyterHub.ip = s["ip"]
c.JupyterHub.port = s["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = s["hub_port"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [s["proxy"]]
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")

# --- who may log in ----------------------------------------------------------------------------
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {s["students_group"]}
c.Authenticator.allowed_users = instructors
c.Authenticator.admin_users = instructors

# --- every user's server: the course environment -------------------------------------------------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(venv / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.env_keep = ["LANG", "LC_ALL"]  # nothing else of root's environment
COURSE_ENV = {"PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
              "VIRTUAL_ENV": str(venv)}
c.Spawner.environment = COURSE_ENV
c.Spawner.http_timeout = 120  # a first Lab start on a busy machine
c.Spawner.start_timeout = 120


def config_path(username):
    """JUPYTER_CONFIG_PATH of a user's server: the students' overrides first (higher priority)."""
    dirs = [prefix / "etc" / "jupyter"]
    if username not in instructors:
        dirs.insert(0, prefix / "etc" / "student")
    return os.pathsep.join(map(str, dirs))


def pre_spawn_hook(spawner):
    spawner.environment = {**COURSE_ENV, "JUPYTER_CONFIG_PATH": config_path(spawner.user.name)}


c.Spawner.pre_spawn_hook = pre_spawn_hook

# --- Formgrader: a service for the instructors only ----------------------------------------------
c.JupyterHub.load_groups = {f"formgrade-{course}": {"users": sorted(instructors)}}
c.JupyterHub.load_roles = [
    {"name": f"formgrade-{course}", "groups": [f"formgrade-{course}"],
     "scopes": [f"access:services!service={course}"]},
    # a server's own token acts for its user (nbgrader's course list asks the hub for services)
    {"name": "server", "scopes": ["inherit"]},
]
if grader and s.get("course_dir"):
    c.JupyterHub.services = [{
        "name": course,
        "url": f"http://127.0.0.1:{s['formgrader_port']}",
        "command": [str(venv / "bin" / "jupyterhub-singleuser"), f"--port={s['formgrader_port']}"],
        "user": grader,
        "cwd": s["course_dir"],
        "environment": {**COURSE_ENV, "JUPYTER_CONFIG_PATH": config_path(grader),
                        "JUPYTERHUB_DEFAULT_URL": "/lab"},
        "oauth_no_confirm": True,
    }]
