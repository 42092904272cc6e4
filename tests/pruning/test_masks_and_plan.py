# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Coupled channel masks equal physical removal (torch-pruning) on MONAI ResNet-18/50, DenseNet121 and a VGG-style net;
plans replay on a fresh network; masks are reversible, survive optimiser steps, and the residual caveat is handled."""

from __future__ import annotations

import copy

import pytest
import torch

from monai_fairness.pruning import (
    ChannelCoupling,
    ChannelMask,
    SNNLChannelPruner,
    apply_pruning_plan,
    capture_output,
    save_pruning_plan,
)
from tests.pruning.nets import KINDS, make_net


def _n_params(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


@pytest.mark.parametrize("kind", KINDS)
def test_masked_equals_physically_pruned_and_plan_replays(kind, tmp_path):
    net = make_net(kind)
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        original = net(x)
    pruner = SNNLChannelPruner(net, x[:1])
    pruner.mask.set([0, 2, 3])
    with torch.no_grad(), capture_output(net, pruner.target_layer) as store:
        masked = net(x)
    silenced = store["output"][:, [0, 2, 3]]
    assert silenced.abs().max() == 0  # the channel is truly silent at the target's output
    assert (masked - original).abs().max() > 1e-4
    pruned, plan = pruner.export()
    pruned.eval()
    with torch.no_grad():
        torch.testing.assert_close(pruned(x), masked, rtol=0, atol=1e-4)
    assert _n_params(pruned) < _n_params(net)
    assert plan["channels"] == [0, 2, 3] and plan["target_layer"] == pruner.target_layer
    # a fresh process rebuilds it from network_def + plan + plain state_dict
    plan_file = save_pruning_plan(plan, str(tmp_path / "plan.json"))
    torch.save(pruned.state_dict(), tmp_path / "model.pt")
    rebuilt = apply_pruning_plan(make_net(kind), plan_file)
    rebuilt.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    rebuilt.eval()
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), masked, rtol=0, atol=1e-4)
    # reversible: removing the mask restores the original function
    pruner.mask.remove(restore=True)
    with torch.no_grad():
        torch.testing.assert_close(net(x), original)


def test_mask_survives_optimiser_steps_and_keeps_state_dict_keys():
    net = make_net("vgg").train()
    keys = list(net.state_dict())
    mask = ChannelMask(ChannelCoupling(net, "net.layer_1.conv", torch.zeros(1, 3, 32, 32)))
    mask.set([1, 4])
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    for _ in range(3):
        opt.zero_grad()
        net(torch.randn(8, 3, 32, 32)).sum().backward()
        opt.step()
    assert list(net.state_dict()) == keys
    conv = net.get_submodule("net.layer_1.conv")
    assert conv.weight[[1, 4]].abs().max() == 0 and conv.bias[[1, 4]].abs().max() == 0  # the bias is masked too
    assert conv.weight.grad[[1, 4]].abs().max() == 0
    norm = net.get_submodule("net.layer_1.adn.N")  # the following BatchNorm's affine as well
    assert norm.weight[[1, 4]].abs().max() == 0 and norm.bias[[1, 4]].abs().max() == 0
    mask.add([0])
    assert mask.channels == [0, 1, 4]


def test_official_weights_only_mask_leaves_the_bias_alive():
    net = make_net("vgg")
    x = torch.randn(2, 3, 32, 32)
    mask = ChannelMask(ChannelCoupling(net, "net.layer_2.conv", x[:1]), mask_bias=False)
    mask.set([1])
    with torch.no_grad(), capture_output(net, "net.layer_2.conv") as store:
        net(x)
    bias = net.get_submodule("net.layer_2.conv").bias[1]
    torch.testing.assert_close(store["output"][:, 1], bias.expand_as(store["output"][:, 1]))


def test_residual_caveat_last_conv_alone_does_not_silence_the_channel():
    """Zeroing layer4.1.conv2 (+bn2) leaves the identity shortcut: the layer4 output channel stays alive; the default
    target (layer4, the post-addition residual stream) silences it."""
    net = make_net("resnet18")
    x = torch.randn(2, 3, 32, 32)
    for target, silent in (("layer4.1.conv2", False), (None, True)):
        model = copy.deepcopy(net)
        coupling = ChannelCoupling(model, target, x[:1])
        if target is not None:  # only the conv's own filters, as the SCP code does
            ChannelMask(coupling, mask_bias=False).set([7])
        else:
            ChannelMask(coupling).set([7])
        with torch.no_grad(), capture_output(model, "layer4") as store:
            model(x)
        assert (store["output"][:, 7].abs().max() == 0) == silent


def test_pruning_too_many_channels_fails_clearly():
    net = make_net("vgg")
    pruner = SNNLChannelPruner(net, torch.zeros(1, 3, 32, 32))
    with pytest.raises(ValueError, match="channels expected indices in \\[0, 16\\)"):
        pruner.mask.set([3, 16])
    scores = torch.arange(16.0)
    from monai_fairness.pruning import select_lowest

    with pytest.raises(ValueError, match="n \\(channels to prune\\) expected 1..15 .* but got 16"):
        select_lowest(scores, 16)
    with pytest.raises(ValueError, match="expected 1..12 .*3 already pruned.* but got 13"):
        select_lowest(scores, 13, exclude=[0, 1, 2])
    assert select_lowest(scores, 2, exclude=[0]) == [1, 2]
