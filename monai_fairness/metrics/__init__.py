# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Group fairness metrics (definitions: ``docs/metrics.md``)."""

from __future__ import annotations

from .attribute_leakage import (
    attribute_accuracy,
    collect_pooled_latents,
    fit_attribute_discriminator,
    fit_attribute_probe,
    measure_attribute_leakage,
)
from .classification import (
    compute_accuracy_by_group,
    compute_auc_by_group,
    compute_f1_macro_by_group,
    compute_rates_by_group,
    predicted_class,
)
from .fairness import (
    compute_demographic_parity_difference,
    compute_equalized_odds_difference,
    compute_equity_scaled,
    compute_gap,
    compute_group_std,
    compute_psd,
    compute_worst_group,
)
from .group import GroupMetric
from .group_index import GroupIndex
from .group_thresholds import ThresholdCriterion, choose_group_thresholds, per_sample_thresholds
from .multiclass_parity import compute_scp_parity, scp_num_classes
from .segmentation import compute_dice_skewness, compute_mean_by_group, compute_segmentation_fairness
from .task_loss import TaskLossMetric
from .tradeoff import compute_fate

__all__ = [
    "attribute_accuracy",
    "collect_pooled_latents",
    "fit_attribute_probe",
    "measure_attribute_leakage",
    "fit_attribute_discriminator",
    "compute_accuracy_by_group",
    "compute_auc_by_group",
    "compute_f1_macro_by_group",
    "compute_rates_by_group",
    "predicted_class",
    "compute_demographic_parity_difference",
    "compute_equalized_odds_difference",
    "compute_equity_scaled",
    "compute_gap",
    "compute_group_std",
    "compute_psd",
    "compute_worst_group",
    "GroupMetric",
    "GroupIndex",
    "TaskLossMetric",
    "ThresholdCriterion",
    "choose_group_thresholds",
    "per_sample_thresholds",
    "compute_scp_parity",
    "scp_num_classes",
    "compute_dice_skewness",
    "compute_mean_by_group",
    "compute_segmentation_fairness",
    "compute_fate",
]
