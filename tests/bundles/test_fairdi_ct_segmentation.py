# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""FairDi segmentation bundle: the whole pipeline on tiny 3D data, the student stage in 2D by override, tooling."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from monai.bundle import ConfigParser, ConfigWorkflow

from tests.bundles.helpers import _env, bundle_path, verify_bundle_tooling

NAME = "fairdi_ct_segmentation"
BUNDLE = bundle_path(NAME)
CONFIGS = os.path.join(BUNDLE, "configs")
META = os.path.join(CONFIGS, "metadata.json")


@pytest.mark.slow
def test_whole_pipeline_one_command_3d(tiny_ct, tmp_path):
    datalist = tiny_ct["nifti"]
    cmd = [sys.executable, "-m", "monai_fairness.pipelines.fairdi", "--bundle", BUNDLE, "--demo"]
    cmd += ["--dataset_dir", os.path.dirname(datalist), "--workdir", str(tmp_path), "--n_bootstrap", "20"]
    for k, v in {"max_epochs": 2, "teacher_epochs": 1, "val_interval": 1, "roi_size": [16, 16, 16]}.items():
        cmd += ["--set", f"{k}={v}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    comparison = json.loads((tmp_path / "eval" / "comparison.json").read_text())
    assert set(comparison["models"]) == {"erm", "backbone", "teacher_g0", "teacher_g1", "fairdi_student"}
    assert comparison["task"] == "segmentation" and "dice_gap" in comparison["models"]["fairdi_student"]["gaps"]
    assert "dice_gap_reduction" in comparison["versus_reference"]["fairdi_student"]
    assert "loss_kd" in proc.stdout + proc.stderr


def test_student_stage_runs_in_2d_by_override(tmp_path):
    from data_prep import fairseg
    from tests.data_prep.test_fairseg import _npz

    path = fairseg.convert(str(_npz(tmp_path / "data")), str(tmp_path / "out"), "race")
    override = {"spatial_dims": 2, "roi_size": [16, 16], "num_classes": 3, "batch_size": 4}
    parser = ConfigParser()
    parser.read_config(os.path.join(CONFIGS, "train.json"))
    parser.update(override)
    with open(path) as f:
        k = len(json.load(f)["groups"])
    os.makedirs(tmp_path / "models")
    for name in ["backbone.pt"] + [f"teacher_g{g}.pt" for g in range(k)]:
        torch.save(parser.get_parsed_content("network_def", lazy=False).state_dict(), tmp_path / "models" / name)
    wf = ConfigWorkflow(
        config_file=[os.path.join(CONFIGS, "train.json"), os.path.join(CONFIGS, "train_student.json")],
        meta_file=META,
        logging_file=False,
        workflow_type="train",
        bundle_root=BUNDLE,
        datalist=path,
        dataset_dir=os.path.dirname(path),
        ckpt_dir=str(tmp_path / "models"),
        output_dir=str(tmp_path / "eval"),
        max_epochs=1,
        val_interval=1,
        **override,
        **{"train#random_transforms#1#spatial_axis": 1},
    )
    wf.initialize()
    assert wf.check_properties() == []
    wf.run()
    out = wf.parser.get_parsed_content("train#trainer").state.output[0]
    assert {"loss_task", "loss_kd"} <= set(out)
    assert (tmp_path / "models" / "model.pt").exists()


def test_verify_metadata_net_and_export(tmp_path):
    verify_bundle_tooling(BUNDLE, (1, 1, 32, 32, 32), tmp_path)


@pytest.mark.parametrize("stage, balanced", [(None, False), ("train_resampling", True), ("train_student", False)])
def test_which_stages_draw_groups_balanced(stage, balanced, tiny_ct, tmp_path):
    """Re-sampling draws the sexes equally often; ERM and (here, unlike in the classification bundle) the student
    do not."""
    parser = ConfigParser()
    parser.read_config([os.path.join(CONFIGS, f) for f in ["train.json"] + ([f"{stage}.json"] if stage else [])])
    parser.update({"dataset_dir": os.path.dirname(tiny_ct["nifti"]), "ckpt_dir": str(tmp_path), "cache_rate": 0.0})
    assert parser.get_parsed_content("balance_groups") is balanced
    sampler = parser.get_parsed_content("train#dataloader").sampler
    assert isinstance(sampler, torch.utils.data.WeightedRandomSampler) is balanced
