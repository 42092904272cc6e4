# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Knowledge-distillation losses; the group-routed one is FairDi's student objective."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
import torch.nn.functional as F
from monai.utils import StrEnum, look_up_option
from torch.nn.modules.loss import _Loss

from monai_fairness.losses.fair_identity_scaling import FairIdentityScalingObjective
from monai_fairness.networks.teacher_set import FrozenTeacherSet

__all__ = ["DistillationLoss", "FairDistillationLoss", "GroupRoutedDistillationLoss", "KDActivation"]


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
    (4) and the weights are our choices (``docs/methods.md``).

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
        kd: a :class:`DistillationLoss` to use instead of one built from ``temperature`` and ``activation``.
    """

    def __init__(
        self,
        teachers: FrozenTeacherSet,
        temperature: float = 4.0,
        activation: str = KDActivation.SOFTMAX,
        kd: DistillationLoss | None = None,
    ):
        super().__init__()
        if not isinstance(teachers, FrozenTeacherSet):
            raise TypeError(f"teachers expected a FrozenTeacherSet but got {type(teachers).__name__}.")
        self.teachers = teachers
        self.kd = kd if kd is not None else DistillationLoss(temperature, activation)

    def forward(self, student_logits: torch.Tensor, images: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
        """Args: student logits ``(B, C, ...)``, the student's input ``(B, C_in, ...)``, group ids ``(B,)``."""
        return self.kd(student_logits, self.teachers(images, groups))


class FairDistillationLoss(_Loss):
    """FairDi's student objective: ``L = task_weight * L_task(S(x), y) + kd_weight * L_KD(S(x), T_{a}(x))``.

    ``L_KD`` is :class:`GroupRoutedDistillationLoss`: each sample is taught by its own group's frozen teacher, which
    sees the student's own (augmented) input. Masroor et al., "Fair Distillation", arXiv 2411.11939; the KL form,
    temperature 4 and unit weights are our choices (``docs/methods.md``). Returns ``{"loss": L, "task": L_task,
    "kd": L_KD}`` so that trainers log each part.

    The paper-shaped variant (a third-party reimplementation's reading, not the authors' code: ``docs/methods.md``)
    is ``lambda * tau^2 * KL + (1 - lambda) * FIS``: ``kd_weight = lambda``, ``task_weight = 1 - lambda`` and a
    :class:`~monai_fairness.losses.FairIdentityScalingObjective` as ``task_loss``, which then needs the extra
    per-group losses (``group_losses``) that :class:`~monai_fairness.engines.DistillationTrainer` draws.

    Args:
        task_loss: the task loss (e.g. ``CrossEntropyLoss()``, ``DiceCELoss``; its mean is taken), or a
            ``FairIdentityScalingObjective`` (its FIS-weighted loss is the task term).
        kd: the group-routed distillation term (None only with ``kd_weight`` 0: a control without teachers).
        kd_weight: ``lambda_KD >= 0``.
        task_weight: weight of the task loss, ``>= 0``.

    Raises:
        ValueError: When a weight is negative.
    """

    def __init__(
        self,
        task_loss: Callable[..., torch.Tensor],
        kd: GroupRoutedDistillationLoss | None,
        kd_weight: float = 1.0,
        task_weight: float = 1.0,
    ):
        super().__init__()
        for name, value in (("kd_weight", kd_weight), ("task_weight", task_weight)):
            if float(value) < 0:
                raise ValueError(f"{name} expected a weight >= 0 but got {value!r}.")
        if kd is None and float(kd_weight) != 0:
            raise ValueError(f"kd expected a GroupRoutedDistillationLoss when kd_weight is {kd_weight!r} (not 0).")
        self.task_loss, self.kd = task_loss, kd
        self.kd_weight, self.task_weight = float(kd_weight), float(task_weight)

    @property
    def needs_group_losses(self) -> bool:
        """True when the task term is FIS, which needs the extra per-group losses of each iteration."""
        return isinstance(self.task_loss, FairIdentityScalingObjective)

    def forward(
        self,
        student_logits: torch.Tensor,
        target: torch.Tensor,
        groups: torch.Tensor,
        images: torch.Tensor,
        group_losses: Mapping[int, torch.Tensor] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Args: student logits ``(B, C, ...)``, target, group ids ``(B,)``, the student's input ``(B, C_in, ...)``,
        and with a FIS task term the extra per-group losses ``{k: (N_k,)}``."""
        if self.needs_group_losses:
            if group_losses is None:
                raise ValueError("group_losses expected (extra losses per group) with a FIS task term but got None.")
            task = self.task_loss(student_logits, target, groups, group_losses)["loss"]
        else:
            task = self.task_loss(student_logits, target).mean()
        if self.kd_weight == 0 or self.kd is None:  # the control without distillation: no teacher forward at all
            kd = torch.zeros((), device=student_logits.device)
        else:
            kd = self.kd(student_logits, images, groups)
        return {"loss": self.task_weight * task + self.kd_weight * kd, "task": task.detach(), "kd": kd.detach()}
