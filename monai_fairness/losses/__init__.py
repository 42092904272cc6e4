# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Losses: every method objective. Fair Identity Scaling (FairDi backbone), group-routed distillation (FairDi
student), group re-weighting, APPLE's discriminator and perturber objectives with their adversarial and group-mean
alignment terms. Trainers only draw data and run forwards; the arithmetic is here."""

from __future__ import annotations

from .adversarial_debiasing import AdversarialDebiasingLoss
from .apple import APPLEDiscriminatorLoss, APPLEPerturberLoss
from .attribute_adversarial import AdversarialMode, AttributeAdversarialLoss
from .distillation import DistillationLoss, FairDistillationLoss, GroupRoutedDistillationLoss, KDActivation
from .fair_identity_scaling import FairIdentityScalingLoss, FairIdentityScalingObjective, fis_weights
from .group_dro import GroupDROLoss
from .group_mean_alignment import GroupMeanAlignmentLoss
from .group_reweighted import GroupReweightedLoss
from .per_sample import PerSampleDiceCELoss, per_sample
from .sinkhorn import sinkhorn_divergence

__all__ = [
    "APPLEDiscriminatorLoss",
    "APPLEPerturberLoss",
    "AdversarialDebiasingLoss",
    "AdversarialMode",
    "AttributeAdversarialLoss",
    "DistillationLoss",
    "FairDistillationLoss",
    "FairIdentityScalingLoss",
    "FairIdentityScalingObjective",
    "GroupDROLoss",
    "GroupMeanAlignmentLoss",
    "GroupReweightedLoss",
    "GroupRoutedDistillationLoss",
    "KDActivation",
    "PerSampleDiceCELoss",
    "fis_weights",
    "per_sample",
    "sinkhorn_divergence",
]
