# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""GroupDRO: minimise the worst group's loss with online group weights (Sagawa et al., ICLR 2020)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
import torch.distributed as dist
from torch.nn.modules.loss import _Loss

from monai_fairness.losses.per_sample import per_sample

__all__ = ["GroupDROLoss"]


class GroupDROLoss(_Loss):
    """Group distributionally robust loss with exponentiated-gradient group weights.

    Sagawa, Koh, Hashimoto, Liang, "Distributionally Robust Neural Networks for Group Shifts", ICLR 2020,
    Algorithm 1 (reference code ``kohpangwei/group_DRO``, ``LossComputer.compute_robust_loss``). Each training step:

    - ``L_g``: the mean per-sample task loss of group ``g``'s samples in the batch (0 for a group absent from it);
    - optional group-size adjustment ``L~_g = L_g + C / sqrt(n_g)`` (``n_g``: the group's training size);
    - ``q_g <- q_g * exp(eta * L~_g)``, then ``q <- q / sum(q)`` (weights start uniform; carried across steps, and in
      the resume checkpoint as this module's ``state_dict``);
    - the loss is ``sum_g q_g L~_g``; the adjustment is constant in the parameters, so it changes only the weights.

    Under DDP the group sums and counts are all-reduced first, so every rank keeps the same weights. Returns
    ``{"loss": ..., "weight_g<id>": q_g}`` (trainers log the weights per group as ``loss_weight_g<id>``).

    Args:
        loss: the task loss with ``reduction="none"``.
        group_ids: the declared group ids (the datalist's ``groups`` keys); batches hold these ids.
        eta: the weights' step size, ``> 0`` (the reference code's default 0.01).
        size_adjustment: ``C >= 0`` (0: none).
        group_counts: ``{group id: training size}``; needed when ``size_adjustment`` > 0.

    Raises:
        ValueError: When ``eta`` is not positive, ``size_adjustment`` is negative or lacks ``group_counts``.
    """

    def __init__(
        self,
        loss: Callable[..., torch.Tensor],
        group_ids: Sequence[int],
        eta: float = 0.01,
        size_adjustment: float = 0.0,
        group_counts: Mapping[int, int] | None = None,
    ) -> None:
        super().__init__()
        if not float(eta) > 0:
            raise ValueError(f"eta expected a step size > 0 but got {eta!r}.")
        if float(size_adjustment) < 0:
            raise ValueError(f"size_adjustment expected C >= 0 but got {size_adjustment!r}.")
        ids = sorted(int(g) for g in group_ids)
        if len(ids) < 2:
            raise ValueError(f"group_ids expected at least two groups but got {ids}.")
        self.loss, self.ids, self.eta = loss, ids, float(eta)
        self.register_buffer("lookup", torch.full((max(ids) + 1,), -1, dtype=torch.long))
        self.lookup[torch.tensor(ids)] = torch.arange(len(ids))
        self.register_buffer("weights", torch.full((len(ids),), 1.0 / len(ids), dtype=torch.float64))
        adjustment = torch.zeros(len(ids), dtype=torch.float64)
        if float(size_adjustment) > 0:
            if not group_counts:
                raise ValueError("size_adjustment > 0 expected group_counts (the training size of every group).")
            counts = torch.tensor([float(group_counts[g]) for g in ids], dtype=torch.float64)
            adjustment = float(size_adjustment) / counts.sqrt()
        self.register_buffer("adjustment", adjustment)

    def forward(self, input: torch.Tensor, target: torch.Tensor, groups: torch.Tensor) -> dict[str, torch.Tensor]:
        """Args: prediction ``(B, C, ...)``, target, group ids ``(B,)``."""
        losses = per_sample(self.loss(input, target), input.shape[0])
        g = groups.long().to(self.lookup.device)
        pos = self.lookup[g.clamp(0, len(self.lookup) - 1)]
        if bool(((g < 0) | (g >= len(self.lookup))).any()) or bool((pos < 0).any()):
            raise ValueError(f"groups expected ids among {self.ids} but got {sorted(set(g.tolist()))}.")
        k = len(self.ids)
        pos = pos.to(losses.device)
        sums = torch.zeros(k, dtype=losses.dtype, device=losses.device).index_add(0, pos, losses)
        counts = torch.bincount(pos, minlength=k).to(losses.dtype)
        if dist.is_available() and dist.is_initialized():
            totals = torch.stack([sums.detach(), counts])
            dist.all_reduce(totals)
            mean_for_weights = totals[0] / totals[1].clamp_min(1)
        else:
            mean_for_weights = sums.detach() / counts.clamp_min(1)
        group_loss = sums / counts.clamp_min(1)
        adjusted = mean_for_weights.double().to(self.weights.device) + self.adjustment
        with torch.no_grad():
            self.weights.mul_(torch.exp(self.eta * adjusted))
            self.weights.div_(self.weights.sum())
        q = self.weights.to(group_loss.device, group_loss.dtype)
        out = {"loss": (q * group_loss).sum()}
        out.update({f"weight_g{gid}": q[i].detach() for i, gid in enumerate(self.ids)})
        return out
