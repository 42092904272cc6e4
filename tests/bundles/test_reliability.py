# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""What a user meets through the bundle commands: relabelled groups give the same report, a bad file or a shifted mask
is named in the last line before anything trains, and no patient-named folder reaches an output file name."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys

import nibabel as nib
import numpy as np
import pytest

from tests.bundles.helpers import _env, bundle_path, run_bundle
from tests.report.test_undefined_and_relabelled import _assert_same

CLS = bundle_path("erm_skin_lesion_classification")
SEG = bundle_path("erm_ct_segmentation")


def _copy(datalist: str, dst) -> tuple[str, dict]:
    shutil.copytree(os.path.dirname(datalist), dst)
    path = os.path.join(dst, os.path.basename(datalist))
    with open(path) as f:
        return path, json.load(f)


def _save(path: str, data: dict) -> None:
    with open(path, "w") as f:
        json.dump(data, f)


def _fails(bundle: str, configs: list[str], overrides: dict) -> list[str]:
    """Run a bundle command that must fail; return its stderr lines."""
    cmd = [sys.executable, "-m", "monai.bundle", "run", "--config_file"]
    cmd += [repr([os.path.join(bundle, "configs", c) for c in configs])]
    cmd += ["--meta_file", os.path.join(bundle, "configs", "metadata.json"), "--bundle_root", bundle]
    for key, value in overrides.items():
        cmd += [f"--{key}", value if isinstance(value, str) else repr(value)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=600)
    assert proc.returncode != 0, proc.stdout[-2000:]
    return proc.stderr.strip().splitlines()


@pytest.mark.slow
def test_sex_coded_1_2_gives_the_same_bundle_evaluation(tiny_derm, tmp_path):
    common = {"ckpt_dir": str(tmp_path / "models"), "image_size": [32, 32], "batch_size": 8, "n_bootstrap": 50}
    run_bundle(CLS, ["train.json"], {**common, "dataset_dir": os.path.dirname(tiny_derm), "max_epochs": 1})
    path, data = _copy(tiny_derm, tmp_path / "relabelled")
    data["groups"] = {str(int(k) + 1): v for k, v in data["groups"].items()}
    for split in ("training", "validation", "test"):
        for item in data[split]:
            item["group"] += 1
    _save(path, data)
    reports = {}
    for name, folder in (("plain", os.path.dirname(tiny_derm)), ("relabelled", os.path.dirname(path))):
        out = tmp_path / f"eval_{name}"
        run_bundle(CLS, ["train.json", "evaluate.json"], {**common, "dataset_dir": folder, "output_dir": str(out)})
        reports[name] = json.loads((out / "model" / "report.json").read_text())
    plain, relabelled = reports["plain"], reports["relabelled"]
    assert set(relabelled["groups"]) == {"1", "2"}
    _assert_same(plain["fairness"], relabelled["fairness"])
    _assert_same(plain["ci"], relabelled["ci"])
    _assert_same(plain["by_group"]["1"], relabelled["by_group"]["2"])


@pytest.mark.slow
def test_a_truncated_image_is_named_in_the_last_line_before_training(tiny_derm, tmp_path):
    path, data = _copy(tiny_derm, tmp_path / "derm")
    bad = data["training"][3]
    image = os.path.join(os.path.dirname(path), bad["image"])
    raw = open(image, "rb").read()
    open(image, "wb").write(raw[: len(raw) // 3])
    lines = _fails(CLS, ["train.json"], {"dataset_dir": os.path.dirname(path), "ckpt_dir": str(tmp_path / "m")})
    assert lines[-1].startswith("error: datalist") and bad["image"] in lines[-1] and "cannot be decoded" in lines[-1]
    assert not os.path.exists(tmp_path / "m" / "resume_erm")  # nothing trained


@pytest.mark.slow
def test_a_mask_on_another_grid_is_rejected_naming_both_shapes(tiny_ct, tmp_path):
    path, data = _copy(tiny_ct["nifti"], tmp_path / "ct")
    item = data["validation"][0]
    mask_path = os.path.join(os.path.dirname(path), item["label"])
    mask = nib.load(mask_path)
    nib.save(nib.Nifti1Image(np.pad(np.asarray(mask.dataobj), ((0, 0), (0, 6), (0, 0))), mask.affine), mask_path)
    lines = _fails(
        SEG,
        ["train.json"],
        {"dataset_dir": os.path.dirname(path), "ckpt_dir": str(tmp_path / "m"), "roi_size": [16] * 3},
    )
    assert item["label"] in lines[-1] and item["image"] in lines[-1]
    assert "spatial shape (16, 16, 16) vs (16, 22, 16)" in lines[-1]


@pytest.mark.slow
def test_inference_on_a_patient_named_dicom_folder_writes_no_part_of_the_name(tiny_ct, tmp_path):
    common = {"ckpt_dir": str(tmp_path / "models"), "roi_size": [16, 16, 16], "batch_size": 2}
    with open(tiny_ct["dicom"]) as f:
        data = json.load(f)
    source = os.path.join(os.path.dirname(tiny_ct["dicom"]), data["test"][0]["image"])
    folder = tmp_path / "pacs"
    shutil.copytree(source, folder / "DOE_JOHN_MRN12345678")
    item = {k: v for k, v in data["test"][0].items() if k not in ("id", "image", "label")}
    inference = {**data, "training": [], "validation": [], "test": [{**item, "image": "DOE_JOHN_MRN12345678"}]}
    _save(str(folder / "datalist.json"), inference)
    run_bundle(SEG, ["inference.json"], {**common, "dataset_dir": str(folder), "output_dir": str(tmp_path / "out")})
    written = [os.path.basename(p) for p in glob.glob(str(tmp_path / "out" / "**" / "*"), recursive=True)]
    assert written and all("DOE" not in n and "MRN" not in n for n in written), written
    assert any(n.endswith("_seg.nii.gz") for n in written)
