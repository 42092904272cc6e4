# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""FairDi classification bundle: the whole pipeline through the CLI, stage errors, inference without groups, tooling,
and the student stage on 2 gloo ranks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
import torch
from monai.bundle import ConfigParser, ConfigWorkflow

from tests.bundles.helpers import (
    _env,
    bundle_path,
    config_stack,
    run_bundle,
    torchrun_bundle,
    verify_bundle_tooling,
    without_groups,
)

NAME = "fairdi_skin_lesion_classification"
BUNDLE = bundle_path(NAME)
CONFIGS = os.path.join(BUNDLE, "configs")
META = os.path.join(CONFIGS, "metadata.json")
TINY = {"image_size": [32, 32], "batch_size": 8}


def _common(datalist: str, tmp_path) -> dict:
    return {
        "dataset_dir": os.path.dirname(datalist),
        "ckpt_dir": str(tmp_path / "models"),
        "output_dir": str(tmp_path / "eval"),
        **TINY,
    }


def _random_stage_weights(ckpt_dir, names, demo: bool = False, **override) -> None:
    """Random weights of the network ``train.json`` builds (with ``demo.json`` when ``demo``, as ``run_bundle``)."""
    parser = ConfigParser()
    parser.read_config(config_stack(BUNDLE, ["train.json"], demo))
    parser.update(override)
    os.makedirs(ckpt_dir, exist_ok=True)
    for name in names:
        torch.save(parser.get_parsed_content("network_def", lazy=False).state_dict(), os.path.join(ckpt_dir, name))


@pytest.mark.parametrize("stage", ["train_backbone", "train_student", "train_resampling", "train_reweighting"])
def test_stage_properties(stage, tiny_derm, tmp_path):
    _random_stage_weights(tmp_path / "models", ["backbone.pt", "teacher_g0.pt", "teacher_g1.pt"], **TINY)
    wf = ConfigWorkflow(
        config_file=[os.path.join(CONFIGS, "train.json"), os.path.join(CONFIGS, f"{stage}.json")],
        meta_file=META,
        logging_file=False,
        workflow_type="train",
        bundle_root=BUNDLE,
        **_common(tiny_derm, tmp_path),
    )
    wf.initialize()
    assert wf.check_properties() == []


@pytest.mark.parametrize(
    "stage, balanced",
    [
        (None, False),
        ("train_backbone", False),
        ("train_reweighting", False),
        ("train_resampling", True),
        ("train_student", True),
    ],
)
def test_which_stages_draw_groups_balanced(stage, balanced, tiny_derm, tmp_path):
    """balance_groups (false in train.json): the re-sampling baseline and the student draw each group equally often
    (with replacement); ERM, the FIS backbone and the re-weighting baseline see the training split as it is."""
    parser = ConfigParser()
    parser.read_config([os.path.join(CONFIGS, f) for f in ["train.json"] + ([f"{stage}.json"] if stage else [])])
    parser.update(_common(tiny_derm, tmp_path))
    assert parser.get_parsed_content("balance_groups") is balanced
    items, loader = parser.get_parsed_content("train_items"), parser.get_parsed_content("train#dataloader")
    torch.manual_seed(0)
    drawn = [items[i]["group"] for _ in range(50) for i in loader.sampler]
    share, minority = sum(drawn) / len(drawn), sum(it["group"] for it in items) / len(items)
    assert minority < 0.3
    if balanced:
        assert abs(share - 0.5) < 0.03, share
    else:
        assert share == pytest.approx(minority), share  # every item exactly once per epoch


@pytest.mark.slow
def test_whole_pipeline_one_command(tiny_derm, tmp_path):
    cmd = [sys.executable, "-m", "monai_fairness.pipelines.fairdi", "--bundle", BUNDLE, "--demo"]
    cmd += ["--dataset_dir", os.path.dirname(tiny_derm), "--workdir", str(tmp_path), "--n_bootstrap", "20"]
    cmd += ["--baselines", "erm", "resampling", "reweighting"]
    for k, v in {"max_epochs": 1, "teacher_epochs": 1, "student_epochs": 1, **TINY}.items():
        cmd += ["--set", f"{k}={v}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    models = ["backbone", "teacher_g0", "teacher_g1", "model", "erm", "resampling", "reweighting"]
    for name in models:
        state = torch.load(tmp_path / "models" / f"{name}.pt", weights_only=True)
        assert all(isinstance(v, torch.Tensor) for v in state.values())
        assert (tmp_path / "eval" / name / "predictions.csv").exists()
    comparison = json.loads((tmp_path / "eval" / "comparison.json").read_text())
    assert set(comparison["models"]) == {"fairdi_student", *models} - {"model"}
    assert (
        comparison["reference"] == "erm"
        and "accuracy_gap_reduction" in comparison["versus_reference"]["fairdi_student"]
    )
    assert "=== FairDi: side by side" in proc.stdout and (tmp_path / "eval" / "comparison.html").stat().st_size > 10_000
    # the student stage logged its loss parts
    assert "loss_kd" in proc.stdout + proc.stderr and "loss_task" in proc.stdout + proc.stderr

    # a rerun skips every finished stage
    rerun = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=300)
    assert rerun.returncode == 0 and rerun.stdout.count("skipped") == 7, rerun.stdout[-3000:]

    # the trained student exports to TorchScript with the bundle's metadata and configs embedded
    from monai.bundle import ckpt_export

    ckpt_export(
        net_id="network_def",
        filepath=str(tmp_path / "model.ts"),
        ckpt_file=str(tmp_path / "models" / "model.pt"),
        meta_file=META,
        config_file=config_stack(BUNDLE, ["inference.json"]),  # the network the pipeline trained
    )
    assert torch.jit.load(str(tmp_path / "model.ts"))(torch.rand(1, 3, 32, 32)).shape == (1, 2)

    # inference needs no group; its scores equal the evaluation's for the student
    no_group = without_groups(tiny_derm, tmp_path / "nogroup")
    run_bundle(BUNDLE, ["inference.json"], {**_common(tiny_derm, tmp_path), "dataset_dir": no_group})
    inf = pd.read_csv(tmp_path / "eval" / "inference.csv")
    ev = pd.read_csv(tmp_path / "eval" / "model" / "predictions.csv")
    merged = ev.merge(inf, on="id", suffixes=("", "_inf"))
    assert len(merged) == len(ev) and (merged["y_score"] - merged["y_score_inf"]).abs().max() < 1e-5

    # a fairness stage on a datalist without groups fails naming the stage
    common = {**_common(tiny_derm, tmp_path), "dataset_dir": no_group, "max_epochs": 1}
    for stage in ("train_student", "train_backbone"):
        with pytest.raises(AssertionError, match=f"stage '{stage}'"):
            run_bundle(BUNDLE, ["train.json", f"{stage}.json"], common)
    with pytest.raises(AssertionError, match="pass --group_id k"):
        run_bundle(BUNDLE, ["train.json", "train_teacher.json"], _common(tiny_derm, tmp_path))
    # ... while plain ERM (train.json alone, what MONAI Label runs) trains without groups
    run_bundle(BUNDLE, ["train.json"], {**common, "ckpt_dir": str(tmp_path / "plain")})
    assert (tmp_path / "plain" / "erm.pt").exists()


def test_verify_metadata_net_and_export(tmp_path):
    verify_bundle_tooling(BUNDLE, (2, 3, 64, 64), tmp_path)


@pytest.mark.slow
def test_student_stage_two_ranks_gloo(tiny_derm, tmp_path):
    _random_stage_weights(tmp_path / "models", ["backbone.pt", "teacher_g0.pt", "teacher_g1.pt"], demo=True, **TINY)
    torchrun_bundle(
        BUNDLE,
        ["train.json", "train_student.json", "multi_gpu_train.json"],
        {**_common(tiny_derm, tmp_path), "max_epochs": 1},
    )
    assert (tmp_path / "models" / "model.pt").exists()
