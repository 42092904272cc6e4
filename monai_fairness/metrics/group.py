# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Per-group metric tables and the cumulative group metric, for classification and segmentation.

:func:`classification_tables` / :func:`segmentation_tables` compute the utility metrics overall and per group;
:func:`classification_fairness` / ``compute_segmentation_fairness`` derive the group-comparison metrics from them.
Tables carry optional leading dimensions so that bootstrap resamples are computed in one vectorised call (see
:mod:`monai_fairness.metrics.bootstrap`). :class:`GroupMetric` buffers ``(y_pred, y, groups)`` MONAI style (a
``Cumulative``, all-gathered under DDP) and aggregates into a flat dict of scalars such as ``auc``, ``auc_g0``,
``worst_group_auc`` for ``engine.state.metrics``, MLflow and CheckpointSaver.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from monai.metrics import Cumulative, compute_dice, compute_iou

from monai_fairness.metrics.classification import (
    compute_accuracy_by_group,
    compute_auc_by_group,
    compute_f1_macro_by_group,
    compute_rates_by_group,
    predicted_class,
)
from monai_fairness.metrics.fairness import (
    compute_demographic_parity_difference,
    compute_equalized_odds_difference,
    compute_equity_scaled,
    compute_gap,
    compute_psd,
    compute_worst_group,
)
from monai_fairness.metrics.multiclass_parity import compute_scp_parity, scp_num_classes
from monai_fairness.metrics.segmentation import compute_mean_by_group, compute_segmentation_fairness

__all__ = [
    "CLASSIFICATION_UTILITY",
    "SEGMENTATION_UTILITY",
    "classification_tables",
    "classification_fairness",
    "segmentation_tables",
    "GroupMetric",
    "compute_group_metrics",
]

CLASSIFICATION_UTILITY = ("auc", "accuracy", "f1_macro")
SEGMENTATION_UTILITY = ("dice", "iou")
TASKS = ("classification", "segmentation")


def classification_tables(
    y_score: torch.Tensor,
    y_true: torch.Tensor,
    segments: torch.Tensor,
    num_segments: int,
    threshold: float = 0.5,
    num_classes: int | None = None,
) -> dict[str, torch.Tensor]:
    """Utility metrics and one-vs-rest rates per segment (a segment is a group, or a (resample, group) pair).

    Args:
        y_score: ``[N]`` probability of class 1, or ``[N, C]`` class probabilities.
        y_true: ``[N]`` int class ids.
        segments: ``[N]`` int segment ids in ``[0, num_segments)``.
        threshold: decision threshold for binary scores (argmax for ``[N, C]``).
        num_classes: ``C``; default 2 for ``[N]`` scores, ``y_score.shape[1]`` otherwise.

    Returns:
        ``auc``, ``accuracy``, ``f1_macro``: ``[S]``; ``rates`` (selection/tpr/fpr/tnr ``[S, C]``) and
        ``scp_rates`` (the same with the SCP class count).
    """
    num_classes = num_classes or (2 if y_score.ndim == 1 else y_score.shape[1])
    y_pred = predicted_class(y_score, threshold)
    scp_c = scp_num_classes(y_pred, y_true)
    rates = compute_rates_by_group(y_pred, y_true, segments, num_segments, num_classes)
    rates if scp_c == num_classes else compute_rates_by_group(y_pred, y_true, segments, num_segments, scp_c)
    return {
        "auc": compute_auc_by_group(y_score, y_true, segments, num_segments, num_classes),
        "accuracy": compute_accuracy_by_group(y_pred, y_true, segments, num_segments),
        "f1_macro": compute_f1_macro_by_group(y_pred, y_true, segments, num_segments, num_classes),
        "rates": rates,
        "scp_rates": rates
        if scp_c == num_classes
        else compute_rates_by_group(y_pred, y_true, segments, num_segments, scp_c),
    }


def classification_fairness(overall: dict[str, torch.Tensor], by_group: dict[str, torch.Tensor]) -> dict[str, Any]:
    """Group-comparison metrics from overall tables ``[...]`` and group tables ``[..., K]`` (rates ``[..., K, C]``)."""
    auc, auc_g = overall["auc"], by_group["auc"]
    acc, acc_g = overall["accuracy"], by_group["accuracy"]
    rates = by_group["rates"]
    out = {
        "worst_group_auc": compute_worst_group(auc_g),
        "auc_gap": compute_gap(auc_g),
        "accuracy_gap": compute_gap(acc_g),
        "es_auc": compute_equity_scaled(auc, auc_g, "sum_abs"),
        "es_accuracy": compute_equity_scaled(acc, acc_g, "sum_abs"),
        "psd_std": compute_psd(auc, auc_g, "std"),
        "psd_maxmin": compute_psd(auc, auc_g, "maxmin"),
        "dpd": compute_demographic_parity_difference(rates["selection"]),
        "eodds": compute_equalized_odds_difference(rates["tpr"], rates["fpr"]),
    }
    scp = compute_scp_parity(by_group["scp_rates"])
    out.update({k: scp[k] for k in ("eopp0", "eopp1", "eodd")})
    return out


def segmentation_tables(dice: torch.Tensor, segments: torch.Tensor, num_segments: int, iou: torch.Tensor | None = None):
    """Mean per-sample Dice (and IoU) per segment, each ``[S]``."""
    out = {"dice": compute_mean_by_group(dice, segments, num_segments)}
    if iou is not None:
        out["iou"] = compute_mean_by_group(iou, segments, num_segments)
    return out


def compute_group_metrics(
    task: str,
    groups: torch.Tensor,
    num_groups: int,
    *,
    y_score: torch.Tensor | None = None,
    y_true: torch.Tensor | None = None,
    dice: torch.Tensor | None = None,
    iou: torch.Tensor | None = None,
    threshold: float = 0.5,
    num_classes: int | None = None,
) -> dict[str, Any]:
    """``{"overall": {metric: value}, "by_group": {metric: [K] tensor}, "fairness": {metric: value}}`` (tensors).

    Raises:
        ValueError: When ``task`` is unknown or the inputs it needs are missing.
    """
    groups = groups.long()
    zeros = torch.zeros_like(groups)
    if task == "classification":
        if y_score is None or y_true is None:
            raise ValueError("compute_group_metrics: classification expected y_score and y_true.")
        y_true = y_true.long()
        overall = classification_tables(y_score, y_true, zeros, 1, threshold, num_classes)
        by_group = classification_tables(y_score, y_true, groups, num_groups, threshold, num_classes)
        fairness = classification_fairness(
            {k: v[0] for k, v in overall.items() if k in CLASSIFICATION_UTILITY}, by_group
        )
        utility = CLASSIFICATION_UTILITY
    elif task == "segmentation":
        if dice is None:
            raise ValueError("compute_group_metrics: segmentation expected per-sample dice.")
        overall = segmentation_tables(dice, zeros, 1, iou)
        by_group = segmentation_tables(dice, groups, num_groups, iou)
        fairness = compute_segmentation_fairness(overall["dice"][0], by_group["dice"])
        utility = tuple(k for k in SEGMENTATION_UTILITY if k in overall)
    else:
        raise ValueError(f"compute_group_metrics: 'task' expected one of {list(TASKS)} but got {task!r}.")
    return {
        "overall": {k: overall[k][0] for k in utility},
        "by_group": {k: by_group[k] for k in utility},
        "fairness": fairness,
    }


def _to_batch(x: Any) -> torch.Tensor:
    if isinstance(x, (list, tuple)):
        return torch.stack([torch.as_tensor(i) for i in x])
    return torch.as_tensor(x)


class GroupMetric(Cumulative):
    """Cumulative per-group metric: buffer ``(y_pred, y, groups)`` each iteration, compute everything at the end.

    Classification: ``y_pred`` ``[B, C]`` probabilities (``Activationsd(softmax=True)``), ``y`` ``[B]`` class ids or
    ``[B, C]`` one-hot. Segmentation: ``y_pred`` and ``y`` discrete one-hot ``[B, C, H, W(, D)]``; per-sample Dice and
    IoU (background excluded unless ``include_background``) are buffered instead of the masks.

    ``aggregate()`` returns a flat dict of floats: overall utility (``auc``...), per group (``auc_g0``...) and the
    fairness entries (``worst_group_auc``, ``auc_gap``...), every key prefixed with ``prefix``.

    Args:
        task: ``classification`` or ``segmentation``.
        num_groups: ``K``; group ids must lie in ``[0, K)``.
        threshold: binary decision threshold.
        prefix: prepended to every key, e.g. ``"val_"``.
        include_background: segmentation only.
    """

    def __init__(
        self,
        task: str = "classification",
        num_groups: int = 2,
        threshold: float = 0.5,
        prefix: str = "",
        include_background: bool = False,
    ) -> None:
        super().__init__()
        if task not in TASKS:
            raise ValueError(f"GroupMetric: 'task' expected one of {list(TASKS)} but got {task!r}.")
        if num_groups < 2:
            raise ValueError(f"GroupMetric: 'num_groups' expected at least 2 but got {num_groups}.")
        self.task, self.num_groups, self.threshold = task, num_groups, threshold
        self.prefix, self.include_background = prefix, include_background

    def update(self, y_pred: Any, y: Any, groups: Any) -> None:
        y_pred, y, groups = (
            _to_batch(y_pred).detach().float(),
            _to_batch(y).detach(),
            _to_batch(groups).long().flatten(),
        )
        if y_pred.shape[0] != groups.shape[0]:
            raise ValueError(
                f"GroupMetric: expected one group per sample but got {groups.shape[0]} groups for a batch of "
                f"{y_pred.shape[0]}."
            )
        bad = groups[(groups < 0) | (groups >= self.num_groups)]
        if bad.numel():
            raise ValueError(
                f"GroupMetric: group ids expected in [0, {self.num_groups}) but got {sorted(set(bad.tolist()))}."
            )
        if self.task == "classification":
            y_true = y.argmax(1) if y.ndim == 2 and y.shape[1] > 1 else y.flatten()
            score = y_pred[:, 1] if y_pred.shape[1] == 2 else y_pred
            self.extend(score.cpu(), y_true.long().cpu(), groups.cpu())
        else:
            y = y.float()
            dice = compute_dice(y_pred, y, include_background=self.include_background, ignore_empty=False)
            iou = compute_iou(y_pred, y, include_background=self.include_background, ignore_empty=False)
            self.extend(dice.nanmean(1).cpu(), iou.nanmean(1).cpu(), groups.cpu())

    def aggregate(self) -> dict[str, float]:
        buffers = self.get_buffer()
        if not isinstance(buffers, Sequence) or len(buffers) != 3:
            raise ValueError("GroupMetric: nothing to aggregate; call update() first.")
        a, b, groups = buffers
        if self.task == "classification":
            res = compute_group_metrics(
                self.task, groups, self.num_groups, y_score=a, y_true=b, threshold=self.threshold
            )
        else:
            res = compute_group_metrics(self.task, groups, self.num_groups, dice=a, iou=b)
        flat: dict[str, float] = {}
        for name, value in res["overall"].items():
            flat[f"{self.prefix}{name}"] = float(value)
            for g, v in enumerate(res["by_group"][name].tolist()):
                flat[f"{self.prefix}{name}_g{g}"] = float(v)
        for name, value in res["fairness"].items():
            flat[f"{self.prefix}{name}"] = float(value)
        return flat
