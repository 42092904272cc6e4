# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The efficacy study sets every method-stage length that the demo overlays shorten, so its numbers never come from
the 10-minute demo's short stages by accident."""

from __future__ import annotations

import json
import os

import pytest

from benchmarks.efficacy_study import SETUPS, repo_relative

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
