# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Gradient reversal flips and scales the gradient exactly; the feature tap names valid layers."""

from __future__ import annotations

import pytest
import torch
from monai.networks.nets import UNet, resnet18
from torch import nn

from monai_fairness.losses import AdversarialDebiasingLoss
from monai_fairness.networks import FeatureTap, GradientReversal, feature_channels


@pytest.mark.parametrize("weight", [0.0, 0.5, 2.0])
def test_identity_forward_and_reversed_scaled_backward(weight):
    x = torch.randn(3, 4, requires_grad=True)
    upstream = torch.randn(3, 4)
    y = GradientReversal(weight)(x)
    assert torch.equal(y, x)
    y.backward(upstream)
    assert torch.allclose(x.grad, -weight * upstream)


def test_bad_weight_and_layer_names():
    with pytest.raises(ValueError, match="weight expected a gradient-reversal strength >= 0 but got -1"):
        GradientReversal(-1)
    resnet = resnet18(spatial_dims=2, n_input_channels=3, num_classes=2)
    with pytest.raises(ValueError, match=r"expected the name of a module of ResNet but got 'layer9'.*layer4"):
        FeatureTap(resnet, "layer9")


def test_feature_channels_by_dry_run():
    resnet = resnet18(spatial_dims=2, n_input_channels=3, num_classes=2)
    assert feature_channels(resnet, "layer4", [1, 3, 32, 32]) == 512
    unet = UNet(3, 1, 2, (8, 16, 32, 64), (2, 2, 2), num_res_units=1)
    assert feature_channels(unet, "", [1, 1, 16, 16, 16]) == 64  # the bottom block of MONAI's UNet


def test_the_features_learn_to_hide_what_the_head_learns_to_read():
    """One step: the head's weights move to decrease the attribute loss, the shared layer's to increase it."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
    tap = FeatureTap(net, "1")
    head = nn.Linear(6, 2)
    loss = AdversarialDebiasingLoss(nn.CrossEntropyLoss(reduction="none"), head, tap, [3, 8], grl_weight=1.0)
    x, y, g = torch.randn(16, 4), torch.randint(0, 2, (16,)), torch.tensor([3, 8] * 8)
    out = loss(net(x), y, g)
    out["loss"].backward()
    features = tap.output.detach()
    adv = nn.functional.cross_entropy(head(features), (g == 8).long())
    head_grad = torch.autograd.grad(adv, head.weight)[0]
    assert torch.allclose(head.weight.grad, head_grad, atol=1e-6)  # the head descends the attribute loss
    first = net[0].weight.grad.clone()
    net.zero_grad()
    (loss.task_loss(net(x), y).mean() - nn.functional.cross_entropy(head(tap.output), (g == 8).long())).backward()
    assert torch.allclose(first, net[0].weight.grad, atol=1e-6)  # the features ascend it: the gradient is reversed
    assert {"loss", "task", "adv", "adv_accuracy"} <= set(out)
