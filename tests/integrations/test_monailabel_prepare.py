# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The served bundle folders of the MONAI Label integration (``integrations/monailabel/prepare.py``): weights that
``make demo`` trained are served with the network and preprocessing they were trained with."""

from __future__ import annotations

import os
import sys

import pytest
import torch
from monai.bundle import ConfigParser

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO_ROOT, "integrations", "monailabel"))
from prepare import prepare_bundles  # noqa: E402

BUNDLES = ("fairdi_skin_lesion_classification", "erm_ct_segmentation")


def _network(files: list[str]) -> torch.nn.Module:
    parser = ConfigParser()
    parser.read_config(files)
    parser.update({"device": "$torch.device('cpu')"})
    return parser.get_parsed_content("network_def")


@pytest.fixture
def demo_weights(tmp_path):
    """What ``make demo`` leaves in ``runs/demo/<bundle>/models/model.pt``: weights of the demo-sized network."""
    for name in BUNDLES:
        configs = os.path.join(REPO_ROOT, "bundles", name, "configs")
        net = _network([os.path.join(configs, f) for f in ("inference.json", "demo.json")])
        os.makedirs(tmp_path / "runs" / name / "models")
        torch.save(net.state_dict(), tmp_path / "runs" / name / "models" / "model.pt")
    return str(tmp_path / "runs")


def test_demo_weights_are_served_with_the_demo_overlay(demo_weights, tmp_path):
    status = prepare_bundles(str(tmp_path / "served"), [demo_weights], names=list(BUNDLES), demo=True)
    for name in BUNDLES:
        assert "demo sizes" in status[name], status
        served = tmp_path / "served" / name
        net = _network([str(served / "configs" / "inference.json")])  # what MONAI Label reads: this file alone
        net.load_state_dict(torch.load(served / "models" / "model.pt", weights_only=True), strict=True)
        train = ConfigParser.load_config_file(str(served / "configs" / "train.json"))
        assert train["epochs"] in (5, 30) and "_served_" in train  # the demo's, merged into the served train.json
    skin = ConfigParser.load_config_file(str(tmp_path / "served" / BUNDLES[0] / "configs" / "inference.json"))
    assert skin["image_size"] == [64, 64] and skin["base_network_def"]["_target_"].endswith("resnet10")


def test_without_demo_the_real_recipe_is_served_and_demo_weights_do_not_fit(demo_weights, tmp_path):
    prepare_bundles(str(tmp_path / "served"), [demo_weights], names=list(BUNDLES))
    for name in BUNDLES:
        served = tmp_path / "served" / name
        net = _network([str(served / "configs" / "inference.json")])
        with pytest.raises(RuntimeError, match="state_dict"):
            net.load_state_dict(torch.load(served / "models" / "model.pt", weights_only=True), strict=True)
