# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from monai_fairness.report import PredictionsError, build_report
from tests.conftest import REPO_ROOT

CLS_KEYS = {"auc", "accuracy", "f1_macro"}
CLS_FAIR = {
    "worst_group_auc",
    "auc_gap",
    "accuracy_gap",
    "es_auc",
    "es_accuracy",
    "psd_std",
    "psd_maxmin",
    "dpd",
    "eodds",
    "eopp0",
    "eopp1",
    "eodd",
}
SEG_FAIR = {"worst_group_dice", "dice_gap", "dice_std", "es_dice", "es_dice_std", "dice_skewness"}


def _cls_csv(path, n=400, seed=0, shift=0.0, classes=2):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 2, n)
    y = rng.integers(0, classes, n)
    df = pd.DataFrame({"id": [f"s{i}" for i in range(n)], "group": g, "y_true": y})
    if classes == 2:
        df["y_score"] = np.clip(rng.normal(0.3 + 0.4 * y - shift * g, 0.2), 0, 1)
    else:
        p = rng.dirichlet(np.ones(classes), n)
        p[np.arange(n), y] += 0.5
        p /= p.sum(1, keepdims=True)
        for c in range(classes):
            df[f"y_score_{c}"] = p[:, c]
    df.to_csv(path, index=False)
    return str(path)


def test_classification_report_keys_and_ci(tmp_path):
    report = build_report(_cls_csv(tmp_path / "p.csv"), group_names={"0": "light", "1": "dark"}, n_bootstrap=200)
    assert set(report) >= {"task", "groups", "n_by_group", "overall", "by_group", "fairness", "ci"}
    assert report["groups"] == {"0": "light", "1": "dark"}
    assert set(report["overall"]) == CLS_KEYS and set(report["by_group"]["0"]) == CLS_KEYS
    assert set(report["fairness"]) == CLS_FAIR
    for key in list(CLS_KEYS) + list(CLS_FAIR):
        low, high = report["ci"][key]
        value = report["overall"].get(key, report["fairness"].get(key))
        assert low <= value + 1e-9 and value - 1e-9 <= high, key
    assert set(report["ci_by_group"]["1"]) == CLS_KEYS
    assert report["settings"]["decision_rule"] == "y_score >= 0.5"
    assert "sum_abs" in report["settings"]["variants"]["es_auc"]


def test_bootstrap_is_seeded(tmp_path):
    path = _cls_csv(tmp_path / "p.csv")
    a = build_report(path, n_bootstrap=100, seed=3)["ci"]
    b = build_report(path, n_bootstrap=100, seed=3)["ci"]
    c = build_report(path, n_bootstrap=100, seed=4)["ci"]
    assert a == b and a != c
    assert build_report(path, n_bootstrap=0)["ci"] == {}


def test_fate_against_baseline_report(tmp_path):
    base = build_report(_cls_csv(tmp_path / "b.csv", shift=0.3), n_bootstrap=0)
    (tmp_path / "base.json").write_text(json.dumps(base))
    mitigated = build_report(
        _cls_csv(tmp_path / "m.csv", shift=0.0), baseline=str(tmp_path / "base.json"), n_bootstrap=0
    )
    acc_b, fc_b = base["overall"]["f1_macro"], base["fairness"]["eodd"]
    acc_m, fc_m = mitigated["overall"]["f1_macro"], mitigated["fairness"]["eodd"]
    assert mitigated["fairness"]["fate"] == pytest.approx((acc_m - acc_b) / acc_b - (fc_m - fc_b) / fc_b)
    assert "ACC = f1_macro, FC = eodd" in mitigated["settings"]["variants"]["fate"]


def test_multiclass_and_segmentation(tmp_path):
    report = build_report(_cls_csv(tmp_path / "m.csv", classes=4), n_bootstrap=50)
    assert report["settings"]["decision_rule"] == "argmax over y_score_k"
    rng = np.random.default_rng(1)
    seg = pd.DataFrame({"id": range(60), "group": rng.integers(0, 3, 60), "dice": rng.uniform(0.5, 0.95, 60)})
    seg["iou"] = seg["dice"] / (2 - seg["dice"])
    seg.to_csv(tmp_path / "s.csv", index=False)
    report = build_report(str(tmp_path / "s.csv"), n_bootstrap=50)
    assert report["task"] == "segmentation" and set(report["overall"]) == {"dice", "iou"}
    assert set(report["fairness"]) == SEG_FAIR
    assert report["overall"]["dice"] == pytest.approx(seg["dice"].mean())


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda df: df.drop(columns=["y_true"]), "missing column(s) ['y_true']"),
        (lambda df: df.assign(group=0), "expected at least two groups but found only [0]"),
        (lambda df: df.assign(y_score=df.y_score * 3), "scores expected in [0, 1] (probabilities)"),
        (lambda df: df.assign(y_score=df.y_score.where(df.index != 5)), "rows [5] hold NaN"),
        (lambda df: df.assign(y_true=df.y_true + 1), "expected integer class ids in [0, 1] to match 1 score column(s)"),
    ],
)
def test_bad_input_messages(tmp_path, mutate, message):
    path = tmp_path / "p.csv"
    mutate(pd.read_csv(_cls_csv(path))).to_csv(path, index=False)
    with pytest.raises(PredictionsError) as err:
        build_report(str(path), n_bootstrap=0)
    assert message in str(err.value)


def test_class_count_mismatch_multiclass(tmp_path):
    path = tmp_path / "p.csv"
    df = pd.read_csv(_cls_csv(path, classes=3))
    df.loc[0, "y_true"] = 3
    df.to_csv(path, index=False)
    with pytest.raises(PredictionsError, match=r"expected integer class ids in \[0, 2\] to match 3 score column"):
        build_report(str(path), n_bootstrap=0)


def test_cli_writes_json_html_and_summary(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "monai_fairness.report",
            "--predictions",
            _cls_csv(tmp_path / "p.csv"),
            "--out",
            str(out),
            "--n-bootstrap",
            "50",
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=True,
    )
    assert "fairness: worst_group_auc" in proc.stdout and "report.html" in proc.stdout
    assert json.loads((out / "report.json").read_text())["task"] == "classification"
    bad = subprocess.run(
        [sys.executable, "-m", "monai_fairness.report", "--predictions", str(tmp_path / "nope.csv"), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert bad.returncode == 2 and "expected an existing CSV file" in bad.stderr
