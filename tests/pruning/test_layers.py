# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Target layer by name: defaults (last conv; last residual stage for ResNets) and the error for an unknown name."""

from __future__ import annotations

import pytest

from monai_fairness.pruning import conv_layer_names, default_target_layer, look_up_target_layer
from tests.pruning.nets import DEFAULT_TARGETS, KINDS, make_net


@pytest.mark.parametrize("kind", KINDS)
def test_default_target(kind):
    net = make_net(kind)
    assert default_target_layer(net) == DEFAULT_TARGETS[kind]
    name, module = look_up_target_layer(net, None)
    assert name == DEFAULT_TARGETS[kind] and module is net.get_submodule(name)


def test_unknown_layer_lists_conv_layers():
    net = make_net("resnet18")
    with pytest.raises(ValueError) as err:
        look_up_target_layer(net, "layer9.conv")
    msg = str(err.value)
    assert "'layer9.conv'" in msg and "target_layer" in msg
    assert "layer4.1.conv2" in msg and str(conv_layer_names(net)[:2])[1:-1] in msg
