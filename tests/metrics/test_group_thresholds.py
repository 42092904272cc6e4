# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Group-specific thresholds on small cases, their file checks, and the report CLI never choosing them on test."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest
import torch

from monai_fairness.handlers import PredictionsSaver
from monai_fairness.metrics import choose_group_thresholds
from monai_fairness.report import ThresholdsError, build_report, load_group_thresholds, write_group_thresholds
from monai_fairness.report.cli import main

SCORE = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.3, 0.2, 0.1, 0.05, 0.5, 0.45, 0.4, 0.3, 0.35, 0.2, 0.15, 0.1])
Y = torch.tensor([1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0])
G = torch.tensor([0] * 8 + [1] * 8)


def _tpr(t: dict, group: int) -> float:
    m = (G == group) & (Y == 1)
    return float((SCORE[m] >= t[group]).float().mean())


def test_equal_tpr_thresholds_give_equal_tpr_on_validation():
    # pooled TPR at 0.5: 5 of 8 positives; each group needs ceil(0.625 * 4) = 3 positives above its threshold
    t = choose_group_thresholds(SCORE, Y, G, "equal_tpr")
    assert t == {0: pytest.approx(0.7), 1: pytest.approx(0.4)}
    assert _tpr(t, 0) == _tpr(t, 1) == 0.75


def test_balanced_accuracy_and_equal_fpr_by_hand():
    t = choose_group_thresholds(SCORE, Y, G, "balanced_accuracy")
    assert t[0] == pytest.approx(0.5)  # every threshold in (0.3, 0.6] separates group 0: the one nearest 0.5
    assert t[1] == pytest.approx(0.4)  # group 1: positives 0.5 0.45 0.4 0.3, negatives 0.35 0.2 0.15 0.1 -> 7 of 8
    f = choose_group_thresholds(SCORE, Y, G, "equal_fpr")  # pooled FPR at 0.5 is 0: no negative at or above
    assert f[0] > 0.3 and f[1] > 0.35
    with pytest.raises(ValueError, match="did you mean"):
        choose_group_thresholds(SCORE, Y, G, "equal_tprr")


def _csv(path, score=SCORE, groups=G) -> str:
    pd.DataFrame(
        {"id": range(len(score)), "group": groups.numpy(), "y_true": Y.numpy(), "y_score": score.numpy()}
    ).to_csv(path, index=False)
    return str(path)


def test_thresholds_file_checks_the_model_and_the_groups(tmp_path):
    model = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, model)
    record = write_group_thresholds(_csv(tmp_path / "val.csv"), str(tmp_path / "t.json"), "equal_tpr", str(model))
    assert set(record) >= {"criterion", "thresholds", "model_sha256", "chosen_on"}
    assert "validation split" in record["chosen_on"] and "y_score" not in json.dumps(record)  # no case data
    assert load_group_thresholds(str(tmp_path / "t.json"), str(model), {"0": "a", "1": "b"}) == {0: 0.7, 1: 0.4}
    other = tmp_path / "other.pt"
    torch.save({"w": torch.zeros(2)}, other)
    with pytest.raises(ThresholdsError, match="were chosen for another model"):
        load_group_thresholds(str(tmp_path / "t.json"), str(other))
    with pytest.raises(ThresholdsError, match=r"cover groups \[0, 1\] but the datalist declares \[0, 1, 2\]"):
        load_group_thresholds(str(tmp_path / "t.json"), group_names={"0": "a", "1": "b", "2": "c"})
    with pytest.raises(ThresholdsError, match="never be chosen on the test split"):
        write_group_thresholds(_csv(tmp_path / "val.csv"), str(tmp_path / "u.json"), split="test")


def test_the_saver_applies_them_and_needs_the_group(tmp_path):
    model = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, model)
    write_group_thresholds(_csv(tmp_path / "val.csv"), str(tmp_path / "t.json"), "equal_tpr", str(model))
    saver = PredictionsSaver(str(tmp_path), thresholds_file=str(tmp_path / "t.json"), model_file=str(model))
    row = saver.row({"pred": torch.tensor([0.55, 0.45])}, {"id": "a", "group": 1, "label": 1})
    assert row["threshold"] == 0.4 and row["y_pred"] == 1  # 0.45 >= group 1's 0.4 (it would be 0 at 0.5)
    with pytest.raises(ValueError, match="need the group of every item, but item id='b' has none"):
        saver.row({"pred": torch.tensor([0.5, 0.5])}, {"id": "b"})
    report = build_report(_csv(tmp_path / "val.csv"), n_bootstrap=0, group_thresholds={0: 0.7, 1: 0.4})
    assert "group's threshold 0: 0.7, 1: 0.4" in report["settings"]["decision_rule"]


def test_the_cli_chooses_on_validation_and_refuses_the_test_csv(tmp_path):
    rng = np.random.default_rng(0)
    test = _csv(tmp_path / "test.csv", torch.tensor(rng.uniform(0, 1, 16)))
    val = _csv(tmp_path / "val.csv")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert (
            main(["--predictions", test, "--out", str(tmp_path / "r"), "--n-bootstrap", "5", "--thresholds", val]) == 0
        )
        assert main(["--predictions", test, "--out", str(tmp_path / "s"), "--thresholds", test]) == 2
    assert "never be chosen on the predictions being reported" in err.getvalue()
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert "group's threshold" in report["settings"]["decision_rule"]
