# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""SCP classification bundle: the whole pipeline through the CLI (ERM "vanilla" model, scores, prune/fine-tune,
evaluation with FATE), the pruned model from network_def + plan in fresh processes (inference without groups,
TorchScript export, verify_net_in_out), masked == pruned predictions, and bad-input errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
import torch
from monai.bundle import ConfigParser, verify_metadata, verify_net_in_out

from tests.bundles.helpers import SCHEMA, _env, bundle_path, config_stack, run_bundle, torchrun_bundle, without_groups

NAME = "scp_skin_lesion_classification"
BUNDLE = bundle_path(NAME)
CONFIGS = os.path.join(BUNDLE, "configs")
META = os.path.join(CONFIGS, "metadata.json")
DEMO_INFERENCE = config_stack(BUNDLE, ["inference.json"])  # the network the tests train
TINY = {"image_size": [32, 32], "batch_size": 8, "calibration_batch_size": 16}


def _common(datalist: str, tmp_path) -> dict:
    return {
        "dataset_dir": os.path.dirname(datalist),
        "ckpt_dir": str(tmp_path / "models"),
        "output_dir": str(tmp_path / "eval"),
        **TINY,
    }


@pytest.mark.slow
def test_whole_pipeline_one_command(tiny_derm, tmp_path):
    cmd = [sys.executable, "-m", "monai_fairness.pipelines.scp", "--bundle", BUNDLE, "--demo"]
    cmd += ["--dataset_dir", os.path.dirname(tiny_derm), "--workdir", str(tmp_path), "--n_bootstrap", "20"]
    sets = {"max_epochs": 1, "channels_per_step": 8, "max_iterations": 2, "fate_patience": 0, **TINY}
    sets["max_accuracy_drop"] = 1.0  # both criteria off: exactly 2 iterations
    for k, v in sets.items():
        cmd += ["--set", f"{k}={v}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    models, ev = tmp_path / "models", tmp_path / "eval"
    assert (ev / "scores" / "channel_scores.csv").exists() and (ev / "scores" / "channel_scores.png").exists()
    scores = pd.read_csv(ev / "scores" / "channel_scores.csv")
    assert len(scores) == 512 and (scores["status"] == "pruned_now").sum() == 8
    history = json.loads((ev / "scp" / "scp_history.json").read_text())
    assert [h["iteration"] for h in history["history"]] == [0, 1, 2]
    assert history["stop_reason"] == "reached max_iterations 2"
    plan = json.loads((models / "pruning_plan.json").read_text())
    assert plan["target_layer"] == "layer4" and len(plan["channels"]) == 8 * plan["selected_iteration"]
    assert history["params_pruned"] < history["params_masked"]
    report = json.loads((ev / "model" / "report.json").read_text())
    for key in ("eopp0", "eopp1", "eodd", "fate"):
        assert key in report["fairness"], key
    assert "fate" not in json.loads((ev / "erm" / "report.json").read_text())["fairness"]
    comparison = json.loads((ev / "comparison.json").read_text())
    assert (
        set(comparison["models"]) == {"erm", "scp_pruned"} and comparison["scp"]["fate"] == report["fairness"]["fate"]
    )
    assert "=== SCP: ERM (vanilla) vs pruned" in proc.stdout and "FATE" in proc.stdout

    # a rerun skips every finished stage
    rerun = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=300)
    assert rerun.returncode == 0 and rerun.stdout.count("skipped") == 3, rerun.stdout[-3000:]

    # the full-size masked network predicts what the physically pruned one predicts
    common = {**_common(tiny_derm, tmp_path), "n_bootstrap": 10}
    run_bundle(BUNDLE, ["train.json", "evaluate.json"], {**common, "eval_model": "masked"})
    pruned = pd.read_csv(ev / "model" / "predictions.csv")
    masked = pd.read_csv(ev / "masked" / "predictions.csv")
    assert (pruned["y_score"] - masked["y_score"]).abs().max() < 1e-4

    # inference with the pruned model needs no group; a fresh process rebuilds it from network_def + plan
    no_group = without_groups(tiny_derm, tmp_path / "nogroup")
    run_bundle(BUNDLE, ["inference.json"], {**_common(tiny_derm, tmp_path), "dataset_dir": no_group})
    inf = pd.read_csv(ev / "inference.csv")
    merged = pruned.merge(inf, on="id", suffixes=("", "_inf"))
    assert len(merged) == len(pruned) and (merged["y_score"] - merged["y_score_inf"]).abs().max() < 1e-5

    # TorchScript export of the physically pruned network; verify_net_in_out and verify_metadata pass
    run_bundle(BUNDLE, ["inference.json", "export.json"], {"ckpt_dir": str(models), "image_size": [32, 32]})
    ts = torch.jit.load(str(models / "model.ts"))
    parser = ConfigParser()  # the demo network the test trained (run_bundle stacks demo.json)
    parser.read_config(DEMO_INFERENCE)
    parser.update({"ckpt_dir": str(models)})
    net = parser.get_parsed_content("network_def")
    net.load_state_dict(torch.load(models / "model.pt", weights_only=True))
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(ts(x), net.eval()(x), rtol=0, atol=1e-5)
    assert sum(p.numel() for p in net.parameters()) == history["params_pruned"]
    verify_metadata(meta_file=META, filepath=SCHEMA)
    verify_net_in_out(net_id="network_def", meta_file=META, config_file=DEMO_INFERENCE, ckpt_dir=str(models))

    # the control: the ERM model fine-tuned as long as the kept SCP iteration, no channel masked
    k = history["selected_iteration"]
    run_bundle(BUNDLE, ["train.json", "finetune_only.json"], {**common, "finetune_epochs_per_iteration": 1})
    control = torch.load(models / "finetune_only.pt", weights_only=True)
    erm = torch.load(models / "erm.pt", weights_only=True)
    masked = torch.load(models / "model_masked.pt", weights_only=True)
    assert {n: v.shape for n, v in control.items()} == {n: v.shape for n, v in erm.items()}  # full size
    assert any(not torch.equal(control[n], erm[n]) for n in erm)  # it trained

    def zeroed(state):  # silenced entries of layer4's norm affines (what a mask zeroes)
        return sum(int((v == 0).sum()) for n, v in state.items() if n.startswith("layer4") and v.ndim == 1)

    assert zeroed(masked) > 0 and zeroed(control) == 0  # SCP silenced channels; the control did not
    assert os.listdir(models / "resume_finetune_only") == [f"checkpoint_epoch={k}.pt"]  # k iterations x 1 epoch

    # bad input: an unknown target layer lists the convolution layers
    with pytest.raises(AssertionError, match="target_layer expected .*'layer9'.*layer4.0.conv2"):
        run_bundle(BUNDLE, ["train.json", "score.json"], {**common, "target_layer": "layer9"})


@pytest.mark.slow
def test_scoring_a_datalist_without_groups_names_the_stage(tiny_derm, tmp_path):
    no_group = without_groups(tiny_derm, tmp_path / "nogroup")
    parser = ConfigParser()
    parser.read_config(config_stack(BUNDLE, ["train.json"]))
    parser.update(TINY)
    os.makedirs(tmp_path / "models")
    torch.save(parser.get_parsed_content("network_def").state_dict(), tmp_path / "models" / "erm.pt")
    with pytest.raises(AssertionError, match="stage 'score'"):
        run_bundle(BUNDLE, ["train.json", "score.json"], {**_common(tiny_derm, tmp_path), "dataset_dir": no_group})
    # plain ERM ("vanilla") training (what MONAI Label runs) needs no group
    run_bundle(BUNDLE, ["train.json"], {**_common(tiny_derm, tmp_path), "dataset_dir": no_group, "max_epochs": 1})
    assert (tmp_path / "models" / "erm.pt").exists()


@pytest.mark.slow
def test_erm_training_two_ranks_gloo(tiny_derm, tmp_path):
    proc = torchrun_bundle(
        BUNDLE, ["train.json", "multi_gpu_train.json"], {**_common(tiny_derm, tmp_path), "max_epochs": 1}
    )
    assert (tmp_path / "models" / "erm.pt").exists(), proc.stdout[-2000:]
