# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""APPLE's perturber G_p in the encoder-decoder shape a review of the paper describes."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from monai.networks.blocks import Convolution, ResidualUnit
from torch import nn

from monai_fairness.networks.latent_perturber import check_latent_shape, zero_output_conv

__all__ = ["EncoderDecoderPerturber"]


class EncoderDecoderPerturber(nn.Module):
    """Perturbation ``G_p(f) = epsilon * tanh(h(f))`` with ``h`` a small encoder-decoder on the latent ``f``.

    APPLE (Xu et al., "Adversarial Privacy-aware Perturbations on Latent Embedding for Unfairness Mitigation", arXiv
    2403.05114) as a review of the paper describes G_p: three encoder levels of 32, 64 and 128 channels, four
    bottleneck blocks, three decoder levels, output channels equal to the latent's, attached at the encoder output
    with ``f_p = f_o + G_p(f_o)``. Our choices where the review is silent: MONAI conv-norm-ReLU blocks, the second and
    third encoder levels halve the resolution (stride 2) and two transposed convolutions restore it (the output is
    resized to the latent's shape when a side was odd), the bottleneck blocks are MONAI ``ResidualUnit``s, and the
    third decoder level is a 1x1 convolution to C that starts at zero, bounded by ``epsilon * tanh`` as in
    :class:`~monai_fairness.networks.LatentPerturber`, so training starts from the unperturbed segmentor. Neither
    MONAI nor the paper's code gives this module, hence it is written here.

    Args:
        spatial_dims: 2 or 3.
        channels: C, the latent's channel count.
        encoder_channels: the three encoder levels' widths.
        num_res_blocks: bottleneck residual blocks.
        epsilon: bound of the residual's elements.
        norm: MONAI norm of the blocks.
    """

    def __init__(
        self,
        spatial_dims: int,
        channels: int,
        encoder_channels: Sequence[int] = (32, 64, 128),
        num_res_blocks: int = 4,
        epsilon: float = 1.0,
        norm: str | tuple | None = "batch",
    ) -> None:
        super().__init__()
        if spatial_dims not in (2, 3):
            raise ValueError(f"spatial_dims expected 2 or 3 but got {spatial_dims!r}.")
        widths = [int(c) for c in encoder_channels]
        if len(widths) != 3 or min(widths) < 1 or int(channels) < 1 or int(num_res_blocks) < 0:
            raise ValueError(
                "encoder_channels expected three positive widths, channels >= 1 and num_res_blocks >= 0 but got "
                f"{list(encoder_channels)!r}, {channels!r} and {num_res_blocks!r}."
            )
        if not float(epsilon) > 0:
            raise ValueError(f"epsilon expected a positive bound but got {epsilon!r}.")
        self.spatial_dims, self.channels, self.epsilon = spatial_dims, int(channels), float(epsilon)
        c1, c2, c3 = widths
        self.encoder = nn.Sequential(
            Convolution(spatial_dims, self.channels, c1, kernel_size=3, norm=norm),
            Convolution(spatial_dims, c1, c2, strides=2, kernel_size=3, norm=norm),
            Convolution(spatial_dims, c2, c3, strides=2, kernel_size=3, norm=norm),
        )
        self.bottleneck = nn.Sequential(
            *[ResidualUnit(spatial_dims, c3, c3, kernel_size=3, subunits=2, norm=norm) for _ in range(num_res_blocks)]
        )
        self.decoder = nn.Sequential(
            Convolution(spatial_dims, c3, c2, strides=2, kernel_size=3, norm=norm, is_transposed=True),
            Convolution(spatial_dims, c2, c1, strides=2, kernel_size=3, norm=norm, is_transposed=True),
        )
        self.out = zero_output_conv(spatial_dims, c1, self.channels)

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        """Args: latent ``(B, C, *spatial)``. Returns the residual ``G_p(f)``, same shape, elements in (-eps, eps)."""
        check_latent_shape(f, self.channels, self.spatial_dims)
        h = self.decoder(self.bottleneck(self.encoder(f)))
        if h.shape[2:] != f.shape[2:]:
            h = F.interpolate(h, size=f.shape[2:], mode="nearest")
        return self.epsilon * torch.tanh(self.out(h))
