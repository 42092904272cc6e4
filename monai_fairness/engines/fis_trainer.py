# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""FairDi stage 0: train the backbone with the Fair Identity Scaling loss."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch.utils.data import DataLoader

from monai_fairness.data.group_sampling import endless
from monai_fairness.engines.group_trainer import GroupAwareTrainer
from monai_fairness.losses.fair_identity_scaling import FairIdentityScalingLoss, FairIdentityScalingObjective

__all__ = ["FISTrainer", "draw_group_losses"]


def draw_group_losses(
    engine: GroupAwareTrainer, group_iters: Mapping[int, Iterator], objective: FairIdentityScalingObjective
) -> dict[int, torch.Tensor]:
    """One extra batch from each group's endless loader, run through ``engine.network`` as it is (train mode) under
    ``no_grad``: ``{k: per-sample task losses (N_k,)}``, what :class:`FairIdentityScalingLoss` needs each step."""
    group_losses = {}
    with torch.no_grad():
        for k, it in group_iters.items():
            batch = engine.prepare_batch(next(it), engine.state.device, engine.non_blocking, **engine.to_kwargs)
            group_losses[k] = objective.sample_losses(engine.inferer(batch[0], engine.network), batch[1]).float()
    return group_losses


class FISTrainer(GroupAwareTrainer):
    """Backbone training with :class:`~monai_fairness.losses.FairIdentityScalingObjective` (FairDi stage 0).

    ``loss_function`` is the task loss with ``reduction="none"`` (``CrossEntropyLoss(reduction="none")``,
    :class:`~monai_fairness.losses.PerSampleDiceCELoss`). Every iteration this trainer draws one extra batch from each
    group's loader (:func:`monai_fairness.data.group_loaders`) and runs the network on it under ``no_grad`` as it is
    (train mode, so BatchNorm statistics see those batches too; our choice); the objective turns their per-sample
    losses into the FIS weights. ``engine.state.output`` holds ``loss`` (FIS) and ``loss_task`` (the unweighted mean
    task loss).

    Reference: Masroor et al., "Fair Distillation", arXiv 2411.11939; FIS from Luo et al., FairVision (ICLR 2024).

    Args:
        group_loaders: ``{group_id: DataLoader}``; each yields batches of that group only.
        fis_loss: the FIS loss; default ``FairIdentityScalingLoss()`` (c 0.5, tau 1, r = B, blur 0.1).
        args, kwargs: :class:`GroupAwareTrainer` arguments (``stage`` defaults to ``"train_backbone"``).
    """

    def __init__(
        self,
        *args: Any,
        group_loaders: Mapping[int, DataLoader],
        fis_loss: FairIdentityScalingLoss | None = None,
        **kwargs: Any,
    ):
        kwargs.setdefault("stage", "train_backbone")
        super().__init__(*args, **kwargs)
        if not group_loaders:
            raise ValueError("group_loaders expected one loader per group but got none.")
        self.group_loaders = dict(group_loaders)
        self._group_iters = {int(k): endless(v) for k, v in self.group_loaders.items()}
        self.objective = FairIdentityScalingObjective(self.objective, fis_loss)

    def compute_losses(
        self, inputs: torch.Tensor, targets: torch.Tensor, groups: torch.Tensor, pred: torch.Tensor
    ) -> Mapping[str, torch.Tensor]:
        return self.objective(pred, targets, groups, draw_group_losses(self, self._group_iters, self.objective))
