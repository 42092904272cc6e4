# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Group-mean alignment term against hand-computed values; what it does to a linear probe's input."""

from __future__ import annotations

import pytest
import torch

from monai_fairness.losses import GroupMeanAlignmentLoss


def test_hand_computed_value_and_running_variance():
    loss = GroupMeanAlignmentLoss(2)
    pooled = torch.tensor([[1.0, 0.0], [3.0, 0.0], [5.0, 2.0], [7.0, 2.0]])
    groups = torch.tensor([0, 0, 1, 1])
    # batch variances (unbiased) 20/3 and 4/3; group means (2, 0) and (6, 2): spreads 4 and 1 per channel
    expected = (4 / (20 / 3) + 1 / (4 / 3)) / 2
    assert float(loss(pooled, groups)) == pytest.approx(expected, rel=1e-6)
    assert torch.allclose(loss.running_var, torch.tensor([20 / 3, 4 / 3]))
    loss(pooled * 0, groups)  # EMA: 0.9 * old + 0.1 * 0
    assert torch.allclose(loss.running_var, torch.tensor([0.9 * 20 / 3, 0.9 * 4 / 3]))


def test_spatial_latent_is_pooled_and_equal_means_give_zero():
    loss = GroupMeanAlignmentLoss(3)
    latent = torch.randn(1, 3, 4, 4).repeat(4, 1, 1, 1)  # every sample alike -> group means equal
    assert float(loss(latent, torch.tensor([0, 1, 0, 1]))) == pytest.approx(0.0)
    assert float(loss(torch.randn(4, 3, 4, 4), torch.tensor([1, 1, 1, 1]))) == 0.0  # one group present


def test_gradient_descent_removes_the_group_mean_difference():
    torch.manual_seed(0)
    groups = torch.arange(64) % 2
    base = torch.randn(64, 4) + 2.0 * groups[:, None].float()  # group 1 shifted by 2 std in every channel
    shift = torch.zeros(2, 4, requires_grad=True)  # a per-group offset, the simplest "perturber"
    loss = GroupMeanAlignmentLoss(4)
    optimizer = torch.optim.SGD([shift], lr=0.5)
    first = float(loss(base + shift[groups], groups).detach())
    for _ in range(200):
        optimizer.zero_grad()
        loss(base + shift[groups], groups).backward()
        optimizer.step()
    aligned = base + shift[groups].detach()
    gap = (aligned[groups == 1].mean(0) - aligned[groups == 0].mean(0)).abs().max()
    assert first > 0.5 and float(gap) < 0.05


def test_bad_shapes_name_the_field():
    loss = GroupMeanAlignmentLoss(3)
    with pytest.raises(ValueError, match="latent expected 3 channels but got 2"):
        loss(torch.randn(4, 2), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"groups expected shape \(4,\)"):
        loss(torch.randn(4, 3), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="momentum expected"):
        GroupMeanAlignmentLoss(3, momentum=0.0)
