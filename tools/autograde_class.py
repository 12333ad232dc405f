#!/usr/bin/env python3
"""The grading command under its old name: `python ../tools/autograde_class.py ASSIGNMENT` is
`tinyml-course-grade ASSIGNMENT` (tinyml_course_grading/grade_command.py, installed with the
course: `python3 course.py lab` or `pip install .[lab]`). docs/grading.md explains it.
"""
import sys

try:
    from tinyml_course_grading.grade_command import main
except ImportError as exc:  # this Python has no install of the course
    sys.exit(f"autograde_class.py: {exc}: run it with the Python the course is installed in "
             "(`source .venv/bin/activate` after `python3 course.py lab`)")

if __name__ == "__main__":
    sys.exit(main())
