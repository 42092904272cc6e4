# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Knowledge-distillation losses; the group-routed one is FairDi's student objective."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from monai.utils import StrEnum, look_up_option
from torch.nn.modules.loss import _Loss

from monai_fairness.networks.teacher_set import FrozenTeacherSet

__all__ = ["DistillationLoss", "GroupRoutedDistillationLoss", "KDActivation"]


class KDActivation(StrEnum):
    SOFTMAX = "softmax"
    SIGMOID = "sigmoid"


class DistillationLoss(_Loss):
    """Temperature-scaled KL divergence from teacher to student outputs (Hinton et al., 2015).

    - ``softmax``: ``tau^2 * KL(softmax(z_T / tau) || softmax(z_S / tau))`` summed over channels (dim 1), averaged over
      the batch and, for segmentation, over every voxel (voxel-wise distillation);
    - ``sigmoid`` (multi-label outputs): per-channel Bernoulli KL of ``sigmoid(z / tau)``, summed over channels,
      averaged over batch and voxels, times ``tau^2``.

    FairDi (Masroor et al., arXiv 2411.11939) distils each sample from its own group's teacher; the KL form, ``tau``
    (4) and the weights are our choices (``shared/design/methods.md`` section 4).

    Args:
        temperature: ``tau > 0``.
        activation: ``"softmax"`` or ``"sigmoid"``.
    """

    def __init__(self, temperature: float = 4.0, activation: str = KDActivation.SOFTMAX):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature expected > 0 but got {temperature!r}.")
        self.temperature = float(temperature)
        self.activation = look_up_option(activation, KDActivation)

    def forward(self, student_logits: torch.Tensor, teacher_logits: torch.Tensor) -> torch.Tensor:
        """Args: student and teacher logits of the same shape ``(B, C[, H, W[, D]])``. Returns a 0-dim tensor."""
        if student_logits.shape != teacher_logits.shape:
            raise ValueError(
                f"teacher_logits expected the student's shape {tuple(student_logits.shape)} but got "
                f"{tuple(teacher_logits.shape)}."
            )
        t = self.temperature
        zs, zt = student_logits.float() / t, teacher_logits.detach().float() / t
        if self.activation == KDActivation.SOFTMAX:
            log_ps, log_pt = F.log_softmax(zs, dim=1), F.log_softmax(zt, dim=1)
            kl = (log_pt.exp() * (log_pt - log_ps)).sum(dim=1)
        else:
            log_ps, log_qs = F.logsigmoid(zs), F.logsigmoid(-zs)
            log_pt, log_qt = F.logsigmoid(zt), F.logsigmoid(-zt)
            kl = (log_pt.exp() * (log_pt - log_ps) + log_qt.exp() * (log_qt - log_qs)).sum(dim=1)
        return kl.mean() * t * t


class GroupRoutedDistillationLoss(_Loss):
    """:class:`DistillationLoss` against the sample's own group's teacher ``T_{a_i}(x_i)``.

    The teachers run inside :class:`~monai_fairness.networks.FrozenTeacherSet` (eval mode, no grad, each only on its
    own group's samples). FairDi stage 2 (Masroor et al., arXiv 2411.11939).

    Args:
        teachers: the frozen teacher set.
        temperature, activation: see :class:`DistillationLoss`.
    """

    def __init__(self, teachers: FrozenTeacherSet, temperature: float = 4.0, activation: str = KDActivation.SOFTMAX):
        super().__init__()
        if not isinstance(teachers, FrozenTeacherSet):
            raise TypeError(f"teachers expected a FrozenTeacherSet but got {type(teachers).__name__}.")
        self.teachers = teachers
        self.kd = DistillationLoss(temperature, activation)

    def forward(self, student_logits: torch.Tensor, images: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
        """Args: student logits ``(B, C, ...)``, the student's input ``(B, C_in, ...)``, group ids ``(B,)``."""
        return self.kd(student_logits, self.teachers(images, groups))
