# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""ImageNet weights in torchvision and timm layouts load into the bundles' MONAI networks, compute what the source
network computes, and a file of another architecture fails with the keys named."""

from __future__ import annotations

import os

import pytest
import torch
from monai.bundle import ConfigParser
from monai.networks.nets import DenseNet121, resnet18

from monai_fairness.handlers.checkpoint_loader import CheckpointError
from monai_fairness.networks import load_pretrained_weights
from tests.networks.pretrained_layouts import (
    densenet121_layout,
    random_state,
    resnet_layout,
    torchvision_resnet_forward,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _imagenet_resnet18(num_classes: int = 2, channels: int = 3, bias_downsample: bool = False) -> torch.nn.Module:
    return resnet18(
        spatial_dims=2,
        n_input_channels=channels,
        num_classes=num_classes,
        conv1_t_stride=2,
        bias_downsample=bias_downsample,
    )


def _save(state: object, tmp_path, name: str = "weights.pth") -> str:
    path = str(tmp_path / name)
    torch.save(state, path)
    return path


def test_torchvision_resnet18_computes_the_source_network(tmp_path):
    state = random_state(resnet_layout())
    network = load_pretrained_weights(_imagenet_resnet18(num_classes=1000), _save(state, tmp_path)).eval()
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(network(x), torchvision_resnet_forward(state, x), atol=1e-4, rtol=1e-4)


def test_torchvision_resnet18_skips_a_head_of_another_class_count(tmp_path):
    state = random_state(resnet_layout())
    network = _imagenet_resnet18(num_classes=2, bias_downsample=True)
    head_before = network.fc.weight.detach().clone()
    load_pretrained_weights(network, _save(state, tmp_path))
    loaded = network.state_dict()
    for key, value in state.items():
        if not key.startswith("fc."):
            torch.testing.assert_close(loaded[key], value.to(loaded[key].dtype), msg=key)
    torch.testing.assert_close(network.fc.weight, head_before)
    # MONAI's optional downsample bias, absent from the file, is zero: the same function as torchvision's block.
    assert all(torch.count_nonzero(loaded[f"layer{i}.0.downsample.0.bias"]) == 0 for i in (2, 3, 4))
    assert network.pretrained_report["skipped_head"] == [
        "fc.weight (1000, 512) in the file vs (2, 512)",
        "fc.bias (1000,) in the file vs (2,)",
    ]


def test_timm_resnet18_training_checkpoint_loads(tmp_path):
    """timm's released weights have no ``num_batches_tracked``; its training script wraps them as
    ``{"state_dict": ...}`` with DataParallel's ``module.`` prefix."""
    state = random_state(resnet_layout(batches_tracked=False), seed=3)
    wrapped = {"epoch": 99, "arch": "resnet18", "state_dict": {f"module.{k}": v for k, v in state.items()}}
    network = load_pretrained_weights(_imagenet_resnet18(num_classes=1000), _save(wrapped, tmp_path)).eval()
    x = torch.randn(1, 3, 48, 48)
    with torch.no_grad():
        torch.testing.assert_close(network(x), torchvision_resnet_forward(state, x), atol=1e-4, rtol=1e-4)
    assert int(network.bn1.num_batches_tracked) == 0


def test_resnet34_weights_into_resnet18_fail_naming_the_keys(tmp_path):
    path = _save(random_state(resnet_layout(blocks=(3, 4, 6, 3))), tmp_path)
    with pytest.raises(CheckpointError) as error:
        load_pretrained_weights(_imagenet_resnet18(), path)
    message = str(error.value)
    assert "unexpected keys ['layer1.2.bn1.bias'" in message
    assert "(96)" in message  # resnet34's 8 extra BasicBlocks: 2 convolutions + 2 BatchNorms (5 tensors) each
    assert "missing keys [] (0)" in message


def test_rgb_weights_into_a_grayscale_network_fail_naming_the_shape(tmp_path):
    path = _save(random_state(resnet_layout()), tmp_path)
    with pytest.raises(CheckpointError, match=r"conv1\.weight \(64, 3, 7, 7\) in the file vs \(64, 1, 7, 7\)"):
        load_pretrained_weights(_imagenet_resnet18(channels=1), path)


def test_head_mismatch_is_an_error_when_the_head_must_load(tmp_path):
    path = _save(random_state(resnet_layout()), tmp_path)
    with pytest.raises(CheckpointError, match=r"shape mismatches \['fc\.weight"):
        load_pretrained_weights(_imagenet_resnet18(num_classes=2), path, skip_head=False)


def test_monai_default_stem_is_refused(tmp_path):
    """Same shapes, another function: MONAI's default stem has stride 1."""
    path = _save(random_state(resnet_layout()), tmp_path)
    with pytest.raises(CheckpointError, match=r"stride \(1, 1\); set imagenet_stem to True"):
        load_pretrained_weights(resnet18(spatial_dims=2, n_input_channels=3, num_classes=2), path)


@pytest.mark.parametrize("legacy", [False, True])
def test_torchvision_densenet121_loads(tmp_path, legacy):
    state = random_state(densenet121_layout(legacy=legacy), seed=5)
    network = DenseNet121(spatial_dims=2, in_channels=3, out_channels=1000)
    load_pretrained_weights(network, _save(state, tmp_path))
    loaded = network.state_dict()
    sep = "." if legacy else ""
    source = f"features.denseblock2.denselayer7.norm{sep}2.running_var"
    torch.testing.assert_close(loaded["features.denseblock2.denselayer7.layers.norm2.running_var"], state[source])
    torch.testing.assert_close(loaded["features.transition3.conv.weight"], state["features.transition3.conv.weight"])
    torch.testing.assert_close(loaded["class_layers.out.weight"], state["classifier.weight"])


def test_unreadable_and_safetensors_files_are_named(tmp_path):
    with pytest.raises(CheckpointError, match="expected an existing weights file"):
        load_pretrained_weights(_imagenet_resnet18(), str(tmp_path / "missing.pth"))
    (tmp_path / "model.safetensors").write_bytes(b"\x00" * 16)
    with pytest.raises(CheckpointError, match="pytorch_model.bin"):
        load_pretrained_weights(_imagenet_resnet18(), str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointError, match="expected a state_dict but got list"):
        load_pretrained_weights(_imagenet_resnet18(), _save([1, 2], tmp_path))


def _bundle_network(overrides: dict) -> torch.nn.Module:
    bundle = os.path.join(ROOT, "bundles", "erm_skin_lesion_classification")
    parser = ConfigParser()
    parser.read_config(os.path.join(bundle, "configs", "train.json"))
    parser.update({"bundle_root": bundle, "device": "$torch.device('cpu')", **overrides})
    return parser.get_parsed_content("network_def")


def test_bundle_pretrained_checkpoint_id(tmp_path):
    state = random_state(resnet_layout())
    network = _bundle_network({"imagenet_stem": True, "pretrained_checkpoint": _save(state, tmp_path)})
    torch.testing.assert_close(network.layer4[1].conv2.weight, state["layer4.1.conv2.weight"])
    assert "layer2.0.downsample.0.bias" not in network.state_dict()
    default = _bundle_network({})  # the real recipe: ImageNet's stem, so ImageNet weights fit without an override
    assert default.conv1.stride == (2, 2) and "layer2.0.downsample.0.bias" not in default.state_dict()
    assert not hasattr(default, "pretrained_report")
    small = _bundle_network({"imagenet_stem": False})
    assert small.conv1.stride == (1, 1) and "layer2.0.downsample.0.bias" in small.state_dict()
