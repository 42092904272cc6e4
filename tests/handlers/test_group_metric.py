# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""GroupMetricHandler in a real SupervisedEvaluator: metrics land in engine.state.metrics and drive CheckpointSaver."""

from __future__ import annotations

import math

import pytest
import torch
from monai.data import DataLoader, Dataset
from monai.engines import SupervisedEvaluator
from monai.handlers import ROCAUC, CheckpointSaver, from_engine
from monai.transforms import Activationsd, AsDiscreted, Compose

from monai_fairness.handlers import GroupMetricHandler
from monai_fairness.metrics import GroupMetric
from monai_fairness.tasks import ClassificationTask


class _Fixed(torch.nn.Module):
    """Returns the input's first two features as logits, so predictions are known."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x[:, :2] + 0 * self.w


def _data(n=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    items = []
    for i in range(n):
        label, group = i % 2, int(i % 5 == 0)
        logit = torch.randn(2, generator=g) + torch.tensor([0.0, 2.0 * label - 1.0]) * (0.3 if group else 2.0)
        items.append({"image": logit, "label": label, "group": group})
    return items


def _evaluator(items, handlers, metric):
    post = Compose([Activationsd("pred", softmax=True), AsDiscreted("label", to_onehot=2)])
    return SupervisedEvaluator(
        device=torch.device("cpu"),
        val_data_loader=DataLoader(Dataset(items), batch_size=7),
        network=_Fixed(),
        postprocessing=post,
        key_val_metric={"val_fairness": metric},
        val_handlers=handlers,
    )


def test_metrics_in_state_match_functional(tmp_path):
    items = _data()
    handler = GroupMetricHandler("classification", num_groups=2, prefix="val_")
    saver = CheckpointSaver(
        str(tmp_path),
        {"model": torch.nn.Linear(1, 1)},
        save_key_metric=True,
        key_metric_name="val_worst_group_auc",
        key_metric_filename="best_worst_group.pt",
    )
    ev = _evaluator(items, [saver], handler)
    ev.run()
    m = ev.state.metrics
    assert {
        "val_auc",
        "val_auc_g0",
        "val_auc_g1",
        "val_worst_group_auc",
        "val_auc_gap",
        "val_eodds",
        "val_eodd",
    } <= set(m)
    logits = torch.stack([i["image"] for i in items])
    expected = ClassificationTask().evaluate(
        {"y_score": torch.softmax(logits, 1)[:, 1].double(), "y_true": torch.tensor([i["label"] for i in items])},
        torch.tensor([i["group"] for i in items]),
    )
    assert m["val_auc_g1"] == pytest.approx(expected.by_group["1"]["auc"], abs=1e-6)
    assert m["val_worst_group_auc"] == pytest.approx(min(m["val_auc_g0"], m["val_auc_g1"]))
    assert (tmp_path / "best_worst_group.pt").exists()
    # ignite's own fairness metrics, fed the same data, agree with the handler
    from ignite.metrics.fairness import DemographicParityDifference, SubgroupAccuracyDifference

    probs = torch.softmax(logits, 1)
    labels, groups = torch.tensor([i["label"] for i in items]), torch.tensor([i["group"] for i in items])
    for ignite_metric, ours in (
        (DemographicParityDifference(groups=[0, 1]), "val_dpd"),
        (SubgroupAccuracyDifference(groups=[0, 1]), "val_accuracy_gap"),
    ):
        ignite_metric.update((probs, labels, groups))
        assert float(ignite_metric.compute()) == pytest.approx(m[ours], abs=1e-6), ours


def test_missing_group_is_skipped_with_a_warning():
    items = [{k: v for k, v in i.items() if k != "group"} for i in _data()]
    handler = GroupMetricHandler("classification", num_groups=2, prefix="val_")
    ev = SupervisedEvaluator(
        device=torch.device("cpu"),
        val_data_loader=DataLoader(Dataset(items), batch_size=7),
        network=_Fixed(),
        postprocessing=Compose([Activationsd("pred", softmax=True), AsDiscreted("label", to_onehot=2)]),
        key_val_metric={"val_auc": ROCAUC(output_transform=from_engine(["pred", "label"]))},
        additional_metrics={"val_fairness": handler},
    )
    with pytest.warns(UserWarning, match="has no 'group'"):
        ev.run()
    assert "val_auc" in ev.state.metrics and not any(k.startswith("val_auc_g") for k in ev.state.metrics)
    assert math.isnan(ev.state.metrics["val_fairness"])


def test_group_metric_segmentation_and_errors():
    metric = GroupMetric("segmentation", num_groups=2)
    pred = torch.zeros(3, 2, 4, 4)
    pred[:, 1, :2] = 1
    pred[:, 0] = 1 - pred[:, 1]
    label = pred.clone()
    label[2, 1] = 0
    label[2, 1, 0] = 1  # half overlap for sample 2
    label[2, 0] = 1 - label[2, 1]
    metric.update(pred, label, torch.tensor([0, 0, 1]))
    with pytest.warns(UserWarning, match="exactly 1"):
        out = metric.aggregate()
    assert out["dice_g0"] == pytest.approx(1.0) and out["dice_g1"] == pytest.approx(2 * 4 / (8 + 4))
    assert out["dice_gap"] == pytest.approx(1 - 2 / 3)
    assert math.isinf(out["dice_skewness"])  # group 0 is perfect: the skewed error ratio is infinite
    with pytest.raises(ValueError, match=r"group ids expected among the declared \[0, 1\] but got \[3\]"):
        metric.update(pred, label, torch.tensor([0, 3, 1]))
    with pytest.raises(ValueError, match="one group per sample"):
        metric.update(pred, label, torch.tensor([0, 1]))
