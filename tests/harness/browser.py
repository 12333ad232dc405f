"""A JupyterLab server and a headless Chromium for the real-browser tests (tests/test_browser.py).

One server per test module, started the way `course.py lab` starts it (course.lab_command), on
a free port, in a throwaway root holding copies of notebooks/ and instructor/ (so running cells
in the browser never rewrites the repository's notebooks), with this run's hermetic Jupyter
dirs; stopped by its process group id. Chromium is Debian's (`apt-get install chromium`),
driven by Playwright's Python package.
"""
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .env import subprocess_env

REPO = Path(__file__).resolve().parents[2]
# JupyterLab user settings for the test browser: render every cell (no windowing, so every
# prompt and output is in the page), no news pop-up
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
}
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HOW_TO_ENABLE = ("browser tests skipped: they need Debian's chromium and the playwright package "
                 "(as root `.ci/run` installs chromium; elsewhere `apt-get install chromium`, "
                 "then `python3 course.py test tests/test_browser.py`)")


def chromium_path():
    """Path of a chromium executable on PATH, or None."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def missing_requirement():
    """None when the browser tests can run here, else the one line saying how to enable them."""
    if importlib.util.find_spec("playwright") is None or chromium_path() is None:
        return HOW_TO_ENABLE
    return None


def _course_module():
    spec = importlib.util.spec_from_file_location("course", REPO / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """JupyterLab on 127.0.0.1:``port`` with token ``token``, root ``root``; use as a context."""

    def __init__(self, root, token="tinyml-course-browser-test", timeout=90, grading=False,
                 config_path=None):
        """``grading``: the server of ``course.py lab --grading`` (Create Assignment, Validate);
        else the lecture view's. ``config_path``: a Jupyter config folder read too (a student's
        .venv)."""
        self.root, self.token, self.timeout, self.grading = Path(root), token, timeout, grading
        self.config_path = config_path
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.log_path = self.root.parent / "lab-server.log"

    def url(self, path):
        """URL of ``path`` (e.g. 'lab/tree/notebooks/00_why_tinyml.ipynb') with the token."""
        sep = "&" if "?" in path else "?"
        return f"{self.base}/{path}{sep}token={self.token}"

    def __enter__(self):
        for folder in ("notebooks", "instructor"):
            shutil.copytree(REPO / folder, self.root / folder,
                            ignore=shutil.ignore_patterns("*.py", ".ipynb_checkpoints"),
                            dirs_exist_ok=True)
        course = _course_module()
        cmd, env, _ = course.lab_command(
            sys.executable, ["--no-browser", f"--port={self.port}", "--ServerApp.ip=127.0.0.1",
                             f"--IdentityProvider.token={self.token}",
                             "--LabApp.news_url=", "--LabApp.check_for_updates_class="
                             "jupyterlab.NeverCheckForUpdate"],
            env=subprocess_env(TINYML_COURSE_EXCHANGE=self.root.parent / "exchange",
                               **({"JUPYTER_CONFIG_PATH": str(self.config_path)}
                                  if self.config_path else {})),
            root=self.root, grading=self.grading)
        self._log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                urllib.request.urlopen(self.url("api/status"), timeout=2)
                self._settings()
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.3)
        tail = self.log_tail()
        self.__exit__()
        raise RuntimeError(f"JupyterLab did not start:\n{tail}")

    def _settings(self):
        for plugin, values in LAB_SETTINGS.items():
            body = json.dumps({"raw": json.dumps(values)}).encode()
            request = urllib.request.Request(self.url(f"lab/api/settings/{plugin}"), data=body,
                                             method="PUT",
                                             headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=10)

    def log_tail(self, chars=3000):
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()[-chars:]

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the server and the kernels it started
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)
        self._log.close()
        return False
