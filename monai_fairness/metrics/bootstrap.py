# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Group-stratified percentile bootstrap confidence intervals, vectorised over resamples.

Each resample draws, within every group, as many samples as the group has, with replacement (our choice,
``docs/metrics.md``), so group sizes stay fixed. Slot ``i`` of every resample is filled from the group of row ``i``
with its own uniform draw, so the resampled rows do not depend on the values of the group ids: relabelling the groups
changes no interval. Two models evaluated on the same test rows with the same indices give a **paired** bootstrap
(:class:`monai_fairness.study.StudyStatistics`). All resamples of a chunk are evaluated in one call by giving resample
``b`` and group ``g`` the segment id ``b * K + g``; the per-segment tables reshape to ``[B, K]`` and the fairness
metrics reduce over the last dimension.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch

__all__ = ["stratified_bootstrap_indices", "iterate_bootstrap", "bootstrap_intervals", "percentile_interval"]


def stratified_bootstrap_indices(groups: torch.Tensor, n_resamples: int, generator: torch.Generator) -> torch.Tensor:
    """``[n_resamples, N]`` row indices; entry ``[b, i]`` is a random row of row ``i``'s group (with replacement).

    Args:
        groups: ``[N]`` group positions in ``[0, K)`` (or any non-negative ids).
        n_resamples: ``B``.
        generator: the random stream (seeded by the caller).
    """
    groups = groups.long()
    order = torch.argsort(groups, stable=True)  # members of each group, in row order
    counts = torch.bincount(groups)
    starts = torch.cumsum(counts, 0) - counts
    n = groups.numel()
    offset = (torch.rand((n_resamples, n), generator=generator, dtype=torch.float64) * counts[groups].double()).long()
    return order[starts[groups] + offset]


def iterate_bootstrap(
    groups: torch.Tensor, n_resamples: int, seed: int = 0, max_elements: int = 20_000_000
) -> Iterator[torch.Tensor]:
    """Chunks ``[b, N]`` of stratified bootstrap indices, ``n_resamples`` rows in all, from one seeded stream (the
    chunk size only bounds memory; the indices are the same for any ``max_elements``)."""
    generator = torch.Generator().manual_seed(int(seed))
    chunk = max(1, min(n_resamples, max_elements // max(1, groups.numel())))
    done = 0
    while done < n_resamples:
        b = min(chunk, n_resamples - done)
        yield stratified_bootstrap_indices(groups, b, generator)
        done += b


def percentile_interval(values: torch.Tensor, alpha: float = 0.05) -> torch.Tensor | None:
    """``[2, ...]`` percentile interval of ``values [B, ...]``; ``None`` when any resample is undefined (NaN or
    infinite), because an interval over the defined resamples only would describe a different quantity."""
    values = values.double()
    if not bool(torch.isfinite(values).all()):
        return None
    q = torch.tensor([alpha / 2, 1 - alpha / 2], dtype=torch.float64)
    return torch.quantile(values, q, dim=0)


def bootstrap_intervals(
    evaluate: Callable[[torch.Tensor], dict[str, torch.Tensor]],
    groups: torch.Tensor,
    n_resamples: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    max_elements: int = 20_000_000,
) -> dict[str, Any]:
    """Percentile intervals ``[alpha/2, 1 - alpha/2]`` of every metric ``evaluate`` returns.

    Args:
        evaluate: ``indices [B, N] -> {name: [B] or [B, K] tensor}``; computes the metrics of every resample at once.
        groups: ``[N]`` group positions.
        n_resamples: number of resamples (``0`` disables the bootstrap and returns ``{}``).
        seed: seeds the resampling.
        alpha: 0.05 gives 95 % intervals.
        max_elements: resamples are processed in chunks of at most this many indices.

    Returns:
        ``{name: [low, high] or None}`` for ``[B]`` metrics and ``{name: [[low, high] or None per group]}`` for
        ``[B, K]`` ones; ``None`` where a resample left the metric undefined.

    Raises:
        ValueError: When ``n_resamples`` is negative.
    """
    if n_resamples < 0:
        raise ValueError(f"n_resamples expected a count >= 0 (0 disables the intervals) but got {n_resamples}.")
    if n_resamples == 0:
        return {}
    parts: dict[str, list[torch.Tensor]] = {}
    for idx in iterate_bootstrap(groups, n_resamples, seed, max_elements):
        for name, value in evaluate(idx).items():
            parts.setdefault(name, []).append(value.double())
    out: dict[str, Any] = {}
    for name, chunks in parts.items():
        values = torch.cat(chunks, 0)
        if values.ndim == 1:
            ci = percentile_interval(values, alpha)
            out[name] = None if ci is None else ci.tolist()
        else:
            per_group = [percentile_interval(values[:, k], alpha) for k in range(values.shape[1])]
            out[name] = [None if ci is None else ci.tolist() for ci in per_group]
    return out
