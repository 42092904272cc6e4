# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""ImageNet checkpoints in torchvision's and timm's key layouts, written from those libraries' architecture
definitions (torchvision.models.resnet / densenet, timm.models.resnet) rather than from MONAI's networks, so the loader
is tested against the layout it must read, not against itself (test helper; neither library is installable here).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _bn(shapes: dict[str, tuple[int, ...]], prefix: str, channels: int, tracked: bool) -> None:
    for name in ("weight", "bias", "running_mean", "running_var"):
        shapes[f"{prefix}.{name}"] = (channels,)
    if tracked:
        shapes[f"{prefix}.num_batches_tracked"] = ()


def resnet_layout(
    blocks: tuple[int, int, int, int] = (2, 2, 2, 2),
    in_channels: int = 3,
    num_classes: int = 1000,
    batches_tracked: bool = True,
) -> dict[str, tuple[int, ...]]:
    """Key -> shape of torchvision's ``resnet18`` (``blocks=(2,2,2,2)``) / ``resnet34`` (``(3,4,6,3)``); timm's
    ResNet uses the same names. ``batches_tracked=False`` is timm's released ``pytorch_model.bin``."""
    shapes: dict[str, tuple[int, ...]] = {"conv1.weight": (64, in_channels, 7, 7)}
    _bn(shapes, "bn1", 64, batches_tracked)
    inplanes = 64
    for layer, (planes, count) in enumerate(zip((64, 128, 256, 512), blocks, strict=True), start=1):
        for block in range(count):
            prefix = f"layer{layer}.{block}"
            shapes[f"{prefix}.conv1.weight"] = (planes, inplanes, 3, 3)
            _bn(shapes, f"{prefix}.bn1", planes, batches_tracked)
            shapes[f"{prefix}.conv2.weight"] = (planes, planes, 3, 3)
            _bn(shapes, f"{prefix}.bn2", planes, batches_tracked)
            if block == 0 and layer > 1:
                shapes[f"{prefix}.downsample.0.weight"] = (planes, inplanes, 1, 1)
                _bn(shapes, f"{prefix}.downsample.1", planes, batches_tracked)
            inplanes = planes
    shapes["fc.weight"] = (num_classes, 512)
    shapes["fc.bias"] = (num_classes,)
    return shapes


def densenet121_layout(legacy: bool = False, num_classes: int = 1000) -> dict[str, tuple[int, ...]]:
    """Key -> shape of torchvision's ``densenet121``; ``legacy=True`` is the released ``densenet121-a639ec97.pth``,
    whose dense layers name ``norm.1`` / ``conv.1`` what the current code calls ``norm1`` / ``conv1``."""
    growth, bn_size = 32, 4
    shapes: dict[str, tuple[int, ...]] = {"features.conv0.weight": (64, 3, 7, 7)}
    _bn(shapes, "features.norm0", 64, True)
    channels = 64
    for index, count in enumerate((6, 12, 24, 16), start=1):
        for layer in range(1, count + 1):
            prefix = f"features.denseblock{index}.denselayer{layer}"
            sep = "." if legacy else ""
            _bn(shapes, f"{prefix}.norm{sep}1", channels + (layer - 1) * growth, not legacy)
            shapes[f"{prefix}.conv{sep}1.weight"] = (bn_size * growth, channels + (layer - 1) * growth, 1, 1)
            _bn(shapes, f"{prefix}.norm{sep}2", bn_size * growth, not legacy)
            shapes[f"{prefix}.conv{sep}2.weight"] = (growth, bn_size * growth, 3, 3)
        channels += count * growth
        if index < 4:
            _bn(shapes, f"features.transition{index}.norm", channels, not legacy)
            shapes[f"features.transition{index}.conv.weight"] = (channels // 2, channels, 1, 1)
            channels //= 2
    _bn(shapes, "features.norm5", channels, not legacy)
    shapes["classifier.weight"] = (num_classes, channels)
    shapes["classifier.bias"] = (num_classes,)
    return shapes


def random_state(shapes: dict[str, tuple[int, ...]], seed: int = 0) -> dict[str, torch.Tensor]:
    """A state dict of the layout with distinct values per tensor (positive running variances, integer counters)."""
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in shapes.items():
        if key.endswith("num_batches_tracked"):
            state[key] = torch.tensor(100, dtype=torch.long)
        elif key.endswith("running_var"):
            state[key] = torch.rand(shape, generator=generator) + 0.5
        else:
            state[key] = torch.randn(shape, generator=generator) * 0.1
    return state


def torchvision_resnet_forward(state: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """torchvision's ``ResNet.forward`` with BasicBlocks, in eval mode, written with ``torch.nn.functional``.

    Args:
        state: a :func:`resnet_layout` state dict.
        x: images, shape (B, C, H, W).

    Returns:
        logits, shape (B, num_classes).
    """

    def bn(t: torch.Tensor, p: str) -> torch.Tensor:
        return F.batch_norm(
            t, state[f"{p}.running_mean"], state[f"{p}.running_var"], state[f"{p}.weight"], state[f"{p}.bias"]
        )

    x = F.relu(bn(F.conv2d(x, state["conv1.weight"], stride=2, padding=3), "bn1"))
    x = F.max_pool2d(x, kernel_size=3, stride=2, padding=1)
    layer = 1
    while f"layer{layer}.0.conv1.weight" in state:
        block = 0
        while f"layer{layer}.{block}.conv1.weight" in state:
            p = f"layer{layer}.{block}"
            stride = 2 if (layer > 1 and block == 0) else 1
            out = F.relu(bn(F.conv2d(x, state[f"{p}.conv1.weight"], stride=stride, padding=1), f"{p}.bn1"))
            out = bn(F.conv2d(out, state[f"{p}.conv2.weight"], padding=1), f"{p}.bn2")
            if f"{p}.downsample.0.weight" in state:
                x = bn(F.conv2d(x, state[f"{p}.downsample.0.weight"], stride=stride), f"{p}.downsample.1")
            x = F.relu(out + x)
            block += 1
        layer += 1
    return F.linear(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1), state["fc.weight"], state["fc.bias"])
