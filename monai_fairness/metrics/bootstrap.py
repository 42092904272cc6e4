# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Group-stratified percentile bootstrap confidence intervals, vectorised over resamples.

Each resample draws, within every group, as many samples as the group has, with replacement (our choice, methods.md
section 5), so group sizes stay fixed. All resamples of a chunk are evaluated in one call by giving resample ``b``
and group ``g`` the segment id ``b * K + g``; the per-segment tables reshape to ``[B, K]`` and the fairness metrics
reduce over the last dimension.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

__all__ = ["stratified_bootstrap_indices", "bootstrap_intervals"]


def stratified_bootstrap_indices(groups: torch.Tensor, n_resamples: int, generator: torch.Generator) -> torch.Tensor:
    """``[n_resamples, N]`` indices; row ``b`` resamples every group with replacement, keeping its size."""
    groups = groups.long()
    order = torch.argsort(groups, stable=True)
    counts = torch.bincount(groups)
    starts = torch.cumsum(counts, 0) - counts
    n = groups.numel()
    sorted_groups = groups[order]
    size = counts[sorted_groups].double()  # [N] size of each slot's group
    offset = (torch.rand((n_resamples, n), generator=generator, dtype=torch.float64) * size).long()
    return order[starts[sorted_groups] + offset]


def bootstrap_intervals(
    evaluate: Callable[[torch.Tensor, torch.Tensor, int], dict[str, torch.Tensor]],
    groups: torch.Tensor,
    num_groups: int,
    n_resamples: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    max_elements: int = 20_000_000,
) -> dict[str, Any]:
    """Percentile intervals ``[alpha/2, 1 - alpha/2]`` of every metric ``evaluate`` returns.

    Args:
        evaluate: ``(indices [B, N], groups_of_indices [B, N], B) -> {name: [B] or [B, K] tensor}``; it computes
            the metrics of every resample at once.
        groups: ``[N]`` group ids.
        num_groups: ``K``.
        n_resamples: number of resamples (``0`` disables the bootstrap and returns ``{}``).
        seed: seeds the resampling.
        alpha: 0.05 gives 95 % intervals.
        max_elements: resamples are processed in chunks of at most this many indices.

    Returns:
        ``{name: [low, high]}`` for ``[B]`` metrics and ``{name: [[low, high] per group]}`` for ``[B, K]`` ones.
    """
    if n_resamples <= 0:
        return {}
    generator = torch.Generator().manual_seed(seed)
    chunk = max(1, min(n_resamples, max_elements // max(1, groups.numel())))
    parts: dict[str, list[torch.Tensor]] = {}
    done = 0
    while done < n_resamples:
        b = min(chunk, n_resamples - done)
        idx = stratified_bootstrap_indices(groups, b, generator)
        for name, value in evaluate(idx, groups[idx], b).items():
            parts.setdefault(name, []).append(value.double())
        done += b
    q = torch.tensor([alpha / 2, 1 - alpha / 2], dtype=torch.float64)
    out: dict[str, Any] = {}
    for name, chunks in parts.items():
        values = torch.cat(chunks, 0)
        finite = torch.where(torch.isfinite(values), values, torch.full_like(values, float("nan")))
        ci = torch.nanquantile(finite, q, dim=0)  # [2] or [2, K]
        out[name] = ci.T.tolist() if ci.ndim == 2 else ci.tolist()
    return out
