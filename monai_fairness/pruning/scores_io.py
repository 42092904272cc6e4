# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Write SCP channel scores as a CSV and a plot (sorted scores, the pruned channels marked)."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence

import torch

__all__ = ["write_channel_scores", "plot_channel_scores"]


def write_channel_scores(
    scores: torch.Tensor, path: str, pruned_before: Sequence[int] = (), pruned_now: Sequence[int] = ()
) -> str:
    """CSV with columns ``channel, score, rank, status`` (status: ``kept``, ``pruned_now``, ``pruned_before``).

    ``rank`` is 1 for the lowest score (the most group-separating channel); already pruned channels have no rank.
    """
    scores = torch.as_tensor(scores, dtype=torch.float64).reshape(-1)
    before, now = {int(c) for c in pruned_before}, {int(c) for c in pruned_now}
    ranked = sorted(
        (c for c in range(scores.numel()) if not math.isnan(float(scores[c]))), key=lambda c: float(scores[c])
    )
    rank = {c: r + 1 for r, c in enumerate(ranked)}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["channel", "score", "rank", "status"])
        for c in range(scores.numel()):
            status = "pruned_before" if c in before else "pruned_now" if c in now else "kept"
            value = float(scores[c])
            w.writerow([c, "" if math.isnan(value) else f"{value:.8g}", rank.get(c, ""), status])
    return path


def plot_channel_scores(scores: torch.Tensor, path: str, pruned_now: Sequence[int] = (), title: str = "") -> str:
    """PNG: every channel's SNNL score in ascending order, the channels pruned now in red (low = group-separating)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = torch.as_tensor(scores, dtype=torch.float64).reshape(-1)
    valid = [c for c in range(scores.numel()) if not math.isnan(float(scores[c]))]
    order = sorted(valid, key=lambda c: float(scores[c]))
    now = {int(c) for c in pruned_now}
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.bar(
        range(len(order)),
        [float(scores[c]) for c in order],
        width=1.0,
        color=["tab:red" if c in now else "tab:blue" for c in order],
    )
    ax.set_xlabel("channels, sorted by score (red: pruned now)")
    ax.set_ylabel("SNNL vs sensitive group")
    ax.set_title(title or "SCP channel scores (low = encodes the group)")
    lo, hi = float(scores[order[0]]), float(scores[order[-1]])
    ax.set_ylim(lo - 0.05 * (hi - lo + 1e-12), hi + 0.05 * (hi - lo + 1e-12))
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
