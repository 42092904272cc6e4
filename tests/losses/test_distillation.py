# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from monai_fairness.losses import DistillationLoss, GroupRoutedDistillationLoss
from monai_fairness.networks import FrozenTeacherSet

# teacher p = [3/4, 1/4], student p = [1/2, 1/2]: KL = 3/4 ln(3/2) + 1/4 ln(1/2)
KL_HAND = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)


@pytest.mark.parametrize("tau", [1.0, 2.0, 4.0])
def test_softmax_kd_by_hand(tau):
    student = torch.zeros(2, 2)
    teacher = torch.tensor([[tau * math.log(3), 0.0], [0.0, 0.0]])  # sample 2: identical -> KL 0
    loss = DistillationLoss(temperature=tau)(student, teacher)
    assert float(loss) == pytest.approx(tau**2 * KL_HAND / 2, rel=1e-6)


def test_voxelwise_and_sigmoid_kd_by_hand():
    student = torch.zeros(1, 2, 2, 2)
    teacher = torch.zeros(1, 2, 2, 2)
    teacher[0, 0, 0, 0] = math.log(3)  # one voxel of four differs
    assert float(DistillationLoss(temperature=1.0)(student, teacher)) == pytest.approx(KL_HAND / 4, rel=1e-6)
    # sigmoid: each channel a Bernoulli; p_T = 3/4 vs p_S = 1/2 on one channel of one voxel
    sig = DistillationLoss(temperature=1.0, activation="sigmoid")(student, teacher)
    assert float(sig) == pytest.approx(KL_HAND / 4, rel=1e-6)


def test_gradient_flows_to_student_only():
    student = torch.zeros(3, 4, requires_grad=True)
    teacher = torch.randn(3, 4, requires_grad=True)
    DistillationLoss()(student, teacher).backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert teacher.grad is None


class Constant(nn.Module):
    def __init__(self, value: float):
        super().__init__()
        self.value = nn.Parameter(torch.tensor(value))

    def forward(self, x):
        return self.value.expand(x.shape[0], 2) * torch.tensor([1.0, 0.0])


def test_group_routed_kd_uses_each_samples_own_teacher():
    teachers = FrozenTeacherSet([Constant(0.0), Constant(math.log(3))])
    kd = GroupRoutedDistillationLoss(teachers, temperature=1.0)
    student, x = torch.zeros(2, 2), torch.zeros(2, 5)
    # group 0 -> teacher 0 outputs [0, 0] = student (KL 0); group 1 -> teacher 1 outputs [ln 3, 0] (KL_HAND)
    assert float(kd(student, x, torch.tensor([0, 1]))) == pytest.approx(KL_HAND / 2, rel=1e-6)
    assert float(kd(student, x, torch.tensor([0, 0]))) == pytest.approx(0.0, abs=1e-7)


def test_shape_mismatch_and_bad_options():
    with pytest.raises(ValueError, match="teacher_logits expected the student's shape"):
        DistillationLoss()(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="temperature expected > 0"):
        DistillationLoss(temperature=0)
    with pytest.raises(ValueError, match="sigmoid|softmax"):
        DistillationLoss(activation="softmx")
