"""Measure the compression-with-stakes table and block scan (notebook 30), next to the supernet.

    python scripts/measure_stakes.py [--out PATH] [--rows LABEL ...]
    python scripts/measure_stakes.py --scan [--cuts NAME ...] [--out PATH]
    python scripts/measure_stakes.py --sample [--out PATH]

Without ``--scan``: ``nas.stakes.measure_stakes()`` (the compression lecture's ``compress_model``
on the largest 24 px subnet for the nRF52832: float32, int8, the peak block cut + int8; on the
2,500 held-out 'test' images) into tinyml_course/nas/weights/stakes_results.json.
With ``--scan``: ``nas.stakes.block_scan()`` (25% of one block, or of every block, cut, without
and with recalibration; on the 2,500 'val' images) into weights/stakes_scan.json.
With ``--sample``: the fitting row on the first quarter of the held-out images
(``stakes.SAMPLE_ROW``, ``SAMPLE_PART``) into weights/stakes_sample.json: what the default test
run re-measures (``tests/test_stakes.py``; the whole table and scan under ``-m remeasure``).

Resumable in pieces: ``--rows`` (labels of ``stakes.ROWS``) or ``--cuts`` (names of
``stakes.scan_cuts``) measure only those and keep the file's others, re-read just before
writing, so each piece is a checkpoint (a cut: about 30 s). ``--part I K`` measures the rows on
the I-th (0-based) of K shares of the held-out images only and keeps it in PATH's
``.parts.json`` file; once a row's K parts are there they are joined (``stakes.combine``) into
PATH and the parts file loses them (an int8 row: about 4 minutes in one piece on a quiet 2-core
machine; in 4 parts, 5.5 to 11 minutes each at load 8-11).
"""

import argparse
import fcntl
import json
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from tinyml_course.nas import stakes


def merged(fresh, path, order):
    """``fresh`` over the entries already in ``path`` (if it exists), the keys of ``order`` only
    (a row no longer measured is dropped), in that order."""
    kept = json.loads(Path(path).read_text()) if Path(path).exists() else {}
    both = {**kept, **fresh}
    return {key: both[key] for key in order if key in both}


@contextmanager
def one_writer(out):
    """An exclusive lock, for ``out``, on a file in the temporary directory while the block runs."""
    name = "measure_stakes-" + Path(out).resolve().as_posix().replace("/", "_") + ".lock"
    with open(Path(tempfile.gettempdir()) / name, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def write(results, out):
    with open(out, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")


def joined_parts(results, part, out):
    """Keep part (i, k) of each row of ``results`` in ``out``'s parts file; return the rows
    whose k parts are all there, joined (``stakes.combine``), and drop them from the file."""
    path = Path(out).with_suffix(".parts.json")
    parts = json.loads(path.read_text()) if path.exists() else {}
    (i, k), complete = part, {}
    for label, result in results.items():
        row = parts.setdefault(f"{label} / {k}", {})
        row[str(i)] = result
        if len(row) == k:
            complete[label] = stakes.combine([row[str(j)] for j in range(k)])
            del parts[f"{label} / {k}"]
    if parts:
        path.write_text(json.dumps(parts, indent=1) + "\n")
    elif path.exists():
        path.unlink()
    print(f"part {i} of {k}: " + ", ".join(f"{label} {100 * r['after']['accuracy']:.1f}% on "
                                            f"{r['examples']} images" for label, r in results.items()))
    return complete


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="the JSON file to write")
    parser.add_argument("--rows", nargs="+", choices=list(stakes.ROWS), default=None,
                        help="measure only these rows, keep the file's others")
    parser.add_argument("--part", nargs=2, type=int, metavar=("I", "K"), default=None,
                        help="measure on the I-th of K shares of the held-out images only")
    parser.add_argument("--scan", action="store_true", help="measure the block scan instead")
    parser.add_argument("--sample", action="store_true",
                        help="measure the test run's sample (the fitting row, a quarter) instead")
    parser.add_argument("--cuts", nargs="+", default=None,
                        help="with --scan: measure only these cuts (block0..., 'every block')")
    args = parser.parse_args()
    start = time.perf_counter()
    if args.sample:
        out = args.out or str(stakes.SAMPLE_PATH)
        results = stakes.measure_stakes([stakes.SAMPLE_ROW], stakes.SAMPLE_PART)
        write(results, out)
        lines = [f"{label}: {100 * r['after']['accuracy']:.2f}% on {r['examples']} images "
                 f"({r['seconds']:.0f} s)" for label, r in results.items()]
    elif args.scan:
        out = args.out or str(stakes.SCAN_PATH)
        try:
            scan = stakes.block_scan(args.cuts)
        except ValueError as err:
            parser.error(str(err))
        order = ["examples", "ratio", "uncut", *stakes.scan_cuts(stakes.STAKES_ARCH.network())]
        results = merged(scan, out, order) if args.cuts else scan
        lines = [f"{name:<14}{100 * r['plain']:6.1f}% plain  {100 * r['recalibrated']:6.1f}% "
                 "recalibrated" for name, r in results.items() if isinstance(r, dict)]
        write(results, out)
    else:
        out = args.out or str(stakes.RESULTS_PATH)
        try:
            results = stakes.measure_stakes(args.rows, args.part and tuple(args.part))
        except ValueError as err:
            parser.error(str(err))
        with one_writer(out):  # two pieces may run side by side: one reads and writes at a time
            if args.part:
                results = joined_parts(results, args.part, out)
            if args.rows or args.part:
                results = merged(results, out, list(stakes.ROWS))
            write(results, out)
        lines = [f"{label:<36}{100 * r['after']['accuracy']:6.1f}%  SRAM "
                 f"{r['after']['peak_sram_bytes']:>9,} B  Flash {r['after']['flash_bytes']:>11,} B"
                 f"  fits: {r['fits']['both']}  ({r['seconds']:.0f} s)" for label, r in results.items()]
    print("\n".join(lines))
    print(f"{time.perf_counter() - start:.0f} s -> {out}")


if __name__ == "__main__":
    main()
