# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Sex and age from real DICOM headers shipped by pydicom, pydicom-data and nibabel; AS-string parsing."""

from __future__ import annotations

import pytest

from monai_fairness.data import age_from_dates, parse_dicom_age, read_dicom_attributes
from tests.conftest import nibabel_test_file, pydicom_test_file


@pytest.mark.parametrize(
    "text, years",
    [("060Y", 60.0), ("045M", 3.75), ("003W", 21 / 365.25), ("010D", 10 / 365.25), ("000Y", 0.0), (" 58Y", 58.0)],
)
def test_parse_dicom_age(text, years):
    assert parse_dicom_age(text) == pytest.approx(years, rel=1e-9)


@pytest.mark.parametrize("text", ["", None, "60", "060X", "Y", "abc", "1234Y"])
def test_parse_dicom_age_unknown(text):
    assert parse_dicom_age(text) is None


def test_age_from_dates():
    assert age_from_dates("19400305", "20040826") == 64.0
    assert age_from_dates("19400827", "20040826") == 63.0  # birthday not reached yet
    assert age_from_dates("11111111", "20040826") is None  # placeholder date
    assert age_from_dates("", "20040826") is None
    assert age_from_dates("20050101", "20040826") is None


def test_real_ct_small_edge_cases():
    # pydicom's CT_small: PatientSex "O", PatientAge "000Y"
    assert read_dicom_attributes(pydicom_test_file("CT_small.dcm")) == {"sex": "O", "age": 0.0}


def test_real_mr_and_overlay_headers():
    assert read_dicom_attributes(pydicom_test_file("MR_small.dcm"))["sex"] == "F"
    # examples_overlay: M, 058Y and an invalid birth date (11111111) that must not be used
    assert read_dicom_attributes(pydicom_test_file("examples_overlay.dcm")) == {"sex": "M", "age": 58.0}


def test_real_series_folder_header():
    assert read_dicom_attributes(pydicom_test_file("dicomdirtests", "98892001", "CT5N")) == {"sex": "M", "age": 43.0}


def test_real_chest_cr_age_from_dates():
    import data_store  # noqa: F401  (pydicom-data, a dev extra: serves RG1_UNCR.dcm offline; never downloads)
    from pydicom.data import get_testdata_file

    path = get_testdata_file("RG1_UNCR.dcm")
    attrs = read_dicom_attributes(path)
    assert attrs == {"sex": "F", "age": 64.0}


def test_real_nibabel_dicom():
    assert read_dicom_attributes(nibabel_test_file("0.dcm"))["sex"] == "F"


def test_missing_path_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        read_dicom_attributes(tmp_path / "nope.dcm")
    with pytest.raises(ValueError, match="is empty"):
        read_dicom_attributes(tmp_path)
