# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

from .checkpoint_loader import CheckedCheckpointLoader, CheckpointError, load_checkpoint
from .fairness_report import FairnessReportSaver
from .gradient_reversal_schedule import GradientReversalSchedule
from .group_metric import GroupMetricHandler
from .model_selection import BestModelSelector
from .predictions_saver import PredictionsSaver
from .training_resume import BestModelTracker, TrainingResume

__all__ = [
    "BestModelSelector",
    "BestModelTracker",
    "CheckedCheckpointLoader",
    "CheckpointError",
    "FairnessReportSaver",
    "GradientReversalSchedule",
    "GroupMetricHandler",
    "PredictionsSaver",
    "TrainingResume",
    "load_checkpoint",
]
