"""The MLPerf Tiny reference models deployed beside MLPerf Tiny's published results (Markdown).

    python scripts/mlperf_report.py                             # print the table (about 15 s)
    python scripts/mlperf_report.py --write-doc docs/deploy.md  # refresh the doc's table

Everything is in tinyml_course/deploy/mlperf_report.py; rerun --write-doc after a change to the
kernels or the cycle model (tests/test_mlperf_deploy.py checks the doc equals this output).
"""

import sys

from tinyml_course.deploy.mlperf_report import main

if __name__ == "__main__":
    sys.exit(main())
