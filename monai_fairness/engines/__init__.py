# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Engines: group-aware trainers for FairDi (FIS backbone, distillation student), group re-weighting and APPLE's
adversarial perturber training."""

from __future__ import annotations

from .apple_trainer import APPLETrainer
from .distillation_trainer import DistillationTrainer
from .fis_trainer import FISTrainer
from .group_trainer import GroupAwareTrainer, loss_parts
from .training_length import check_reaches_validation

__all__ = [
    "APPLETrainer",
    "DistillationTrainer",
    "FISTrainer",
    "GroupAwareTrainer",
    "check_reaches_validation",
    "loss_parts",
]
