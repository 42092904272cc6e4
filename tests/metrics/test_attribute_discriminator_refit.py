# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""fit_attribute_discriminator: a fresh copy of D_p fitted on frozen latents (the like-for-like leakage measure)."""

from __future__ import annotations

import torch

from monai_fairness.metrics import attribute_accuracy, fit_attribute_discriminator
from monai_fairness.networks import AttributeDiscriminator


def _latents(n: int, shift: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pooled latents ``(n, 6)``; group 1 (a quarter of the rows) is shifted by ``shift`` in channel 2 only."""
    generator = torch.Generator().manual_seed(seed)
    groups = (torch.arange(n) % 4 == 0).long()
    features = torch.randn(n, 6, generator=generator) * 3.0
    features[:, 2] += shift * groups
    return features, groups


def test_refit_reads_a_planted_attribute_and_not_an_absent_one():
    template = AttributeDiscriminator(6, 2, hidden_channels=16)
    state = {k: v.clone() for k, v in template.state_dict().items()}
    train, train_g = _latents(200, 12.0, seed=0)
    test, test_g = _latents(200, 12.0, seed=1)
    fitted = fit_attribute_discriminator(template, train, train_g, 2)
    assert attribute_accuracy(fitted(test), test_g, 2)["balanced_accuracy"] > 0.9
    assert not fitted.training and fitted is not template
    assert all(torch.equal(state[k], v) for k, v in template.state_dict().items())  # the template is untouched
    # no attribute in the latent: held-out balanced accuracy stays near chance (class-balanced loss, 25 % minority)
    train, train_g = _latents(200, 0.0, seed=0)
    test, test_g = _latents(400, 0.0, seed=2)
    blind = fit_attribute_discriminator(template, train, train_g, 2)
    assert abs(attribute_accuracy(blind(test), test_g, 2)["balanced_accuracy"] - 0.5) < 0.12


def test_refit_does_not_depend_on_the_templates_trained_weights():
    train, train_g = _latents(100, 9.0, seed=0)
    a, b = AttributeDiscriminator(6, 2, hidden_channels=16), AttributeDiscriminator(6, 2, hidden_channels=16)
    torch.nn.init.constant_(b.mlp[0].weight, 5.0)  # a "trained" D_p: re-initialised before fitting
    torch.manual_seed(123)
    fitted_a = fit_attribute_discriminator(a, train, train_g, 2, seed=3)
    after_fit = torch.rand(3)
    fitted_b = fit_attribute_discriminator(b, train, train_g, 2, seed=3)
    torch.testing.assert_close(fitted_a(train), fitted_b(train))
    torch.manual_seed(123)
    torch.testing.assert_close(after_fit, torch.rand(3))  # the caller's random stream is left where it was
