# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Replay what MONAI Label 0.8.5 reads from our bundles (``integrations/monailabel``), without monailabel.

Infer side (BundleInferTask): configs/inference.json and models/model.pt + network_def; first input/output keys of the
metadata; labels from channel_def minus background; dimension from len(spatial_shape); task type from the folder name;
preprocessing / inferer / postprocessing built with bundle_root overridden. Train side (BundleTrainTask): run id "run"
with bundle_root, max_epochs, train/validate data (image and label only: MONAI Label drops every other key) and device
overridden.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
import torch
from monai.bundle import ConfigParser, run

from tests.bundles.helpers import bundle_path

BUNDLES = ["erm_skin_lesion_classification", "erm_ct_segmentation", "apple_ct_segmentation"]
# what MONAI Label's training (train.json alone) writes: APPLE's train.json is stage 0, the plain segmentor; its
# deployable models/model.pt (segmentor + perturber) only comes from train_apple.json (bundle README, MONAI Label)
TRAINED_FILE = {"apple_ct_segmentation": "segmentor.pt"}


def _copy(name: str, tmp_path) -> str:
    dst = tmp_path / name
    shutil.copytree(bundle_path(name), dst, ignore=shutil.ignore_patterns("*.pt", "*.ts", "eval"))
    return str(dst)


@pytest.mark.parametrize("name", BUNDLES)
def test_infer_task_reads(name, tmp_path, tiny_derm, tiny_ct):
    bundle = _copy(name, tmp_path)
    task = "segmentation" if "segmentation" in name else "classification"
    assert name.endswith(f"_{task}")  # MONAI Label derives the task type from the folder name
    with open(os.path.join(bundle, "configs", "metadata.json")) as f:
        meta = json.load(f)
    fmt = meta["network_data_format"]
    assert next(iter(fmt["inputs"])) == "image" and next(iter(fmt["outputs"])) == "pred"
    labels = [v for v in fmt["outputs"]["pred"]["channel_def"].values() if v != "background"]
    assert labels and len(fmt["inputs"]["image"]["spatial_shape"]) == (3 if task == "segmentation" else 2)

    parser = ConfigParser()
    parser.read_config(os.path.join(bundle, "configs", "inference.json"))
    parser["bundle_root"] = bundle
    parser["device"] = "$torch.device('cpu')"
    net = parser.get_parsed_content("network_def")
    torch.save(net.state_dict(), os.path.join(bundle, "models", "model.pt"))
    # MONAI Label loads model.pt with weights_only=True and non-strict; ours must load strictly
    net.load_state_dict(torch.load(os.path.join(bundle, "models", "model.pt"), weights_only=True), strict=True)
    pre = parser.get_parsed_content("preprocessing")
    inferer = parser.get_parsed_content("inferer")
    if task == "classification":
        with open(tiny_derm) as f:
            item = json.load(f)["test"][0]
        data = pre({"image": os.path.join(os.path.dirname(tiny_derm), item["image"])})
        with torch.no_grad():
            pred = inferer(data["image"][None], net.eval())
        assert pred.shape == (1, len(meta["network_data_format"]["outputs"]["pred"]["channel_def"]))
    else:
        with open(tiny_ct["nifti"]) as f:
            item = json.load(f)["test"][0]
        data = pre({"image": os.path.join(os.path.dirname(tiny_ct["nifti"]), item["image"])})
        with torch.no_grad():
            pred = inferer(data["image"][None], net.eval())
        assert pred.shape[2:] == data["image"].shape[1:] and pred.shape[1] == 2
    assert parser.get_parsed_content("postprocessing") is not None


@pytest.mark.slow
@pytest.mark.parametrize("name", BUNDLES)
def test_train_task_with_image_and_label_only(name, tmp_path, tiny_derm, tiny_ct):
    bundle = _copy(name, tmp_path)
    datalist = tiny_ct["nifti"] if "segmentation" in name else tiny_derm
    base = os.path.dirname(datalist)
    with open(datalist) as f:
        d = json.load(f)
    if "segmentation" in name:
        items = [
            {"image": os.path.join(base, i["image"]), "label": os.path.join(base, i["label"])} for i in d["training"]
        ]
        extra = {"roi_size": [16, 16, 16], "batch_size": 2}
    else:
        items = [{"image": os.path.join(base, i["image"]), "label": i["label"]} for i in d["training"]]
        extra = {"image_size": [32, 32], "batch_size": 8}
    split = int(0.8 * len(items))
    with pytest.warns(UserWarning, match="has no 'group'"):
        run(
            run_id="run",
            config_file=os.path.join(bundle, "configs", "train.json"),
            meta_file=os.path.join(bundle, "configs", "metadata.json"),
            logging_file=False,
            **{
                "bundle_root": bundle,
                "train#trainer#max_epochs": 1,
                "train#dataset#data": items[:split],
                "validate#dataset#data": items[split:],
                "device": "$torch.device('cpu')",
                "val_interval": 1,
                **extra,
            },
        )
    trained = TRAINED_FILE.get(name, "model.pt")
    assert os.path.isfile(os.path.join(bundle, "models", trained))
    if trained != "model.pt":
        assert not os.path.exists(os.path.join(bundle, "models", "model.pt"))
