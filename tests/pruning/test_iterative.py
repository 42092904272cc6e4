# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Iterative prune -> fine-tune with MONAI engines: stop rule, outputs, exported model = masked model, resume."""

from __future__ import annotations

import json
import os

import pytest
import torch
from ignite.engine import Events
from monai.engines import SupervisedEvaluator, SupervisedTrainer
from monai.handlers import from_engine
from monai.transforms import Activationsd, AsDiscreted, Compose, CopyItemsd
from torch.utils.data import DataLoader

from monai_fairness.handlers import GroupMetricHandler
from monai_fairness.pruning import IterativeChannelPruning, SNNLChannelPruner, StopRule, apply_pruning_plan
from tests.pruning.nets import make_net


def _items(n: int, seed: int) -> list[dict]:
    g = torch.Generator().manual_seed(seed)
    items = []
    for i in range(n):
        group, label = i % 2, (i // 2) % 2
        img = torch.randn(3, 32, 32, generator=g) * 0.5
        img[0] += 0.8 * group  # the group is visible
        img[1, 8:24, 8:24] += 1.0 * label  # the class is visible
        items.append({"image": img, "label": label, "group": group})
    return items


def _engines(net: torch.nn.Module, epochs: int = 1):
    train = DataLoader(_items(32, 0), batch_size=8, shuffle=True)
    val = DataLoader(_items(24, 1), batch_size=8)
    trainer = SupervisedTrainer(
        device=torch.device("cpu"),
        max_epochs=epochs,
        train_data_loader=train,
        network=net,
        optimizer=torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9),
        loss_function=torch.nn.CrossEntropyLoss(),
    )
    post = Compose(
        [
            Activationsd("pred", softmax=True),
            CopyItemsd("pred", names="pred_onehot"),
            AsDiscreted(["pred_onehot", "label"], argmax=[True, False], to_onehot=2),
        ]
    )
    evaluator = SupervisedEvaluator(
        device=torch.device("cpu"),
        val_data_loader=val,
        network=net,
        postprocessing=post,
        key_val_metric={
            "val_fairness": GroupMetricHandler(
                task="classification", num_groups=2, prefix="val_", output_transform=from_engine(["pred", "label"])
            )
        },
    )
    return trainer, evaluator


def _workflow(tmp_path, max_iterations: int, vanilla: str | None = None):
    net = make_net("vgg").train()
    trainer, evaluator = _engines(net)
    runs = []
    trainer.add_event_handler(Events.STARTED, lambda e: runs.append(1))
    pruner = SNNLChannelPruner(net, torch.zeros(1, 3, 32, 32), target_layer="net.layer_1.conv", channels_per_step=2)
    calib = DataLoader(_items(32, 0), batch_size=16)
    wf = IterativeChannelPruning(
        pruner,
        calib,
        trainer,
        evaluator,
        ckpt_dir=str(tmp_path / "models"),
        output_dir=str(tmp_path / "scp"),
        vanilla_file=vanilla,
        stop_rule=StopRule(max_iterations=max_iterations, fate_patience=None, max_accuracy_drop=None),
    )
    return wf, net, runs


def test_iterations_outputs_and_exported_model(tmp_path):
    wf, net, runs = _workflow(tmp_path, max_iterations=2)
    torch.save(net.state_dict(), tmp_path / "vanilla.pt")
    wf.vanilla_file = str(tmp_path / "vanilla.pt")
    result = wf.run()
    history = result["history"]
    assert [h["iteration"] for h in history] == [0, 1, 2] and len(runs) == 2
    assert result["stop_reason"] == "reached max_iterations 2"
    assert not set(history[1]["pruned_now"]) & set(history[2]["pruned_now"])  # pruned channels are not re-scored
    assert history[2]["pruned"] == sorted(history[1]["pruned_now"] + history[2]["pruned_now"])
    for h in history[1:]:
        assert {"accuracy", "fate_acc", "fate_fc", "fate", "accuracy_drop"} <= set(h)
    models, scp = tmp_path / "models", tmp_path / "scp"
    for f in ("model.pt", "model_masked.pt", "pruning_plan.json", "scp_iter1.pt", "scp_iter2.pt"):
        assert (models / f).exists(), f
    for f in ("scp_history.json", "scores_iter1.csv", "scores_iter1.png", "scores_iter2.csv"):
        assert (scp / f).exists(), f
    with open(scp / "scores_iter2.csv") as f:
        rows = f.read().splitlines()
    assert sum(r.endswith("pruned_before") for r in rows) == 2 and sum(r.endswith("pruned_now") for r in rows) == 2
    # network_def + plan + plain state_dict == the masked full-size network
    selected = result["selected_iteration"]
    plan = json.load(open(models / "pruning_plan.json"))
    assert plan["selected_iteration"] == selected and plan["channels"] == history[selected]["pruned"]
    pruned = apply_pruning_plan(make_net("vgg"), str(models / "pruning_plan.json"))
    pruned.load_state_dict(torch.load(models / "model.pt", weights_only=True))
    masked = make_net("vgg")
    masked.load_state_dict(torch.load(models / "model_masked.pt", weights_only=True))
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(pruned.eval()(x), masked.eval()(x), rtol=0, atol=1e-4)
    assert result["params_pruned"] < result["params_masked"]


def test_interrupted_run_resumes_after_its_last_iteration(tmp_path):
    wf, net, runs = _workflow(tmp_path, max_iterations=1)
    first = wf.run()
    assert len(runs) == 1
    # a new process, asked for more iterations, continues from iteration 1 instead of starting over
    wf2, net2, runs2 = _workflow(tmp_path, max_iterations=2)
    second = wf2.run()
    assert len(runs2) == 1 and [h["iteration"] for h in second["history"]] == [0, 1, 2]
    assert second["history"][1] == first["history"][1]
    # a finished run is not repeated
    wf3, _, runs3 = _workflow(tmp_path, max_iterations=2)
    assert wf3.run()["history"] == second["history"] and runs3 == []


def _h(fate: float, drop: float = 0.0) -> dict:
    return {"fate": fate, "accuracy_drop": drop}


def test_stop_rule():
    base = {"fate": 0.0, "accuracy_drop": 0.0}
    rule = StopRule(max_iterations=4, fate_patience=1, max_accuracy_drop=0.02)
    assert rule.reason([base, _h(0.1)]) is None
    assert "did not improve" in rule.reason([base, _h(0.1), _h(0.05)])
    assert "accuracy dropped 0.0300" in rule.reason([base, _h(0.5, drop=0.03)])
    assert rule.reason([base, _h(0.1), _h(0.2), _h(0.3), _h(0.4)]) == "reached max_iterations 4"
    assert StopRule(max_iterations=9, fate_patience=2, max_accuracy_drop=None).reason([base, _h(0.1), _h(0.0)]) is None
    assert StopRule(max_iterations=9, fate_patience=0).reason([base, _h(0.1), _h(0.0), _h(-0.1)]) is None
    with pytest.raises(ValueError, match="max_iterations"):
        StopRule(max_iterations=0)


def test_missing_validation_metrics_are_named(tmp_path):
    wf, net, _ = _workflow(tmp_path, max_iterations=1)
    wf.keys["fate_fc"] = "val_nope"
    with pytest.raises(KeyError, match="val_nope"):
        wf.run()
    assert not os.path.exists(tmp_path / "models" / "model.pt")


def test_run_interrupted_in_its_first_iteration_restarts_it_from_the_vanilla_model(tmp_path):
    vanilla = make_net("vgg")
    torch.save(vanilla.state_dict(), tmp_path / "vanilla.pt")
    wf, net, _ = _workflow(tmp_path, max_iterations=1, vanilla=str(tmp_path / "vanilla.pt"))

    def crash(engine):
        raise KeyboardInterrupt

    wf.trainer.add_event_handler(Events.ITERATION_COMPLETED, crash)
    with pytest.raises(KeyboardInterrupt):
        wf.run()
    assert (tmp_path / "scp" / "scp_history.json").exists() and not (tmp_path / "models" / "scp_iter1.pt").exists()
    # the rerun starts from a differently initialised network: it must reload the vanilla weights before fine-tuning
    torch.manual_seed(123)
    wf2, net2, _ = _workflow(tmp_path, max_iterations=1, vanilla=str(tmp_path / "vanilla.pt"))
    for p in net2.parameters():
        torch.nn.init.normal_(p)
    seen = {}
    wf2.trainer.add_event_handler(
        Events.STARTED, lambda e: seen.update(w=net2.net.layer_0.conv.weight.detach().clone())
    )
    wf2.run()
    torch.testing.assert_close(seen["w"], vanilla.net.layer_0.conv.weight)
