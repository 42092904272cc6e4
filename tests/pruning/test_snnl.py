# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""SNNL: hand-computed tiny cases for both variants, and the batched all-channel score equals the per-channel loop."""

from __future__ import annotations

import math

import pytest
import torch

from monai_fairness.pruning import channel_snnl, channel_snnl_loop, soft_nearest_neighbour_loss

# three 2-D points, groups [0, 0, 1]; cosine distances d01 = 1, d02 = d12 = 1 - 1/sqrt(2)
X = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
Y = torch.tensor([0, 0, 1])
K01 = math.exp(-1.0)
K02 = math.exp(-(1.0 - 1.0 / math.sqrt(2.0)))
EPS = 1e-9


def test_official_variant_hand_value():
    # official: own term (exp(0) = 1) in the numerator, not in the denominator
    r0 = (1.0 + K01 + EPS) / (K01 + K02)
    r2 = (1.0 + EPS) / (2 * K02)
    expected = -(2 * math.log(r0) + math.log(r2)) / 3
    got = soft_nearest_neighbour_loss(X, Y, temperature=1.0, distance="cosine", variant="official")
    assert got.item() == pytest.approx(expected, rel=1e-12)
    assert got.item() == pytest.approx(-0.00346293, abs=1e-8)


def test_frosst_variant_hand_value():
    # Frosst et al.: own term excluded; sample 2 has no same-group neighbour, so only eps is left in its numerator
    r0 = (K01 + EPS) / (K01 + K02 + EPS)
    r2 = EPS / (2 * K02 + EPS)
    expected = -(2 * math.log(r0) + math.log(r2)) / 3
    got = soft_nearest_neighbour_loss(X, Y, variant="frosst")
    assert got.item() == pytest.approx(expected, rel=1e-12)


def test_temperature_and_squared_euclidean_hand_value():
    # squared Euclidean distances: d01 = 2, d02 = d12 = 1; T = 2
    k01, k02 = math.exp(-2 / 2), math.exp(-1 / 2)
    expected = -(2 * math.log((k01 + EPS) / (k01 + k02 + EPS)) + math.log(EPS / (2 * k02 + EPS))) / 3
    got = soft_nearest_neighbour_loss(X, Y, temperature=2.0, distance="squared_euclidean", variant="frosst")
    assert got.item() == pytest.approx(expected, rel=1e-10)


def test_separating_features_score_lower():
    torch.manual_seed(0)
    y = torch.tensor([0] * 8 + [1] * 8)
    separating = torch.randn(16, 5) * 0.1 + torch.where(y[:, None] == 0, 1.0, -1.0)
    mixed = torch.randn(16, 5)
    assert soft_nearest_neighbour_loss(separating, y) < soft_nearest_neighbour_loss(mixed, y)


@pytest.mark.parametrize("variant", ["official", "frosst"])
@pytest.mark.parametrize("distance", ["cosine", "euclidean"])
def test_batched_channels_equal_loop(variant, distance):
    torch.manual_seed(1)
    act = torch.relu(torch.randn(32, 24, 5, 5))
    act[:, 3] = 0.0  # a dead channel: zero maps must not give NaN
    groups = torch.randint(0, 2, (32,))
    batched = channel_snnl(act, groups, distance=distance, variant=variant)
    loop = channel_snnl_loop(act, groups, distance=distance, variant=variant)
    assert batched.shape == (24,)
    assert torch.isfinite(batched).all()
    torch.testing.assert_close(batched, loop, rtol=0, atol=1e-5)


def test_bad_input_errors():
    with pytest.raises(ValueError, match="labels expected 3"):
        soft_nearest_neighbour_loss(X, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="temperature"):
        soft_nearest_neighbour_loss(X, Y, temperature=0)
    with pytest.raises(ValueError, match="variant|official"):
        soft_nearest_neighbour_loss(X, Y, variant="nope")
