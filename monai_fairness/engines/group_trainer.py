# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""A ``SupervisedTrainer`` whose loss sees each sample's group and may return named parts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from monai.engines import SupervisedTrainer
from monai.engines.utils import IterationEvents
from monai.utils import CommonKeys as Keys

from monai_fairness.data.datalist import DatalistError
from monai_fairness.utils.enums import FairnessKeys

__all__ = ["GroupAwareTrainer", "loss_parts"]


def loss_parts(output: Any) -> dict[str, float]:
    """``loss``, every ``loss_*`` part and ``*_accuracy`` of a trainer's ``engine.state.output`` (StatsHandler)."""
    if isinstance(output, list):  # decollated
        output = output[0]
    return {
        k: float(v)
        for k, v in output.items()
        if k == Keys.LOSS or str(k).startswith("loss_") or str(k).endswith("_accuracy")
    }


class GroupAwareTrainer(SupervisedTrainer):
    """``SupervisedTrainer`` for fairness stages: the loss gets ``(pred, label, groups)``.

    Each iteration reads the group ids from the batch (key ``group_key``); a batch without them raises an error naming
    the stage, so a fairness stage never silently trains as ERM. :meth:`compute_losses` returns a dict: ``"loss"`` is
    back-propagated, every other entry ``name`` is stored detached as ``loss_<name>`` in ``engine.state.output`` next
    to ``image``, ``label``, ``pred``, ``loss`` and ``group``. Subclasses (FIS, distillation) override it; the default
    calls ``loss_function(pred, label, groups)`` (e.g. :class:`~monai_fairness.losses.GroupReweightedLoss`).

    AMP, gradient accumulation and the ``IterationEvents`` follow ``SupervisedTrainer``.

    Args:
        stage: name used in error messages (e.g. ``"train_student"``).
        group_key: batch key of the group ids.
        args, kwargs: ``SupervisedTrainer`` arguments.
    """

    def __init__(self, *args: Any, stage: str = "train", group_key: str = FairnessKeys.GROUP, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.stage = stage
        self.group_key = group_key

    def batch_groups(self, batchdata: Mapping[str, Any], device: torch.device | str) -> torch.Tensor:
        """Group ids of a collated batch as a ``(B,)`` long tensor on ``device``."""
        if not isinstance(batchdata, Mapping) or batchdata.get(self.group_key) is None:
            keys = sorted(batchdata) if isinstance(batchdata, Mapping) else type(batchdata).__name__
            raise DatalistError(
                f"stage '{self.stage}' needs '{self.group_key}' in every training batch but got a batch with keys "
                f"{keys}; give the datalist a 'group' on every item (inference never needs it)."
            )
        return torch.as_tensor(batchdata[self.group_key]).long().reshape(-1).to(device)

    def compute_losses(
        self, inputs: torch.Tensor, targets: torch.Tensor, groups: torch.Tensor, pred: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """Loss parts; ``"loss"`` is the total. Default: ``loss_function(pred, targets, groups)``."""
        return {"loss": self.loss_function(pred, targets, groups)}

    def prepare_group_batch(
        self, batchdata: dict[str, torch.Tensor] | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, tuple, dict]:
        """``(inputs, targets, groups, args, kwargs)`` of a batch on the engine's device; starts
        ``engine.state.output`` with ``image``, ``label`` and ``group``."""
        if batchdata is None:
            raise ValueError("Must provide batch data for current iteration.")
        groups = self.batch_groups(batchdata, self.state.device)
        batch = self.prepare_batch(batchdata, self.state.device, self.non_blocking, **self.to_kwargs)
        inputs, targets = batch[0], batch[1]
        args, kwargs = (batch[2], batch[3]) if len(batch) == 4 else ((), {})
        self.state.output = {Keys.IMAGE: inputs, Keys.LABEL: targets, FairnessKeys.GROUP: groups}
        return inputs, targets, groups, args, kwargs

    def _iteration(self, engine: GroupAwareTrainer, batchdata: dict[str, torch.Tensor]) -> dict:  # type: ignore[override]
        inputs, targets, groups, args, kwargs = engine.prepare_group_batch(batchdata)

        def _compute_pred_loss() -> None:
            engine.state.output[Keys.PRED] = engine.inferer(inputs, engine.network, *args, **kwargs)
            engine.fire_event(IterationEvents.FORWARD_COMPLETED)
            parts = self.compute_losses(inputs, targets, groups, engine.state.output[Keys.PRED])
            engine.state.output[Keys.LOSS] = parts.pop("loss").mean()
            engine.state.output.update({f"loss_{k}": v.detach() for k, v in parts.items()})
            engine.fire_event(IterationEvents.LOSS_COMPLETED)

        acc = engine.accumulation_steps
        local_iter = (engine.state.iteration - 1) % (engine.state.epoch_length or 1 << 62)
        last = engine.state.epoch_length is not None and local_iter + 1 == engine.state.epoch_length
        should_zero_grad = acc <= 1 or local_iter % acc == 0
        should_step = acc <= 1 or (local_iter + 1) % acc == 0 or last

        engine.network.train()
        if should_zero_grad:
            engine.optimizer.zero_grad(set_to_none=engine.optim_set_to_none)
        if engine.amp and engine.scaler is not None:
            with torch.autocast("cuda", **engine.amp_kwargs):
                _compute_pred_loss()
            loss = engine.state.output[Keys.LOSS]
            engine.scaler.scale(loss / acc if acc > 1 else loss).backward()
            engine.fire_event(IterationEvents.BACKWARD_COMPLETED)
            if should_step:
                engine.scaler.step(engine.optimizer)
                engine.scaler.update()
        else:
            _compute_pred_loss()
            loss = engine.state.output[Keys.LOSS]
            (loss / acc if acc > 1 else loss).backward()
            engine.fire_event(IterationEvents.BACKWARD_COMPLETED)
            if should_step:
                engine.optimizer.step()
        engine.fire_event(IterationEvents.MODEL_COMPLETED)
        return engine.state.output
