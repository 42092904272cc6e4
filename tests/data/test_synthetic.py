# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The planted-bias generator: deterministic, contract-valid, and the planted effects are really there."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from monai_fairness.data import load_fairness_datalist
from monai_fairness.data.synthetic import make_ct_segmentation_dataset, make_skin_lesion_dataset
from tests.bundles.helpers import bundle_path, run_bundle
from tests.conftest import REPO_ROOT


def _digest(folder: str) -> str:
    h = hashlib.sha1()
    for root, _, files in sorted(os.walk(folder)):
        for f in sorted(files):
            with open(os.path.join(root, f), "rb") as fh:
                h.update(f.encode() + fh.read())
    return h.hexdigest()


def test_deterministic_from_seed(tmp_path):
    a = make_skin_lesion_dataset(str(tmp_path / "a"), n_cases=20, image_size=16, seed=7)
    b = make_skin_lesion_dataset(str(tmp_path / "b"), n_cases=20, image_size=16, seed=7)
    c = make_skin_lesion_dataset(str(tmp_path / "c"), n_cases=20, image_size=16, seed=8)
    assert _digest(os.path.dirname(a)) == _digest(os.path.dirname(b)) != _digest(os.path.dirname(c))
    x = make_ct_segmentation_dataset(str(tmp_path / "x"), n_cases=4, size=16, seed=1)
    y = make_ct_segmentation_dataset(str(tmp_path / "y"), n_cases=4, size=16, seed=1)
    assert _digest(os.path.dirname(x["nifti"])) == _digest(os.path.dirname(y["nifti"]))


def test_datalist_contract_and_group_ratio(tiny_derm, tiny_ct):
    with open(tiny_derm) as f:
        d = json.load(f)
    assert d["synthetic"] is True and d["groups"] == {"0": "light", "1": "dark"}
    items = d["training"] + d["validation"] + d["test"]
    assert len(items) == 80 and sum(i["group"] for i in items) == 16  # minority_fraction 0.2
    with open(tiny_ct["dicom"]) as f:
        ct = json.load(f)
    assert ct["sensitive_attribute"] == "sex" and all(i["sex"] in ("M", "F") for i in ct["training"])
    for key in ("PatientName", "PatientID", "Synthetic^", "SYN"):
        assert key not in json.dumps(ct)  # identifiers live only in the DICOM headers, never in datalists


def test_planted_effects_are_present(tmp_path):
    path = make_skin_lesion_dataset(str(tmp_path), n_cases=400, image_size=32, bias_strength=1.0, seed=0)
    items = pd.DataFrame(load_fairness_datalist(path, "training") + load_fairness_datalist(path, "test"))
    light = items[items.group == 0]
    dark = items[items.group == 1]
    corr_light = np.corrcoef(light.marker, light.label)[0, 1]
    corr_dark = np.corrcoef(dark.marker, dark.label)[0, 1]
    assert corr_light > 0.7 and abs(corr_dark) < 0.3

    # lesion contrast: centre darkness relative to the border, lower on dark skin
    def contrast(rows):
        vals = []
        for p in rows.image:
            img = np.asarray(Image.open(p), dtype=float).mean(-1)
            vals.append(1 - img[12:20, 12:20].mean() / np.median(np.r_[img[:4].ravel(), img[-4:].ravel()]))
        return float(np.mean(vals))

    assert contrast(dark) < 0.75 * contrast(light)


def test_bad_generator_arguments(tmp_path):
    with pytest.raises(ValueError, match="bias_strength expected a value in \\[0, 1\\] but got 2"):
        make_skin_lesion_dataset(str(tmp_path), bias_strength=2)
    with pytest.raises(ValueError, match="image_size expected at least 16 pixels but got 8"):
        make_skin_lesion_dataset(str(tmp_path), image_size=8)


def test_cli_help_and_run(tmp_path):
    env = {**os.environ, "PYTHONPATH": REPO_ROOT}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "data_prep.make_demo_data",
            "--out",
            str(tmp_path),
            "--what",
            "ct",
            "--ct-cases",
            "4",
            "--ct-size",
            "16",
            "--no-dicom",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        check=True,
    )
    assert "CT datalist (nifti)" in out.stdout and not (tmp_path / "ct" / "dicom").exists()


def erm_accuracy_gap(data) -> float:
    """Train the ERM bundle with small settings (32 px, 6 epochs) on ``data`` and return its test accuracy gap.

    At 32 px ImageNet's stem (stride 2, then max-pooling) leaves layer4 a 1x1 map and the lesion's border and colour
    cues below its resolution, so these checks of the data keep the stride-1 stem."""
    common = {
        "dataset_dir": str(data),
        "ckpt_dir": str(data / "models"),
        "output_dir": str(data / "eval"),
        "imagenet_stem": False,
        "image_size": [32, 32],
        "batch_size": 32,
        "n_bootstrap": 0,
    }
    bundle = bundle_path("erm_skin_lesion_classification")
    run_bundle(bundle, ["train.json"], {**common, "max_epochs": 6})
    run_bundle(bundle, ["train.json", "evaluate.json"], common)
    with open(data / "eval" / "model" / "report.json") as f:
        return json.load(f)["fairness"]["accuracy_gap"]


@pytest.mark.slow
def test_erm_gap_grows_with_bias_strength(tmp_path):
    """ERM (the bundle itself, small settings) on bias 0 vs bias 1 data: the accuracy gap must grow clearly."""
    gaps = {}
    for bias in (0.0, 1.0):
        data = tmp_path / f"bias{bias}"
        make_skin_lesion_dataset(str(data), n_cases=800, image_size=32, bias_strength=bias, seed=11)
        gaps[bias] = erm_accuracy_gap(data)
    assert gaps[1.0] > gaps[0.0] + 0.1, gaps
