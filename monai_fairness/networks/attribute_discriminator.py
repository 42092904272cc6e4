# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""APPLE's discriminator D_p: recovers the sensitive attribute from a (perturbed) latent."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["AttributeDiscriminator"]


class AttributeDiscriminator(nn.Module):
    """Global average pool over the latent's spatial (or token) axes, then an MLP to ``num_groups`` logits.

    APPLE (Xu et al., arXiv 2403.05114): D_p is trained to recover the attribute from ``f_p``; the perturber is
    trained so that it cannot. Our default head (``docs/methods.md``): one hidden layer of 256,
    after a non-affine ``BatchNorm1d`` that standardises the pooled channels (latents are not normalised: without it
    a few large channels dominate and, on the demo data, D_p stayed at chance while a standardised linear probe
    recovered sex from the same pooled latent with 0.87 balanced accuracy).

    ``head="linear_bn"`` is the shape a review of the paper describes: three Linear-BatchNorm blocks ending in the
    number of attribute classes (``Linear-BN-ReLU``, ``Linear-BN-ReLU``, ``Linear-BN`` to K; the ReLUs and the width
    are our choices), trained with cross-entropy as the default.

    Args:
        channels: C, the latent's channel count.
        num_groups: K, the number of sensitive groups.
        hidden_channels: width of the hidden layer(s).
        dropout: dropout before the output layer.
        standardize: the input ``BatchNorm1d(channels, affine=False)``.
        head: ``"mlp"`` (default: one hidden layer) or ``"linear_bn"`` (three Linear-BatchNorm blocks).
    """

    HEADS = ("mlp", "linear_bn")

    def __init__(
        self,
        channels: int,
        num_groups: int,
        hidden_channels: int = 256,
        dropout: float = 0.0,
        standardize: bool = True,
        head: str = "mlp",
    ) -> None:
        super().__init__()
        if int(num_groups) < 2:
            raise ValueError(f"num_groups expected at least 2 groups but got {num_groups!r}.")
        if head not in self.HEADS:
            raise ValueError(f"head expected one of {list(self.HEADS)} but got {head!r}.")
        self.channels, self.num_groups, self.head = int(channels), int(num_groups), head
        self.norm = nn.BatchNorm1d(self.channels, affine=False) if standardize else None
        if head == "mlp":
            self.mlp = nn.Sequential(
                nn.Linear(self.channels, hidden_channels),
                nn.ReLU(inplace=True),
                nn.Dropout(dropout),
                nn.Linear(hidden_channels, self.num_groups),
            )
        else:
            self.mlp = nn.Sequential(
                nn.Linear(self.channels, hidden_channels),
                nn.BatchNorm1d(hidden_channels),
                nn.ReLU(inplace=True),
                nn.Linear(hidden_channels, hidden_channels),
                nn.BatchNorm1d(hidden_channels),
                nn.ReLU(inplace=True),
                nn.Dropout(dropout),
                nn.Linear(hidden_channels, self.num_groups),
                nn.BatchNorm1d(self.num_groups),
            )

    @staticmethod
    def pool(f: torch.Tensor) -> torch.Tensor:
        """``(B, C, *spatial)`` -> ``(B, C)`` by the mean over every axis after the channel axis."""
        return f.flatten(2).mean(-1) if f.ndim > 2 else f

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        """Args: latent ``(B, C, *spatial)`` or pooled ``(B, C)``. Returns group logits ``(B, K)``."""
        pooled = self.pool(f)
        if pooled.shape[1] != self.channels:
            raise ValueError(
                f"latent expected {self.channels} channels but got {pooled.shape[1]} (shape {tuple(f.shape)})."
            )
        x = pooled.float()
        # one sample cannot give batch statistics: use the running ones (e.g. a last batch of 1)
        single = self.training and x.shape[0] == 1
        if self.norm is not None:
            x = (
                F.batch_norm(x, self.norm.running_mean, self.norm.running_var, training=False)
                if single
                else self.norm(x)
            )
        if not single or self.head == "mlp":
            return self.mlp(x)
        self.mlp.eval()
        try:
            return self.mlp(x)
        finally:
            self.mlp.train()
