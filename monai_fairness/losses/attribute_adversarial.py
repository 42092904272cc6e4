# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""APPLE's adversarial term: make the discriminator unable to recover the sensitive attribute."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from monai.utils import StrEnum, look_up_option
from torch import nn

__all__ = ["AdversarialMode", "AttributeAdversarialLoss"]


class AdversarialMode(StrEnum):
    UNIFORM = "uniform"  # CE to the uniform distribution (maximum entropy); bounded below by log K
    NEGATIVE_CE = "negative_ce"  # -CE against the true attribute (gradient-reversal style); unbounded


class AttributeAdversarialLoss(nn.Module):
    """Perturber-side loss on the discriminator's logits of the perturbed latent.

    APPLE (Xu et al., arXiv 2403.05114) trains the perturber so that the discriminator cannot recover the attribute;
    the exact form is our choice (``docs/methods.md``):

    - ``"uniform"`` (default): ``CE(D_p(f_p), 1/K) = -mean_k log softmax(z)_k``, minimal (``log K``) when the
      discriminator's output is uniform, so the perturber hides the attribute instead of flipping it.
    - ``"negative_ce"``: ``-CE(D_p(f_p), a)``; pushes towards the wrong group and can diverge.

    Args:
        mode: ``"uniform"`` or ``"negative_ce"``.
    """

    def __init__(self, mode: str = AdversarialMode.UNIFORM) -> None:
        super().__init__()
        self.mode = look_up_option(mode, AdversarialMode)

    def forward(self, logits: torch.Tensor, groups: torch.Tensor | None = None) -> torch.Tensor:
        """Args: logits ``(B, K)``; groups ``(B,)`` (needed by ``"negative_ce"``). Returns a scalar."""
        if logits.ndim != 2:
            raise ValueError(f"logits expected shape (B, K) but got {tuple(logits.shape)}.")
        log_p = F.log_softmax(logits.float(), dim=1)
        if self.mode == AdversarialMode.UNIFORM:
            return -log_p.mean(dim=1).mean()
        if groups is None:
            raise ValueError("groups expected a (B,) tensor of group ids for mode 'negative_ce' but got None.")
        return -F.nll_loss(log_p, groups.long().reshape(-1))
