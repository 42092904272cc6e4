# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""GroupDRO and adversarial debiasing through the FairDi bundles: they train a tiny epoch, log their parts, and the
saved model is a plain network_def state_dict (no attribute head)."""

from __future__ import annotations

import json
import os

import pytest
import torch
from monai.bundle import ConfigParser

from tests.bundles.helpers import bundle_path, config_stack, run_bundle

CLS = bundle_path("fairdi_skin_lesion_classification")
SEG = bundle_path("fairdi_ct_segmentation")


def _network_keys(bundle: str, overrides: dict) -> dict:
    """Parameter shapes of the deployable network at demo size (inference.json + demo.json), as the tests train it."""
    parser = ConfigParser()
    parser.read_config(config_stack(bundle, ["inference.json"]))
    parser.update(overrides)
    return {k: v.shape for k, v in parser.get_parsed_content("network_def").state_dict().items()}


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["groupdro", "adversarial"])
def test_classification_baselines_train_and_export_a_plain_network(tiny_derm, tmp_path, stage):
    common = {
        "dataset_dir": os.path.dirname(tiny_derm),
        "ckpt_dir": str(tmp_path / "m"),
        "output_dir": str(tmp_path / "e"),
    }
    common.update({"image_size": [32, 32], "batch_size": 8, "max_epochs": 1})
    proc = run_bundle(CLS, ["train.json", f"train_{stage}.json"], common)
    log = proc.stdout + proc.stderr
    state = torch.load(tmp_path / "m" / f"{stage}.pt", weights_only=True)
    assert {k: v.shape for k, v in state.items()} == _network_keys(CLS, {})  # no head, no DRO weights
    part = {"groupdro": "loss_weight_g1", "adversarial": "loss_adv"}[stage]
    assert part in log
    resume = torch.load(next((tmp_path / "m" / f"resume_{stage}").iterdir()), weights_only=True)
    assert {"groupdro": "group_dro", "adversarial": "adversary_head"}[stage] in resume


@pytest.mark.slow
def test_segmentation_adversary_reads_the_unet_bottleneck(tiny_ct, tmp_path):
    common = {"dataset_dir": os.path.dirname(tiny_ct["nifti"]), "ckpt_dir": str(tmp_path / "m")}
    common.update({"output_dir": str(tmp_path / "e"), "roi_size": [16, 16, 16], "batch_size": 2, "max_epochs": 1})
    run_bundle(SEG, ["train.json", "train_adversarial.json"], {**common, "val_interval": 1})
    state = torch.load(tmp_path / "m" / "adversarial.pt", weights_only=True)
    assert {k: v.shape for k, v in state.items()} == _network_keys(SEG, {})


def _teacher_setup(tiny_derm: str, tmp_path, group_id: int) -> tuple:
    """A random FIS backbone in ``tmp_path/m`` and the overrides of a tiny teacher stage for ``group_id``."""
    models = tmp_path / "m"
    models.mkdir()
    parser = ConfigParser()  # the network the teacher stage builds: the demo one (run_bundle stacks demo.json)
    parser.read_config(config_stack(CLS, ["inference.json"]))
    parser.update({"image_size": [32, 32]})
    torch.save(parser.get_parsed_content("network_def").state_dict(), models / "backbone.pt")
    common = {"dataset_dir": os.path.dirname(tiny_derm), "ckpt_dir": str(models), "output_dir": str(tmp_path / "e")}
    common.update({"image_size": [32, 32], "batch_size": 8, "group_id": group_id})
    return models, common


@pytest.mark.slow
def test_a_teacher_breaks_ties_of_its_key_metric_with_its_own_validation_loss(tiny_derm, tmp_path):
    """Teachers validate on their own group only (no group metrics); the selection must still see a validation loss,
    or a teacher whose own-group AUC is 1.0 from epoch 1 keeps epoch 1 whatever follows."""
    models, common = _teacher_setup(tiny_derm, tmp_path, group_id=0)
    common["teacher_epochs"] = 3
    proc = run_bundle(CLS, ["train.json", "train_teacher.json"], common)
    assert "val_loss" in proc.stdout + proc.stderr
    chosen = json.loads((models / "teacher_g0.selection.json").read_text())
    assert chosen["tie_metric"] == "val_loss" and chosen["tie"] is not None and chosen["tie"] > 0


@pytest.mark.slow
def test_a_teacher_resumes_with_its_early_stopping_state(tiny_derm, tmp_path):
    """The teacher's early stopping keeps a NumPy best score; its resume checkpoint must still load with
    weights_only=True, or an interrupted teacher can never resume."""
    models, common = _teacher_setup(tiny_derm, tmp_path, group_id=1)
    run_bundle(CLS, ["train.json", "train_teacher.json"], {**common, "teacher_epochs": 2})
    (checkpoint,) = (models / "resume_teacher_g1").iterdir()
    assert "early_stop" in torch.load(checkpoint, weights_only=True)
    proc = run_bundle(CLS, ["train.json", "train_teacher.json"], {**common, "teacher_epochs": 3})
    assert "Epoch[3]" in proc.stdout + proc.stderr
    assert [p.name for p in (models / "resume_teacher_g1").iterdir()] == ["checkpoint_epoch=3.pt"]
