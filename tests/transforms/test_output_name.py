# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Outputs are named by the item's id (or a hash of the path), never by a folder named after the patient."""

from __future__ import annotations

import hashlib
import os

import torch
from monai.data import MetaTensor
from monai.transforms import SaveImaged

from monai_fairness.transforms import NameByIdd


def _item(folder: str, **extra) -> dict:
    pred = MetaTensor(torch.zeros(1, 4, 4, 4), meta={"filename_or_obj": folder})
    return {"pred": pred, **extra}


def test_a_patient_named_folder_never_reaches_the_output_name(tmp_path):
    folder = "/pacs/export/DOE_JOHN_MRN12345678"
    save = SaveImaged("pred", output_dir=str(tmp_path), output_postfix="seg", separate_folder=False, print_log=False)
    save(NameByIdd("pred")(_item(folder, id="a3f9c2")))
    save(NameByIdd("pred")(_item(folder + "_2")))  # no id (e.g. sent by MONAI Label): a hash of the path
    digest = hashlib.sha1((folder + "_2").encode()).hexdigest()[:12]
    names = sorted(os.listdir(tmp_path))
    assert names == sorted(["a3f9c2_seg.nii.gz", f"{digest}_seg.nii.gz"])
    assert not any("DOE" in n or "MRN" in n for n in names)
    without = SaveImaged("pred", output_dir=str(tmp_path / "plain"), output_postfix="seg", separate_folder=False)
    without(_item(folder))  # what inference did before: the folder name becomes the file name
    assert os.listdir(tmp_path / "plain") == ["DOE_JOHN_MRN12345678_seg.nii.gz"]
