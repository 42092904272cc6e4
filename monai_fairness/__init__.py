# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""monai-fairness: MONAI components and bundles for fairer medical-imaging models across demographic groups.

Subpackages (import what you need; importing this package has no heavy side effects):

- ``monai_fairness.data``: datalist contract, validation, group x class counts and stratified splits, DICOM attributes.
- ``monai_fairness.transforms``: derive the sensitive ``group`` from raw attributes (sex, age, Fitzpatrick, DICOM).
- ``monai_fairness.handlers``: ignite handlers, e.g. the predictions CSV writer used by every bundle's evaluation.
- ``monai_fairness.metrics``: per-group metrics, gaps, equity scaling, parity metrics, FATE, bootstrap CIs.
- ``monai_fairness.tasks``: the task objects (classification, segmentation): per-sample values, predictions-CSV
  columns, metric tables, gaps and intervals, shared by validation metrics, predictions saver and report.
- ``monai_fairness.report``: predictions CSV -> fairness report JSON/HTML (``python -m monai_fairness.report``), and
  several reports side by side (``python -m monai_fairness.report.compare``).
- ``monai_fairness.losses``: Fair Identity Scaling, (group-routed) distillation, group re-weighting, per-sample DiceCE.
- ``monai_fairness.networks``: the frozen per-group teacher set of FairDi.
- ``monai_fairness.engines``: group-aware trainers (FIS backbone, distillation student, re-weighting).
- ``monai_fairness.pruning``: SCP sensitive-channel pruning (SNNL scores, masks, physical removal, plans).
- ``monai_fairness.pipelines``: run a method's bundle stages in order (``python -m monai_fairness.pipelines.fairdi``).
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import data, engines, handlers, losses, metrics, networks, pruning, report, tasks, transforms, utils  # noqa: E402
from .utils.error_line import install_error_line  # noqa: E402

install_error_line()  # failed commands end with one "error: ..." line carrying the project's message

__all__ = [
    "__version__",
    "data",
    "engines",
    "handlers",
    "losses",
    "metrics",
    "networks",
    "pruning",
    "report",
    "tasks",
    "transforms",
    "utils",
]
