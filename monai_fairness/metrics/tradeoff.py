# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""FATE: the fairness-accuracy trade-off of a mitigated model against a baseline (SCP code; origin FairAdaBN).

``FATE = (ACC_m - ACC_b) / ACC_b - lambda * (FC_m - FC_b) / FC_b`` with ``lambda = 1``; higher is better, and a value
above 0 means the relative fairness gain outweighs the relative accuracy loss. The SCP code (our default) plugs in
macro-F1 as ACC and EOdd as FC (fairness criterion, lower is better).
"""

from __future__ import annotations

import math
import warnings

__all__ = ["compute_fate", "FATE_ACC_METRICS", "FATE_FC_METRICS"]

FATE_ACC_METRICS = ("f1_macro", "accuracy")
FATE_FC_METRICS = ("eodd", "eopp0", "eopp1")


def compute_fate(acc_mitigated: float, acc_baseline: float, fc_mitigated: float, fc_baseline: float, lam: float = 1.0):
    """FATE of a mitigated model (m) against a baseline (b).

    Raises:
        ValueError: When a value is NaN.
    """
    values = {
        "acc_mitigated": acc_mitigated,
        "acc_baseline": acc_baseline,
        "fc_mitigated": fc_mitigated,
        "fc_baseline": fc_baseline,
    }
    bad = [k for k, v in values.items() if v is None or math.isnan(float(v))]
    if bad:
        raise ValueError(f"compute_fate: expected finite values but got NaN/None for {bad}.")
    if acc_baseline == 0 or fc_baseline == 0:
        warnings.warn("compute_fate: a baseline value is 0, so its relative change is infinite.", stacklevel=2)
    acc_term = (acc_mitigated - acc_baseline) / acc_baseline if acc_baseline else math.copysign(math.inf, acc_mitigated)
    fc_term = (fc_mitigated - fc_baseline) / fc_baseline if fc_baseline else (0.0 if fc_mitigated == 0 else math.inf)
    return float(acc_term - lam * fc_term)
