# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""A variant against its default and re-sampling, from a stored study: the same paired numbers as the study's."""

from __future__ import annotations

import os

import pytest

from benchmarks.variant_comparisons import compare_variants
from tests.study.test_study_run import _synthetic_study


def test_a_variant_is_compared_with_its_default_and_resampling_as_the_study_would(tmp_path):
    study = _synthetic_study(tmp_path)  # erm, resampling, fairdi; 200 resamples, seed 0
    result = compare_variants(study, {"fairdi": "erm"}, root=os.getcwd())
    summary = result["fairdi"]
    assert summary["reference"] == "erm" and set(summary["comparisons"]["fairdi"]) == {"erm", "resampling"}
    # the study's own bootstrap (count and seed read from it): a comparison both hold is the same number
    assert summary["comparisons"]["fairdi"]["erm"] == study["comparisons"]["fairdi"]["erm"]
    assert summary["comparisons"]["fairdi"]["resampling"] == study["comparisons"]["fairdi"]["resampling"]
    assert compare_variants(study, {"fairdi_paper": "fairdi"}, root=os.getcwd()) == {}  # no such variant ran
    # fewer models in the summary (erm and resampling only): still the study's resampled cases, the same numbers
    pair = compare_variants(study, {"resampling": "erm"}, root=os.getcwd())["resampling"]
    assert set(pair["methods"]) == {"erm", "resampling"}
    assert pair["comparisons"]["resampling"]["erm"] == study["comparisons"]["resampling"]["erm"]


def test_missing_predictions_name_a_file_and_the_command(tmp_path):
    study = _synthetic_study(tmp_path)
    study["settings"]["benchmark"] = {"command": "python -m benchmarks.efficacy_study --task classification"}
    os.remove(os.path.join(os.getcwd(), study["settings"]["predictions"]["fairdi"][0]))
    with pytest.raises(FileNotFoundError, match=r"fairdi_0\.csv.*efficacy_study --task classification"):
        compare_variants(study, {"fairdi": "erm"}, root=os.getcwd())
