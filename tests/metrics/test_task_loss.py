# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""TaskLossMetric is the loss GroupMetric reports, computed alone, through MONAI's metric handler protocol."""

from __future__ import annotations

import pytest
import torch
from monai.data import decollate_batch

from monai_fairness.metrics import GroupMetric, TaskLossMetric


def test_classification_loss_matches_group_metric_for_lists_and_batches():
    torch.manual_seed(0)
    probs = torch.softmax(torch.randn(10, 2), dim=1)
    labels = torch.randint(0, 2, (10,))
    groups = torch.tensor([0, 1] * 5)
    reference = GroupMetric("classification", prefix="val_")
    reference.update(probs, labels, groups)
    expected = reference.aggregate()["val_loss"]
    assert expected == pytest.approx(float(-probs[torch.arange(10), labels].log().mean()))
    metric = TaskLossMetric("classification")
    metric(decollate_batch(probs[:6]), decollate_batch(labels[:6]))  # what an evaluator's handler passes
    metric(probs[6:], labels[6:])
    assert float(metric.aggregate()) == pytest.approx(expected)
    metric.reset()
    with pytest.raises(ValueError, match="nothing to aggregate"):
        metric.aggregate()


def test_segmentation_loss_is_one_minus_mean_dice():
    pred = torch.zeros(2, 2, 4, 4)
    pred[:, 1, :2] = 1
    pred[:, 0, 2:] = 1
    label = pred.clone()
    label[1] = torch.flip(label[1], dims=[1])  # the second case misses its foreground entirely
    metric = TaskLossMetric("segmentation")
    metric(pred, label)
    assert float(metric.aggregate()) == pytest.approx(0.5)
