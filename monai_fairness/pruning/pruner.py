# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The SCP pruner: score the target layer's channels, mask the lowest-scoring ones, export a physically pruned copy."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import torch
import torch.nn as nn

from monai_fairness.pruning.coupling import ChannelCoupling
from monai_fairness.pruning.importance import SNNLImportance, score_channels
from monai_fairness.pruning.masks import ChannelMask
from monai_fairness.pruning.plan import prune_physically

__all__ = ["select_lowest", "SNNLChannelPruner"]


def select_lowest(scores: torch.Tensor, n: int, exclude: Sequence[int] = ()) -> list[int]:
    """The ``n`` lowest-scoring channels, never one of ``exclude`` nor one with a NaN score (SCP ``get_min_n``).

    Ties are broken by the lower channel index, so the choice is deterministic.
    """
    scores = torch.as_tensor(scores, dtype=torch.float64).reshape(-1)
    excluded = {int(c) for c in exclude}
    candidates = [c for c in range(scores.numel()) if c not in excluded and not torch.isnan(scores[c])]
    if not 0 < n <= len(candidates) - 1:
        raise ValueError(
            f"n (channels to prune) expected 1..{len(candidates) - 1} (the layer has {scores.numel()} channels, "
            f"{len(excluded)} already pruned, at least one must stay) but got {n}."
        )
    return sorted(sorted(candidates, key=lambda c: (float(scores[c]), c))[:n])


class SNNLChannelPruner:
    """Sensitive-channel pruning (SCP, Kong et al., MICCAI 2024, arXiv 2405.08681) of one named layer.

    Args:
        network: the trained classifier; it is masked in place (shape and state_dict keys unchanged).
        example_inputs: one input batch for Torch-Pruning's trace, e.g. ``torch.zeros(1, 3, 64, 64)``.
        target_layer: dotted module name; ``None``: the last conv layer, or the last residual stage's output.
        importance: the channel score (default: official SNNL against the group).
        channels_per_step: ``n`` channels pruned by each :meth:`step` (SCP default 5).
        mask_bias: see :class:`~monai_fairness.pruning.masks.ChannelMask`.

    Example::

        pruner = SNNLChannelPruner(net, torch.zeros(1, 3, 64, 64), channels_per_step=5)
        scores = pruner.step(calibration_loader)   # masks the 5 most group-separating channels
        ...fine-tune net...
        pruned, plan = pruner.export()             # physically smaller copy + its plan
    """

    def __init__(
        self,
        network: nn.Module,
        example_inputs: torch.Tensor,
        target_layer: str | None = None,
        importance: SNNLImportance | None = None,
        channels_per_step: int = 5,
        mask_bias: bool = True,
    ):
        self.network = network
        self.example_inputs = example_inputs
        self.coupling = ChannelCoupling(network, target_layer, example_inputs)
        self.target_layer = self.coupling.target_layer
        self.importance = importance or SNNLImportance()
        self.channels_per_step = int(channels_per_step)
        self.mask = ChannelMask(self.coupling, mask_bias=mask_bias)

    @property
    def num_channels(self) -> int:
        return self.coupling.num_channels

    @property
    def pruned(self) -> list[int]:
        return list(self.mask.channels)

    def score(self, loader: Iterable[Mapping[str, Any]], **kwargs: Any) -> dict[str, Any]:
        """Scores of every channel over ``loader`` (already pruned channels: NaN); see ``score_channels``."""
        return score_channels(self.network, self.target_layer, loader, self.importance, exclude=self.pruned, **kwargs)

    def step(self, loader: Iterable[Mapping[str, Any]], n: int | None = None, **kwargs: Any) -> dict[str, Any]:
        """Score, then mask the ``n`` (default ``channels_per_step``) lowest-scoring remaining channels."""
        result = self.score(loader, **kwargs)
        chosen = select_lowest(result["scores"], n or self.channels_per_step, exclude=self.pruned)
        self.mask.add(chosen)
        return {**result, "pruned_now": chosen}

    def export(self, network: nn.Module | None = None) -> tuple[nn.Module, dict[str, Any]]:
        """A physically pruned deep copy of ``network`` (default: the masked one) and its pruning plan."""
        source = network if network is not None else self.network
        channels = self.pruned
        self.mask.apply()
        self.mask._detach_hooks()  # the copy must not carry hooks bound to this mask
        try:
            pruned = copy.deepcopy(source)
        finally:
            self.mask.set(channels)
        plan = prune_physically(pruned, self.target_layer, self.pruned, self.example_inputs)
        return pruned, plan
