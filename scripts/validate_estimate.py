"""Held-out check of the cycle ESTIMATE (deploy/cost.py) against TinyEngine's measured latencies,
and the three kernel tiers on mcunet-in1 beside TinyEngine's README.

    python scripts/validate_estimate.py [--write-doc docs/deploy.md]     (about two minutes)

Deploys every zoo network that TinyEngine's README measured on the STM32H743 (in place, at its
zoo resolution) with the tinyengine kernels (against the TinyEngine column) and the cmsis kernels
(against TFLM + CMSIS-NN), and mcunet-in1 with each tier; counts the instructions in the emulator
and estimates cycles with the cost table (``deploy/validation.py``). ONE scale factor for the
Cortex-M7 is fitted on ONE row, mcunet-in1 / tinyengine (56 ms measured); every other row is
predicted with it, and each error is reported. Nothing is tuned to a predicted row. Writes the
record ``tinyml_course/deploy/estimate_validation.json`` (what the docs' test and notebook 40
read); --write-doc replaces the two generated blocks of that file.
"""

import argparse
import sys
from pathlib import Path

from tinyml_course.deploy import validation
from tinyml_course.errors import SpecError


def _log(row):
    what = (f"{row['instructions']:,} instructions, est. {row['estimated_ms']:.1f} ms"
            if row["instructions"] is not None else row["note"])
    print(f"{row['model']} {row['kernels']}: {what}", file=sys.stderr, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-doc", metavar="FILE")
    parser.add_argument("--from-record", action="store_true",
                        help="render the shipped record instead of deploying again")
    args = parser.parse_args(argv)
    if args.from_record:
        record = validation.load_record()
    else:
        validation.write_record(validation.measure_rows(_log), validation.measure_tiers(_log))
        record = validation.load_record()
    blocks = [validation.validation_table(record["rows"]), validation.tiers_table(record["tiers"])]
    print("\n\n".join("\n".join(lines) for lines in blocks))
    if args.write_doc:
        path = Path(args.write_doc)
        text = path.read_text()
        for lines in blocks:
            try:
                text = validation.replace_block(text, lines)
            except SpecError as err:
                raise SystemExit(f"{path}: {err}") from None
        path.write_text(text)


if __name__ == "__main__":
    main()
