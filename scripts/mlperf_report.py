"""The MLPerf Tiny reference models deployed beside MLPerf Tiny's published results (Markdown).

    python scripts/mlperf_report.py                             # print the table (about 30 s)
    python scripts/mlperf_report.py --write-doc docs/deploy.md  # refresh the doc's table
    python scripts/mlperf_report.py --from-record               # render the shipped record

Everything is in tinyml_course/deploy/mlperf_report.py. A run writes the record
tinyml_course/deploy/mlperf_report.json; rerun --write-doc after a change to the kernels or the
cycle model (tests/test_deploy_docs_tables.py checks the doc equals the record's Markdown,
tests/test_mlperf_deploy.py that the record equals a fresh run).
"""

import sys

from tinyml_course.deploy.mlperf_report import main

if __name__ == "__main__":
    sys.exit(main())
