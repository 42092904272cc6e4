# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Fair Identity Scaling (FIS) loss: per-sample losses re-weighted by sample difficulty and by group disparity."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn
from torch.nn.modules.loss import _Loss

from monai_fairness.losses.per_sample import per_sample
from monai_fairness.losses.sinkhorn import sinkhorn_divergence

__all__ = ["FairIdentityScalingLoss", "FairIdentityScalingObjective", "fis_weights"]


def fis_weights(
    sample_losses: torch.Tensor,
    groups: torch.Tensor,
    group_losses: Mapping[int, torch.Tensor] | Sequence[torch.Tensor],
    tau: float = 1.0,
    r: float = 1.0,
    blur: float = 0.1,
    p: int = 2,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Individual and group weights of FIS.

    - individual: ``w^I_i = r * softmax_i(l_i / tau)`` over the batch;
    - group: ``d_k = S(L_k, union_j L_j)`` (debiased Sinkhorn divergence between group ``k``'s loss set and the union
      of all groups' loss sets), then ``w^G_i = r * softmax_i(d_{a_i} / tau)`` over the batch.

    Both are detached: they scale the loss, gradients flow only through ``l_i`` (our choice, as importance weights).

    Args:
        sample_losses: per-sample task losses ``l_i`` of the batch, shape ``(B,)``.
        groups: group id ``a_i`` of each sample, shape ``(B,)``, integer.
        group_losses: per group ``k`` the losses ``L_k`` of an extra no-grad batch drawn from group ``k`` only, shape
            ``(N_k,)``; a mapping ``{k: L_k}`` or a sequence indexed by ``k``.
        tau: softmax temperature.
        r: each weight vector sums to ``r``.
        blur, p: Sinkhorn settings (geomloss ``SamplesLoss("sinkhorn", p=2, blur=0.1)`` by default).

    Returns:
        ``(w_individual, w_group, d)``: two ``(B,)`` tensors and the ``(K,)`` distances (NaN for a group without
        extra losses; a batch sample from such a group raises).

    Raises:
        ValueError: When shapes disagree or a batch sample's group has no extra losses.
    """
    if sample_losses.ndim != 1 or groups.shape != sample_losses.shape:
        raise ValueError(
            f"sample_losses and groups expected shape (B,) each but got {tuple(sample_losses.shape)} and "
            f"{tuple(groups.shape)}."
        )
    table = dict(group_losses) if isinstance(group_losses, Mapping) else dict(enumerate(group_losses))
    if not table:
        raise ValueError("group_losses expected at least one group's extra losses but got none.")
    losses = sample_losses.detach()
    w_individual = r * torch.softmax(losses / tau, dim=0)
    union = torch.cat([torch.as_tensor(v).detach().reshape(-1) for v in table.values()])
    num_groups = max(int(k) for k in table) + 1
    d = torch.full((num_groups,), float("nan"), dtype=torch.float64)
    for k, v in table.items():
        d[int(k)] = sinkhorn_divergence(torch.as_tensor(v).detach().reshape(-1).cpu(), union.cpu(), p=p, blur=blur)
    g = groups.long().cpu()
    if g.min() < 0 or g.max() >= num_groups or torch.isnan(d[g]).any():
        missing = sorted({int(k) for k in g.unique()} - {int(k) for k in table})
        raise ValueError(f"group_losses expected extra losses for every batch group but none for groups {missing}.")
    w_group = r * torch.softmax(d[g] / tau, dim=0)
    return w_individual, w_group.to(losses), d


class FairIdentityScalingLoss(_Loss):
    """Fair Identity Scaling: ``L = (1/B) * sum_i ((1 - c) * w^I_i + c * w^G_i) * l_i``.

    Stage 0 of FairDi (Masroor et al., "Fair Distillation: Teaching Fairness from Biased Teachers in Medical Imaging",
    arXiv 2411.11939); the loss comes from FairVision (Luo et al., ICLR 2024, ``Fair_Loss_Scaler``). Weights are
    given by :func:`fis_weights`. Because both weight vectors sum to ``r`` and the mean divides by ``B`` again, the
    loss is about ``r / B`` times plain mean CE: set ``r = B`` (``r=None`` does that per batch, our default) for
    the scale of plain CE, so that CE learning rates carry over; ``r=1`` reproduces the FairVision script.

    Args:
        c: mix between individual (``c = 0``) and group (``c = 1``) weights; default 0.5.
        tau: softmax temperature; default 1.
        r: weight sum; ``None`` uses the batch size.
        blur, p: Sinkhorn settings.
    """

    def __init__(self, c: float = 0.5, tau: float = 1.0, r: float | None = None, blur: float = 0.1, p: int = 2):
        super().__init__()
        if not 0.0 <= c <= 1.0:
            raise ValueError(f"c expected a value in [0, 1] but got {c!r}.")
        if tau <= 0:
            raise ValueError(f"tau expected > 0 but got {tau!r}.")
        if r is not None and r <= 0:
            raise ValueError(f"r expected > 0 or None but got {r!r}.")
        self.c, self.tau, self.r, self.blur, self.p = c, tau, r, blur, p

    def forward(
        self,
        sample_losses: torch.Tensor,
        groups: torch.Tensor,
        group_losses: Mapping[int, torch.Tensor] | Sequence[torch.Tensor],
    ) -> torch.Tensor:
        """Args: per-sample losses ``(B,)`` (with gradient), group ids ``(B,)``, extra losses per group ``(N_k,)``."""
        r = float(sample_losses.shape[0]) if self.r is None else self.r
        w_i, w_g, _ = fis_weights(sample_losses, groups, group_losses, self.tau, r, self.blur, self.p)
        weights = (1.0 - self.c) * w_i + self.c * w_g
        return (weights * sample_losses).mean()


class FairIdentityScalingObjective(nn.Module):
    """FairDi's backbone objective: the per-sample task loss re-weighted by :class:`FairIdentityScalingLoss`.

    ``L = FIS(l(pred, y), a, {L_k})`` with ``l`` the task loss per sample and ``L_k`` the per-sample losses of one
    extra no-gradient batch of group ``k`` (drawn by :class:`~monai_fairness.engines.FISTrainer`, which calls
    :meth:`sample_losses` on it). Returns ``{"loss": L, "task": mean_i l_i}`` (the unweighted task loss, for logs).

    Args:
        task_loss: the task loss with ``reduction="none"`` (e.g. ``CrossEntropyLoss(reduction="none")``,
            :class:`~monai_fairness.losses.PerSampleDiceCELoss`).
        fis_loss: default ``FairIdentityScalingLoss()`` (c 0.5, tau 1, r = B).
    """

    def __init__(self, task_loss: Callable[..., torch.Tensor], fis_loss: FairIdentityScalingLoss | None = None):
        super().__init__()
        self.task_loss = task_loss
        self.fis_loss = fis_loss if fis_loss is not None else FairIdentityScalingLoss()

    def sample_losses(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """``(B,)`` per-sample task losses."""
        return per_sample(self.task_loss(pred, target), pred.shape[0])

    def forward(
        self,
        pred: torch.Tensor,
        target: torch.Tensor,
        groups: torch.Tensor,
        group_losses: Mapping[int, torch.Tensor] | Sequence[torch.Tensor],
    ) -> dict[str, torch.Tensor]:
        """Args: prediction ``(B, C, ...)``, target, group ids ``(B,)``, extra losses per group ``(N_k,)``."""
        losses = self.sample_losses(pred, target)
        return {"loss": self.fis_loss(losses.float(), groups, group_losses), "task": losses.mean()}
