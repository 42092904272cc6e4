# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Head-only fine-tuning: the backbone's weights and BatchNorm statistics do not move, the head does, and bad layer
names are named with the valid ones."""

from __future__ import annotations

import os

import pytest
import torch
from monai.bundle import ConfigParser
from torch import nn

from monai_fairness.networks import train_head_only
from tests.bundles.helpers import bundle_path


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))


def test_only_the_head_trains_and_the_backbone_statistics_stay():
    net = _net()
    backbone_before = {k: v.clone() for k, v in net.state_dict().items() if not k.startswith("3.")}
    head_before = net[3].weight.clone()
    params = train_head_only(net, ["3"])
    assert [p.shape for p in params] == [net[3].weight.shape, net[3].bias.shape]
    optimizer = torch.optim.SGD(params, lr=0.5)
    for _ in range(3):
        net.train()  # what the trainer does every iteration
        x = torch.randn(16, 4) * 3 + 1  # far from the initial running statistics
        loss = nn.functional.cross_entropy(net(x), torch.randint(0, 2, (16,)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for k, v in net.state_dict().items():
        if k in backbone_before:
            assert torch.equal(v, backbone_before[k]), k  # weights and running_mean/var/num_batches_tracked
    assert not torch.equal(net[3].weight, head_before)
    assert net[0].weight.grad is None


def test_without_the_helper_the_statistics_would_move():
    """The guard above can fail: plain training moves BatchNorm statistics."""
    net = _net()
    before = net[1].running_mean.clone()
    net.train()
    net(torch.randn(16, 4) * 3 + 1)
    assert not torch.equal(net[1].running_mean, before)


@pytest.mark.parametrize(
    "layers, message",
    [
        (["head"], r"\['head'\] do not exist; valid names include: 0, 1, 2, 3"),
        ([], "expected a non-empty list"),
        ("3", "expected a non-empty list"),
        (["0", "1", "3"], "not all or none"),
    ],
)
def test_bad_head_layers_are_named(layers, message):
    with pytest.raises(ValueError, match=message):
        train_head_only(_net(), layers)


@pytest.mark.parametrize(
    "bundle, head", [("fairdi_skin_lesion_classification", "fc"), ("fairdi_ct_segmentation", "model.2")]
)
def test_teacher_head_overlay_optimises_only_the_head(bundle, head):
    parser = ConfigParser()
    files = ["train.json", "train_teacher.json", "train_teacher_head.json"]
    parser.read_config([os.path.join(bundle_path(bundle), "configs", f) for f in files])
    parser.update({"device": "$torch.device('cpu')"})
    optimizer = parser.get_parsed_content("optimizer")
    network = parser.get_parsed_content("network")
    expected = {id(p) for p in network.get_submodule(head).parameters()}
    assert {id(p) for group in optimizer.param_groups for p in group["params"]} == expected
