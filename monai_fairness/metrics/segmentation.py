# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Per-group segmentation metrics from per-sample Dice (and IoU), FairSeg/FairMedFM definitions.

``dice`` is the mean per-sample Dice over all test samples; ``Dice_g`` the mean within group g. ``dice_gap`` (max -
min), ``worst_group_dice``, ``dice_std`` (population std of group means), ``es_dice`` (sum-abs equity scaling,
FairSeg), ``es_dice_std`` (std variant, FairMedFM) and ``dice_skewness`` (skewed error ratio
``(1 - min_g Dice_g) / (1 - max_g Dice_g)``: 1 is fair, larger is less fair; inf with a warning when a group's mean
Dice is exactly 1).
"""

from __future__ import annotations

import warnings

import torch

from monai_fairness.metrics.fairness import (
    _group_max,
    _group_min,
    compute_equity_scaled,
    compute_gap,
    compute_group_std,
    compute_worst_group,
)

__all__ = ["compute_mean_by_group", "compute_dice_skewness", "compute_segmentation_fairness"]


def compute_mean_by_group(values: torch.Tensor, groups: torch.Tensor, num_groups: int) -> torch.Tensor:
    """Mean of per-sample ``values [N]`` within each group; ``[K]`` float64, NaN (with a warning) for empty groups."""
    groups = groups.long()
    n = torch.bincount(groups, minlength=num_groups).double()
    total = torch.bincount(groups, weights=values.double(), minlength=num_groups)
    mean = total / n
    empty = torch.nonzero(n == 0).flatten().tolist()
    if empty:
        warnings.warn(f"group(s) {empty} have no samples: their mean is undefined (NaN).", stacklevel=2)
    return mean


def compute_dice_skewness(by_group: torch.Tensor) -> torch.Tensor:
    """Skewed error ratio ``(1 - min_g Dice_g) / (1 - max_g Dice_g)``; inf (with a warning) if ``max_g Dice_g == 1``."""
    best, worst = _group_max(by_group), _group_min(by_group)
    if bool((best >= 1).any()):
        warnings.warn(
            "dice_skewness: a group's mean Dice is exactly 1, so the skewed error ratio is infinite.", stacklevel=2
        )
    return (1 - worst) / (1 - best)


def compute_segmentation_fairness(overall: torch.Tensor, by_group: torch.Tensor) -> dict[str, torch.Tensor]:
    """All segmentation fairness entries of the report from overall Dice ``[...]`` and group Dice ``[..., K]``."""
    return {
        "worst_group_dice": compute_worst_group(by_group),
        "dice_gap": compute_gap(by_group),
        "dice_std": compute_group_std(by_group),
        "es_dice": compute_equity_scaled(overall, by_group, "sum_abs"),
        "es_dice_std": compute_equity_scaled(overall, by_group, "std"),
        "dice_skewness": compute_dice_skewness(by_group),
    }
