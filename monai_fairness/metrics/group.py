# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The cumulative group metric: buffer ``(y_pred, y, groups)`` during an evaluation, compute every group metric once.

:class:`GroupMetric` reduces each batch to the task's per-sample values (``y_score``/``y_true`` or ``dice``/``iou``,
:meth:`monai_fairness.tasks.FairnessTask.per_sample`), buffers them MONAI style (a ``Cumulative``, all-gathered under
DDP) and aggregates through :meth:`~monai_fairness.tasks.FairnessTask.evaluate`, the very function the test report
uses, into a flat dict of floats such as ``auc``, ``auc_g0``, ``worst_group_auc`` for ``engine.state.metrics``,
MLflow and CheckpointSaver.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch
from monai.metrics import Cumulative

__all__ = ["GroupMetric"]


def _to_batch(x: Any) -> torch.Tensor:
    if isinstance(x, (list, tuple)):
        return torch.stack([torch.as_tensor(i) for i in x])
    return torch.as_tensor(x)


class GroupMetric(Cumulative):
    """Cumulative per-group metric: buffer ``(y_pred, y, groups)`` each iteration, compute everything at the end.

    Classification: ``y_pred`` ``[B, C]`` probabilities (``Activationsd(softmax=True)``), ``y`` ``[B]`` class ids or
    ``[B, C]`` one-hot. Segmentation: ``y_pred`` and ``y`` discrete one-hot ``[B, C, H, W(, D)]``; per-sample Dice and
    IoU (background excluded unless ``include_background``) are buffered instead of the masks.

    ``aggregate()`` returns a flat dict of floats: overall utility (``auc``...), per group under the group's own id
    (``auc_g1``, ``auc_g2`` for sex coded 1/2), the fairness entries (``worst_group_auc``, ``auc_gap``...) and
    ``loss`` (:meth:`~monai_fairness.tasks.FairnessTask.loss`: mean cross-entropy of the probabilities, or mean Dice
    loss), every key prefixed with ``prefix``. Only groups present in the evaluation enter a gap; an undefined value is
    NaN (never 0), and a NaN headline is never "best" for a checkpoint saver. :attr:`result` keeps the last
    :class:`~monai_fairness.tasks.TaskResult` (with the reasons of undefined values).

    Args:
        task: ``classification`` or ``segmentation`` (or a task object).
        num_groups: the declared groups are ``0..num_groups-1`` (older configs); prefer ``group_ids``.
        threshold: binary decision threshold.
        prefix: prepended to every key, e.g. ``"val_"``.
        include_background: segmentation only.
        group_ids: the declared group ids (the datalist's ``groups`` keys); an id outside them is an error. None (and
            no ``num_groups``): every id is accepted.
    """

    def __init__(
        self,
        task: Any = "classification",
        num_groups: int | None = None,
        threshold: float = 0.5,
        prefix: str = "",
        include_background: bool = False,
        group_ids: Sequence[int | str] | None = None,
    ) -> None:
        super().__init__()
        from monai_fairness.tasks import get_task  # tasks import metrics: resolved at construction, not import

        self.task = get_task(task, threshold=threshold, include_background=include_background)
        if group_ids is None and num_groups is not None:
            if int(num_groups) < 2:
                raise ValueError(f"GroupMetric: 'num_groups' expected at least 2 but got {num_groups}.")
            group_ids = list(range(int(num_groups)))
        self.group_ids = None if group_ids is None else sorted(int(g) for g in group_ids)
        self.prefix = prefix
        self.result: Any = None

    def update(self, y_pred: Any, y: Any, groups: Any) -> None:
        y_pred, y, groups = _to_batch(y_pred), _to_batch(y), _to_batch(groups).long().flatten()
        if y_pred.shape[0] != groups.shape[0]:
            raise ValueError(
                f"GroupMetric: expected one group per sample but got {groups.shape[0]} groups for a batch of "
                f"{y_pred.shape[0]}."
            )
        if self.group_ids is not None:
            bad = sorted(set(groups.tolist()) - set(self.group_ids))
            if bad:
                raise ValueError(f"GroupMetric: group ids expected among the declared {self.group_ids} but got {bad}.")
        values = self.task.per_sample(y_pred, y)
        self.extend(*[values[k].cpu() for k in self.task.sample_keys], groups.cpu())

    def aggregate(self) -> dict[str, float]:
        buffers = self.get_buffer()
        if not isinstance(buffers, Sequence) or len(buffers) != len(self.task.sample_keys) + 1:
            raise ValueError("GroupMetric: nothing to aggregate; call update() first.")
        values = dict(zip(self.task.sample_keys, buffers[:-1], strict=True))
        self.result = self.task.evaluate(values, buffers[-1], self.group_ids)
        for metric, reason in self.result.undefined.items():
            warnings.warn(f"GroupMetric: {self.prefix}{metric} is undefined (NaN): {reason}.", stacklevel=2)
        flat = self.result.flat(self.prefix)
        flat[f"{self.prefix}loss"] = self.task.loss(values)  # what model selection breaks ties of the key metric with
        return flat
