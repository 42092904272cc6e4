# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""FairDi stage 0: train the backbone with the Fair Identity Scaling loss."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch.utils.data import DataLoader

from monai_fairness.data.group_sampling import endless
from monai_fairness.engines.group_trainer import GroupAwareTrainer
from monai_fairness.losses.fair_identity_scaling import FairIdentityScalingLoss
from monai_fairness.losses.per_sample import per_sample

__all__ = ["FISTrainer"]


class FISTrainer(GroupAwareTrainer):
    """Backbone training with :class:`~monai_fairness.losses.FairIdentityScalingLoss` (FairDi stage 0).

    ``loss_function`` is the task loss with ``reduction="none"`` (``CrossEntropyLoss(reduction="none")``,
    :class:`~monai_fairness.losses.PerSampleDiceCELoss`). Every iteration draws one extra batch from each group's
    loader (:func:`monai_fairness.data.group_loaders`), computes its per-sample losses under ``no_grad`` with the
    network as it is (train mode, so BatchNorm statistics see those batches too; our choice), and weights the batch's
    losses by FIS. ``engine.state.output`` holds ``loss`` (FIS) and ``loss_task`` (the unweighted mean task loss).

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
        self.fis_loss = fis_loss if fis_loss is not None else FairIdentityScalingLoss()

    def compute_losses(
        self, inputs: torch.Tensor, targets: torch.Tensor, groups: torch.Tensor, pred: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        sample_losses = per_sample(self.loss_function(pred, targets), pred.shape[0])
        group_losses = {}
        with torch.no_grad():
            for k, it in self._group_iters.items():
                batch = self.prepare_batch(next(it), self.state.device, self.non_blocking, **self.to_kwargs)
                extra_pred = self.inferer(batch[0], self.network)
                group_losses[k] = per_sample(self.loss_function(extra_pred, batch[1]), extra_pred.shape[0]).float()
        loss = self.fis_loss(sample_losses.float(), groups, group_losses)
        return {"loss": loss, "task": sample_losses.mean()}
