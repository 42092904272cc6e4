# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Group-specific decision thresholds chosen on validation predictions (post-processing).

The idea of fairlearn's ``ThresholdOptimizer`` (Hardt, Price and Srebro, "Equality of Opportunity in Supervised
Learning", NeurIPS 2016) for an image classifier's scores: one threshold per group instead of 0.5 for everyone. It
needs the group at inference. Written here because fairlearn's optimizer wraps a scikit-learn estimator and
randomises between thresholds; we choose one deterministic threshold per group from a validation predictions CSV.
Thresholds must never be chosen on the test split.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import torch
from monai.utils import StrEnum, look_up_option

__all__ = ["ThresholdCriterion", "choose_group_thresholds", "per_sample_thresholds"]


class ThresholdCriterion(StrEnum):
    """How a group's threshold is chosen on validation.

    - ``BALANCED_ACCURACY``: the threshold that maximises the group's (TPR + TNR) / 2.
    - ``EQUAL_TPR``: every group's TPR equals the pooled TPR at 0.5 (equal opportunity): the highest threshold that
      reaches it.
    - ``EQUAL_FPR``: every group's FPR equals the pooled FPR at 0.5: the lowest threshold that stays at or below it.
    """

    BALANCED_ACCURACY = "balanced_accuracy"
    EQUAL_TPR = "equal_tpr"
    EQUAL_FPR = "equal_fpr"


def _balanced_accuracy_threshold(score: np.ndarray, y: np.ndarray) -> float:
    candidates = np.unique(np.concatenate([score, [0.5]]))
    pos, neg = score[y == 1], score[y == 0]
    tpr = (pos[None, :] >= candidates[:, None]).mean(1)
    tnr = (neg[None, :] < candidates[:, None]).mean(1)
    balanced = (tpr + tnr) / 2
    best = np.flatnonzero(balanced >= balanced.max() - 1e-12)
    return float(candidates[best[np.argmin(np.abs(candidates[best] - 0.5))]])  # ties: the one nearest 0.5


def choose_group_thresholds(
    y_score: torch.Tensor | np.ndarray,
    y_true: torch.Tensor | np.ndarray,
    groups: torch.Tensor | np.ndarray,
    criterion: ThresholdCriterion | str = ThresholdCriterion.BALANCED_ACCURACY,
) -> dict[int, float]:
    """``{group id: threshold}`` for binary scores (probability of class 1) of a **validation** split.

    Raises:
        ValueError: When the scores are not binary ``[N]`` or a group lacks a class the criterion needs.
    """
    criterion = look_up_option(criterion, ThresholdCriterion)
    score, y, g = (np.asarray(torch.as_tensor(v)) for v in (y_score, y_true, groups))
    if score.ndim != 1:
        raise ValueError(f"y_score expected binary scores [N] (probability of class 1) but got shape {score.shape}.")
    target = None
    if criterion == ThresholdCriterion.EQUAL_TPR:
        target = float((score[y == 1] >= 0.5).mean())
    elif criterion == ThresholdCriterion.EQUAL_FPR:
        target = float((score[y == 0] >= 0.5).mean())
    out: dict[int, float] = {}
    for gid in sorted({int(v) for v in g}):
        s, t = score[g == gid], y[g == gid]
        pos, neg = np.sort(s[t == 1])[::-1], np.sort(s[t == 0])[::-1]
        if (criterion != ThresholdCriterion.EQUAL_FPR and pos.size == 0) or (
            criterion != ThresholdCriterion.EQUAL_TPR and neg.size == 0
        ):
            raise ValueError(f"group {gid} expected both classes on validation to choose a {criterion} threshold.")
        if criterion == ThresholdCriterion.BALANCED_ACCURACY:
            out[gid] = _balanced_accuracy_threshold(s, t)
        elif criterion == ThresholdCriterion.EQUAL_TPR:
            k = max(1, math.ceil(target * pos.size - 1e-9))  # at least k positives at or above the threshold
            out[gid] = float(pos[k - 1])
        else:
            m = math.floor(target * neg.size + 1e-9)  # at most m negatives at or above the threshold
            out[gid] = float(np.nextafter(neg[m], np.inf)) if m < neg.size else float(neg[-1])
    return out


def per_sample_thresholds(groups: torch.Tensor, thresholds: Mapping[int, float]) -> torch.Tensor:
    """``[N]`` float64: each sample's group threshold.

    Raises:
        ValueError: When a sample's group has no threshold (naming the groups).
    """
    groups = torch.as_tensor(groups).long()
    missing = sorted({int(v) for v in groups.unique()} - {int(k) for k in thresholds})
    if missing:
        raise ValueError(
            f"group-specific thresholds expected one for every group but groups {missing} have none "
            f"(thresholds for {sorted(int(k) for k in thresholds)})."
        )
    table = torch.full((int(groups.max()) + 1,), float("nan"), dtype=torch.float64)
    for k, v in thresholds.items():
        if int(k) < table.numel():
            table[int(k)] = float(v)
    return table[groups]
