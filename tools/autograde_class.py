#!/usr/bin/env python3
"""Autograde a whole class, every student's code sandboxed (the tool lives in tools/grading/).

    cd assignments                      # the nbgrader course directory
    python ../tools/autograde_class.py sram_accounting [--jobs 2] [--timeout 600]
    nbgrader generate_feedback sram_accounting && nbgrader export

docs/grading.md explains what it guarantees and how to grade 300 students.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from grading.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
