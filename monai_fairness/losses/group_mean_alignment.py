# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Pull the groups' mean pooled latents together: removes what a linear probe reads from a pooled latent."""

from __future__ import annotations

import torch
from torch import nn

from monai_fairness.networks.attribute_discriminator import AttributeDiscriminator

__all__ = ["GroupMeanAlignmentLoss"]


class GroupMeanAlignmentLoss(nn.Module):
    """Spread of the per-group means of pooled latents, in units of the latent's running standard deviation.

    ``L = mean_c sum_k w_k (mu_kc - mu_c)^2 / s_c^2`` over the groups ``k`` present in the batch, where ``mu_kc`` is
    group k's batch mean of channel c of the pooled latent ``(B, C)``, ``mu_c`` the mean of the group means, ``w_k``
    ``1/K_present`` and ``s_c^2`` a running (EMA) variance of the detached pooled channel, so the perturber cannot
    lower the loss by inflating the latent's scale through this term's gradient.

    A complement to APPLE's adversarial term (Xu et al., arXiv 2403.05114; ``docs/methods.md``,
    our addition): the discriminator D_p is fooled by moving the attribute where the current D_p does not look, while a
    freshly fitted linear probe on pooled latents still reads it from the groups' mean difference. This term removes
    that first-moment difference directly. Zero when every group has the same mean (or only one group is present).

    Args:
        channels: C.
        momentum: EMA momentum of the running variance (the first batch initialises it).
        eps: floor of the variance.
    """

    def __init__(self, channels: int, momentum: float = 0.1, eps: float = 1e-6) -> None:
        super().__init__()
        if not 0.0 < float(momentum) <= 1.0:
            raise ValueError(f"momentum expected a value in (0, 1] but got {momentum!r}.")
        self.momentum, self.eps = float(momentum), float(eps)
        self.register_buffer("running_var", torch.ones(int(channels)))
        self.register_buffer("initialized", torch.zeros((), dtype=torch.bool))

    def forward(self, latent: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
        """Args: latent ``(B, C, *spatial)`` or pooled ``(B, C)``; groups ``(B,)`` integer ids. Returns a scalar."""
        pooled = AttributeDiscriminator.pool(latent).float()  # the pooling D_p and the leakage probe see
        if pooled.shape[1] != self.running_var.shape[0]:
            raise ValueError(
                f"latent expected {self.running_var.shape[0]} channels but got {pooled.shape[1]} "
                f"(shape {tuple(latent.shape)})."
            )
        if groups.shape != pooled.shape[:1]:
            raise ValueError(f"groups expected shape ({pooled.shape[0]},) but got {tuple(groups.shape)}.")
        if self.training and pooled.shape[0] > 1:
            with torch.no_grad():
                var = pooled.detach().var(0)
                if bool(self.initialized):
                    self.running_var.mul_(1 - self.momentum).add_(self.momentum * var)
                else:
                    self.running_var.copy_(var)
                    self.initialized.fill_(True)
        present = torch.unique(groups)
        if present.numel() < 2:
            return pooled.sum() * 0.0  # keeps the graph (and DDP) connected
        means = torch.stack([pooled[groups == k].mean(0) for k in present])  # (K_present, C)
        spread = (means - means.mean(0, keepdim=True)).pow(2).mean(0)  # (C,)
        return (spread / self.running_var.clamp_min(self.eps)).mean()
