# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The efficacy study sets every method-stage length that the demo overlays shorten, so its numbers never come from
the 10-minute demo's short stages by accident."""

from __future__ import annotations

import json
import os

import pytest

from benchmarks.efficacy_study import SETUPS, check_scenario, repo_relative
from monai_fairness.data.scenarios import parse_scenario

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUFFIX = {"classification": "_skin_lesion_classification", "segmentation": "_ct_segmentation"}


@pytest.mark.parametrize("task", sorted(SETUPS))
def test_the_study_sets_every_method_stage_the_demo_shortens(task):
    base = json.load(open(os.path.join(REPO_ROOT, "configs", "base", task, "demo.json")))
    shortened = set()
    for name in os.listdir(os.path.join(REPO_ROOT, "bundles")):
        path = os.path.join(REPO_ROOT, "bundles", name, "configs", "demo.json")
        if name.endswith(SUFFIX[task]) and os.path.isfile(path):
            shortened |= {k for k in json.load(open(path)) if not k.startswith("_") and k not in base}
    assert shortened, task  # the method overlays do shorten something
    assert shortened <= set(SETUPS[task]["settings"]), sorted(shortened - set(SETUPS[task]["settings"]))


def test_study_json_names_the_training_datalist_relative_to_the_clone(tmp_path):
    inside = os.path.join(REPO_ROOT, "data", "demo", "ct", "datalist.json")
    assert repo_relative(inside) == os.path.join("data", "demo", "ct", "datalist.json")
    outside = str(tmp_path / "datalist.json")
    assert repo_relative(outside) == outside


def test_the_study_stays_on_the_v1_data_and_refuses_other_data(tmp_path):
    """The stored study numbers were measured on ``v1``: the study generates it and refuses a reused folder of other
    data (``make demo``'s harder ``default``, or a datalist without a scenario)."""
    assert {setup["scenario"] for setup in SETUPS.values()} == {"v1"}
    path = tmp_path / "datalist.json"
    older = {k: v for k, v in parse_scenario("v1", "classification").items() if k != "subtlety"}
    path.write_text(json.dumps({"scenario": older}))  # written before the subtlety knob existed: still v1
    check_scenario(str(path), "v1", "classification")
    for written in (parse_scenario("default", "classification"), None):
        path.write_text(json.dumps({"scenario": written}))
        with pytest.raises(ValueError, match="expected data of the 'v1' scenario"):
            check_scenario(str(path), "v1", "classification")
