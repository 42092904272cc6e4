# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Losses: Fair Identity Scaling (FairDi stage 0), group-routed distillation (FairDi stage 2), group re-weighting,
APPLE's adversarial and group-mean alignment terms."""

from __future__ import annotations

from .attribute_adversarial import AdversarialMode, AttributeAdversarialLoss
from .distillation import DistillationLoss, GroupRoutedDistillationLoss, KDActivation
from .fair_identity_scaling import FairIdentityScalingLoss, fis_weights
from .group_mean_alignment import GroupMeanAlignmentLoss
from .group_reweighted import GroupReweightedLoss
from .per_sample import PerSampleDiceCELoss, per_sample
from .sinkhorn import sinkhorn_divergence

__all__ = [
    "AdversarialMode",
    "AttributeAdversarialLoss",
    "DistillationLoss",
    "FairIdentityScalingLoss",
    "GroupMeanAlignmentLoss",
    "GroupReweightedLoss",
    "GroupRoutedDistillationLoss",
    "KDActivation",
    "PerSampleDiceCELoss",
    "fis_weights",
    "per_sample",
    "sinkhorn_divergence",
]
