# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The method objectives as loss modules, on tiny cases computed by hand."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from monai_fairness.losses import (
    APPLEDiscriminatorLoss,
    APPLEPerturberLoss,
    AttributeAdversarialLoss,
    DistillationLoss,
    FairDistillationLoss,
    FairIdentityScalingLoss,
    FairIdentityScalingObjective,
    GroupRoutedDistillationLoss,
)
from monai_fairness.networks import FrozenTeacherSet

T = torch.tensor


def test_discriminator_loss_weights_groups_by_inverse_batch_frequency():
    logits = T([[2.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    groups = T([0, 0, 0, 1])
    ce = F.cross_entropy(logits, groups, reduction="none")
    w = T([4 / 6, 4 / 6, 4 / 6, 2.0])  # B / (K' n_k): 4 / (2 * 3), 4 / (2 * 1)
    assert float(APPLEDiscriminatorLoss()(logits, groups)) == pytest.approx(float((w * ce).sum() / w.sum()))
    assert float(APPLEDiscriminatorLoss(balanced=False)(logits, groups)) == pytest.approx(float(ce.mean()))


def test_perturber_loss_weights_each_term_by_its_own_weight():
    pred, target = torch.randn(2, 3), T([0, 2])
    f_o, f_p = torch.zeros(2, 4, 2), torch.full((2, 4, 2), 0.5)
    logits = T([[1.0, -1.0], [0.0, 0.0]])
    seg = F.cross_entropy(pred, target)
    adv = float(AttributeAdversarialLoss()(logits))
    loss = APPLEPerturberLoss(nn.CrossEntropyLoss(), alpha=0.2, beta=3.0, gamma=5.0)
    out = loss(pred, target, T([0, 1]), f_o, f_p, logits)
    assert float(out["mag"]) == pytest.approx(0.25)
    assert float(out["loss"]) == pytest.approx(3.0 * float(seg) + 0.2 * adv + 5.0 * 0.25)
    assert float(out["adv"]) == pytest.approx(adv) and float(out["align"]) == 0.0
    with pytest.raises(ValueError, match="gamma expected a weight >= 0 but got -1"):
        APPLEPerturberLoss(nn.CrossEntropyLoss(), gamma=-1)


class _Constant(nn.Module):
    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return torch.full((x.shape[0], 2), self.value)


def test_fair_distillation_routes_each_sample_to_its_teacher_and_weights_the_parts():
    t0, t1 = _Constant(1.0), _Constant(-1.0)
    teachers = FrozenTeacherSet({0: t0, 1: t1})
    student = T([[0.3, -0.2], [0.1, 0.4]], requires_grad=True)
    x, y, g = torch.zeros(2, 3), T([0, 1]), T([0, 1])
    kd = DistillationLoss(temperature=2.0)
    loss = FairDistillationLoss(nn.CrossEntropyLoss(), GroupRoutedDistillationLoss(teachers, kd=kd), 0.5, 2.0)
    out = loss(student, y, g, x)
    expected_kd = kd(student, torch.stack([torch.full((2,), 1.0), torch.full((2,), -1.0)]))
    assert float(out["kd"]) == pytest.approx(float(expected_kd))
    assert float(out["loss"]) == pytest.approx(2.0 * float(F.cross_entropy(student, y)) + 0.5 * float(expected_kd))
    calls = t0.calls + t1.calls
    no_kd = FairDistillationLoss(nn.CrossEntropyLoss(), GroupRoutedDistillationLoss(teachers), kd_weight=0.0)
    out = no_kd(student, y, g, x)
    assert t0.calls + t1.calls == calls and float(out["kd"]) == 0.0  # the control never runs a teacher


def test_fis_objective_is_fis_of_the_per_sample_task_loss():
    pred, target, groups = torch.randn(4, 2), T([0, 1, 1, 0]), T([0, 0, 1, 1])
    group_losses = {0: T([0.2, 0.4, 0.3]), 1: T([1.0, 1.5])}
    objective = FairIdentityScalingObjective(nn.CrossEntropyLoss(reduction="none"), FairIdentityScalingLoss(c=0.3))
    out = objective(pred, target, groups, group_losses)
    per_sample = F.cross_entropy(pred, target, reduction="none")
    assert float(out["loss"]) == pytest.approx(float(FairIdentityScalingLoss(c=0.3)(per_sample, groups, group_losses)))
    assert float(out["task"]) == pytest.approx(float(per_sample.mean()))
    assert math.isfinite(float(out["loss"]))
