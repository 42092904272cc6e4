# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

import pytest
import torch
from monai.losses import DiceCELoss

from monai_fairness.losses import GroupReweightedLoss, PerSampleDiceCELoss


def test_reweighted_ce_by_hand():
    pred = torch.tensor([[2.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
    target = torch.tensor([0, 0, 1])
    ce = torch.nn.functional.cross_entropy(pred, target, reduction="none")
    loss = GroupReweightedLoss(torch.nn.CrossEntropyLoss(reduction="none"), [0.5, 2.0])
    value = loss(pred, target, torch.tensor([0, 0, 1]))
    expected = (0.5 * ce[0] + 0.5 * ce[1] + 2.0 * ce[2]) / 3.0
    assert float(value) == pytest.approx(float(expected), rel=1e-6)
    with pytest.raises(ValueError, match="groups expected ids in \\[0, 1\\]"):
        loss(pred, target, torch.tensor([0, 2, 1]))


def test_per_sample_dice_ce_mean_equals_monai_dice_ce():
    torch.manual_seed(0)
    pred, label = torch.randn(3, 2, 6, 6, 6), torch.randint(0, 2, (3, 1, 6, 6, 6))
    per = PerSampleDiceCELoss()(pred, label)
    assert per.shape == (3,)
    assert float(per.mean()) == pytest.approx(float(DiceCELoss(to_onehot_y=True, softmax=True)(pred, label)), rel=1e-5)
