# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Group-comparison metrics built from per-group values (definitions: ``docs/metrics.md``).

All functions reduce over the last dimension (groups, ``K``) and keep any leading dimensions, so the same code
serves one evaluation (``[K]``) and a batch of bootstrap resamples (``[B, K]``). **Undefined stays undefined**: a
result is NaN when any group's value is NaN (e.g. AUC in a group holding one class) or when fewer than two groups are
given, because a gap over the remaining groups would look fair exactly where nothing is known. Callers report NaN as
null and say which group made it undefined (:mod:`monai_fairness.tasks`).
"""

from __future__ import annotations

import torch
from monai.utils import look_up_option

from monai_fairness.utils.enums import ESVariant, PSDVariant

__all__ = [
    "compute_gap",
    "compute_worst_group",
    "compute_group_std",
    "compute_equity_scaled",
    "compute_psd",
    "compute_demographic_parity_difference",
    "compute_equalized_odds_difference",
]


def _undefined(x: torch.Tensor) -> torch.Tensor:
    """``[...]`` True where a reduction over the last dimension is undefined: any NaN group, or fewer than 2 groups."""
    return torch.isnan(x).any(-1) | torch.full(x.shape[:-1], x.shape[-1] < 2, dtype=torch.bool, device=x.device)


def _group_max(x: torch.Tensor) -> torch.Tensor:
    return torch.where(torch.isnan(x), 0.0, x).amax(-1).masked_fill(_undefined(x), torch.nan)


def _group_min(x: torch.Tensor) -> torch.Tensor:
    return torch.where(torch.isnan(x), 0.0, x).amin(-1).masked_fill(_undefined(x), torch.nan)


def compute_gap(by_group: torch.Tensor) -> torch.Tensor:
    """``max_g M_g - min_g M_g`` (e.g. ``auc_gap``, ``accuracy_gap``, ``dice_gap``); lower is better."""
    return _group_max(by_group) - _group_min(by_group)


def compute_worst_group(by_group: torch.Tensor) -> torch.Tensor:
    """``min_g M_g`` (e.g. ``worst_group_auc``); higher is better."""
    return _group_min(by_group)


def compute_group_std(by_group: torch.Tensor) -> torch.Tensor:
    """Population standard deviation (ddof 0) of the group values (e.g. ``dice_std``)."""
    return by_group.std(-1, correction=0).masked_fill(_undefined(by_group), torch.nan)


def compute_equity_scaled(
    overall: torch.Tensor, by_group: torch.Tensor, es_variant: ESVariant | str = ESVariant.SUM_ABS, alpha: float = 1.0
) -> torch.Tensor:
    """Equity-scaled metric: ``M / (1 + alpha * sum_g |M - M_g|)`` (``sum_abs``) or ``M / (1 + std_g(M_g))``
    (``std``); higher is better. ``es_auc``, ``es_accuracy``, ``es_dice`` use ``sum_abs``; ``es_dice_std`` ``std``."""
    variant = look_up_option(es_variant, ESVariant)
    if variant == ESVariant.SUM_ABS:
        spread = (alpha * (overall[..., None] - by_group).abs().sum(-1)).masked_fill(_undefined(by_group), torch.nan)
    else:
        spread = compute_group_std(by_group)
    return overall / (1 + spread)


def compute_psd(overall: torch.Tensor, by_group: torch.Tensor, variant: PSDVariant | str = PSDVariant.STD):
    """Relative spread of group values: ``std_g(M_g) / M`` (``std``) or ``(max - min) / M`` (``maxmin``)."""
    variant = look_up_option(variant, PSDVariant)
    spread = compute_group_std(by_group) if variant == PSDVariant.STD else compute_gap(by_group)
    return spread / overall


def _ovr_mean(per_class_gap: torch.Tensor) -> torch.Tensor:
    """Binary tasks use class 1 only; multi-class tasks average the one-vs-rest gaps over classes."""
    return per_class_gap[..., 1] if per_class_gap.shape[-1] == 2 else per_class_gap.mean(-1)


def compute_demographic_parity_difference(selection: torch.Tensor) -> torch.Tensor:
    """``max_g P(y_pred=1 | g) - min_g P(y_pred=1 | g)`` from selection rates ``[..., K, C]``
    (fairlearn ``demographic_parity_difference``); multi-class: the mean over classes of the one-vs-rest value."""
    return _ovr_mean(compute_gap(selection.transpose(-1, -2)))


def compute_equalized_odds_difference(tpr: torch.Tensor, fpr: torch.Tensor) -> torch.Tensor:
    """``max(TPR gap, FPR gap)``, each gap max - min over groups, from ``[..., K, C]`` rates (fairlearn
    ``equalized_odds_difference(agg="worst_case")``); multi-class: the mean over classes of the one-vs-rest value."""
    tpr_gap = compute_gap(tpr.transpose(-1, -2))
    fpr_gap = compute_gap(fpr.transpose(-1, -2))
    return _ovr_mean(torch.maximum(tpr_gap, fpr_gap))
