# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""A stage shorter than one validation interval is refused where its trainer is built, not discovered later as a
missing model."""

from __future__ import annotations

import os

import pytest
from monai.bundle import ConfigParser

from monai_fairness.engines import check_reaches_validation
from tests.bundles.helpers import bundle_path


def test_epochs_from_one_validation_on_pass_through():
    assert check_reaches_validation(5, 5) == 5
    assert check_reaches_validation(6, 5) == 6
    assert check_reaches_validation(1, 1) == 1


@pytest.mark.parametrize(("max_epochs", "val_interval", "field"), [(3, 5, "max_epochs"), (0, 1, "max_epochs"),
                                                                   (3, 0, "val_interval")])  # fmt: skip
def test_too_short_a_stage_is_named_with_both_values(max_epochs, val_interval, field):
    with pytest.raises(ValueError, match=field) as err:
        check_reaches_validation(max_epochs, val_interval)
    assert str(max_epochs if field == "max_epochs" else val_interval) in str(err.value)


@pytest.mark.parametrize(
    ("bundle", "stage", "override"),
    [
        ("fairdi_ct_segmentation", "train_teacher.json", "teacher_epochs"),  # the matrix's first CT teachers
        ("fairdi_ct_segmentation", "train_student.json", "student_epochs"),
        ("erm_ct_segmentation", None, "epochs"),
        ("apple_ct_segmentation", "train_apple.json", "perturber_epochs"),
    ],
)
def test_the_ct_bundles_refuse_a_stage_that_never_validates(bundle, stage, override):
    files = ["train.json"] + ([stage] if stage else [])
    parser = ConfigParser()
    parser.read_config([os.path.join(bundle_path(bundle), "configs", f) for f in files])
    interval = parser.get_parsed_content("val_interval")
    assert interval > 1
    parser[override] = interval
    assert parser.get_parsed_content("train#trainer#max_epochs") == interval
    parser[override] = interval - 1
    with pytest.raises(Exception) as err:  # MONAI wraps it in "Failed to evaluate ConfigExpression", chained
        parser.get_parsed_content("train#trainer#max_epochs")
    chain, e = [], err.value
    while e is not None:
        chain.append(str(e))
        e = e.__cause__ or e.__context__
    assert any(f"max_epochs expected at least val_interval ({interval})" in m and f"got {interval - 1}" in m
               for m in chain), chain  # fmt: skip
