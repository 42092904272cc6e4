# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""ERM CT segmentation bundle: NIfTI and DICOM-series paths through the CLI, tooling checks, 2-rank DDP."""

from __future__ import annotations

import glob
import json
import os

import nibabel as nib
import pandas as pd
import pytest
import torch
from monai.bundle import ConfigWorkflow

from tests.bundles.helpers import bundle_path, run_bundle, torchrun_bundle, verify_bundle_tooling

NAME = "erm_ct_segmentation"
BUNDLE = bundle_path(NAME)
CONFIGS = os.path.join(BUNDLE, "configs")
META = os.path.join(CONFIGS, "metadata.json")


def _common(datalist: str, tmp_path) -> dict:
    return {
        "dataset_dir": os.path.dirname(datalist),
        "datalist": datalist,
        "ckpt_dir": str(tmp_path / "models"),
        "output_dir": str(tmp_path / "eval"),
        "roi_size": [16, 16, 16],
        "batch_size": 2,
    }


def test_train_properties(tiny_ct, tmp_path):
    wf = ConfigWorkflow(
        config_file=os.path.join(CONFIGS, "train.json"),
        meta_file=META,
        logging_file=False,
        workflow_type="train",
        bundle_root=BUNDLE,
        **_common(tiny_ct["nifti"], tmp_path),
    )
    wf.initialize()
    assert wf.check_properties() == []


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["nifti", "dicom"])
def test_train_evaluate_inference_cli(tiny_ct, tmp_path, kind):
    common = _common(tiny_ct[kind], tmp_path)
    run_bundle(BUNDLE, ["train.json"], {**common, "max_epochs": 2, "val_interval": 1})
    assert (tmp_path / "models" / "model.pt").exists()

    run_bundle(BUNDLE, ["train.json", "evaluate.json"], {**common, "n_bootstrap": 200})
    with open(tiny_ct[kind]) as f:
        test_items = json.load(f)["test"]
    df = pd.read_csv(tmp_path / "eval" / "model" / "predictions.csv")
    assert list(df.columns) == ["id", "group", "dice", "iou"]
    assert sorted(df["id"]) == sorted(i["id"] for i in test_items)
    assert df["dice"].between(0, 1).all() and (df["iou"] <= df["dice"] + 1e-6).all()
    with open(tmp_path / "eval" / "model" / "report.json") as f:
        report = json.load(f)
    assert report["task"] == "segmentation" and report["groups"] == {"0": "M", "1": "F"}
    assert report["overall"]["dice"] == pytest.approx(df["dice"].mean())
    assert {"dice_gap", "es_dice", "dice_skewness"} <= set(report["fairness"])
    assert (tmp_path / "eval" / "model" / "report.html").exists()

    infer = {k: common[k] for k in ("dataset_dir", "datalist", "ckpt_dir", "output_dir", "roi_size")}
    run_bundle(BUNDLE, ["inference.json"], infer)
    masks = sorted(glob.glob(str(tmp_path / "eval" / "**" / "*_seg.nii.gz"), recursive=True))
    assert len(masks) == len(test_items)
    mask = nib.load(masks[0])
    assert mask.shape[:3] == (16, 16, 16)
    assert set(torch.unique(torch.as_tensor(mask.get_fdata())).tolist()) <= {0.0, 1.0}


def test_verify_metadata_net_and_export(tmp_path):
    verify_bundle_tooling(BUNDLE, (1, 1, 32, 32, 32), tmp_path)


@pytest.mark.slow
def test_multi_gpu_train_two_ranks_gloo(tiny_ct, tmp_path):
    common = _common(tiny_ct["nifti"], tmp_path)
    torchrun_bundle(BUNDLE, ["train.json", "multi_gpu_train.json"], {**common, "max_epochs": 1, "val_interval": 1})
    assert (tmp_path / "models" / "model.pt").exists()
