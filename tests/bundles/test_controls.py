# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The controls are what they claim: the same budget as their method, with only the mechanism switched off."""

from __future__ import annotations

import os

import pytest
from monai.bundle import ConfigParser

from monai_fairness.study.methods import CONTROLS, METHODS
from tests.bundles.helpers import bundle_path


def _parser(bundle: str, files: list[str]) -> ConfigParser:
    parser = ConfigParser()
    parser.read_config([os.path.join(bundle_path(bundle), "configs", f) for f in files])
    return parser


@pytest.mark.parametrize("bundle", ["fairdi_skin_lesion_classification", "fairdi_ct_segmentation"])
def test_erm_matched_has_the_student_budget_and_sampling(bundle):
    control = _parser(bundle, ["train.json", "train_erm_matched.json"])
    backbone = _parser(bundle, ["train.json", "train_backbone.json"])
    student = _parser(bundle, ["train.json", "train_student.json"])
    budget = backbone.get_parsed_content("max_epochs") + student.get_parsed_content("max_epochs")
    assert control.get_parsed_content("max_epochs") == budget
    assert control.get_parsed_content("balance_groups") == student.get_parsed_content("balance_groups")
    assert control.get_parsed_content("stage") == "erm_matched"


@pytest.mark.parametrize("bundle", ["fairdi_skin_lesion_classification", "fairdi_ct_segmentation"])
def test_student_no_kd_is_the_student_without_distillation(bundle):
    student = _parser(bundle, ["train.json", "train_student.json"])
    control = _parser(bundle, ["train.json", "train_student.json", "train_student_no_kd.json"])
    assert control.get_parsed_content("kd_weight") == 0.0 and control["teachers"] is None
    for key in ("max_epochs", "balance_groups", "learning_rate", "task_weight"):
        assert control.get_parsed_content(key) == student.get_parsed_content(key), key
    assert control.get_parsed_content("model_file") == "student_no_kd.pt"


def test_finetune_only_has_scp_s_fine_tuning_per_iteration():
    scp = _parser("scp_skin_lesion_classification", ["train.json", "score.json", "prune_finetune.json"])
    control = _parser("scp_skin_lesion_classification", ["train.json", "finetune_only.json"])
    assert control.get_parsed_content("finetune_epochs_per_iteration") == scp.get_parsed_content("max_epochs")
    assert control.get_parsed_content("learning_rate") == scp.get_parsed_content("learning_rate")
    handlers = [h["_target_"] for h in control["train#handlers"]]
    assert not any("LrSchedule" in h for h in handlers)  # SCP fine-tunes at a constant rate too


def test_perturber_no_adversary_switches_only_the_adversary_off():
    files = ["train.json", "train_apple.json"]
    apple = _parser("apple_ct_segmentation", files)
    control = _parser("apple_ct_segmentation", files + ["train_perturber_no_adversary.json"])
    assert control.get_parsed_content("alpha") == 0.0 and control.get_parsed_content("d_steps") == 0
    for key in ("max_epochs", "learning_rate", "latent_layer", "epsilon", "beta", "gamma", "balance_groups"):
        assert control.get_parsed_content(key) == apple.get_parsed_content(key), key


@pytest.mark.parametrize("control", sorted(CONTROLS))
def test_the_study_gives_each_control_its_method_s_overrides(control):
    """A control must see what its method sees: the study's APPLE trains on the whole training split
    (segmentor_share 0, its segmentor is the seed's ERM model), so its control must too, or it trains on half."""
    method = METHODS[CONTROLS[control].control_of]
    given = {k: v for _, _, overrides in method.stages for k, v in overrides.items() if k != "group_id"}
    for name, _, overrides in CONTROLS[control].stages:
        for key, value in given.items():
            assert overrides.get(key) == value, f"{control} stage {name}: {key} expected {value!r}"
