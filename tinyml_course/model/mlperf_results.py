"""MLPerf Tiny's published results for the reference models, as data (closed division).

Quoted from the submissions' results, as ``../shared/reference/deployment-anchors.md`` lists them
(issue 21's anchors; no number here is from memory):

- ``LATENCY_MS``: median single-inference latency in milliseconds (each submission's
  results.txt) of KWS, VWW and IC: TFLite Micro 2.3.1 + CMSIS-NN on the NUCLEO-L4R5ZI
  (mlcommons/tiny_results_v0.5) and ST's X-CUBE-AI 9.0 on the NUCLEO-L4R5ZI and the
  NUCLEO-H7A3ZI-Q (mlcommons/tiny_results_v1.2). No AD latency is among those anchors.
- ``XCUBE_ACTIVATION_BYTES``: the activation RAM X-CUBE-AI 9.0 reports in those v1.2 submissions,
  bytes, one figure per model (the submissions do not break it down into buffers).

Keys are the zoo's names (``model.mlperf``) and the catalogue's device names (``model.devices``).
"""

from dataclasses import dataclass

MLPERF_TASKS = ("mlperf-kws", "mlperf-vww", "mlperf-ic", "mlperf-ad")  # MLPerf Tiny's order
XCUBE = "X-CUBE-AI 9.0"
TFLM_CMSIS = "TFLM 2.3.1 + CMSIS-NN"
V12 = "mlcommons/tiny_results_v1.2 (closed division), X-CUBE-AI 9.0 submissions"
V05 = "mlcommons/tiny_results_v0.5 (closed division), reference TFLM submission"
ANCHORS = "../shared/reference/deployment-anchors.md, 'MLPerf Tiny'"

XCUBE_ACTIVATION_BYTES = {"mlperf-kws": 22272, "mlperf-vww": 58624, "mlperf-ic": 56672,
                          "mlperf-ad": 2048}


@dataclass(frozen=True)
class PublishedLatency:
    """One published latency: ``model`` on ``device`` under ``stack``, milliseconds (measured)."""

    model: str
    device: str
    stack: str
    ms: float
    source: str


def _rows(device, stack, source, kws, vww, ic):
    return [PublishedLatency(model, device, stack, ms, source)
            for model, ms in zip(("mlperf-kws", "mlperf-vww", "mlperf-ic"), (kws, vww, ic))]


LATENCY_MS = (_rows("nucleo-l4r5zi", XCUBE, V12, 43.2, 88.9, 165.1)
              + _rows("nucleo-h7a3zi-q", XCUBE, V12, 11.3, 23.8, 40.8)
              + _rows("nucleo-l4r5zi", TFLM_CMSIS, V05, 181.9, 600.6, 704.2))
MLPERF_DEVICES = ("nucleo-l4r5zi", "nucleo-h7a3zi-q")  # the boards of those submissions


def published_latencies(model, device):
    """{stack: PublishedLatency} of ``model`` on ``device`` (empty when none is published here)."""
    return {r.stack: r for r in LATENCY_MS if r.model == model and r.device == device}
