# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Adversarial debiasing: the task loss plus an attribute head trained through a gradient-reversal layer."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.loss import _Loss

from monai_fairness.networks.gradient_reversal import FeatureTap, GradientReversal

__all__ = ["AdversarialDebiasingLoss"]


class AdversarialDebiasingLoss(_Loss):
    """``L = L_task(pred, y) + CE(h(GRL_lambda(f)), a)`` with ``f`` the output of a named layer of the network.

    The "adversarial training" family of the fairness literature (Ganin-style gradient reversal; Zhang, Lemoine and
    Mitchell 2018 for fairness; the AdvRev baseline of SCP's comparisons). The head ``h`` learns to recover the
    sensitive attribute from ``f``; the reversed gradient ``-lambda * dCE/df`` makes the features before it less
    informative about the attribute. The head is not part of the network: the deployable model carries none.
    Returns ``{"loss", "task", "adv", "adv_accuracy"}``.

    Args:
        task_loss: the task loss (its mean is taken).
        head: the attribute head, ``(B, C, ...) -> (B, K)`` logits (e.g.
            :class:`~monai_fairness.networks.AttributeDiscriminator`); its parameters belong in the optimizer.
        tap: the :class:`~monai_fairness.networks.FeatureTap` on the shared layer.
        group_ids: the declared group ids; the head's class ``k`` is the ``k``-th id.
        grl_weight: ``lambda >= 0``.
    """

    def __init__(
        self,
        task_loss: Callable[..., torch.Tensor],
        head: nn.Module,
        tap: FeatureTap,
        group_ids: Sequence[int],
        grl_weight: float = 1.0,
    ) -> None:
        super().__init__()
        self.task_loss, self.head, self.tap = task_loss, head, tap
        self.reverse = GradientReversal(grl_weight)
        ids = sorted(int(g) for g in group_ids)
        self.ids = ids
        self.register_buffer("lookup", torch.full((max(ids) + 1,), -1, dtype=torch.long))
        self.lookup[torch.tensor(ids)] = torch.arange(len(ids))

    def forward(self, input: torch.Tensor, target: torch.Tensor, groups: torch.Tensor) -> dict[str, torch.Tensor]:
        """Args: prediction ``(B, C, ...)``, target, group ids ``(B,)``; the tap holds this forward's features."""
        if self.tap.output is None:
            raise RuntimeError(f"the feature tap on {self.tap.layer!r} captured nothing: run the network first.")
        task = self.task_loss(input, target).mean()
        g = groups.long().to(self.lookup.device)
        pos = self.lookup[g.clamp(0, len(self.lookup) - 1)]
        if bool((g >= len(self.lookup)).any()) or bool((pos < 0).any()):
            raise ValueError(f"groups expected ids among {self.ids} but got {sorted(set(g.tolist()))}.")
        logits = self.head(self.reverse(self.tap.output))
        pos = pos.to(logits.device)
        adv = F.cross_entropy(logits.float(), pos)
        accuracy = (logits.argmax(1) == pos).float().mean()
        return {"loss": task + adv, "task": task.detach(), "adv": adv.detach(), "adv_accuracy": accuracy.detach()}
