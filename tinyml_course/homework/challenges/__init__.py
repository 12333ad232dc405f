"""The open-ended challenges of the homework, graded by measurement on a published scale.

One module per challenge, each with its scale as data (a frozen dataclass: the constants,
``points(...)`` for the score and ``text()`` for the prose the notebook, docs/homework.md and the
feedback show), its judge and its scorers:

- :mod:`.streaming_depthwise` (sram_accounting, ``streaming-depthwise``): an in-place depthwise
  conv whose measured extra memory goes from H*W elements down to (k//2 + 1)*W;
- :mod:`.patch_plan` (patch_inference, ``patch-plan``): a patch plan within an SRAM budget,
  scored by its executed MACs against the cheapest plan an exhaustive search finds;
- :mod:`.compressed_model` (compression, ``compress-to-budget``): the digits model within a
  Flash and an SRAM budget, scored by the held-out accuracy it loses.

:mod:`.probes` runs the student's artefacts where the student's code runs and returns plain data
(it imports no scorer); the scorers are functions of that data and of figures the grader computes
itself (assignments/source/<a>/hidden_checks.py wires the two). :mod:`.score` holds
``ChallengeScore`` (one student's result, plain data) and the scales' common shape;
:mod:`.catalog` lists the challenges. This package imports none of them, so that loading the
probes loads no scorer.
"""
