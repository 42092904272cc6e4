# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Gradient reversal (Ganin and Lempitsky, "Unsupervised Domain Adaptation by Backpropagation", ICML 2015) and a
tap that captures a named layer's output, for adversarial debiasing with an attribute head."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from monai_fairness.networks.latent_layers import get_latent_module, resolve_latent_spec

__all__ = ["GradientReversal", "FeatureTap", "feature_channels"]


class _Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: float) -> torch.Tensor:
        ctx.weight = weight
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.weight * grad, None


class GradientReversal(nn.Module):
    """Identity forward; the backward multiplies the gradient by ``-weight``. Whatever is trained after it (an
    attribute head) learns to predict the attribute, while everything before it (the shared features) learns to
    make that prediction fail.

    Args:
        weight: ``lambda >= 0``, the strength of the reversed gradient.

    Raises:
        ValueError: When ``weight`` is negative.
    """

    def __init__(self, weight: float = 1.0) -> None:
        super().__init__()
        if float(weight) < 0:
            raise ValueError(f"weight expected a gradient-reversal strength >= 0 but got {weight!r}.")
        self.weight = float(weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _Reverse.apply(x, self.weight)


class FeatureTap:
    """Capture the output of ``network``'s module ``layer`` at every forward (``output``), through a forward hook.

    Args:
        network: the network (a DDP wrapper is looked through).
        layer: dotted module name; empty: the architecture's default latent layer (a segmentor's bottleneck).

    Raises:
        ValueError: When the layer does not exist (the message lists candidate layers).
    """

    def __init__(self, network: nn.Module, layer: str = "") -> None:
        inner = network.module if isinstance(network, nn.parallel.DistributedDataParallel) else network
        self.layer = resolve_latent_spec(inner, layer or None).layer
        self.output: torch.Tensor | None = None
        self._handle = get_latent_module(inner, self.layer).register_forward_hook(self._capture)

    def _capture(self, module: nn.Module, args: Any, output: Any) -> None:
        self.output = output[-1] if isinstance(output, (list, tuple)) else output

    def remove(self) -> None:
        self._handle.remove()


def feature_channels(network: nn.Module, layer: str, input_shape: list[int] | tuple[int, ...]) -> int:
    """The channel count of ``layer``'s output, from one no-gradient forward of a zero input of ``input_shape``
    (e.g. ``[1, 3, 64, 64]``) in eval mode (the network's mode is restored)."""
    tap = FeatureTap(network, layer)
    was_training = network.training
    try:
        network.eval()
        with torch.no_grad():
            device = next(network.parameters()).device
            network(torch.zeros(*[int(s) for s in input_shape], device=device))
    finally:
        network.train(was_training)
        tap.remove()
    assert tap.output is not None
    return int(tap.output.shape[1])
