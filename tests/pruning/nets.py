# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Tiny MONAI classifiers for the pruning tests (eval mode, non-trivial BatchNorm statistics)."""

from __future__ import annotations

import torch
import torch.nn as nn
from monai.networks.nets import Classifier, DenseNet121, resnet18, resnet50


def _randomise_norms(net: nn.Module) -> nn.Module:
    g = torch.Generator().manual_seed(0)
    for m in net.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(torch.rand(m.num_features, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(m.num_features, generator=g) - 0.5)
    return net.eval()


def make_net(kind: str) -> nn.Module:
    """resnet18 / resnet50 (MONAI, 2D), densenet121 (MONAI, narrow), vgg (MONAI Classifier without residual units)."""
    torch.manual_seed(0)
    if kind == "resnet18":
        net = resnet18(spatial_dims=2, n_input_channels=3, num_classes=2)
    elif kind == "resnet50":
        net = resnet50(spatial_dims=2, n_input_channels=3, num_classes=2)
    elif kind == "densenet121":
        net = DenseNet121(spatial_dims=2, in_channels=3, out_channels=2, init_features=8, growth_rate=4)
    elif kind == "vgg":
        net = Classifier(
            in_shape=(3, 32, 32),
            classes=2,
            channels=(8, 16, 16),
            strides=(2, 2, 2),
            num_res_units=0,
            act="RELU",
            norm="BATCH",
        )
    else:
        raise ValueError(kind)
    return _randomise_norms(net)


KINDS = ["resnet18", "resnet50", "densenet121", "vgg"]
DEFAULT_TARGETS = {
    "resnet18": "layer4",
    "resnet50": "layer4",
    "densenet121": "features.denseblock4.denselayer16.layers.conv2",
    "vgg": "net.layer_2.conv",
}
