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
from monai.bundle import ConfigParser, ConfigWorkflow, ckpt_export, verify_metadata, verify_net_in_out

from tests.bundles.helpers import SCHEMA, bundle_path, run_bundle, torchrun_bundle

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
    df = pd.read_csv(tmp_path / "eval" / "predictions.csv")
    assert list(df.columns) == ["id", "group", "dice", "iou"]
    assert sorted(df["id"]) == sorted(i["id"] for i in test_items)
    assert df["dice"].between(0, 1).all() and (df["iou"] <= df["dice"] + 1e-6).all()
    with open(tmp_path / "eval" / "report.json") as f:
        report = json.load(f)
    assert report["task"] == "segmentation" and report["groups"] == {"0": "M", "1": "F"}
    assert report["overall"]["dice"] == pytest.approx(df["dice"].mean())
    assert {"dice_gap", "es_dice", "dice_skewness"} <= set(report["fairness"])
    assert (tmp_path / "eval" / "report.html").exists()

    infer = {k: common[k] for k in ("dataset_dir", "datalist", "ckpt_dir", "output_dir", "roi_size")}
    run_bundle(BUNDLE, ["inference.json"], infer)
    masks = sorted(glob.glob(str(tmp_path / "eval" / "**" / "*_seg.nii.gz"), recursive=True))
    assert len(masks) == len(test_items)
    mask = nib.load(masks[0])
    assert mask.shape[:3] == (16, 16, 16)
    assert set(torch.unique(torch.as_tensor(mask.get_fdata())).tolist()) <= {0.0, 1.0}


def test_verify_metadata_net_and_export(tmp_path):
    verify_metadata(meta_file=META, filepath=SCHEMA)
    infer = os.path.join(CONFIGS, "inference.json")
    verify_net_in_out(net_id="network_def", meta_file=META, config_file=infer)
    parser = ConfigParser()
    parser.read_config(infer)
    net = parser.get_parsed_content("network_def")
    torch.save(net.state_dict(), tmp_path / "model.pt")
    ts = tmp_path / "model.ts"
    ckpt_export(
        net_id="network_def", filepath=str(ts), ckpt_file=str(tmp_path / "model.pt"), meta_file=META, config_file=infer
    )
    exported = torch.jit.load(str(ts))
    x = torch.rand(1, 1, 32, 32, 32)
    net.eval()
    with torch.no_grad():
        torch.testing.assert_close(exported(x), net(x), rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_multi_gpu_train_two_ranks_gloo(tiny_ct, tmp_path):
    common = _common(tiny_ct["nifti"], tmp_path)
    torchrun_bundle(BUNDLE, ["train.json", "multi_gpu_train.json"], {**common, "max_epochs": 1, "val_interval": 1})
    assert (tmp_path / "models" / "model.pt").exists()
