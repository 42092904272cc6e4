# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""SCP channel importance: SNNL of each channel's activations against the sensitive group, over a calibration loader.

Importance and pruner are separate, as in Torch-Pruning: :class:`SNNLImportance` turns one batch of activations into
one score per channel; :func:`score_channels` runs a calibration loader through the network with a forward hook on
the target layer (:func:`capture_output`), in eval mode and without gradients, and averages the per-batch scores as the
SCP code does; :class:`~monai_fairness.pruning.pruner.SNNLChannelPruner` decides which channels go.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import torch
import torch.nn as nn
from monai.networks.utils import eval_mode

from monai_fairness.pruning.layers import look_up_target_layer
from monai_fairness.pruning.snnl import SNNLDistance, SNNLVariant, channel_snnl
from monai_fairness.utils.enums import FairnessKeys

__all__ = ["SNNLImportance", "capture_output", "score_channels"]


class SNNLImportance:
    """Per-channel SNNL score of a batch of activations; low = the channel separates the groups (prune first).

    Args:
        temperature, distance, variant, eps: see :func:`~monai_fairness.pruning.snnl.soft_nearest_neighbour_loss`.
            Defaults are the official SCP ones (cosine, T = 1, self term in the numerator).
    """

    def __init__(
        self,
        temperature: float = 1.0,
        distance: str = SNNLDistance.COSINE,
        variant: str = SNNLVariant.OFFICIAL,
        eps: float = 1e-9,
    ):
        self.temperature, self.distance, self.variant, self.eps = temperature, distance, variant, eps

    def __call__(self, activations: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
        """``activations`` ``(B, C, *spatial)``, ``groups`` ``(B,)`` -> scores ``(C,)`` (float64 computation)."""
        return channel_snnl(activations.double(), groups, self.temperature, self.distance, self.variant, self.eps)


@contextmanager
def capture_output(network: nn.Module, layer: str | None) -> Iterator[dict[str, Any]]:
    """Within the context, ``store["output"]`` holds the latest output of ``layer`` (forward hook, removed on exit)."""
    _, module = look_up_target_layer(network, layer)
    store: dict[str, Any] = {}
    handle = module.register_forward_hook(lambda m, args, out: store.__setitem__("output", out.detach()))
    try:
        yield store
    finally:
        handle.remove()


def score_channels(
    network: nn.Module,
    target_layer: str | None,
    loader: Iterable[Mapping[str, Any]],
    importance: SNNLImportance | None = None,
    exclude: Sequence[int] = (),
    device: torch.device | str | None = None,
    image_key: str = FairnessKeys.IMAGE,
    group_key: str = FairnessKeys.GROUP,
    progress: bool = True,
) -> dict[str, Any]:
    """Mean SNNL score per channel of ``target_layer`` over ``loader`` (use un-augmented data in a fixed order).

    Args:
        network: the trained model; put in eval mode for the pass (and restored afterwards), no gradients.
        target_layer: dotted module name (``None``: the default SCP target).
        loader: batches as dictionaries holding ``image_key`` ``(B, C_in, *spatial)`` and ``group_key`` ``(B,)``.
        importance: the score (default: official SNNL).
        exclude: channels already pruned; their score is NaN (a silenced channel's map is constant, so its SNNL only
            reflects the batch's group mix and must not be ranked again).
        device: where to run (default: the network's).
        progress: show a tqdm progress bar.

    Returns:
        ``{"scores": (C,) float64 tensor, "n_batches": used, "n_skipped": batches holding a single group}``.
        A batch holding a single group gives no contrast and is skipped with a warning.
    """
    importance = importance or SNNLImportance()
    device = torch.device(device) if device is not None else next(network.parameters()).device
    total: torch.Tensor | None = None
    used = skipped = 0
    batches: Iterable[Mapping[str, Any]] = loader
    if progress:
        from tqdm.auto import tqdm

        batches = tqdm(loader, desc="SCP channel scores", leave=False)
    with eval_mode(network), torch.no_grad(), capture_output(network, target_layer) as store:
        for i, batch in enumerate(batches):
            if group_key not in batch:
                raise KeyError(f"score_channels: calibration batch {i} has no '{group_key}' key (the sensitive group).")
            groups = torch.as_tensor(batch[group_key]).reshape(-1)
            if groups.unique().numel() < 2:
                warnings.warn(
                    f"score_channels: calibration batch {i} holds one group only ({groups.unique().tolist()}); "
                    "batch skipped (use group-stratified batches or batch size >= 128).",
                    stacklevel=2,
                )
                skipped += 1
                continue
            network(torch.as_tensor(batch[image_key]).to(device))
            scores = importance(store["output"], groups.to(device)).cpu()
            total = scores if total is None else total + scores
            used += 1
    if total is None:
        raise ValueError(
            f"score_channels: no calibration batch held two or more groups ({skipped} skipped); expected batches "
            "mixing the sensitive groups."
        )
    mean = total / used
    if len(exclude):
        mean[torch.as_tensor(list(exclude), dtype=torch.long)] = float("nan")
    return {"scores": mean, "n_batches": used, "n_skipped": skipped}
