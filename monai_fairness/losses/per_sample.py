# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Task losses that return one value per sample, as FIS and group re-weighting need."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from monai.losses import DiceLoss
from torch.nn.modules.loss import _Loss

__all__ = ["PerSampleDiceCELoss", "per_sample"]


def per_sample(loss: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Reduce an unreduced loss (``(B,)``, ``(B, C, ...)`` or ``(B, ...)``) to ``(B,)`` by the mean over other dims.

    Raises:
        ValueError: When the loss is already reduced over the batch (the loss needs ``reduction="none"``).
    """
    if loss.ndim == 0 or loss.shape[0] != batch_size:
        raise ValueError(
            f"loss expected one value per sample (leading dim {batch_size}) but got shape {tuple(loss.shape)}; "
            "build the task loss with reduction='none'."
        )
    return loss.reshape(batch_size, -1).mean(dim=1)


class PerSampleDiceCELoss(_Loss):
    """Dice + cross-entropy per sample, shape ``(B,)`` (MONAI's ``DiceCELoss`` has no ``reduction="none"``).

    ``l_i = lambda_dice * mean_c Dice_loss_{i,c} + lambda_ce * mean_voxels CE_i``, with MONAI ``DiceLoss(to_onehot_y,
    softmax)``. The batch mean equals ``DiceCELoss(to_onehot_y=True, softmax=True)`` with default weights.

    Args:
        include_background: passed to ``DiceLoss``.
        lambda_dice, lambda_ce: weights of the two parts.
        smooth_nr, smooth_dr: Dice smoothing, as in MONAI.
    """

    def __init__(
        self,
        include_background: bool = True,
        lambda_dice: float = 1.0,
        lambda_ce: float = 1.0,
        smooth_nr: float = 1e-5,
        smooth_dr: float = 1e-5,
    ):
        super().__init__()
        self.dice = DiceLoss(
            include_background=include_background,
            to_onehot_y=True,
            softmax=True,
            reduction="none",
            smooth_nr=smooth_nr,
            smooth_dr=smooth_dr,
        )
        self.lambda_dice, self.lambda_ce = lambda_dice, lambda_ce

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Args: logits ``(B, C, H, W[, D])``, label ``(B, 1, H, W[, D])`` of class ids. Returns ``(B,)``."""
        b = input.shape[0]
        dice = per_sample(self.dice(input, target), b)
        ce = per_sample(F.cross_entropy(input, target[:, 0].long(), reduction="none"), b)
        return self.lambda_dice * dice + self.lambda_ce * ce
