# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Address the layer SCP scores and prunes by its dotted module name (never by a fragile index)."""

from __future__ import annotations

import torch.nn as nn
from monai.networks.utils import look_up_named_module

__all__ = ["conv_layer_names", "default_target_layer", "look_up_target_layer", "is_residual_block"]

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_RESIDUAL_BLOCK_NAMES = ("ResNetBlock", "ResNetBottleneck", "BasicBlock", "Bottleneck", "ResidualUnit")


def conv_layer_names(network: nn.Module) -> list[str]:
    """Dotted names of every convolution in ``network``, in registration order."""
    return [name for name, m in network.named_modules() if isinstance(m, _CONV)]


def is_residual_block(module: nn.Module) -> bool:
    """Whether ``module`` adds its input to its output (MONAI/torchvision ResNet blocks, MONAI ``ResidualUnit``)."""
    return type(module).__name__ in _RESIDUAL_BLOCK_NAMES


def default_target_layer(network: nn.Module) -> str:
    """The default SCP target: the last convolution, or, if it sits in a residual block, the last residual stage.

    SCP prunes the last convolutional layer. In a residual network that convolution's output is added to the identity
    shortcut, so silencing its filters does not silence the channel (the residual caveat of
    ``docs/methods.md``, SCP); the default is then the post-addition output of the stage holding the last
    block (``layer4`` in MONAI's ResNets), whose channels are the residual stream itself.
    """
    convs = conv_layer_names(network)
    if not convs:
        raise ValueError(f"{type(network).__name__} has no convolution layer for SCP to prune.")
    last = convs[-1]
    parts = last.split(".")
    for depth in range(len(parts) - 1, 0, -1):
        block = look_up_named_module(".".join(parts[:depth]), network)
        if is_residual_block(block):
            return ".".join(parts[: depth - 1]) if depth > 1 else ".".join(parts[:depth])
    return last


def look_up_target_layer(network: nn.Module, name: str | None) -> tuple[str, nn.Module]:
    """``(name, module)`` for ``name`` (``None``: :func:`default_target_layer`); an unknown name lists the choices."""
    name = default_target_layer(network) if name in (None, "") else name
    module = look_up_named_module(name, network)
    if module is None or name == "":
        raise ValueError(
            f"target_layer expected a module name of {type(network).__name__} but got {name!r}; available "
            f"convolution layers: {conv_layer_names(network)} (or any containing module, e.g. a residual stage)."
        )
    return name, module
