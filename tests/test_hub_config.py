"""The hub's configuration without a hub (fast, any user): deploy/jupyterhub/ and deploy/kubernetes/.

The config files are executed as JupyterHub and nbgrader execute them (a traitlets Config from
`get_config()`), on a settings file written here. The end-to-end test is tests/test_hub_e2e.py.
"""
import importlib.util
import json
import types
from pathlib import Path

import pytest
import yaml
from traitlets.config import Config

from conftest import REPO

DEPLOY = REPO / "deploy"
SETTINGS = {"course_id": "tinyml-course", "exchange": "/srv/nbgrader/exchange", "ip": "127.0.0.1",
            "port": 18000, "hub_port": 18081, "proxy_api_port": 18001, "formgrader_port": 18999,
            "students_group": "tinyml-students", "instructors": ["prof"], "grader": "prof",
            "course_dir": "/home/prof/tinyml-course/assignments", "prefix": "/opt/tc",
            "venv": "/opt/tc/venv", "state": "/opt/tc/state", "proxy": "/opt/tc/proxy/chp"}


def load_setup():
    spec = importlib.util.spec_from_file_location("setup_hub", DEPLOY / "jupyterhub" / "setup_hub.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_config_text(text, filename="<config>"):
    """Execute a traitlets config file's text as JupyterHub and nbgrader do; return its Config."""
    c = Config()
    exec(compile(text, filename, "exec"), {"get_config": lambda: c, "__file__": filename})
    return c


def run_config(path):
    return run_config_text(Path(path).read_text(), str(path))


@pytest.fixture
def hub_config(tmp_path, monkeypatch):
    settings = tmp_path / "hub.json"
    settings.write_text(json.dumps(SETTINGS))
    monkeypatch.setenv("TINYML_HUB_SETTINGS", str(settings))
    return run_config(DEPLOY / "jupyterhub" / "jupyterhub_config.py")


def spawn_env(config, name):
    spawner = types.SimpleNamespace(user=types.SimpleNamespace(name=name), environment={})
    config.Spawner.pre_spawn_hook(spawner)
    return spawner.environment


def test_servers_run_the_course_environment_with_the_students_overrides(hub_config):
    """Does every server run the venv's jupyterhub-singleuser, and does only a student's read
    the overrides that turn Formgrader off?"""
    assert hub_config.Spawner.cmd == ["/opt/tc/venv/bin/jupyterhub-singleuser"]
    student, prof = spawn_env(hub_config, "ann"), spawn_env(hub_config, "prof")
    assert student["JUPYTER_CONFIG_PATH"] == "/opt/tc/etc/student:/opt/tc/etc/jupyter"
    assert prof["JUPYTER_CONFIG_PATH"] == "/opt/tc/etc/jupyter"
    assert student["PATH"].startswith("/opt/tc/venv/bin:")
    overrides = DEPLOY / "jupyterhub" / "config" / "student"
    server = json.loads((overrides / "jupyter_server_config.d" / "tinyml-student.json").read_text())
    assert server["ServerApp"]["jpserver_extensions"] == \
        {"nbgrader.server_extensions.formgrader": False}
    lab = json.loads((overrides / "labconfig" / "page_config.json").read_text())
    assert set(lab["disabledExtensions"]) == {"@jupyter/nbgrader:formgrader",
                                              "@jupyter/nbgrader:create-assignment"}


def test_formgrader_is_a_service_of_the_instructors(hub_config):
    """Is Formgrader a service named after the course, run as the grader in the course
    directory, and is the instructors' group the only one given access to it?"""
    (service,) = hub_config.JupyterHub.services
    assert (service["name"], service["user"], service["cwd"]) == \
        ("tinyml-course", "prof", SETTINGS["course_dir"])
    assert service["url"] == "http://127.0.0.1:18999"
    access = [r for r in hub_config.JupyterHub.load_roles
              if "access:services!service=tinyml-course" in r["scopes"]]
    assert [r["groups"] for r in access] == [["formgrade-tinyml-course"]]
    assert hub_config.JupyterHub.load_groups == {"formgrade-tinyml-course": {"users": ["prof"]}}
    assert hub_config.PAMAuthenticator.allowed_groups == {"tinyml-students"}


def test_global_nbgrader_config_reads_the_settings(tmp_path):
    """Does PREFIX/etc/jupyter/nbgrader_config.py take course id and exchange from PREFIX/hub.json?"""
    (tmp_path / "etc" / "jupyter").mkdir(parents=True)
    (tmp_path / "hub.json").write_text(json.dumps(dict(SETTINGS, exchange="/x/exchange")))
    target = tmp_path / "etc" / "jupyter" / "nbgrader_config.py"
    target.write_text((DEPLOY / "jupyterhub" / "nbgrader_config.py").read_text())
    c = run_config(target)
    assert (c.CourseDirectory.course_id, c.Exchange.root) == ("tinyml-course", "/x/exchange")


def test_kubernetes_values_match_the_one_machine_setup():
    """Do the Kubernetes files parse, and name the course id, exchange path, service and role of
    the one-machine setup, with the exchange on a ReadWriteMany volume?"""
    setup = load_setup()
    k8s = DEPLOY / "kubernetes"
    values = yaml.safe_load((k8s / "z2jh-values.yaml").read_text())
    shared = list(yaml.safe_load_all((k8s / "exchange.yaml").read_text()))
    formgrader = list(yaml.safe_load_all((k8s / "formgrader.yaml").read_text()))
    course, exchange = setup.DEFAULTS["course_id"], setup.DEFAULTS["exchange"]
    assert course in values["hub"]["services"]
    assert values["hub"]["loadRoles"][f"formgrade-{course}"]["scopes"] == \
        [f"access:services!service={course}"]
    mounts = {m["name"]: m["mountPath"] for m in values["singleuser"]["storage"]["extraVolumeMounts"]}
    assert mounts["nbgrader-exchange"] == exchange
    claim = next(d for d in shared if d["kind"] == "PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    nbconfig = next(d for d in shared if d["kind"] == "ConfigMap")["data"]["nbgrader_config.py"]
    c = run_config_text(nbconfig)
    assert (c.CourseDirectory.course_id, c.Exchange.root) == (course, exchange)
    deployment = next(d for d in formgrader if d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["JUPYTERHUB_SERVICE_NAME"] == course
    assert values["hub"]["services"][course]["url"].endswith(":9999")


def test_roster_needs_a_username_column(tmp_path):
    """Does a roster without a `username` column stop the setup with one line naming it?"""
    setup = load_setup()
    roster = tmp_path / "roster.csv"
    roster.write_text("name,password\nann,x\n")
    with pytest.raises(setup.SetupError, match="no `username` column"):
        setup.read_roster(roster)
    roster.write_text("username,password\nann,pw1\nbob,\n")
    assert setup.read_roster(roster) == [("ann", "pw1"), ("bob", None)]


def test_environment_hash_follows_the_package(tmp_path):
    """Does the environment's hash change when a package file changes, and only then?"""
    setup = load_setup()
    (tmp_path / "tinyml_course").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    (tmp_path / "tinyml_course" / "a.py").write_text("x = 1\n")
    first = setup.env_hash("/usr/bin/python3.11", tmp_path)
    assert setup.env_hash("/usr/bin/python3.11", tmp_path) == first
    (tmp_path / "tinyml_course" / "a.py").write_text("x = 2\n")
    assert setup.env_hash("/usr/bin/python3.11", tmp_path) != first
