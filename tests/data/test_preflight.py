# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The pre-flight pass names every bad item at once, before anything trains."""

from __future__ import annotations

import json
import os
import shutil

import nibabel as nib
import numpy as np
import pytest
from PIL import Image

from monai_fairness.data import DatalistError
from monai_fairness.data.preflight import preflight_datalist


def _copy(src_datalist: str, dst) -> tuple[str, dict]:
    shutil.copytree(os.path.dirname(src_datalist), dst)
    path = os.path.join(dst, os.path.basename(src_datalist))
    with open(path) as f:
        return path, json.load(f)


def _save(path: str, data: dict) -> None:
    with open(path, "w") as f:
        json.dump(data, f)


def test_clean_demo_data_passes(tiny_derm, tiny_ct):
    assert preflight_datalist(tiny_derm, ("training", "validation", "test"), image_channels=3, num_classes=2) == 80
    assert preflight_datalist(tiny_ct["nifti"], ("training", "validation", "test"), image_channels=1) == 20
    assert preflight_datalist(tiny_ct["dicom"], ("training",), image_channels=1) > 0  # DICOM image, NIfTI mask


def test_every_bad_classification_item_is_named_in_one_error(tiny_derm, tmp_path):
    path, data = _copy(tiny_derm, tmp_path / "derm")
    base = os.path.dirname(path)
    first, second, third = data["training"][:3]
    raw = open(os.path.join(base, first["image"]), "rb").read()
    open(os.path.join(base, first["image"]), "wb").write(raw[: len(raw) // 2])  # truncated PNG
    Image.open(os.path.join(base, second["image"])).convert("L").save(os.path.join(base, second["image"]))
    del third["label"]
    data["labels"]["2"] = "other"  # three declared classes, a two-class bundle
    _save(path, data)
    with pytest.raises(DatalistError) as err:
        preflight_datalist(path, image_channels=3, num_classes=2)
    text = str(err.value)
    assert "4 problem(s)" in text
    assert f"id={first['id']!r}" in text and "cannot be decoded" in text and "Truncated" in text
    assert f"id={second['id']!r}" in text and "expected 3 channel(s) but has 1 (mode L)" in text
    assert f"id={third['id']!r}" in text and "missing field 'label'" in text
    assert "declares classes [0, 1, 2] but the bundle's num_classes is 2" in text
    assert preflight_datalist(path, enabled=False) == 0


def test_image_and_mask_of_different_shapes_are_rejected_naming_both(tiny_ct, tmp_path):
    path, data = _copy(tiny_ct["nifti"], tmp_path / "ct")
    base = os.path.dirname(path)
    item = data["training"][0]
    mask = nib.load(os.path.join(base, item["label"]))
    padded = np.pad(np.asarray(mask.dataobj), ((0, 4), (0, 0), (0, 0)))
    nib.save(nib.Nifti1Image(padded, mask.affine), os.path.join(base, item["label"]))
    shifted = data["training"][1]
    moved = nib.load(os.path.join(base, shifted["label"]))
    affine = moved.affine.copy()
    affine[0, 3] += 5.0  # same shape, another place in the body
    nib.save(nib.Nifti1Image(np.asarray(moved.dataobj), affine), os.path.join(base, shifted["label"]))
    with pytest.raises(DatalistError) as err:
        preflight_datalist(path, ("training",), image_channels=1)
    text = str(err.value)
    assert item["image"] in text and item["label"] in text and "spatial shape (16, 16, 16) vs (20, 16, 16)" in text
    assert shifted["label"] in text and "affine" in text


def test_inference_needs_no_label(tiny_derm, tmp_path):
    path, data = _copy(tiny_derm, tmp_path / "derm")
    for item in data["test"]:
        item.pop("label")
    _save(path, data)
    assert preflight_datalist(path, ("test",), image_channels=3, require_label=False) == len(data["test"])
    with pytest.raises(DatalistError, match="missing field 'label'"):
        preflight_datalist(path, ("test",))
