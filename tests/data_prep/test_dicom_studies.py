# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""DICOM studies -> NIfTI + datalist on real files shipped by pydicom and pydicom-data; no identifier leaks."""

from __future__ import annotations

import json
import logging
import os
import shutil

import nibabel as nib
import numpy as np
import pydicom
import pytest

from data_prep.dicom_studies import convert
from monai_fairness.data import load_fairness_datalist
from tests.conftest import pydicom_test_file


def _secrets(paths):
    """Every patient name, id and date in the source headers."""
    found = set()
    for root in paths:
        for dirpath, _, names in os.walk(root):
            for name in names:
                try:
                    ds = pydicom.dcmread(os.path.join(dirpath, name), stop_before_pixels=True)
                except Exception:
                    continue
                for kw in (
                    "PatientName",
                    "PatientID",
                    "PatientBirthDate",
                    "StudyDate",
                    "SeriesDate",
                    "AccessionNumber",
                ):
                    value = str(ds.get(kw, "") or "").strip()
                    if len(value) >= 4:
                        found.add(value)
                        found.update(part for part in value.split("^") if len(part) >= 4)
    return found


@pytest.fixture
def studies(tmp_path):
    import data_store  # noqa: F401  (pydicom-data serves RG1_UNCR.dcm offline)
    from pydicom.data import get_testdata_file

    root = tmp_path / "export"
    shutil.copytree(pydicom_test_file("dicomdirtests"), root / "dicomdirtests")
    (root / "cr").mkdir()
    shutil.copy(get_testdata_file("RG1_UNCR.dcm"), root / "cr" / "RG1_UNCR.dcm")
    return root


def test_series_become_volumes_with_attributes_and_no_identifiers(studies, tmp_path, caplog):
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO, logger="data_prep"):
        path = convert([str(studies)], str(out), attribute="sex", unknown="separate")
    d = json.load(open(path))
    items = d["training"] + d["validation"] + d["test"]
    assert d["groups"] == {"0": "M", "1": "F", "2": "unknown"}
    # RG1_UNCR: female, 64 years from its dates; Doe^Peter's CT5N series: male, 043Y
    assert any(i.get("sex") == "F" and i.get("age") == 64.0 for i in items)
    ct5n = [
        i
        for i in items
        if i.get("sex") == "M" and i.get("age") == 43.0 and nib.load(out / i["image"]).shape == (16, 16, 5)
    ]
    assert ct5n, "the 5-slice CT series was not converted"
    np.testing.assert_allclose(
        nib.load(out / ct5n[0]["image"]).header.get_zooms(), (0.488281, 0.488281, 2.5), rtol=1e-5
    )
    assert load_fairness_datalist(path, "training")
    # no name, id or date from any source header appears in any output file or in the log
    secrets = _secrets([str(studies)])
    assert "Doe^Peter" in secrets and "19400305" in secrets
    blobs = [caplog.text]
    for dirpath, _, names in os.walk(out):
        for name in names:
            data = open(os.path.join(dirpath, name), "rb").read()
            blobs.append(
                data.decode("latin-1")
                if not name.endswith(".gz")
                else __import__("gzip").decompress(data).decode("latin-1")
            )
    for secret in secrets:
        for blob in blobs:
            assert secret not in blob, secret
    # no source folder name (dicomdirtests uses patient ids as folder names) leaks either
    assert "77654033" not in json.dumps(d) and "98892001" not in json.dumps(d)


def test_unknown_sex_dropped_by_default(studies, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="data_prep"):
        path = convert([str(studies)], str(tmp_path / "o"), attribute="sex")
    d = json.load(open(path))
    assert set(d["groups"]) == {"0", "1"}
    assert "with an unknown or missing 'sex'" in caplog.text
