"""Measure the compression-with-stakes table (notebook 30) and write it next to the supernet.

    python scripts/measure_stakes.py [--out PATH] [--rows LABEL ...]

Runs ``nas.stakes.measure_stakes()`` (the compression lecture's ``compress_model`` on the largest
24 px subnet for the nRF52832: float32, int8, 25% of the channels pruned + int8, then fine-tuned;
about 5 minutes on a busy 2-core machine) and writes tinyml_course/nas/weights/stakes_results.json,
which ``tests/test_stakes.py`` re-measures. ``--rows`` measures only the rows named (labels of
``stakes.ROWS``) and keeps the file's other rows (two processes can then share the 2 cores).
"""

import argparse
import json
import time

from tinyml_course.nas import stakes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(stakes.RESULTS_PATH), help="the JSON file to write")
    parser.add_argument("--rows", nargs="+", choices=list(stakes.ROWS), default=None,
                        help="measure only these rows, keep the file's others")
    args = parser.parse_args()
    start = time.perf_counter()
    results = stakes.measure_stakes(args.rows)
    if args.rows:
        kept = stakes.shipped_results(args.out)  # re-read now: another process may have written
        results = {label: results.get(label, kept.get(label)) for label in stakes.ROWS
                   if label in results or label in kept}
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    for label, r in results.items():
        a = r["after"]
        print(f"{label:<28}{100 * a['accuracy']:6.1f}%  SRAM {a['peak_sram_bytes']:>9,} B  Flash "
              f"{a['flash_bytes']:>11,} B  fits: {r['fits']['both']}  ({r['seconds']:.0f} s)")
    print(f"{time.perf_counter() - start:.0f} s -> {args.out}")


if __name__ == "__main__":
    main()
