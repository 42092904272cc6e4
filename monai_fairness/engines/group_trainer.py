# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""A ``SupervisedTrainer`` whose objective sees each sample's group and may return named parts, on MONAI's own step."""

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
    """``SupervisedTrainer`` for fairness stages: the objective gets ``(pred, label, groups)``.

    The training step is MONAI's own ``SupervisedTrainer._iteration`` (AMP, ``compile``, gradient accumulation and
    the ``IterationEvents`` exactly as in MONAI); this class only reads the batch's group ids first and gives MONAI a
    loss function that passes them on. The batch must carry ``group_key``: a batch without it raises an error naming
    the stage, so a fairness stage never silently trains as ERM.

    ``loss_function`` is the objective (a module in :mod:`monai_fairness.losses`): by default it is called as
    ``objective(pred, label, groups)`` (e.g. :class:`~monai_fairness.losses.GroupReweightedLoss`); subclasses
    override :meth:`compute_losses` to pass what their objective needs. An objective may return a tensor or a dict
    whose ``"loss"`` is back-propagated; every other entry ``name`` is stored detached as ``loss_<name>`` in
    ``engine.state.output`` (next to ``image``, ``label``, ``pred``, ``loss`` and ``group``), so StatsHandler and
    MLflow log it.

    Args:
        stage: name used in error messages (e.g. ``"train_student"``).
        group_key: batch key of the group ids.
        args, kwargs: ``SupervisedTrainer`` arguments.
    """

    def __init__(self, *args: Any, stage: str = "train", group_key: str = FairnessKeys.GROUP, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.stage = stage
        self.group_key = group_key
        self.objective = self.loss_function
        self.loss_function = self._loss  # what MONAI's step calls with (pred, label)
        self._groups: torch.Tensor | None = None
        self._parts: dict[str, torch.Tensor] = {}
        self.add_event_handler(IterationEvents.FORWARD_COMPLETED, self._put_groups)
        self.add_event_handler(IterationEvents.LOSS_COMPLETED, self._put_parts)

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
    ) -> Mapping[str, torch.Tensor]:
        """The objective's parts; ``"loss"`` is the total. Default: ``objective(pred, targets, groups)``."""
        out = self.objective(pred, targets, groups)
        return out if isinstance(out, Mapping) else {"loss": out}

    def _iteration(self, engine: GroupAwareTrainer, batchdata: dict[str, torch.Tensor]) -> dict:  # type: ignore[override]
        """Read the group ids, then run MONAI's own training step."""
        if batchdata is None:
            raise ValueError("Must provide batch data for current iteration.")
        self._groups = self.batch_groups(batchdata, engine.state.device)
        return super()._iteration(engine, batchdata)

    def _put_groups(self, engine: GroupAwareTrainer) -> None:
        engine.state.output[FairnessKeys.GROUP] = self._groups

    def _loss(self, pred: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        parts = self.compute_losses(self.state.output[Keys.IMAGE], targets, self._groups, pred)
        self._parts = {f"loss_{k}": v.detach() for k, v in parts.items() if k != "loss"}
        return parts["loss"]

    def _put_parts(self, engine: GroupAwareTrainer) -> None:
        engine.state.output.update(self._parts)
