# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Loss re-weighting by inverse group frequency (a pre-processing fairness baseline)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch.nn.modules.loss import _Loss

from monai_fairness.losses.per_sample import per_sample

__all__ = ["GroupReweightedLoss"]


class GroupReweightedLoss(_Loss):
    """``L = sum_i w_{a_i} * l_i / sum_i w_{a_i}``: per-sample task losses weighted by a per-group weight.

    With ``group_weights = N / (K * n_k)`` (:func:`monai_fairness.data.group_frequency_weights`) every group carries
    the same total weight in expectation, the "re-weighting" baseline of ``docs/methods.md``.

    Args:
        loss: task loss with ``reduction="none"`` (e.g. ``torch.nn.CrossEntropyLoss(reduction="none")`` or
            :class:`~monai_fairness.losses.PerSampleDiceCELoss`).
        group_weights: weight of each group id, length ``K``.
        normalize: divide by the batch's weight sum (True) or by ``B`` (False).
    """

    def __init__(self, loss: Callable[..., torch.Tensor], group_weights: Sequence[float], normalize: bool = True):
        super().__init__()
        weights = torch.as_tensor(list(group_weights), dtype=torch.float32)
        if weights.ndim != 1 or len(weights) == 0 or (weights < 0).any():
            raise ValueError(f"group_weights expected K >= 1 non-negative values but got {list(group_weights)!r}.")
        self.loss = loss
        self.register_buffer("group_weights", weights)
        self.normalize = normalize

    def forward(self, input: torch.Tensor, target: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
        """Args: prediction ``(B, C, ...)``, target, group ids ``(B,)``. Returns a 0-dim tensor."""
        g = groups.long().to(self.group_weights.device)
        if g.min() < 0 or g.max() >= len(self.group_weights):
            raise ValueError(
                f"groups expected ids in [0, {len(self.group_weights) - 1}] but got {sorted(set(g.tolist()))}."
            )
        w = self.group_weights[g].to(input.device)
        losses = per_sample(self.loss(input, target), input.shape[0])
        return (w * losses).sum() / (w.sum() if self.normalize else len(w))
