# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""FairDi stage 2: distil the per-group teachers into one student."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch.utils.data import DataLoader

from monai_fairness.data.group_sampling import endless
from monai_fairness.engines.fis_trainer import draw_group_losses
from monai_fairness.engines.group_trainer import GroupAwareTrainer
from monai_fairness.losses.distillation import DistillationLoss, FairDistillationLoss, GroupRoutedDistillationLoss
from monai_fairness.losses.fair_identity_scaling import FairIdentityScalingLoss, FairIdentityScalingObjective
from monai_fairness.networks.teacher_set import FrozenTeacherSet

__all__ = ["DistillationTrainer"]


class DistillationTrainer(GroupAwareTrainer):
    """Student training on :class:`~monai_fairness.losses.FairDistillationLoss` (FairDi stage 2): ``L =
    task_weight * L_task(S(x), y) + kd_weight * L_KD(S(x), T_{a}(x))``.

    The teachers (:class:`~monai_fairness.networks.FrozenTeacherSet`) see the student's own (augmented) input and
    each sample goes to its own group's teacher, under ``no_grad`` and in eval mode. They must not be part of
    ``network`` or of the optimizer (checked here). ``engine.state.output`` holds ``loss``, ``loss_task`` and
    ``loss_kd``. With ``kd_weight`` 0 (the ``student_no_kd`` control) the teachers never run.

    Reference: Masroor et al., "Fair Distillation: Teaching Fairness from Biased Teachers in Medical Imaging", arXiv
    2411.11939. KL form, temperature 4 and unit weights are our choices (``docs/methods.md``).

    Args:
        teachers: the frozen teacher set; None only with ``kd_weight`` 0 (the ``student_no_kd`` control).
        kd_loss: default ``DistillationLoss(temperature=4, activation="softmax")``.
        kd_weight: ``lambda_KD``; default 1.
        task_weight: weight of ``loss_function``; default 1.
        group_loaders: ``{group_id: DataLoader}`` of single-group batches: makes the task term Fair Identity Scaling
            over ``loss_function`` (which then has ``reduction="none"``), as in the paper-shaped variant
            ``lambda * tau^2 * KL + (1 - lambda) * FIS`` (``train_student_fis_kd.json``); None (default): plain mean
            task loss.
        fis_loss: the FIS loss with ``group_loaders``; default ``FairIdentityScalingLoss()``.
        args, kwargs: :class:`GroupAwareTrainer` arguments (``stage`` defaults to ``"train_student"``).

    Raises:
        ValueError: When a teacher parameter is in the optimizer or inside ``network``.
    """

    def __init__(
        self,
        *args: Any,
        teachers: FrozenTeacherSet | None,
        kd_loss: DistillationLoss | None = None,
        kd_weight: float = 1.0,
        task_weight: float = 1.0,
        group_loaders: Mapping[int, DataLoader] | None = None,
        fis_loss: FairIdentityScalingLoss | None = None,
        **kwargs: Any,
    ):
        kwargs.setdefault("stage", "train_student")
        super().__init__(*args, **kwargs)
        self._group_iters = {int(k): endless(v) for k, v in (group_loaders or {}).items()}
        if group_loaders is not None and not self._group_iters:
            raise ValueError("group_loaders expected one loader per group but got none.")
        if self._group_iters:
            self.objective = FairIdentityScalingObjective(self.objective, fis_loss)
        if teachers is None and float(kd_weight) == 0:
            self.teachers = None
            self.objective = FairDistillationLoss(self.objective, None, kd_weight, task_weight)
            return
        if not isinstance(teachers, FrozenTeacherSet):
            raise TypeError(
                f"teachers expected a FrozenTeacherSet (None only with kd_weight 0) but got {type(teachers).__name__}."
            )
        teacher_params = {id(p) for p in teachers.parameters()}
        in_optimizer = any(id(p) in teacher_params for grp in self.optimizer.param_groups for p in grp["params"])
        in_network = any(id(p) in teacher_params for p in self.network.parameters())
        if in_optimizer or in_network:
            raise ValueError(
                "teachers expected outside the student's optimizer and network but "
                + ("the optimizer" if in_optimizer else "the network")
                + " holds teacher parameters."
            )
        self.teachers = teachers
        routed = GroupRoutedDistillationLoss(teachers, kd=kd_loss if kd_loss is not None else DistillationLoss())
        self.objective = FairDistillationLoss(self.objective, routed, kd_weight, task_weight)

    def compute_losses(
        self, inputs: torch.Tensor, targets: torch.Tensor, groups: torch.Tensor, pred: torch.Tensor
    ) -> Mapping[str, torch.Tensor]:
        if not self._group_iters:
            return self.objective(pred, targets, groups, inputs)
        group_losses = draw_group_losses(self, self._group_iters, self.objective.task_loss)
        return self.objective(pred, targets, groups, inputs, group_losses)
