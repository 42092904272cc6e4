# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Loading real files shipped by installed packages through MONAI readers, and identifier stripping."""

from __future__ import annotations

import os

import numpy as np
import pydicom
import pytest
import torch
from monai.transforms import Compose, EnsureChannelFirstd, LoadImage, LoadImaged, Orientationd

from monai_fairness.data import IDENTIFYING_KEYWORDS
from monai_fairness.transforms import StripIdentifyingMeta, StripIdentifyingMetad
from tests.conftest import nibabel_test_file, pydicom_test_file


@pytest.mark.parametrize("reader", ["PydicomReader", "ITKReader"])
def test_real_dicom_series_folder_shape_and_spacing(reader):
    folder = pydicom_test_file("dicomdirtests", "98892001", "CT5N")
    headers = [pydicom.dcmread(os.path.join(folder, f)) for f in sorted(os.listdir(folder))]
    z = sorted(float(h.ImagePositionPatient[2]) for h in headers)
    img = LoadImage(reader=reader, image_only=True)(folder)
    assert tuple(img.shape) == (headers[0].Columns, headers[0].Rows, len(headers)) == (16, 16, 5)
    expected = [float(headers[0].PixelSpacing[1]), float(headers[0].PixelSpacing[0]), z[1] - z[0]]
    np.testing.assert_allclose(img.pixdim.numpy(), expected, rtol=1e-5)


def test_real_single_dicom_file():
    img = LoadImage(reader="PydicomReader", image_only=True)(pydicom_test_file("CT_small.dcm"))
    assert tuple(img.shape) == (128, 128)


def test_real_nifti_shape_and_spacing():
    img = LoadImage(image_only=True)(nibabel_test_file("anatomical.nii"))
    assert tuple(img.shape) == (33, 41, 25)
    np.testing.assert_allclose(img.pixdim.numpy(), [2.0, 2.0, 2.0])


def test_png_rgb_loading(tiny_derm):
    import json

    with open(tiny_derm) as f:
        item = json.load(f)["training"][0]
    path = os.path.join(os.path.dirname(tiny_derm), item["image"])
    out = Compose([LoadImaged("image", reader="PILReader"), EnsureChannelFirstd("image", channel_dim=-1)])(
        {"image": path}
    )
    assert tuple(out["image"].shape) == (3, 32, 32)


def test_generated_dicom_series_matches_nifti(tiny_ct):
    """The DICOM-series copy of the demo volume loads to the same voxels as the NIfTI copy."""
    import json

    base = os.path.dirname(tiny_ct["nifti"])
    with open(tiny_ct["nifti"]) as f:
        nifti_item = json.load(f)["training"][0]
    with open(tiny_ct["dicom"]) as f:
        dicom_item = next(i for i in json.load(f)["training"] if i["label"] == nifti_item["label"])
    load = Compose([LoadImaged("image", image_only=True), EnsureChannelFirstd("image"), Orientationd("image", "RAS")])
    a = load({"image": os.path.join(base, nifti_item["image"])})["image"]
    b = load({"image": os.path.join(base, dicom_item["image"])})["image"]
    assert a.shape == b.shape
    torch.testing.assert_close(b.float(), torch.round(a.float()), atol=1.0, rtol=0)  # DICOM stores whole HU


def test_identifiers_stripped_from_meta(tiny_ct):
    import json

    base = os.path.dirname(tiny_ct["dicom"])
    with open(tiny_ct["dicom"]) as f:
        item = json.load(f)["training"][0]
    folder = os.path.join(base, item["image"])
    ds = pydicom.dcmread(os.path.join(folder, sorted(os.listdir(folder))[0]))
    for reader in ("ITKReader", "PydicomReader"):
        img = LoadImage(reader=reader, image_only=True)(folder)
        img.meta["0010|0010"] = str(ds.PatientName)  # as ITK names tags
        img.meta["00100020"] = str(ds.PatientID)  # as pydicom names tags
        img.meta["PatientBirthDate"] = str(ds.PatientBirthDate)
        StripIdentifyingMeta()(img)
        text = repr(dict(img.meta))
        for secret in (str(ds.PatientName), str(ds.PatientID), str(ds.PatientBirthDate), str(ds.StudyDate)):
            assert secret not in text, (reader, secret)
    d = StripIdentifyingMetad()({"image": img, "image_meta_dict": {"0010|0020": "x", "spacing": 1}})
    assert d["image_meta_dict"] == {"spacing": 1}
    assert "PatientName" in IDENTIFYING_KEYWORDS
