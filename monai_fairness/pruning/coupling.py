# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Which parameters carry a channel of the target layer: torch-pruning's dependency graph, used for masks and removal.

Torch-Pruning (Fang et al., "DepGraph: Towards Any Structural Pruning", CVPR 2023) traces one forward pass and groups
every slice coupled to a channel: the producing convolution's filter and bias, the following norm's affine, residual
additions (every producer of the same residual-stream channel), concatenation offsets and the consumers' input
columns. Masking the *producer* slices of that group (out-channel filters, biases, norm affines) silences the channel
exactly, so the masked network computes what the physically pruned one computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn as nn
from monai.utils import optional_import

from monai_fairness.pruning.layers import look_up_target_layer

tp, has_tp = optional_import("torch_pruning")

__all__ = ["ParamSlice", "ChannelCoupling", "require_torch_pruning", "build_dependency_graph"]

_NORMS = (
    nn.BatchNorm1d,
    nn.BatchNorm2d,
    nn.BatchNorm3d,
    nn.GroupNorm,
    nn.InstanceNorm1d,
    nn.InstanceNorm2d,
    nn.InstanceNorm3d,
    nn.LayerNorm,
)
_PRODUCERS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear) + _NORMS


def require_torch_pruning() -> None:
    if not has_tp:
        raise ImportError(
            "SCP channel coupling and physical removal need torch-pruning: pip install 'monai-fairness[prune]' "
            "(or pip install torch-pruning>=1.6)."
        )


def build_dependency_graph(network: nn.Module, example_inputs: torch.Tensor):
    """Torch-Pruning's dependency graph, traced in eval mode so the trace does not move BatchNorm statistics."""
    require_torch_pruning()
    was_training = network.training
    network.eval()
    example_inputs = example_inputs.to(next(network.parameters()).device)
    try:
        return tp.DependencyGraph().build_dependency(network, example_inputs=example_inputs)
    finally:
        network.train(was_training)


@dataclass(frozen=True)
class ParamSlice:
    """Output-channel slice ``idxs`` (dim 0) of parameter ``param`` of the module named ``module``."""

    module: str
    param: str
    idxs: tuple[int, ...]


def _root_prunable(module: nn.Module) -> nn.Module:
    """The leaf whose output channels index the target's output: itself, or the last conv/norm inside it."""
    if isinstance(module, _PRODUCERS):
        return module
    leaves = [m for m in module.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d) + _NORMS)]
    if not leaves:
        raise ValueError(f"target_layer {type(module).__name__} holds no convolution or norm layer to prune.")
    return leaves[-1]


class ChannelCoupling:
    """Dependency graph of ``network`` around the output channels of ``target_layer``.

    Args:
        network: the model (not modified).
        target_layer: dotted module name; ``None`` picks :func:`~monai_fairness.pruning.layers.default_target_layer`.
        example_inputs: one input batch for the trace, e.g. ``torch.zeros(1, 3, 64, 64)``.
    """

    def __init__(self, network: nn.Module, target_layer: str | None, example_inputs: torch.Tensor):
        require_torch_pruning()
        self.network = network
        self.target_layer, target = look_up_target_layer(network, target_layer)
        self.root = _root_prunable(target)
        self.names = {m: n for n, m in network.named_modules()}
        self.graph = build_dependency_graph(network, example_inputs)
        self.pruning_fn = self.graph.get_pruner_of_module(self.root).prune_out_channels
        self.num_channels = int(self.graph.get_out_channels(self.root))

    def check_channels(self, channels: Sequence[int]) -> list[int]:
        idxs = sorted({int(c) for c in channels})
        bad = [c for c in idxs if not 0 <= c < self.num_channels]
        if bad:
            raise ValueError(
                f"channels expected indices in [0, {self.num_channels}) of {self.target_layer!r} but got {bad}."
            )
        return idxs

    def group(self, channels: Sequence[int]):
        """The torch-pruning ``Group`` removing ``channels`` of the target layer."""
        return self.graph.get_pruning_group(self.root, self.pruning_fn, self.check_channels(channels))

    def producer_slices(self, channels: Sequence[int]) -> list[ParamSlice]:
        """Every out-channel parameter slice (filters, biases, norm affines) that produces ``channels``."""
        slices: list[ParamSlice] = []
        if not channels:
            return slices
        for dep, idxs in self.group(channels):
            module = dep.target.module
            # norms are channel-wise: a consumer's norm (e.g. after a concatenation) must be silenced as well
            is_norm = isinstance(module, _NORMS)
            if not is_norm and not (
                isinstance(module, _PRODUCERS) and self.graph.is_out_channel_pruning_fn(dep.handler)
            ):
                continue
            for pname in ("weight", "bias"):
                if getattr(module, pname, None) is not None:
                    slices.append(ParamSlice(self.names[module], pname, tuple(int(i) for i in idxs)))
        return slices
