# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Metrics fairlearn lacks, on tiny cases computed by hand (``docs/metrics.md``)."""

from __future__ import annotations

import math

import pytest
import torch

from monai_fairness.metrics import (
    compute_auc_by_group,
    compute_dice_skewness,
    compute_equity_scaled,
    compute_fate,
    compute_psd,
    compute_rates_by_group,
    compute_scp_parity,
)
from monai_fairness.tasks import ClassificationTask, SegmentationTask

T = torch.tensor


def test_equity_scaled_and_psd():
    overall, by_group = T(0.8, dtype=torch.float64), T([0.9, 0.7, 0.8], dtype=torch.float64)
    # sum_abs: 0.8 / (1 + 0.1 + 0.1 + 0) = 0.8 / 1.2
    assert compute_equity_scaled(overall, by_group, "sum_abs").item() == pytest.approx(0.8 / 1.2)
    assert compute_equity_scaled(overall, by_group, "sum_abs", alpha=2.0).item() == pytest.approx(0.8 / 1.4)
    # std variant: population std of (0.9, 0.7, 0.8) = sqrt(0.02/3)
    std = math.sqrt(0.02 / 3)
    assert compute_equity_scaled(overall, by_group, "std").item() == pytest.approx(0.8 / (1 + std))
    assert compute_psd(overall, by_group, "std").item() == pytest.approx(std / 0.8)
    assert compute_psd(overall, by_group, "maxmin").item() == pytest.approx(0.2 / 0.8)
    with pytest.raises(ValueError, match="did you mean"):
        compute_equity_scaled(overall, by_group, "sum_ab")


def test_scp_eodd_adds_signed_differences_inside_the_absolute_value():
    # group 0: 2 positives, 2 negatives; predictions give TPR=1.0, FPR=0.5
    # group 1: TPR=0.5, FPR=1.0  -> dTPR=+0.5, dFPR=-0.5 cancel: EOdd term for class 1 is 0, not 0.5
    y_true = T([1, 1, 0, 0, 1, 1, 0, 0])
    y_pred = T([1, 1, 1, 0, 1, 0, 1, 1])
    groups = T([0, 0, 0, 0, 1, 1, 1, 1])
    rates = compute_rates_by_group(y_pred, y_true, groups, 2, 2)
    scp = compute_scp_parity(rates)
    # class 1: dTPR = 0.5, dFPR = -0.5 -> |0| / 2 = 0; class 0 (one-vs-rest): TPR_0 = TNR_1, FPR_0 = FNR_1:
    # group 0: TPR_0 = 0.5, FPR_0 = 0.0; group 1: TPR_0 = 0.0, FPR_0 = 0.5 -> |0.5 - 0.5| / 2 = 0
    assert scp["eodd"].item() == pytest.approx(0.0)
    # eopp1: class 1 |1.0 - 0.5| = 0.5, class 0 |0.5 - 0.0| = 0.5 -> mean 0.5
    assert scp["eopp1"].item() == pytest.approx(0.5)
    # eopp0: TNR class 1 = 1 - FPR: |0.5 - 0.0| = 0.5; class 0: TNR_0 = 1 - FPR_0: |1.0 - 0.5| = 0.5 -> 0.5
    assert scp["eopp0"].item() == pytest.approx(0.5)
    # dp: class 1 selection 3/4 vs 3/4 -> 0, class 0 1/4 vs 1/4 -> 0
    assert scp["dp"].item() == pytest.approx(0.0)
    # the fairlearn-style worst-case eodds is not fooled: max(|dTPR|, |dFPR|) = 0.5
    res = ClassificationTask().evaluate({"y_score": y_pred.double(), "y_true": y_true}, groups)
    assert res.fairness["eodds"] == pytest.approx(0.5)


def test_scp_parity_three_groups_takes_the_widest_pair():
    rates = {
        "tpr": T([[0.0, 0.9], [0.0, 0.5], [0.0, 0.7]], dtype=torch.float64),
        "fpr": T([[0.0, 0.1], [0.0, 0.3], [0.0, 0.2]], dtype=torch.float64),
        "tnr": T([[1.0, 0.9], [1.0, 0.7], [1.0, 0.8]], dtype=torch.float64),
        "selection": T([[0.5, 0.5], [0.6, 0.4], [0.5, 0.5]], dtype=torch.float64),
    }
    scp = compute_scp_parity(rates)
    assert scp["eopp1"].item() == pytest.approx((0 + 0.4) / 2)
    assert scp["eopp0"].item() == pytest.approx((0 + 0.2) / 2)
    # TPR+FPR per group for class 1: 1.0, 0.8, 0.9 -> (1.0 - 0.8)/2 = 0.1; class 0: 0 -> mean 0.05
    assert scp["eodd"].item() == pytest.approx(0.05)
    assert scp["dp"].item() == pytest.approx(0.1 + 0.1)


def test_segmentation_metrics_and_skewness():
    dice = T([0.9, 0.8, 0.6, 0.5, 0.7], dtype=torch.float64)
    groups = T([0, 0, 1, 1, 1])
    res = SegmentationTask().evaluate({"dice": dice}, groups)
    assert res.overall["dice"] == pytest.approx(0.7)
    g0, g1 = 0.85, 0.6
    assert [res.by_group["0"]["dice"], res.by_group["1"]["dice"]] == pytest.approx([g0, g1])
    f = res.fairness
    assert f["dice_gap"] == pytest.approx(0.25)
    assert f["worst_group_dice"] == pytest.approx(0.6)
    assert f["dice_std"] == pytest.approx(0.125)
    assert f["es_dice"] == pytest.approx(0.7 / (1 + 0.15 + 0.1))
    assert f["es_dice_std"] == pytest.approx(0.7 / 1.125)
    assert f["dice_skewness"] == pytest.approx((1 - 0.6) / (1 - 0.85))
    with pytest.warns(UserWarning, match="exactly 1"):
        assert math.isinf(compute_dice_skewness(T([1.0, 0.8], dtype=torch.float64)).item())


def test_fate():
    # (0.78 - 0.8)/0.8 - (0.1 - 0.2)/0.2 = -0.025 + 0.5
    assert compute_fate(0.78, 0.8, 0.1, 0.2) == pytest.approx(0.475)
    assert compute_fate(0.78, 0.8, 0.1, 0.2, lam=0.5) == pytest.approx(-0.025 + 0.25)
    with pytest.raises(ValueError, match="NaN/None for \\['fc_mitigated'\\]"):
        compute_fate(0.8, 0.8, float("nan"), 0.2)


def test_auc_ties_and_undefined_groups_warn_not_crash():
    # AUC with ties: positives 0.5, 0.8; negatives 0.5, 0.2 -> pairs: (0.5 vs 0.5) 0.5, (0.5 vs 0.2) 1,
    # (0.8 vs 0.5) 1, (0.8 vs 0.2) 1 -> 3.5 / 4
    score = T([0.5, 0.8, 0.5, 0.2, 0.9, 0.1], dtype=torch.float64)
    y = T([1, 1, 0, 0, 1, 1])
    groups = T([0, 0, 0, 0, 1, 1])  # group 1 holds one class only; group 2 is empty
    with pytest.warns(UserWarning, match=r"AUC is undefined \(NaN\) for group\(s\) \[1, 2\]"):
        auc = compute_auc_by_group(score, y, groups, 3)
    assert auc[0].item() == pytest.approx(0.875)
    assert math.isnan(auc[1].item()) and math.isnan(auc[2].item())
    res = ClassificationTask().evaluate({"y_score": score, "y_true": y}, groups)  # callers warn, with the reasons
    # group 1 holds one class: its AUC is undefined, so every AUC-based comparison is undefined (never a gap over the
    # remaining groups, which would look fair exactly where nothing is known), and the reason names the group
    assert res.by_group["1"]["auc"] is None and res.fairness["worst_group_auc"] is None
    assert res.fairness["auc_gap"] is None and res.fairness["es_auc"] is None
    assert "group 1 has no sample of class 0" in res.undefined["auc_gap"]
    assert res.fairness["accuracy_gap"] is not None  # accuracy is defined in both groups


def test_shape_errors():
    with pytest.raises(ValueError, match="expected y_score \\[N\\] or \\[N, C\\], y_true \\[N\\] and groups \\[N\\]"):
        compute_auc_by_group(torch.rand(4), T([0, 1, 0]), T([0, 0, 1, 1]), 2)
    from monai_fairness.tasks import get_task

    with pytest.raises(ValueError, match="'task' expected one of"):
        get_task("detection")
