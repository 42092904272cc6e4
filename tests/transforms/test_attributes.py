# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

import math
import re

import pytest

from monai_fairness.transforms import (
    BinAge,
    BinAged,
    DicomSensitiveAttributesd,
    EncodeSex,
    EncodeSexd,
    FitzpatrickToGroup,
    FitzpatrickToGroupd,
)
from tests.conftest import pydicom_test_file


@pytest.mark.parametrize(
    "value, group", [("M", 0), ("male", 0), ("Male ", 0), ("MAN", 0), ("F", 1), ("female", 1), ("Woman", 1)]
)
def test_encode_sex_spellings(value, group):
    assert EncodeSex()(value) == group


@pytest.mark.parametrize("value", ["O", "other", "unknown", "", None, float("nan")])
def test_encode_sex_unknown_is_rejected_or_separate(value):
    with pytest.raises(ValueError, match="field 'sex' expected one of \\['M', 'F'\\] but got the unknown value"):
        EncodeSex()(value)
    assert EncodeSex(unknown="separate")(value) == 2


def test_encode_sex_invalid_and_mapping():
    with pytest.raises(ValueError, match=re.escape("field 'gender' expected one of ['M', 'F'] or a common spelling")):
        EncodeSex()("X", field="gender")
    isic = EncodeSex(mapping={1: "M", 0: "F"})  # ISIC 2019 gender encoding
    assert isic(1) == 0 and isic(0) == 1
    assert EncodeSex(order=("F", "M"))("F") == 0
    with pytest.raises(ValueError, match="did you mean"):
        EncodeSex(unknown="seperate")


@pytest.mark.parametrize(
    "value, edges, group",
    [
        (59.9, (60,), 0),
        (60, (60,), 1),
        ("060Y", (60,), 1),
        ("045M", (60,), 0),
        ("72", (60,), 1),
        (39, (40, 60), 0),
        (40, (40, 60), 1),
        (85, (40, 60), 2),
    ],
)
def test_bin_age(value, edges, group):
    assert BinAge(edges)(value) == group


def test_bin_age_unknown_and_bad():
    with pytest.raises(ValueError, match="expected an age in years but got the unknown value None"):
        BinAge()(None)
    assert BinAge((40, 60), unknown="separate")(math.nan) == 3
    with pytest.raises(ValueError, match=re.escape("field 'age' expected an age in [0, 130] years but got -3")):
        BinAge()(-3)
    with pytest.raises(ValueError, match="DICOM age string like '060Y' but got 'old'"):
        BinAge()("old")
    with pytest.raises(ValueError, match="non-empty increasing"):
        BinAge((60, 40))


@pytest.mark.parametrize(
    "value, group",
    [(1, 0), (3, 0), (4, 1), (6, 1), ("2", 0), ("5", 1), ("III", 0), ("iv", 1), ("type VI", 1), (3.0, 0)],
)
def test_fitzpatrick(value, group):
    assert FitzpatrickToGroup()(value) == group


def test_fitzpatrick_unknown_never_becomes_dark():
    for unknown in (-1, "-1", None, "", float("nan")):
        with pytest.raises(ValueError, match="unknown value"):
            FitzpatrickToGroup()(unknown)
        assert FitzpatrickToGroup(unknown="separate")(unknown) == 2  # its own group, not dark (1)
    for bad in (0, 7, "VII", 2.5, "x"):
        with pytest.raises(ValueError, match="expected a skin type 1-6"):
            FitzpatrickToGroup()(bad)
    assert FitzpatrickToGroup(cut=2)(3) == 1
    with pytest.raises(ValueError, match="'cut' expected an int in 1..5 but got 6"):
        FitzpatrickToGroup(cut=6)


def test_dictionary_versions():
    d = {"sex": "female", "age": "061Y", "fitzpatrick": 5, "image": "x"}
    assert EncodeSexd()(d)["group"] == 1
    assert BinAged(group_key="age_group")(d)["age_group"] == 1
    assert FitzpatrickToGroupd()(d)["group"] == 1
    with pytest.raises(ValueError, match="field 'fst'"):
        FitzpatrickToGroupd(keys="fst")({"fst": -1})
    with pytest.raises(ValueError, match="exactly one attribute key"):
        EncodeSexd(keys=["sex", "gender"])


def test_dicom_attributes_from_real_series_carry_no_identifiers():
    series = pydicom_test_file("dicomdirtests", "98892001", "CT5N")
    out = DicomSensitiveAttributesd()({"image": series})
    assert out == {"image": series, "sex": "M", "age": 43.0}
    assert EncodeSexd()(out)["group"] == 0
