# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The validation loss that model selection breaks ties of a saturated key metric with, on its own."""

from __future__ import annotations

from typing import Any

import torch
from monai.metrics import CumulativeIterationMetric

from monai_fairness.metrics.group import _to_batch

__all__ = ["TaskLossMetric"]


class TaskLossMetric(CumulativeIterationMetric):
    """The task's mean per-sample loss over an epoch (:meth:`monai_fairness.tasks.Task.loss`: cross-entropy of the
    predicted probabilities for classification, ``1 - Dice`` per case for segmentation).

    :class:`~monai_fairness.metrics.GroupMetric` reports the same value as ``<prefix>loss`` next to the group metrics;
    this metric computes it alone, for a validation that has no group metrics (FairDi's teachers validate on one
    group), so that :class:`~monai_fairness.handlers.BestModelSelector` can still break ties of a saturated key metric
    (a teacher's own-group AUC is often 1.0 from its first epoch). MONAI's ``LossMetric`` needs a loss function of the
    raw network output; this one reads the post-processed predictions the evaluator's other metrics read. Wrap it in
    ``monai.handlers.IgniteMetricHandler(metric_fn=TaskLossMetric(...))``.

    Args:
        task: ``classification`` or ``segmentation`` (or a task object).
        threshold: binary decision threshold (classification).
        include_background: segmentation only.
    """

    def __init__(self, task: Any = "classification", threshold: float = 0.5, include_background: bool = False):
        super().__init__()
        from monai_fairness.tasks import get_task  # tasks import metrics: resolved at construction, not import

        self.task = get_task(task, threshold=threshold, include_background=include_background)

    def __call__(self, y_pred: Any, y: Any = None, **kwargs: Any) -> Any:
        """Accept a batch or the decollated list an evaluator's handler passes (labels may be plain numbers)."""
        return super().__call__(_to_batch(y_pred), None if y is None else _to_batch(y), **kwargs)

    def _compute_tensor(self, y_pred: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
        """Args: a batch of post-processed predictions ``(B, C[, *spatial])`` and labels. Returns the per-sample
        values the task's loss needs, one ``(B[, C])`` tensor per ``task.sample_keys``."""
        values = self.task.per_sample(y_pred, y)
        return tuple(values[k].detach().cpu() for k in self.task.sample_keys)

    def aggregate(self) -> torch.Tensor:
        """The mean loss over every buffered sample, a 0-dim tensor."""
        buffers = self.get_buffer()
        if not isinstance(buffers, (list, tuple)) or len(buffers) != len(self.task.sample_keys):
            raise ValueError("TaskLossMetric: nothing to aggregate; call it on a batch first.")
        return torch.tensor(self.task.loss(dict(zip(self.task.sample_keys, buffers, strict=True))))
