# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

from .build import METRIC_VARIANTS, PredictionsError, build_report, read_predictions, write_report_json
from .render import format_text_summary, render_html, roc_curve_points
from .thresholds import (
    ThresholdsError,
    choose_thresholds_from_predictions,
    load_group_thresholds,
    write_group_thresholds,
)

__all__ = [
    "METRIC_VARIANTS",
    "PredictionsError",
    "build_report",
    "read_predictions",
    "write_report_json",
    "format_text_summary",
    "render_html",
    "roc_curve_points",
    "ThresholdsError",
    "choose_thresholds_from_predictions",
    "load_group_thresholds",
    "write_group_thresholds",
]
