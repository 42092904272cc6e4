# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""APPLE's paper-shaped G_p and D_p: shapes, the zero start and the bound of G_p, the three Linear-BN blocks of D_p."""

from __future__ import annotations

import pytest
import torch
from monai.networks.nets import UNet
from torch import nn

from monai_fairness.networks import APPLESegmentor, AttributeDiscriminator, EncoderDecoderPerturber


@pytest.mark.parametrize("shape", [(2, 16, 4, 4, 4), (2, 16, 3, 5, 4), (2, 8, 9, 7)])
def test_output_keeps_the_latent_shape_and_starts_at_zero(shape):
    perturber = EncoderDecoderPerturber(len(shape) - 2, shape[1], epsilon=2.0)
    out = perturber(torch.randn(*shape))
    assert out.shape == shape
    assert torch.count_nonzero(out) == 0  # the zero-initialised output conv: f_p = f_o at the start


def test_the_residual_is_bounded_by_epsilon_and_levels_have_the_stated_widths():
    torch.manual_seed(0)
    perturber = EncoderDecoderPerturber(3, 8, epsilon=0.5)
    nn.init.normal_(perturber.out.weight, std=50.0)
    out = perturber(torch.randn(2, 8, 8, 8, 8) * 10)
    assert out.abs().max() <= 0.5 and out.abs().max() > 0.4
    assert [block.conv.out_channels for block in perturber.encoder] == [32, 64, 128]
    assert len(perturber.bottleneck) == 4 and len(perturber.decoder) == 2


def test_it_trains_as_the_perturber_of_a_frozen_unet():
    torch.manual_seed(0)
    unet = UNet(3, 1, 2, (4, 8, 16), (2, 2), num_res_units=1, norm="batch")
    model = APPLESegmentor(unet, EncoderDecoderPerturber(3, 16, epsilon=1.0), latent_layer=None)  # the bottleneck
    optimizer = torch.optim.Adam(model.trainable_parameters(), lr=1e-2)
    x = torch.randn(2, 1, 16, 16, 16)
    before = {k: v.clone() for k, v in unet.state_dict().items()}
    for _ in range(2):
        model.train()
        loss = model(x).square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert all(torch.equal(v, before[k]) for k, v in unet.state_dict().items())
    assert torch.count_nonzero(model.perturber.out.weight) > 0


@pytest.mark.parametrize(
    "kwargs, message", [({"encoder_channels": (32, 64)}, "three positive widths"), ({"epsilon": 0}, "positive bound")]
)
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EncoderDecoderPerturber(3, 8, **kwargs)


def test_linear_bn_discriminator_has_three_linear_batchnorm_blocks():
    disc = AttributeDiscriminator(16, 3, hidden_channels=32, head="linear_bn")
    linears = [m for m in disc.mlp if isinstance(m, nn.Linear)]
    norms = [m for m in disc.mlp if isinstance(m, nn.BatchNorm1d)]
    assert [m.out_features for m in linears] == [32, 32, 3] and [m.num_features for m in norms] == [32, 32, 3]
    f = torch.randn(5, 16, 2, 2, 2)
    assert disc(f).shape == (5, 3)
    assert disc(f[:1]).shape == (1, 3)  # a batch of one in train mode uses running statistics
    assert disc.mlp.training
    with pytest.raises(ValueError, match=r"head expected one of \['mlp', 'linear_bn'\]"):
        AttributeDiscriminator(16, 3, head="deep")
