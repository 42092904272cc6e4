# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""ERM skin-lesion classification bundle: train/evaluate/inference through the CLI, tooling checks, 2-rank DDP."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest
import torch
from monai.bundle import ConfigWorkflow

from tests.bundles.helpers import bundle_path, run_bundle, torchrun_bundle, verify_bundle_tooling

NAME = "erm_skin_lesion_classification"
BUNDLE = bundle_path(NAME)
CONFIGS = os.path.join(BUNDLE, "configs")
META = os.path.join(CONFIGS, "metadata.json")


def _common(tiny_derm: str, tmp_path) -> dict:
    return {
        "dataset_dir": os.path.dirname(tiny_derm),
        "ckpt_dir": str(tmp_path / "models"),
        "output_dir": str(tmp_path / "eval"),
        "image_size": [32, 32],
        "batch_size": 8,
    }


def _assert_mlflow_run(db, expected: set) -> None:
    """Every name in ``expected`` is a metric of some MLflow run logged to ``db``."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{db}")
    runs = [r for e in client.search_experiments() for r in client.search_runs([e.experiment_id])]
    assert runs, "no MLflow run was logged"
    metrics = set().union(*(r.data.metrics for r in runs))
    assert expected <= metrics, sorted(expected - metrics)


TRAIN_METRICS = {"train_loss", "val_auc", "val_accuracy", "val_auc_g0", "val_auc_g1", "val_worst_group_auc"}


def test_train_properties(tiny_derm, tmp_path):
    wf = ConfigWorkflow(
        config_file=os.path.join(CONFIGS, "train.json"),
        meta_file=META,
        logging_file=False,
        workflow_type="train",
        bundle_root=BUNDLE,
        **_common(tiny_derm, tmp_path),
    )
    wf.initialize()
    assert wf.check_properties() == []
    wf = ConfigWorkflow(
        config_file=os.path.join(CONFIGS, "inference.json"),
        meta_file=META,
        logging_file=False,
        workflow_type="infer",
        bundle_root=BUNDLE,
        dataset_dir=os.path.dirname(tiny_derm),
    )
    wf.initialize()
    assert wf.check_properties() == []


@pytest.mark.slow
def test_train_evaluate_inference_cli(tiny_derm, tmp_path):
    common = _common(tiny_derm, tmp_path)
    run_bundle(BUNDLE, ["train.json"], {**common, "max_epochs": 1, "tracking": "mlflow"})
    state = torch.load(tmp_path / "models" / "model.pt", weights_only=True)
    assert isinstance(state, dict) and all(isinstance(v, torch.Tensor) for v in state.values())
    assert (tmp_path / "models" / "resume_erm" / "checkpoint_epoch=1.pt").exists()
    _assert_mlflow_run(tmp_path / "eval" / "mlruns.db", TRAIN_METRICS)

    # an interrupted (here: shorter) run resumes from its last checkpoint instead of starting over
    proc = run_bundle(BUNDLE, ["train.json"], {**common, "max_epochs": 2})
    log = proc.stdout + proc.stderr
    assert "resumed from" in log and "checkpoint_epoch=1.pt (epoch 1)" in log
    assert "Epoch[2] Complete" in log and "Epoch[1] Complete" not in log
    assert os.listdir(tmp_path / "models" / "resume_erm") == ["checkpoint_epoch=2.pt"]  # epoch 1 superseded

    run_bundle(BUNDLE, ["train.json", "evaluate.json"], {**common, "tracking": "mlflow", "n_bootstrap": 200})
    with open(tiny_derm) as f:
        test_items = json.load(f)["test"]
    df = pd.read_csv(tmp_path / "eval" / "model" / "predictions.csv")
    assert list(df.columns) == ["id", "group", "y_true", "y_score"]
    assert sorted(df["id"]) == sorted(i["id"] for i in test_items)
    by_id = {i["id"]: i for i in test_items}
    assert all(by_id[r.id]["group"] == r.group and by_id[r.id]["label"] == r.y_true for r in df.itertuples())
    assert df["y_score"].between(0, 1).all()
    with open(tmp_path / "eval" / "model" / "report.json") as f:
        report = json.load(f)
    assert report["groups"] == {"0": "light", "1": "dark"} and report["n_by_group"]["1"] == int((df.group == 1).sum())
    assert {"worst_group_auc", "accuracy_gap", "eodds", "eodd"} <= set(report["fairness"]) and report["ci"]
    assert (tmp_path / "eval" / "model" / "report.html").stat().st_size > 10_000
    _assert_mlflow_run(tmp_path / "eval" / "mlruns.db", {"test_eodds", "test_accuracy_gap", "test_auc_g1"})

    run_bundle(
        BUNDLE, ["inference.json"], {k: common[k] for k in ("dataset_dir", "ckpt_dir", "output_dir", "image_size")}
    )
    inf = pd.read_csv(tmp_path / "eval" / "inference.csv")
    assert len(inf) == len(test_items)
    # same weights, same preprocessing: inference scores equal the evaluation scores
    merged = df.merge(inf, on="id", suffixes=("", "_inf"))
    assert (merged["y_score"] - merged["y_score_inf"]).abs().max() < 1e-5


def test_verify_metadata_net_and_export(tmp_path):
    verify_bundle_tooling(BUNDLE, (2, 3, 64, 64), tmp_path)


@pytest.mark.slow
def test_multi_gpu_train_two_ranks_gloo(tiny_derm, tmp_path):
    common = _common(tiny_derm, tmp_path)
    proc = torchrun_bundle(BUNDLE, ["train.json", "multi_gpu_train.json"], {**common, "max_epochs": 1})
    assert (tmp_path / "models" / "model.pt").exists(), proc.stdout[-2000:]
