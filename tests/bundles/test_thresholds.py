# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Group-specific thresholds through the bundle: chosen on validation only, applied by evaluate and inference."""

from __future__ import annotations

import json
import os
import shutil

import pandas as pd
import pytest
import torch

from tests.bundles.helpers import bundle_path, run_bundle, without_groups
from tests.bundles.test_reliability import _fails

BUNDLE = bundle_path("erm_skin_lesion_classification")


@pytest.mark.slow
def test_thresholds_are_chosen_on_validation_and_applied_by_evaluate(tiny_derm, tmp_path):
    data = tmp_path / "derm"
    shutil.copytree(os.path.dirname(tiny_derm), data)
    with open(data / "datalist.json") as f:
        test_items = json.load(f)["test"]
    common = {"dataset_dir": str(data), "ckpt_dir": str(tmp_path / "m"), "output_dir": str(tmp_path / "e")}
    common.update({"image_size": [32, 32], "batch_size": 8})
    run_bundle(BUNDLE, ["train.json"], {**common, "max_epochs": 1})
    for item in test_items:  # the test images are unreadable from here on: choosing thresholds must not touch them
        (data / item["image"]).write_bytes(b"not a png")
    run_bundle(BUNDLE, ["train.json", "thresholds.json"], {**common, "threshold_criterion": "equal_tpr"})
    record = json.loads((tmp_path / "m" / "model.thresholds.json").read_text())
    assert set(record["thresholds"]) == {"0", "1"} and "validation" in record["chosen_on"]
    assert len(record["model_sha256"]) == 64
    shutil.rmtree(data)
    shutil.copytree(os.path.dirname(tiny_derm), data)
    thresholds = str(tmp_path / "m" / "model.thresholds.json")
    run_bundle(BUNDLE, ["train.json", "evaluate.json"], {**common, "thresholds_file": thresholds, "n_bootstrap": 0})
    df = pd.read_csv(tmp_path / "e" / "model" / "predictions.csv")
    expected = df["group"].map({int(k): v for k, v in record["thresholds"].items()})
    assert (df["threshold"] == expected).all() and (
        (df["y_score"] >= df["threshold"]).astype(int) == df["y_pred"]
    ).all()
    report = json.loads((tmp_path / "e" / "model" / "report.json").read_text())
    assert "row's threshold" in report["settings"]["decision_rule"]
    # the thresholds of another model (here: the same file after one more change of a weight) are refused
    state = torch.load(tmp_path / "m" / "model.pt", weights_only=True)
    state[next(iter(state))] += 1
    torch.save(state, tmp_path / "m" / "model.pt")
    lines = _fails(BUNDLE, ["train.json", "evaluate.json", "demo.json"], {**common, "thresholds_file": thresholds})
    assert "were chosen for another model" in lines[-1]


@pytest.mark.slow
def test_inference_with_thresholds_needs_the_group(tiny_derm, tmp_path):
    common = {
        "dataset_dir": os.path.dirname(tiny_derm),
        "ckpt_dir": str(tmp_path / "m"),
        "output_dir": str(tmp_path / "e"),
    }
    common.update({"image_size": [32, 32], "batch_size": 8})
    run_bundle(BUNDLE, ["train.json"], {**common, "max_epochs": 1})
    run_bundle(BUNDLE, ["train.json", "thresholds.json"], common)
    thresholds = str(tmp_path / "m" / "model.thresholds.json")
    infer = {**common, "thresholds_file": thresholds}
    run_bundle(BUNDLE, ["inference.json"], infer)
    assert {"threshold", "y_pred"} <= set(pd.read_csv(tmp_path / "e" / "inference.csv").columns)
    no_group = without_groups(tiny_derm, tmp_path / "nogroup")
    lines = _fails(BUNDLE, ["inference.json", "demo.json"], {**infer, "dataset_dir": no_group})
    assert lines[-1].startswith("error: PredictionsSaver: group-specific thresholds") and "has none" in lines[-1]
