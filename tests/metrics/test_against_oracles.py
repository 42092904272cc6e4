# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Shared metrics equal fairlearn 0.15 and scikit-learn on random data, to 1e-6."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
    selection_rate,
)
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from monai_fairness.metrics import compute_rates_by_group
from monai_fairness.tasks import ClassificationTask


def _evaluate(groups, y_score, y_true):
    return ClassificationTask().evaluate({"y_score": torch.tensor(y_score), "y_true": torch.tensor(y_true)}, groups)


def _binary(seed: int, n: int = 3000, k: int = 3):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, k, n)
    y = rng.integers(0, 2, n)
    s = np.clip(rng.normal(0.35 + 0.25 * y + 0.05 * g, 0.25), 0, 1)
    s[: n // 10] = np.round(s[: n // 10], 1)  # ties, which AUC must average
    return g, y, s


@pytest.mark.parametrize("seed, k", [(0, 2), (1, 3), (2, 4)])
def test_binary_against_fairlearn_and_sklearn(seed, k):
    g, y, s = _binary(seed, k=k)
    yp = (s >= 0.5).astype(int)
    res = _evaluate(torch.tensor(g), s, y)
    mf = MetricFrame(
        metrics={"accuracy": accuracy_score, "selection_rate": selection_rate},
        y_true=y,
        y_pred=yp,
        sensitive_features=g,
    )
    rates = compute_rates_by_group(torch.tensor(yp), torch.tensor(y), torch.tensor(g), k, 2)
    for grp in range(k):
        m = g == grp
        assert res.by_group[str(grp)]["auc"] == pytest.approx(roc_auc_score(y[m], s[m]), abs=1e-6)
        assert res.by_group[str(grp)]["accuracy"] == pytest.approx(mf.by_group["accuracy"][grp], abs=1e-6)
        assert rates["selection"][grp, 1].item() == pytest.approx(mf.by_group["selection_rate"][grp], abs=1e-6)
        assert res.by_group[str(grp)]["f1_macro"] == pytest.approx(f1_score(y[m], yp[m], average="macro"), abs=1e-6)
    assert res.overall["auc"] == pytest.approx(roc_auc_score(y, s), abs=1e-6)
    assert res.overall["accuracy"] == pytest.approx(accuracy_score(y, yp), abs=1e-6)
    assert res.fairness["dpd"] == pytest.approx(demographic_parity_difference(y, yp, sensitive_features=g), abs=1e-6)
    assert res.fairness["eodds"] == pytest.approx(equalized_odds_difference(y, yp, sensitive_features=g), abs=1e-6)
    assert res.fairness["accuracy_gap"] == pytest.approx(mf.difference()["accuracy"], abs=1e-6)


def test_multiclass_against_sklearn():
    rng = np.random.default_rng(5)
    n, k, c = 4000, 3, 4
    g, y = rng.integers(0, k, n), rng.integers(0, c, n)
    p = rng.dirichlet(np.ones(c), n)
    p[np.arange(n), y] += 0.4
    p /= p.sum(1, keepdims=True)
    res = _evaluate(torch.tensor(g), p, y)
    yp = p.argmax(1)
    for grp in range(k):
        m = g == grp
        expected = roc_auc_score(np.eye(c)[y[m]], p[m], average="macro", multi_class="ovr")
        assert res.by_group[str(grp)]["auc"] == pytest.approx(expected, abs=1e-6)
        assert res.by_group[str(grp)]["f1_macro"] == pytest.approx(f1_score(y[m], yp[m], average="macro"), abs=1e-6)
    # one-vs-rest DPD / EOdds per class, averaged (our multi-class definition), against fairlearn per class
    dpd = np.mean([demographic_parity_difference(y == cl, yp == cl, sensitive_features=g) for cl in range(c)])
    eod = np.mean([equalized_odds_difference(y == cl, yp == cl, sensitive_features=g) for cl in range(c)])
    assert res.fairness["dpd"] == pytest.approx(dpd, abs=1e-6)
    assert res.fairness["eodds"] == pytest.approx(eod, abs=1e-6)
