"""Linear and k-means (codebook) quantization of weights.

Linear quantization (``q = clamp(round(r / scale) + zero_point, qmin, qmax)``; symmetric for
weights, asymmetric for activations, per tensor or per output channel) is defined in
``runtime.qscheme``, which the int8 runtime shares; this module applies it to weights and adds
what compression needs: per-channel weight parameters, fake quantization and Flash sizes.
K-means quantization replaces every weight by the nearest of 2^bits shared float32 centroids; Flash
holds a ``bits``-bit index per weight plus the codebook. The Flash of either is
``storage.model_storage``'s (the cheapest storage of the quantized values, layer by layer).
"""

import numpy as np

from ..errors import SpecError
from ..runtime.qscheme import (  # noqa: F401  (re-exported: the scheme is this module's API too)
    MAX_BITS, MIN_BITS, _expand, check_bits, dequantize, linear_qparams, qrange, quantize,
    round_half_away)
from .storage import compressed_flash_bytes


def tensor_qparams(w, bits=8, symmetric=True, per_channel=True):
    """Scale and zero point of weight tensor ``w``: arrays of shape (C_out,) if per_channel, else 0-d."""
    w = np.asarray(w, np.float64)
    if per_channel:
        flat = w.reshape(w.shape[0], -1)  # (Cout, rest)
        return linear_qparams(flat.min(axis=1), flat.max(axis=1), bits, symmetric)
    return linear_qparams(w.min(), w.max(), bits, symmetric)


def fake_quantize(w, bits=8, symmetric=True, per_channel=True):
    """Quantize then dequantize ``w`` (float32 out): the values the quantized model really uses."""
    scale, zero_point = tensor_qparams(w, bits, symmetric, per_channel)
    return dequantize(quantize(w, scale, zero_point, bits, symmetric), scale, zero_point)


# ---------------------------------------------------------------- k-means (codebook) quantization

def _nearest(flat, codebook):
    """Index of the nearest centroid of a sorted ``codebook`` for every value (ties: the lower)."""
    return np.searchsorted((codebook[:-1] + codebook[1:]) / 2, flat, side="left")


def _reseed(flat, idx, centroids, empty):
    """Move the ``empty`` centroids onto the farthest member of the clusters of largest squared
    error, one per cluster (a cluster whose error is 0 is never split). Mutates ``centroids``."""
    err = (flat - centroids[idx]) ** 2
    sse = np.bincount(idx, weights=err, minlength=centroids.size)  # (K,) squared error per cluster
    worst = [c for c in np.argsort(-sse, kind="stable")[:empty.size] if sse[c] > 0]
    by_cluster = np.lexsort((err, idx))  # points grouped by cluster, largest error last
    last = np.searchsorted(idx[by_cluster], worst, side="right") - 1
    centroids[empty[:len(worst)]] = flat[by_cluster[last]]


def _lloyd(flat, codebook, iterations):
    """Lloyd's updates of a sorted ``codebook`` (re-seeding empty clusters) until it stops moving,
    after ``iterations`` updates or, while still re-seeding, at most ``codebook.size`` more.
    Returns (codebook, whether a cluster was re-seeded)."""
    step, empty, reseeded = 0, np.empty(0, np.int64), False
    while step < iterations or (empty.size and step < iterations + codebook.size):
        idx = _nearest(flat, codebook)
        sums = np.bincount(idx, weights=flat, minlength=codebook.size)
        counts = np.bincount(idx, minlength=codebook.size)
        moved = np.where(counts > 0, sums / np.maximum(counts, 1), codebook)
        empty = np.flatnonzero(counts == 0)
        if empty.size:
            _reseed(flat, idx, moved, empty)
            reseeded = True
        moved = np.sort(moved)
        if np.array_equal(moved, codebook) or (not empty.size and np.allclose(moved, codebook)):
            break
        codebook, step = moved, step + 1
    return codebook, reseeded


def _merge_and_split(values, codebook):
    """One improving move of a 1-D clustering, or None: merge the two neighbouring clusters that
    cost least to merge and split the cluster that gains most when cut in two, if the split gains
    more than the merge costs (squared error). ``values`` sorted float64; ``codebook`` sorted."""
    bounds = np.concatenate([[0], np.searchsorted(values, (codebook[:-1] + codebook[1:]) / 2,
                                                  side="right"), [values.size]])  # (K+1,)
    if np.any(np.diff(bounds) == 0):
        return None  # an empty cluster: fewer distinct values than levels
    s1 = np.concatenate([[0.0], np.cumsum(values)])
    s2 = np.concatenate([[0.0], np.cumsum(values ** 2)])

    def sse(a, b):  # squared error of values[a:b] around their mean (arrays of indices, a < b)
        return s2[b] - s2[a] - (s1[b] - s1[a]) ** 2 / (b - a)

    lo, hi = bounds[:-1], bounds[1:]
    own = sse(lo, hi)  # (K,)
    merge_cost = sse(lo[:-1], hi[1:]) - own[:-1] - own[1:]  # (K-1,) neighbours j, j+1
    cut = np.arange(1, values.size)  # cut before values[cut]
    cluster = np.searchsorted(bounds, cut, side="right") - 1
    inside = cut > lo[cluster]
    cut, cluster = cut[inside], cluster[inside]
    if not cut.size:
        return None
    gains = own[cluster] - sse(lo[cluster], cut) - sse(cut, hi[cluster])
    best = int(np.argmax(gains))
    split, at = cluster[best], cut[best]
    pairs = [j for j in np.argsort(merge_cost, kind="stable") if split not in (j, j + 1)]
    if not pairs or gains[best] <= merge_cost[pairs[0]] * (1 + 1e-9) + 1e-300:
        return None
    j = pairs[0]
    means = (s1[hi] - s1[lo]) / (hi - lo)
    merged = (s1[hi[j + 1]] - s1[lo[j]]) / (hi[j + 1] - lo[j])
    halves = [(s1[at] - s1[lo[split]]) / (at - lo[split]), (s1[hi[split]] - s1[at]) / (hi[split] - at)]
    keep = np.delete(means, [j, j + 1, split])
    return np.sort(np.concatenate([keep, [merged], halves]))


def kmeans_quantize(w, bits=4, iterations=20):
    """Cluster the values of ``w`` into 2^bits centroids (1-D k-means).

    Centroids start evenly spaced over [min, max] (deterministic, as Deep Compression's linear
    init) and move by Lloyd's algorithm. A centroid left without values is re-seeded on the value
    farthest from its centroid in the cluster of largest squared error, so every level is used
    when ``w`` has at least 2^bits distinct values. Re-seeded levels land where Lloyd's algorithm
    alone would leave them in a poor local minimum (the linear init wastes levels in the sparse
    tails), so after a re-seed a merge-and-split step (merge the cheapest pair of neighbouring
    clusters, split the cluster that gains most) repeats while it lowers the squared error, at
    most 2^bits times. A run that never re-seeds is plain Lloyd from the linear init. Returns (codebook float32 (2^bits,)
    sorted, indices uint8 of w's shape).
    """
    bits = check_bits(bits)
    flat = np.asarray(w, np.float64).ravel()
    codebook, reseeded = _lloyd(flat, np.linspace(flat.min(), flat.max(), 2 ** bits), iterations)
    values = np.sort(flat)
    for _ in range(codebook.size if reseeded else 0):
        better = _merge_and_split(values, codebook)
        if better is None:
            break
        codebook, _ = _lloyd(flat, better, iterations)
    idx = _nearest(flat, codebook)
    return codebook.astype(np.float32), idx.astype(np.uint8).reshape(np.shape(w))


def kmeans_reconstruct(codebook, indices):
    """Weights of a codebook-quantized tensor: codebook[indices] (float32)."""
    return codebook[indices]


def quantize_weights(weights, bits=8, method="linear", symmetric=True, per_channel=True,
                     masks=None):
    """Weight-only quantization of a model {op name: (weight, bias)}: each weight replaced by its
    quantized values (float32 again, so the float kernels run it), biases kept float32.

    method: 'linear' or 'kmeans'. masks: {op name: 0/1 mask} of a pruned model, whose zeros are
    zeroed again after quantizing (a level need not be 0). Returns (new weights dict, Flash bytes:
    ``storage.compressed_flash_bytes`` of the quantized weights at ``bits``).
    """
    if method not in ("linear", "kmeans"):
        raise SpecError(f"unknown quantization method {method!r}; use 'linear' or 'kmeans'")
    out = {}
    for name, (w, b) in weights.items():
        if method == "linear":
            qw = fake_quantize(w, bits, symmetric, per_channel)
        else:
            qw = kmeans_reconstruct(*kmeans_quantize(w, bits))
        if masks is not None and name in masks:
            qw = (qw * masks[name]).astype(np.float32)
        out[name] = (qw, b)
    return out, compressed_flash_bytes(out, bits)
