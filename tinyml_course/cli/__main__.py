"""``python -m tinyml_course.cli``: the same as the ``tinyml-course`` command."""
import sys

from .main import main

sys.exit(main())
