# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Engines: group-aware trainers for FairDi (FIS backbone, distillation student) and group re-weighting."""

from __future__ import annotations

from .distillation_trainer import DistillationTrainer
from .fis_trainer import FISTrainer
from .group_trainer import GroupAwareTrainer, loss_parts

__all__ = ["DistillationTrainer", "FISTrainer", "GroupAwareTrainer", "loss_parts"]
