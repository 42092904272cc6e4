# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

from .fairness_report import FairnessReportSaver
from .group_metric import GroupMetricHandler
from .predictions_saver import PredictionsSaver

__all__ = ["FairnessReportSaver", "GroupMetricHandler", "PredictionsSaver"]
