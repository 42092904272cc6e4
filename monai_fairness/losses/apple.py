# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""APPLE's two objectives: the discriminator's and the perturber's (Xu et al., arXiv 2403.05114)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.loss import _Loss

from monai_fairness.losses.attribute_adversarial import AttributeAdversarialLoss

__all__ = ["APPLEDiscriminatorLoss", "APPLEPerturberLoss"]


class APPLEDiscriminatorLoss(_Loss):
    """``L_D = CE(D_p(stopgrad(f_p)), a)``: the discriminator learns to recover the sensitive attribute.

    With ``balanced`` (our choice, default) each sample's term is weighted by the inverse frequency of its group in
    the batch, ``w_k = B / (K' n_k)`` over the ``K'`` groups present, so that a minority group (30 % of the demo data)
    does not let D_p settle on always predicting the majority, an adversary the perturber then trivially "fools"
    while the attribute stays in the latent. The caller detaches ``f_p``.

    Args:
        balanced: weight by inverse group frequency within the batch.
    """

    def __init__(self, balanced: bool = True) -> None:
        super().__init__()
        self.balanced = bool(balanced)

    def forward(self, logits: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
        """Args: logits ``(B, K)``, group ids ``(B,)`` in ``[0, K)``. Returns a 0-dim tensor."""
        groups = groups.long().reshape(-1)
        weight = None
        if self.balanced:
            counts = torch.bincount(groups, minlength=logits.shape[1]).float()
            weight = torch.where(counts > 0, counts.sum() / (counts.clamp_min(1) * (counts > 0).sum()), 0.0)
        return F.cross_entropy(logits.float(), groups, weight=weight)


class APPLEPerturberLoss(_Loss):
    """``L_G = beta L_seg(D_s(f_p), y) + alpha L_adv(D_p(f_p)) + gamma mean((f_p - f_o)^2) + delta L_align(f_p, a)``.

    ``L_seg`` is the segmentor's loss family (DiceCE); ``L_adv`` :class:`AttributeAdversarialLoss` (cross-entropy to
    the uniform distribution by default); the magnitude term keeps the perturbation small; ``L_align`` (e.g.
    :class:`~monai_fairness.losses.GroupMeanAlignmentLoss`) removes what a linear probe reads and is left out when
    ``None``. The weights and the forms of ``L_adv`` and ``L_align`` are our choices (``docs/methods.md``). Returns
    ``{"loss", "seg", "adv", "mag", "align"}`` (parts detached).

    Args:
        seg_loss: ``(pred, y) -> loss`` on the decoded prediction.
        adversarial_loss: default ``AttributeAdversarialLoss("uniform")``.
        alpha, beta, gamma, delta: weights of L_adv, L_seg, the magnitude penalty and L_align, each ``>= 0``.
        alignment_loss: ``(latent, groups) -> loss`` or None.

    Raises:
        ValueError: When a weight is negative.
    """

    def __init__(
        self,
        seg_loss: Callable[..., torch.Tensor],
        adversarial_loss: nn.Module | None = None,
        alpha: float = 1.0,
        beta: float = 1.0,
        gamma: float = 0.0,
        alignment_loss: nn.Module | None = None,
        delta: float = 1.0,
    ) -> None:
        super().__init__()
        for name, value in (("alpha", alpha), ("beta", beta), ("gamma", gamma), ("delta", delta)):
            if float(value) < 0:
                raise ValueError(f"{name} expected a weight >= 0 but got {value!r}.")
        self.seg_loss = seg_loss
        self.adversarial_loss = adversarial_loss if adversarial_loss is not None else AttributeAdversarialLoss()
        self.alignment_loss = alignment_loss
        self.alpha, self.beta, self.gamma, self.delta = float(alpha), float(beta), float(gamma), float(delta)

    def forward(
        self,
        pred: torch.Tensor,
        target: torch.Tensor,
        groups: torch.Tensor,
        latent_original: torch.Tensor,
        latent_perturbed: torch.Tensor,
        disc_logits: torch.Tensor | None,
    ) -> dict[str, torch.Tensor]:
        """Args: decoded prediction ``(B, C, ...)``, target, group ids ``(B,)``, ``f_o`` and ``f_p`` ``(B, C_l,
        ...)``, the discriminator's logits of ``f_p`` ``(B, K)`` (with gradient to ``f_p``; None when ``alpha`` is 0:
        the control without the adversary needs no discriminator forward)."""
        seg = self.seg_loss(pred, target).mean()
        if disc_logits is None:
            if self.alpha != 0:
                raise ValueError(f"disc_logits expected the discriminator's logits when alpha is {self.alpha}.")
            adv = torch.zeros((), device=pred.device)
        else:
            adv = self.adversarial_loss(disc_logits, groups)
        mag = (latent_perturbed.float() - latent_original.float()).pow(2).mean()
        loss = self.beta * seg + self.alpha * adv + self.gamma * mag
        align = torch.zeros((), device=pred.device)
        if self.alignment_loss is not None:
            align = self.alignment_loss(latent_perturbed, groups)
            loss = loss + self.delta * align
        parts = {"seg": seg, "adv": adv, "mag": mag, "align": align}
        return {"loss": loss, **{k: v.detach() for k, v in parts.items()}}
