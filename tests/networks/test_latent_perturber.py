# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""LatentPerturber: the matrix-product 1x1 convs give exactly what the conv modules give, in training too."""

from __future__ import annotations

import pytest
import torch

from monai_fairness.networks import LatentPerturber


def _reference(perturber: LatentPerturber, f: torch.Tensor) -> torch.Tensor:
    """G_p through the registered conv modules themselves (what the state_dict describes)."""
    return perturber.epsilon * torch.tanh(perturber.out(perturber.blocks(f)))


@pytest.mark.parametrize("spatial_dims", [1, 2, 3])
@pytest.mark.parametrize("num_blocks", [1, 2])
def test_forward_equals_the_conv_modules(spatial_dims, num_blocks):
    torch.manual_seed(0)
    perturber = LatentPerturber(spatial_dims, 12, num_blocks=num_blocks, epsilon=0.7)
    torch.nn.init.normal_(perturber.out.weight, std=0.5)
    torch.nn.init.normal_(perturber.out.bias, std=0.5)
    f = torch.randn(3, 12, *([5] * spatial_dims))
    perturber.eval()
    with torch.no_grad():
        torch.testing.assert_close(perturber(f), _reference(perturber, f))
    # training mode: batch statistics and gradients match too
    perturber.train()
    out = perturber(f)
    out.square().sum().backward()
    grads = [p.grad.clone() for p in perturber.parameters()]
    perturber.zero_grad()
    reference = _reference(perturber, f)
    reference.square().sum().backward()
    torch.testing.assert_close(out, reference)
    for grad, param in zip(grads, perturber.parameters(), strict=True):
        torch.testing.assert_close(grad, param.grad, rtol=1e-4, atol=1e-4)  # summation order differs


def test_non_contiguous_latent_and_bias_free_conv():
    torch.manual_seed(0)
    perturber = LatentPerturber(3, 8, epsilon=1.0).eval()
    perturber.out.bias = None
    torch.nn.init.normal_(perturber.out.weight, std=0.5)
    f = torch.randn(2, 6, 6, 6, 8).movedim(-1, 1)  # channels-last memory, as token latents arrive
    with torch.no_grad():
        torch.testing.assert_close(perturber(f), _reference(perturber, f))


def test_wrong_latent_shape_names_the_expected_shape():
    with pytest.raises(ValueError, match=r"expected shape \(B, 8, \*, \*\) but got \(1, 4, 3, 3\)"):
        LatentPerturber(2, 8)(torch.zeros(1, 4, 3, 3))
