"""nbgrader settings of the lecture server only (course.py lab puts this folder on
JUPYTER_CONFIG_PATH; the course's own settings stay in assignments/nbgrader_config.py).

Formgrader lists each assignment's release status in the exchange directory and answers 500
when the default one (/usr/local/share/nbgrader/exchange) is missing or not writable; course.py
makes a private one and passes it in TINYML_COURSE_EXCHANGE.
"""
import os

c = get_config()  # noqa: F821  (injected by traitlets when it loads this file)

if os.environ.get("TINYML_COURSE_EXCHANGE"):
    c.Exchange.root = os.environ["TINYML_COURSE_EXCHANGE"]
