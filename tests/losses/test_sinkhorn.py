# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

import pytest
import torch

from monai_fairness.losses import sinkhorn_divergence


def test_identical_sets_give_zero_and_shift_increases_it():
    x = torch.tensor([0.1, 0.5, 0.9, 1.4])
    assert abs(float(sinkhorn_divergence(x, x))) < 1e-9
    near, far = sinkhorn_divergence(x, x + 0.2), sinkhorn_divergence(x, x + 1.0)
    assert 0 < float(near) < float(far)


def test_far_apart_points_approach_half_squared_distance():
    # eps = 0.01 is tiny next to the distance, so S ~ W2^2 / 2 = (3 - 1)^2 / 2 = 2 for two Diracs
    x, y = torch.tensor([1.0]), torch.tensor([3.0])
    assert float(sinkhorn_divergence(x, y)) == pytest.approx(2.0, abs=1e-6)


@pytest.mark.parametrize("n,m,scale", [(64, 128, 1.0), (10, 50, 0.3), (16, 48, 2.0)])
def test_matches_geomloss(n, m, scale):
    geomloss = pytest.importorskip("geomloss")
    g = torch.Generator().manual_seed(n + m)
    x = torch.rand(n, generator=g) * scale
    y = torch.rand(m, generator=g) * scale * 1.5 + 0.2
    oracle = geomloss.SamplesLoss("sinkhorn", p=2, blur=0.1, scaling=0.99)(x[:, None].double(), y[:, None].double())
    assert float(sinkhorn_divergence(x, y, p=2, blur=0.1)) == pytest.approx(float(oracle), rel=2e-3)


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="x expected a non-empty tensor"):
        sinkhorn_divergence(torch.zeros(0), torch.ones(3))
    with pytest.raises(ValueError, match="p expected 1 or 2"):
        sinkhorn_divergence(torch.ones(2), torch.ones(3), p=3)
