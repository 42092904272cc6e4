# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The SCP-family parity metrics EOpp0, EOpp1, EOdd and DP, exactly as the SCP code computes them.

Kong et al., "Achieving Fairness Through Channel Pruning for Dermatological Disease Diagnosis", MICCAI 2024
(``Kqp1227/Sensitive-Channel-Pruning``). One-vs-rest rates per class ``c`` (``C = max(max label, max prediction) + 1``,
a division by zero gives 0), two groups 0 and 1:

- ``eopp0 = (1/C) sum_c |TNR_c^(0) - TNR_c^(1)|``
- ``eopp1 = (1/C) sum_c |TPR_c^(0) - TPR_c^(1)|``
- ``eodd  = (1/C) sum_c |(TPR_c^(0) - TPR_c^(1)) + (FPR_c^(0) - FPR_c^(1))| / 2`` (signed differences added
  *inside* the absolute value; this is not ``(|dTPR| + |dFPR|) / 2``)
- ``dp    = sum_c |P(y_pred=c | 0) - P(y_pred=c | 1)|``

For ``K > 2`` groups each per-class term is the maximum over group pairs (our choice), i.e. ``max_g - min_g`` of
``TNR``, ``TPR``, ``TPR + FPR`` and the selection rate.
"""

from __future__ import annotations

import torch

from monai_fairness.metrics.fairness import compute_gap

__all__ = ["compute_scp_parity", "scp_num_classes"]


def scp_num_classes(y_pred: torch.Tensor, y_true: torch.Tensor) -> int:
    """``C = max(max label, max prediction) + 1``, as the SCP code derives it."""
    return int(max(int(y_true.max()), int(y_pred.max()))) + 1


def compute_scp_parity(rates: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """EOpp0, EOpp1, EOdd and DP from one-vs-rest rates ``[..., K, C]`` (``compute_rates_by_group`` with
    ``num_classes = scp_num_classes(...)``); returns scalars (or ``[...]`` tensors)."""

    def per_class_gap(x: torch.Tensor) -> torch.Tensor:
        return compute_gap(x.transpose(-1, -2))  # [..., C]

    return {
        "eopp0": per_class_gap(rates["tnr"]).mean(-1),
        "eopp1": per_class_gap(rates["tpr"]).mean(-1),
        "eodd": (per_class_gap(rates["tpr"] + rates["fpr"]) / 2).mean(-1),
        "dp": per_class_gap(rates["selection"]).sum(-1),
    }
