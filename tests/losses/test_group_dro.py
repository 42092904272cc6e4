# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""GroupDRO's online group weights on a hand-computed three-group case."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from monai_fairness.losses import GroupDROLoss


class _Given(nn.Module):
    """A 'task loss' that returns the per-sample losses it is given as the prediction."""

    def forward(self, input, target):
        return input[:, 0]


def test_weights_and_loss_by_hand_for_three_groups():
    loss = GroupDROLoss(_Given(), group_ids=[1, 4, 7], eta=0.5)  # ids are labels: 1, 4, 7
    per_sample = torch.tensor([[1.0], [1.0], [2.0], [3.0], [3.0], [3.0]], requires_grad=True)
    groups = torch.tensor([1, 1, 4, 7, 7, 7])
    out = loss(per_sample, None, groups)
    # group means 1, 2, 3; q = (1/3) exp(0.5 L) normalised
    e = [math.exp(0.5 * v) for v in (1.0, 2.0, 3.0)]
    q = [v / sum(e) for v in e]
    assert [float(out[f"weight_g{g}"]) for g in (1, 4, 7)] == pytest.approx(q)
    assert float(out["loss"]) == pytest.approx(q[0] * 1 + q[1] * 2 + q[2] * 3)
    out["loss"].backward()
    # d loss / d l_i = q_g / n_g for sample i of group g
    assert per_sample.grad[:, 0].tolist() == pytest.approx([q[0] / 2, q[0] / 2, q[1], q[2] / 3, q[2] / 3, q[2] / 3])


def test_the_worst_groups_weight_keeps_growing_and_resumes():
    loss = GroupDROLoss(_Given(), group_ids=[0, 1, 2], eta=0.1)
    per_sample = torch.tensor([[0.2], [0.5], [2.0]])
    groups = torch.tensor([0, 1, 2])
    history = [float(loss(per_sample, None, groups)["weight_g2"]) for _ in range(5)]
    assert history == sorted(history) and history[-1] > 1 / 3
    restored = GroupDROLoss(_Given(), group_ids=[0, 1, 2], eta=0.1)
    restored.load_state_dict(loss.state_dict())  # the resume checkpoint carries the weights
    assert torch.equal(restored.weights, loss.weights)


def test_size_adjustment_favours_small_groups_and_bad_input():
    adjusted = GroupDROLoss(_Given(), [0, 1], eta=1.0, size_adjustment=1.0, group_counts={0: 100, 1: 4})
    out = adjusted(torch.tensor([[1.0], [1.0]]), None, torch.tensor([0, 1]))
    assert float(out["weight_g1"]) > float(out["weight_g0"])  # same loss, smaller group: C / sqrt(4) > C / sqrt(100)
    with pytest.raises(ValueError, match="eta expected a step size > 0 but got 0"):
        GroupDROLoss(_Given(), [0, 1], eta=0)
    with pytest.raises(ValueError, match="size_adjustment > 0 expected group_counts"):
        GroupDROLoss(_Given(), [0, 1], size_adjustment=2.0)
    with pytest.raises(ValueError, match=r"groups expected ids among \[0, 1\] but got \[0, 5\]"):
        GroupDROLoss(_Given(), [0, 1])(torch.ones(2, 1), None, torch.tensor([0, 5]))
