"""Global nbgrader config of the course's JupyterHub: every server and the instructor's commands
find it through JUPYTER_CONFIG_PATH=PREFIX/etc/jupyter (setup_hub.py copies it there).

The course id and the exchange root come from PREFIX/hub.json (setup_hub.py install). The
instructor's course directory has its own nbgrader_config.py (assignments/) on top of this.
"""
import json
from pathlib import Path

c = get_config()  # noqa: F821  (injected by traitlets)
_settings = json.loads((Path(__file__).resolve().parents[2] / "hub.json").read_text())

c.CourseDirectory.course_id = _settings["course_id"]
c.Exchange.root = _settings["exchange"]
