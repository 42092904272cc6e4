# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Group-comparison metrics built from per-group values (``shared/design/methods.md`` section 5).

All functions reduce over the last dimension (groups, ``K``) and keep any leading dimensions, so the same code
serves one evaluation (``[K]``) and a batch of bootstrap resamples (``[B, K]``). NaN groups (undefined metric) are
ignored by the max/min/std reductions; a result is NaN only when no group is defined.
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


def _nanmax(x: torch.Tensor) -> torch.Tensor:
    return (
        torch.where(torch.isnan(x), torch.full_like(x, -torch.inf), x)
        .amax(-1)
        .where(~torch.isnan(x).all(-1), torch.nan)
    )


def _nanmin(x: torch.Tensor) -> torch.Tensor:
    return (
        torch.where(torch.isnan(x), torch.full_like(x, torch.inf), x).amin(-1).where(~torch.isnan(x).all(-1), torch.nan)
    )


def compute_gap(by_group: torch.Tensor) -> torch.Tensor:
    """``max_g M_g - min_g M_g`` (e.g. ``auc_gap``, ``accuracy_gap``, ``dice_gap``); lower is better."""
    return _nanmax(by_group) - _nanmin(by_group)


def compute_worst_group(by_group: torch.Tensor) -> torch.Tensor:
    """``min_g M_g`` (e.g. ``worst_group_auc``); higher is better."""
    return _nanmin(by_group)


def compute_group_std(by_group: torch.Tensor) -> torch.Tensor:
    """Population standard deviation (ddof 0) of the defined group values (e.g. ``dice_std``)."""
    valid = ~torch.isnan(by_group)
    n = valid.sum(-1).double()
    x = torch.where(valid, by_group, torch.zeros_like(by_group))
    mean = x.sum(-1) / n
    var = (torch.where(valid, by_group - mean[..., None], torch.zeros_like(by_group)) ** 2).sum(-1) / n
    return var.sqrt()


def compute_equity_scaled(
    overall: torch.Tensor, by_group: torch.Tensor, es_variant: ESVariant | str = ESVariant.SUM_ABS, alpha: float = 1.0
) -> torch.Tensor:
    """Equity-scaled metric: ``M / (1 + alpha * sum_g |M - M_g|)`` (``sum_abs``) or ``M / (1 + std_g(M_g))``
    (``std``); higher is better. ``es_auc``, ``es_accuracy``, ``es_dice`` use ``sum_abs``; ``es_dice_std`` ``std``."""
    variant = look_up_option(es_variant, ESVariant)
    if variant == ESVariant.SUM_ABS:
        spread = alpha * torch.nansum((overall[..., None] - by_group).abs(), dim=-1)
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
