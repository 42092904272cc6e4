# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

import math

import pytest
import torch

from monai_fairness.losses import FairIdentityScalingLoss, fis_weights, sinkhorn_divergence


def test_weights_and_loss_by_hand_with_identical_group_loss_sets():
    # l = [0, ln 2, ln 3]: softmax(l) = [1, 2, 3] / 6; identical group loss sets: every d_k = 0, so w^G is uniform.
    losses = torch.tensor([0.0, math.log(2), math.log(3)], requires_grad=True)
    groups = torch.tensor([0, 1, 1])
    same = torch.tensor([0.2, 0.4, 0.9])
    w_i, w_g, d = fis_weights(losses, groups, {0: same, 1: same}, tau=1.0, r=3.0)
    torch.testing.assert_close(w_i, torch.tensor([0.5, 1.0, 1.5]))
    torch.testing.assert_close(w_g, torch.ones(3))
    assert torch.allclose(d, torch.zeros(2, dtype=torch.float64), atol=1e-9)
    loss = FairIdentityScalingLoss(c=0.5, tau=1.0, r=None)(losses, groups, [same, same])  # r = B = 3
    expected = (0.75 * 0 + 1.0 * math.log(2) + 1.25 * math.log(3)) / 3  # w = 0.5 w^I + 0.5 w^G = [0.75, 1, 1.25]
    assert float(loss.detach()) == pytest.approx(expected, rel=1e-6)
    loss.backward()  # weights are constants: d loss / d l_i = w_i / B
    torch.testing.assert_close(losses.grad, torch.tensor([0.75, 1.0, 1.25]) / 3)


def test_group_weights_follow_the_sinkhorn_distance_to_the_union():
    # the majority's easy losses dominate the union, so the minority's hard losses lie further from it
    easy, hard = torch.tensor([0.1, 0.2, 0.1, 0.15] * 3), torch.tensor([1.5, 2.0, 1.2, 1.8])
    losses, groups = torch.tensor([0.3, 0.3, 0.3]), torch.tensor([0, 0, 1])
    w_i, w_g, d = fis_weights(losses, groups, {0: easy, 1: hard}, tau=2.0, r=1.0)
    union = torch.cat([easy, hard])
    d_hand = torch.stack([sinkhorn_divergence(easy, union), sinkhorn_divergence(hard, union)])
    torch.testing.assert_close(d, d_hand)
    e = torch.exp(d_hand[[0, 0, 1]] / 2.0)
    torch.testing.assert_close(w_g, (e / e.sum()).float())
    torch.testing.assert_close(w_i, torch.full((3,), 1 / 3))
    assert w_g.sum() == pytest.approx(1.0) and w_g[2] > w_g[0]  # the group further from the union weighs more


def test_missing_group_losses_and_bad_options():
    with pytest.raises(ValueError, match="no.*groups \\[1\\]|none for groups \\[1\\]"):
        fis_weights(torch.ones(2), torch.tensor([0, 1]), {0: torch.ones(3)})
    with pytest.raises(ValueError, match="c expected a value in \\[0, 1\\]"):
        FairIdentityScalingLoss(c=1.5)
