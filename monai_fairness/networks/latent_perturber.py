# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""APPLE's latent perturber G_p: a small bounded residual network on a frozen segmentor's latent."""

from __future__ import annotations

import torch
from monai.networks.blocks import Convolution
from monai.networks.layers.factories import Conv
from torch import nn

__all__ = ["LatentPerturber"]


def _pointwise(conv: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``conv(x)`` for a 1x1 convolution, computed as one batched matrix product.

    Same weights and result as the conv module (its ``state_dict`` is unchanged); on the CPU the matrix product is
    many times faster than the convolution kernel for a latent's few channels (``benchmarks/apple_latency.py``).

    Args: conv: a ``ConvNd`` with kernel size 1, stride 1, no padding, groups 1; x: ``(B, C_in, *spatial)``.
    Returns ``(B, C_out, *spatial)``.
    """
    batch, channels = x.shape[:2]
    weight = conv.weight.reshape(conv.out_channels, channels).expand(batch, -1, -1)
    flat = x.reshape(batch, channels, -1)
    if conv.bias is None:
        out = torch.bmm(weight, flat)
    else:
        out = torch.baddbmm(conv.bias.reshape(1, -1, 1), weight, flat)
    return out.reshape(batch, conv.out_channels, *x.shape[2:])


def check_latent_shape(f: torch.Tensor, channels: int, spatial_dims: int) -> None:
    """ValueError naming the expected and actual shape when ``f`` is not ``(B, channels, *spatial)``."""
    if f.ndim != spatial_dims + 2 or f.shape[1] != channels:
        raise ValueError(
            f"latent expected shape (B, {channels}, {', '.join(['*'] * spatial_dims)}) but got {tuple(f.shape)}; "
            "set the perturber's channels/spatial_dims to the latent layer's output."
        )


def zero_output_conv(spatial_dims: int, in_channels: int, out_channels: int) -> nn.Module:
    """A 1x1 convolution whose weight and bias start at zero, so a perturber starts at ``G_p(f) = 0``."""
    conv = Conv[Conv.CONV, spatial_dims](in_channels, out_channels, kernel_size=1)
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


class LatentPerturber(nn.Module):
    """Perturbation ``G_p(f) = epsilon * tanh(h(f))`` of a latent ``f`` of shape ``(B, C, *spatial)``.

    APPLE (Xu et al., "Adversarial Privacy-aware Perturbations on Latent Embedding for Unfairness Mitigation", arXiv
    2403.05114) feeds ``f_p = f + G_p(f)`` to the frozen decoder. ``forward`` returns only the residual ``G_p(f)``;
    the caller adds it (:class:`~monai_fairness.networks.APPLESegmentor`).

    ``h`` is a bottleneck of MONAI conv-norm-ReLU blocks: a 1x1 block ``C -> hidden``, ``num_blocks - 1`` 3x3 blocks
    ``hidden -> hidden``, then a 1x1 output conv ``hidden -> C`` whose weight and bias start at zero, so training
    starts from the unperturbed segmentor (``f_p = f``). ``tanh`` bounds every element of the residual by ``epsilon``
    (latents are not normalised: scale ``epsilon`` to the latent's per-channel std).

    Args:
        spatial_dims: 1 (token latents ``(B, C, N)``), 2 or 3.
        channels: C, the latent's channel (or token feature) count.
        hidden_channels: width of the bottleneck; default ``max(channels // 8, 8)`` (keeps G_p to a few percent of a
            segmentor's parameters).
        num_blocks: conv-norm-ReLU blocks before the output conv (at least 1).
        epsilon: bound of the residual's elements.
        norm: MONAI norm of the blocks (batch norm keeps per-sample channel means, which carry group information).
    """

    def __init__(
        self,
        spatial_dims: int,
        channels: int,
        hidden_channels: int | None = None,
        num_blocks: int = 2,
        epsilon: float = 1.0,
        norm: str | tuple | None = "batch",
    ) -> None:
        super().__init__()
        if spatial_dims not in (1, 2, 3):
            raise ValueError(f"spatial_dims expected 1, 2 or 3 but got {spatial_dims!r}.")
        if int(channels) < 1 or int(num_blocks) < 1:
            raise ValueError(f"channels and num_blocks expected >= 1 but got {channels!r} and {num_blocks!r}.")
        if not float(epsilon) > 0:
            raise ValueError(f"epsilon expected a positive bound but got {epsilon!r}.")
        self.spatial_dims, self.channels, self.epsilon = spatial_dims, int(channels), float(epsilon)
        hidden = int(hidden_channels) if hidden_channels else max(self.channels // 8, 8)
        blocks: list[nn.Module] = [Convolution(spatial_dims, self.channels, hidden, kernel_size=1, norm=norm)]
        blocks += [Convolution(spatial_dims, hidden, hidden, kernel_size=3, norm=norm) for _ in range(num_blocks - 1)]
        self.blocks = nn.Sequential(*blocks)
        self.out = zero_output_conv(spatial_dims, hidden, self.channels)

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        """Args: latent ``(B, C, *spatial)``. Returns the residual ``G_p(f)``, same shape, elements in (-eps, eps)."""
        check_latent_shape(f, self.channels, self.spatial_dims)
        first, *rest = self.blocks
        h = first.adn(_pointwise(first.conv, f))  # the 1x1 conv-norm-act block
        for block in rest:
            h = block(h)
        return self.epsilon * torch.tanh(_pointwise(self.out, h))
