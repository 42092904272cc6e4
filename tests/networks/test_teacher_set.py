# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

import pytest
import torch
from torch import nn

from monai_fairness.networks import FrozenTeacherSet


class ConstantTeacher(nn.Module):
    """Outputs a distinct constant per teacher and records the batch sizes it was called with."""

    def __init__(self, value: float):
        super().__init__()
        self.value = nn.Parameter(torch.tensor(value))
        self.bn = nn.BatchNorm1d(1)
        self.seen: list[int] = []

    def forward(self, x):
        self.seen.append(x.shape[0])
        return self.value.expand(x.shape[0], 3).clone()


def test_each_sample_goes_to_its_own_groups_teacher_only():
    teachers = [ConstantTeacher(10.0), ConstantTeacher(20.0), ConstantTeacher(30.0)]
    ts = FrozenTeacherSet(teachers)
    groups = torch.tensor([2, 0, 2, 1, 0])
    out = ts(torch.zeros(5, 4), groups)
    torch.testing.assert_close(out[:, 0], torch.tensor([30.0, 10.0, 30.0, 20.0, 10.0]))
    assert [t.seen for t in teachers] == [[2], [1], [2]]  # one call per group present, on its own samples only
    assert not out.requires_grad


def test_teachers_stay_frozen_in_eval_mode():
    ts = FrozenTeacherSet({0: ConstantTeacher(1.0), 1: ConstantTeacher(2.0)})
    parent = nn.Sequential(ts)
    parent.train()  # what SupervisedTrainer does to its network every iteration
    assert not ts.training and all(not m.training for m in ts.modules())
    assert all(not p.requires_grad for p in ts.parameters())


def test_mean_routing_and_unknown_group():
    ts = FrozenTeacherSet([ConstantTeacher(1.0), ConstantTeacher(3.0)], routing="mean")
    torch.testing.assert_close(ts(torch.zeros(2, 1), torch.tensor([0, 0]))[:, 0], torch.tensor([2.0, 2.0]))
    own = FrozenTeacherSet([ConstantTeacher(1.0), ConstantTeacher(3.0)])
    with pytest.raises(ValueError, match="groups expected ids with a teacher \\[0, 1\\] but got ids \\[2\\]"):
        own(torch.zeros(2, 1), torch.tensor([0, 2]))


def test_from_checkpoints_loads_weights_and_names_a_missing_teacher(tmp_path):
    template = nn.Linear(3, 2)
    for k in range(2):
        net = nn.Linear(3, 2)
        nn.init.constant_(net.weight, float(k + 1))
        torch.save(net.state_dict(), tmp_path / f"teacher_g{k}.pt")
    paths = [str(tmp_path / f"teacher_g{k}.pt") for k in range(2)]
    ts = FrozenTeacherSet.from_checkpoints(template, paths)
    out = ts(torch.ones(2, 3), torch.tensor([0, 1]))
    assert float(out[0, 0] - ts.teachers["0"].bias[0]) == pytest.approx(3.0)
    assert float(out[1, 0] - ts.teachers["1"].bias[0]) == pytest.approx(6.0)
    assert template.weight.requires_grad  # the template is copied, never modified
    with pytest.raises(FileNotFoundError, match="teacher of group 2 expected at .*teacher_g2.pt.*group_id=2"):
        FrozenTeacherSet.from_checkpoints(template, paths + [str(tmp_path / "teacher_g2.pt")])
