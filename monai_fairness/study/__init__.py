# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The study: which mitigation helps on a datalist, with paired 95 % intervals (``python -m monai_fairness.study``)."""

from __future__ import annotations

from .methods import METHODS, SIMPLE_BASELINES, MethodSpec, check_methods, methods_for
from .render import format_study, render_study_html
from .statistics import StudyStatistics, paired_bootstrap
from .study import check_study_inputs, run_study, write_study
from .summary import load_predictions, summarize, verdict

__all__ = [
    "METHODS",
    "SIMPLE_BASELINES",
    "MethodSpec",
    "StudyStatistics",
    "check_methods",
    "check_study_inputs",
    "format_study",
    "load_predictions",
    "methods_for",
    "paired_bootstrap",
    "render_study_html",
    "run_study",
    "summarize",
    "verdict",
    "write_study",
]
