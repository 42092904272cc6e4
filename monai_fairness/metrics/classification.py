# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Per-group classification metrics, vectorised in torch (no per-sample Python loops).

Every function takes flat tensors ``y_true [N]`` (int class ids), ``groups [N]`` (int group ids in ``[0, K)``) and
either ``y_score [N]`` (binary: probability of class 1) or ``[N, C]`` (class probabilities), and returns one value per
group, ``[K]``. Group ``g`` of a ``[K]`` result is the metric on the samples with ``groups == g``; the overall value is
the same function with every sample in one group. Undefined values (AUC in a group holding one class, any metric in
an empty group) are NaN with a warning, never an exception. Definitions: ``docs/metrics.md``.
"""

from __future__ import annotations

import warnings

import torch

__all__ = [
    "predicted_class",
    "compute_auc_by_group",
    "compute_accuracy_by_group",
    "compute_f1_macro_by_group",
    "compute_rates_by_group",
]


def predicted_class(y_score: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """Decision rule: ``y_score >= threshold`` for binary ``[N]`` scores, argmax for ``[N, C]`` scores."""
    if y_score.ndim == 1:
        return (y_score >= threshold).long()
    return y_score.argmax(dim=1)


def _segment_auc(score: torch.Tensor, positive: torch.Tensor, segment: torch.Tensor, n_segments: int) -> torch.Tensor:
    """Mann-Whitney ROC AUC within each segment, ties counted as one half (equal to ``sklearn.roc_auc_score``).

    Args:
        score: ``[N]`` float scores.
        positive: ``[N]`` bool, the positive class.
        segment: ``[N]`` int segment ids in ``[0, n_segments)``.

    Returns:
        ``[n_segments]`` float64 AUC, NaN where a segment lacks positives or negatives.
    """
    score = score.double()
    order = torch.argsort(score, stable=True)
    order = order[torch.argsort(segment[order], stable=True)]  # by segment, then by score
    s, p, g = score[order], positive[order].double(), segment[order]
    n = s.numel()
    counts = torch.bincount(g, minlength=n_segments)
    starts = torch.cumsum(counts, 0) - counts
    position = torch.arange(n, dtype=torch.float64, device=s.device) - starts[g].double() + 1  # 1-based rank in segment
    new_run = torch.ones(n, dtype=torch.bool, device=s.device)
    if n > 1:
        new_run[1:] = (s[1:] != s[:-1]) | (g[1:] != g[:-1])
    run_id = torch.cumsum(new_run.long(), 0) - 1
    run_len = torch.bincount(run_id).double()
    run_first = position[new_run]
    rank = (run_first + (run_len - 1) / 2)[run_id]  # average rank over ties
    n_pos = torch.bincount(g, weights=p, minlength=n_segments)
    n_neg = counts.double() - n_pos
    rank_sum = torch.bincount(g, weights=rank * p, minlength=n_segments)
    auc = (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return torch.where((n_pos > 0) & (n_neg > 0), auc, torch.full_like(auc, float("nan")))


def _check_inputs(y_score: torch.Tensor, y_true: torch.Tensor, groups: torch.Tensor) -> None:
    n = y_true.shape[0]
    if y_score.shape[0] != n or groups.shape[0] != n or y_true.ndim != 1 or groups.ndim != 1:
        raise ValueError(
            f"expected y_score [N] or [N, C], y_true [N] and groups [N] but got shapes {tuple(y_score.shape)}, "
            f"{tuple(y_true.shape)}, {tuple(groups.shape)}."
        )


def _warn_nan(values: torch.Tensor, what: str) -> None:
    bad = torch.nonzero(torch.isnan(values)).flatten().tolist()
    if bad:
        warnings.warn(
            f"{what} is undefined (NaN) for group(s) {bad}: a group with no samples or a single class.", stacklevel=2
        )


def compute_auc_by_group(
    y_score: torch.Tensor, y_true: torch.Tensor, groups: torch.Tensor, num_groups: int, num_classes: int | None = None
) -> torch.Tensor:
    """ROC AUC per group: binary AUC on ``y_score [N]``, or macro one-vs-rest AUC on ``y_score [N, C]``.

    The multi-class value equals ``roc_auc_score(onehot, prob, average="macro", multi_class="ovr")``; it is NaN in a
    group where any class is absent (scikit-learn raises there).

    Returns:
        ``[K]`` float64.
    """
    _check_inputs(y_score, y_true, groups)
    groups, y_true = groups.long(), y_true.long()
    if y_score.ndim == 1:
        auc = _segment_auc(y_score, y_true == 1, groups, num_groups)
    else:
        num_classes = num_classes or y_score.shape[1]
        per_class = torch.stack(
            [_segment_auc(y_score[:, c], y_true == c, groups, num_groups) for c in range(num_classes)]
        )  # [C, K]: a loop over classes, not samples
        auc = per_class.mean(0)  # NaN if any class is undefined in the group
    _warn_nan(auc, "AUC")
    return auc


def compute_accuracy_by_group(y_pred: torch.Tensor, y_true: torch.Tensor, groups: torch.Tensor, num_groups: int):
    """Accuracy per group from predicted classes ``y_pred [N]``; returns ``[K]`` float64 (NaN for empty groups)."""
    groups = groups.long()
    n = torch.bincount(groups, minlength=num_groups).double()
    correct = torch.bincount(groups, weights=(y_pred.long() == y_true.long()).double(), minlength=num_groups)
    acc = correct / n
    _warn_nan(acc, "accuracy")
    return acc


def _confusion_by_group(
    y_pred: torch.Tensor, y_true: torch.Tensor, groups: torch.Tensor, num_groups: int, num_classes: int
) -> dict[str, torch.Tensor]:
    """One-vs-rest counts per group and class: ``tp, fp, fn, tn`` each ``[K, C]`` float64."""
    groups, y_pred, y_true = groups.long(), y_pred.long(), y_true.long()
    k, c = num_groups, num_classes
    joint = torch.bincount((groups * c + y_true) * c + y_pred, minlength=k * c * c).double().reshape(k, c, c)
    tp = torch.diagonal(joint, dim1=1, dim2=2)
    actual = joint.sum(2)  # [K, C] samples of class c
    predicted = joint.sum(1)  # [K, C] predictions of class c
    n = joint.sum((1, 2))[:, None]
    fp, fn = predicted - tp, actual - tp
    return {"tp": tp, "fp": fp, "fn": fn, "tn": n - tp - fp - fn}


def compute_f1_macro_by_group(
    y_pred: torch.Tensor, y_true: torch.Tensor, groups: torch.Tensor, num_groups: int, num_classes: int
) -> torch.Tensor:
    """Macro F1 per group, averaged over the classes present in that group's labels or predictions (as
    ``sklearn.metrics.f1_score(average="macro")``); returns ``[K]`` float64."""
    cm = _confusion_by_group(y_pred, y_true, groups, num_groups, num_classes)
    denom = 2 * cm["tp"] + cm["fp"] + cm["fn"]
    present = denom > 0
    f1 = torch.where(present, 2 * cm["tp"] / denom.clamp_min(1), torch.zeros_like(denom))
    macro = f1.sum(1) / present.sum(1)
    _warn_nan(macro, "macro F1")
    return macro


def compute_rates_by_group(
    y_pred: torch.Tensor, y_true: torch.Tensor, groups: torch.Tensor, num_groups: int, num_classes: int
) -> dict[str, torch.Tensor]:
    """One-vs-rest rates per group and class, each ``[K, C]`` float64: ``selection`` P(y_pred=c | g), ``tpr``,
    ``fpr``, ``tnr``. A rate whose denominator is 0 (no sample of class ``c`` in group ``g`` for TPR, none of the other
    classes for FPR/TNR, an empty group for the selection rate) is NaN: undefined, never 0. The SCP code and
    fairlearn's ``zero_division`` default count it as 0, which makes a group without positives look as if the model
    missed every one of them (``docs/metrics.md``)."""
    cm = _confusion_by_group(y_pred, y_true, groups, num_groups, num_classes)

    def ratio(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.where(b > 0, a / b.clamp_min(1), torch.full_like(a, float("nan")))

    n = cm["tp"] + cm["fp"] + cm["fn"] + cm["tn"]
    return {
        "selection": ratio(cm["tp"] + cm["fp"], n),
        "tpr": ratio(cm["tp"], cm["tp"] + cm["fn"]),
        "fpr": ratio(cm["fp"], cm["fp"] + cm["tn"]),
        "tnr": ratio(cm["tn"], cm["fp"] + cm["tn"]),
    }
