# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""APPLE's adversarial term against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch

from monai_fairness.losses import AttributeAdversarialLoss


def test_uniform_target_hand_computed():
    logits = torch.tensor([[0.0, math.log(3.0)], [0.0, 0.0]])
    # sample 1: p = (1/4, 3/4) -> -(log 1/4 + log 3/4) / 2; sample 2: p = (1/2, 1/2) -> log 2
    expected = (-(math.log(0.25) + math.log(0.75)) / 2 + math.log(2)) / 2
    assert float(AttributeAdversarialLoss("uniform")(logits)) == pytest.approx(expected, rel=1e-6)


def test_uniform_target_is_minimal_at_uniform_output():
    loss = AttributeAdversarialLoss()
    assert float(loss(torch.zeros(5, 3))) == pytest.approx(math.log(3), rel=1e-6)
    assert float(loss(torch.tensor([[4.0, 0.0, 0.0]]))) > math.log(3)


def test_negative_ce_hand_computed_and_needs_groups():
    logits = torch.tensor([[0.0, math.log(3.0)]])
    assert float(AttributeAdversarialLoss("negative_ce")(logits, torch.tensor([1]))) == pytest.approx(math.log(0.75))
    with pytest.raises(ValueError, match="groups expected"):
        AttributeAdversarialLoss("negative_ce")(logits)
    with pytest.raises(ValueError, match=r"logits expected shape \(B, K\)"):
        AttributeAdversarialLoss()(torch.zeros(2, 2, 2))
