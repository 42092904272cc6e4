# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""ImageNet weights saved by torchvision or timm, loaded from a local file into the bundles' MONAI networks.

Nothing is downloaded: the user fetches the file (e.g. torchvision's ``resnet18-f37072fd.pth`` or timm's
``pytorch_model.bin``) and passes its path as ``--pretrained_checkpoint``. Written here because MONAI's ResNet and
DenseNet name their layers slightly differently from torchvision and timm (MONAI's ResNet gives the downsample
convolution a bias; its DenseNet nests each dense layer in ``layers`` and calls the classifier ``class_layers.out``),
MONAI's ResNet stem has stride 1 by default where ImageNet's has stride 2 (the bundles' ``imagenet_stem`` id switches
it), and MONAI's own ``pretrained=True`` downloads other weights (MedicalNet, or torchvision's at run time).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from monai_fairness.handlers.checkpoint_loader import CheckpointError, load_checkpoint

__all__ = ["map_pretrained_keys", "load_pretrained_weights"]

_HEAD_PREFIXES = ("fc.", "class_layers.out.", "classifier.", "head.fc.", "head.")
_WRAPPERS = ("state_dict", "model", "model_state", "net")
_LEGACY_DENSENET = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$"
)


def _unwrap(state: Any) -> dict[str, torch.Tensor]:
    for key in _WRAPPERS:
        if isinstance(state, Mapping) and key in state and isinstance(state[key], Mapping):
            state = state[key]
    if not isinstance(state, Mapping):
        raise CheckpointError(f"pretrained checkpoint: expected a state_dict but got {type(state).__name__}.")
    out = {}
    for k, v in state.items():
        for prefix in ("module.", "model."):
            if k.startswith(prefix):
                k = k[len(prefix) :]
        out[k] = v
    return out


def map_pretrained_keys(state: Mapping[str, torch.Tensor], network: nn.Module) -> dict[str, torch.Tensor]:
    """Rename torchvision/timm keys to the MONAI network's: DenseNet's legacy ``norm.1`` -> ``norm1``, dense layers
    under ``layers.``, ``classifier`` -> ``class_layers.out``. ResNet keys already match MONAI's."""
    target = set(network.state_dict())
    out = {}
    for key, value in state.items():
        legacy = _LEGACY_DENSENET.match(key)
        if legacy:
            key = legacy.group(1) + legacy.group(2)  # "norm" + "1.weight"
        if key not in target:
            nested = re.sub(r"(denselayer\d+)\.", r"\1.layers.", key)
            if nested in target:
                key = nested
        if key.startswith("classifier.") and "class_layers.out." + key[len("classifier.") :] in target:
            key = "class_layers.out." + key[len("classifier.") :]
        out[key] = value
    return out


def _check_resnet_stem(network: nn.Module, path: str) -> None:
    """Same shapes are not the same function: ImageNet ResNets stride their 7x7 stem by 2, MONAI's default by 1."""
    conv1 = getattr(network, "conv1", None)
    if isinstance(conv1, nn.Conv2d | nn.Conv3d) and hasattr(network, "layer1") and set(conv1.stride) != {2}:
        raise CheckpointError(
            f"pretrained checkpoint {path!r}: ImageNet ResNet weights expect the stem convolution conv1 to have "
            f"stride 2 but the network's has stride {tuple(conv1.stride)}; set imagenet_stem to True (it sets "
            "base_network_def's conv1_t_stride 2 and bias_downsample false) in training and in inference."
        )


def load_pretrained_weights(network: nn.Module, path: str | None, skip_head: bool = True) -> nn.Module:
    """Load ImageNet weights from a local torchvision or timm checkpoint into ``network`` (returned, for configs:
    ``"$monai_fairness.networks.load_pretrained_weights(@network_def, @pretrained_checkpoint)"``).

    The classifier head is skipped when its shape differs (e.g. 1000 ImageNet classes against 2 here) and
    ``skip_head`` is set; a MONAI ResNet's downsample biases, which torchvision and timm do not have, start at 0 (the
    same function as no bias); BatchNorm's ``num_batches_tracked`` starts at 0 when the file lacks it.

    Args:
        network: the MONAI network (e.g. the bundle's ``network_def``).
        path: the local file; ``None`` or ``""`` leaves the network as it is.
        skip_head: keep the network's own head when the file's has another shape.

    Raises:
        CheckpointError: When the file cannot be read, or keys are missing or unexpected, or a non-head shape differs
            (the message lists them), or a ResNet's stem is not ImageNet's (stride 2).
    """
    if not path:
        return network
    if not os.path.isfile(path):
        raise CheckpointError(f"pretrained_checkpoint: expected an existing weights file but got {path!r}.")
    if path.endswith(".safetensors"):
        raise CheckpointError(
            f"pretrained_checkpoint: expected a torch file (.pth/.pt/.bin) but got {path!r}; safetensors is not "
            "installed here: take the model's pytorch_model.bin, or convert once with "
            "torch.save(safetensors.torch.load_file(path), 'weights.pth')."
        )
    _check_resnet_stem(network, path)
    state = map_pretrained_keys(_unwrap(load_checkpoint(path, "cpu")), network)
    target = network.state_dict()
    merged: dict[str, torch.Tensor] = {}
    skipped, mismatched = [], []
    for key, value in target.items():
        if key in state and tuple(state[key].shape) == tuple(value.shape):
            merged[key] = state[key].to(value.dtype)
        elif key in state:
            is_head = key.startswith(_HEAD_PREFIXES)
            (skipped if is_head and skip_head else mismatched).append(
                f"{key} {tuple(state[key].shape)} in the file vs {tuple(value.shape)}"
            )
            merged[key] = value
        elif key.endswith("num_batches_tracked") or re.search(r"downsample\.0\.bias$", key):
            merged[key] = torch.zeros_like(value)
        elif key.startswith(_HEAD_PREFIXES) and skip_head:
            skipped.append(f"{key} (not in the file)")
            merged[key] = value
    missing = sorted(set(target) - set(merged))
    unexpected = sorted(k for k in state if k not in target)
    if missing or unexpected or mismatched:
        raise CheckpointError(
            f"pretrained checkpoint {path!r} does not fit {type(network).__name__}: missing keys {missing[:10]}"
            f"{' ...' if len(missing) > 10 else ''} ({len(missing)}), unexpected keys {unexpected[:10]}"
            f"{' ...' if len(unexpected) > 10 else ''} ({len(unexpected)}), shape mismatches {mismatched[:5]}; is it "
            "an ImageNet checkpoint of the same architecture (torchvision or timm layout)? A grayscale bundle "
            "(image_channels 1) needs weights with one input channel."
        )
    network.load_state_dict(merged)
    network.pretrained_report = {"file": os.path.basename(path), "skipped_head": skipped}  # type: ignore[assignment]
    return network
