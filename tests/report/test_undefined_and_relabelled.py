# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Groups are labels, not positions, and undefined values are null: the report CLI, the build function and the
validation handler give the same numbers whatever the group ids, and never show an undefined comparison as fair."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from monai_fairness.metrics import GroupMetric
from monai_fairness.report import PredictionsError, build_report
from monai_fairness.report.cli import main
from tests.conftest import REPO_ROOT


def _predictions(n: int = 300, k: int = 2, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, k, n)
    y = rng.integers(0, 2, n)
    score = np.clip(rng.normal(0.3 + 0.4 * y - 0.1 * g, 0.2), 0, 1)
    return pd.DataFrame({"id": [f"s{i}" for i in range(n)], "group": g, "y_true": y, "y_score": score})


def _numbers(report: dict, mapping: dict[int, int] | None = None) -> dict:
    """Every number of a report, with group keys translated back through ``mapping`` (new id -> old id)."""
    back = {str(new): str(old) for new, old in (mapping or {}).items()}
    return {
        "overall": report["overall"],
        "fairness": report["fairness"],
        "ci": report["ci"],
        "by_group": {back.get(g, g): v for g, v in report["by_group"].items()},
        "ci_by_group": {back.get(g, g): v for g, v in report["ci_by_group"].items()},
        "n_by_group": {back.get(g, g): v for g, v in report["n_by_group"].items()},
    }


def _assert_same(a, b, path=""):
    """Equal structure, None in the same places, numbers equal to 1e-12 (the order of a sum over groups changes)."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            _assert_same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{path}[{i}]")
    elif a is None or b is None or isinstance(a, str):
        assert a == b, path
    else:
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12), path


def _cli(*args: str) -> subprocess.CompletedProcess:
    """The report command line in-process (the same ``main``; a subprocess costs seconds of imports per call)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def test_the_command_line_ends_with_one_error_line():
    proc = subprocess.run(
        [sys.executable, "-m", "monai_fairness.report", "--predictions", "x.csv", "--out", "o", "--threshold", "50"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert proc.returncode == 2 and proc.stderr.strip().splitlines()[-1].startswith("error: threshold expected")


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_relabelling_the_groups_changes_no_number(tmp_path, k):
    df = _predictions(n=60 * k, k=k, seed=k)
    df.to_csv(tmp_path / "a.csv", index=False)
    reference = _numbers(build_report(str(tmp_path / "a.csv"), n_bootstrap=60))
    rng = np.random.default_rng(100 + k)
    for trial in range(3):
        new_ids = rng.choice(np.arange(1, 40), size=k, replace=False)  # e.g. sex coded 1/2, ids {0, 5}
        relabel = dict(enumerate(new_ids.tolist()))
        df.assign(group=df["group"].map(relabel)).to_csv(tmp_path / f"b{trial}.csv", index=False)
        report = build_report(str(tmp_path / f"b{trial}.csv"), n_bootstrap=60)
        _assert_same(_numbers(report, {v: k_ for k_, v in relabel.items()}), reference, str(relabel))


def test_sex_coded_1_2_gives_the_same_parity_metrics_in_the_cli(tmp_path):
    df = _predictions()
    df.to_csv(tmp_path / "zero_one.csv", index=False)
    df.assign(group=df["group"] + 1).to_csv(tmp_path / "one_two.csv", index=False)
    a, b = (
        _cli("--predictions", str(tmp_path / f"{n}.csv"), "--out", str(tmp_path / n), "--n-bootstrap", "20")
        for n in ("zero_one", "one_two")
    )
    assert a.returncode == 0 and b.returncode == 0, b.stderr
    ra = json.loads((tmp_path / "zero_one" / "report.json").read_text())
    rb = json.loads((tmp_path / "one_two" / "report.json").read_text())
    for key in ("dpd", "eodds", "eodd", "eopp0", "eopp1", "auc_gap"):
        assert rb["fairness"][key] == pytest.approx(ra["fairness"][key]), key
    assert set(rb["groups"]) == {"1", "2"}


def test_the_handler_is_relabelling_invariant_too():
    df = _predictions(k=3)
    probs = torch.tensor(np.stack([1 - df["y_score"], df["y_score"]], 1))
    out = {}
    for name, ids in (("plain", [0, 1, 2]), ("relabelled", [7, 2, 5])):
        metric = GroupMetric("classification", prefix="val_", group_ids=ids)
        groups = torch.tensor(df["group"].map(dict(enumerate(ids))).to_numpy())
        metric.update(probs, torch.tensor(df["y_true"].to_numpy()), groups)
        values = metric.aggregate()
        out[name] = {k: v for k, v in values.items() if "_g" not in k}
        out[name + "_groups"] = sorted(v for k, v in values.items() if k.startswith("val_auc_g"))
    _assert_same(out["plain"], out["relabelled"])
    _assert_same(out["plain_groups"], out["relabelled_groups"])


def test_declared_group_without_samples_is_absent_not_zero(tmp_path):
    df = _predictions()
    df.to_csv(tmp_path / "p.csv", index=False)
    with pytest.warns(UserWarning, match=r"declared group\(s\) 2 \(other\) have no rows"):
        report = build_report(
            str(tmp_path / "p.csv"), group_names={"0": "light", "1": "dark", "2": "other"}, n_bootstrap=20
        )
    plain = build_report(str(tmp_path / "p.csv"), n_bootstrap=20)
    assert report["absent"] == ["2"] and report["n_by_group"]["2"] == 0
    assert report["by_group"]["2"] == {"auc": None, "accuracy": None, "f1_macro": None}
    assert report["fairness"] == plain["fairness"]  # the absent group never enters a gap
    with pytest.raises(PredictionsError, match=r"declared groups \[0, 2\] but got \[1\]"):
        build_report(str(tmp_path / "p.csv"), group_names={"0": "a", "2": "b"}, n_bootstrap=0)


def test_a_group_with_one_class_makes_auc_comparisons_null_with_the_reason(tmp_path):
    df = _predictions()
    df.loc[df["group"] == 1, "y_true"] = 0  # group 1: no positives, AUC and TPR undefined
    df.to_csv(tmp_path / "p.csv", index=False)
    with pytest.warns(UserWarning, match="group 1 has no sample of class 1"):
        report = build_report(str(tmp_path / "p.csv"), n_bootstrap=50)
    for key in ("auc_gap", "worst_group_auc", "es_auc", "psd_std", "eodds", "eopp1", "eodd"):
        assert report["fairness"][key] is None, key
        assert report["ci"][key] is None, key  # not [0, 0]
        assert "group 1 has no sample of class 1" in report["undefined"][key]
    assert report["by_group"]["1"]["auc"] is None and report["ci_by_group"]["1"]["auc"] is None
    assert report["fairness"]["dpd"] is not None and report["fairness"]["accuracy_gap"] is not None


def test_undefined_tpr_is_not_counted_as_zero(tmp_path):
    df = _predictions(n=400)
    df.loc[(df["group"] == 1) & (df["y_true"] == 1), "y_true"] = 0
    df.to_csv(tmp_path / "p.csv", index=False)
    with pytest.warns(UserWarning):
        report = build_report(str(tmp_path / "p.csv"), n_bootstrap=0)
    assert report["fairness"]["eodds"] is None  # the old code reported the TPR gap as 1 - TPR_0 here


def test_small_groups_get_null_intervals_and_a_warning(tmp_path):
    df = _predictions()
    df.loc[0, "group"] = 2  # a one-row group
    df.to_csv(tmp_path / "p.csv", index=False)
    with pytest.warns(UserWarning, match=r"group\(s\) 2 \(2, n=1\) have fewer than 10 rows"):
        report = build_report(str(tmp_path / "p.csv"), n_bootstrap=50)
    assert all(v is None for v in report["ci_by_group"]["2"].values())
    assert all(report["ci"][k] is None for k in report["fairness"])
    assert report["ci"]["auc"] is not None and report["ci_by_group"]["0"]["auc"] is not None


@pytest.mark.parametrize(
    "mutate, args, message",
    [
        (None, ["--threshold", "50"], "threshold expected a probability in (0, 1)"),
        (None, ["--n-bootstrap", "-5"], "--n-bootstrap expected a count >= 1 but got -5"),
        (lambda df: df.assign(y_true=df.y_true * 0.5), [], "column 'y_true' expected integer class ids"),
        (lambda df: df.assign(y_true="malignant"), [], "column 'y_true' expected integer class ids"),
        (lambda df: pd.concat([df, df.head(3)]), [], "ids ['s0', 's1', 's2'] occur more than once"),
        (
            lambda df: df.assign(group=np.where(df.group == 0, "light", "dark")),
            [],
            "column 'group' expected an integer",
        ),
        (lambda df: df.head(0), [], "expected at least one row but the file has none"),
    ],
)
def test_degenerate_input_is_one_clear_error_line(tmp_path, mutate, args, message):
    df = _predictions()
    (mutate(df) if mutate else df).to_csv(tmp_path / "p.csv", index=False)
    proc = _cli("--predictions", str(tmp_path / "p.csv"), "--out", str(tmp_path / "out"), *args)
    assert proc.returncode == 2, proc.stdout
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and message in last, proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_empty_file_and_a_segmentation_baseline_are_named(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    proc = _cli("--predictions", str(tmp_path / "empty.csv"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "expected a CSV with a header row" in proc.stderr
    seg = pd.DataFrame({"id": range(40), "group": np.arange(40) % 2, "dice": np.linspace(0.5, 0.9, 40)})
    seg.to_csv(tmp_path / "seg.csv", index=False)
    assert _cli("--predictions", str(tmp_path / "seg.csv"), "--out", str(tmp_path / "seg")).returncode == 0
    _predictions().to_csv(tmp_path / "p.csv", index=False)
    proc = _cli(
        "--predictions", str(tmp_path / "p.csv"), "--out", str(tmp_path / "o"),
        "--baseline", str(tmp_path / "seg" / "report.json"),
    )  # fmt: skip
    assert proc.returncode == 2 and "expected a classification report" in proc.stderr.splitlines()[-1]


def test_scores_that_are_not_probabilities_warn(tmp_path):
    df = _predictions()
    df.assign(y_score=(df.y_score > 0.5).astype(float)).to_csv(tmp_path / "hard.csv", index=False)
    with pytest.warns(UserWarning, match="every score is exactly 0 or 1"):
        build_report(str(tmp_path / "hard.csv"), n_bootstrap=0)
    multi = pd.DataFrame({"id": range(40), "group": np.arange(40) % 2, "y_true": np.arange(40) % 3})
    for c in range(3):
        multi[f"y_score_{c}"] = 0.5  # sums to 1.5
    multi.to_csv(tmp_path / "multi.csv", index=False)
    with pytest.warns(UserWarning, match="expected to sum to 1 per row"):
        build_report(str(tmp_path / "multi.csv"), n_bootstrap=0)
