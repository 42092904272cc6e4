# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Write the predictions CSV of the data contract (``shared/design/data.md`` section 1.2) from an evaluator."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch
from monai.data import decollate_batch
from monai.metrics import compute_dice, compute_iou
from monai.utils import IgniteInfo, min_version, optional_import

from monai_fairness.utils.enums import FairnessKeys

Events, _ = optional_import("ignite.engine", IgniteInfo.OPT_IMPORT_VERSION, min_version, "Events")
if TYPE_CHECKING:
    from ignite.engine import Engine
else:
    Engine, _ = optional_import("ignite.engine", IgniteInfo.OPT_IMPORT_VERSION, min_version, "Engine")

__all__ = ["PredictionsSaver", "TASKS"]

TASKS = ("classification", "segmentation")


def _scalar(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.item() if value.numel() == 1 else value.tolist()
    return value


class PredictionsSaver:
    """Collect one row per evaluated sample and write ``<output_dir>/<filename>`` when the epoch completes.

    Classification rows: ``id, group, y_true, y_score`` (binary: probability of class 1) or ``y_score_0 ...
    y_score_{C-1}``. ``pred`` must hold probabilities (put ``Activationsd(softmax=True)`` in postprocessing);
    ``label`` may be an int or one-hot. Segmentation rows: ``id, group, dice, iou`` per sample, from discrete one-hot
    ``pred`` and ``label`` (``AsDiscreted(argmax=True, to_onehot=C)``), background excluded, mean over structures.
    ``group`` and ``label`` columns are left empty where the data has none (inference). Under DDP every rank's rows
    are gathered and rank 0 writes. Identifiers never reach this file: ``id`` is the datalist's non-identifying id.

    Args:
        output_dir: folder of the CSV (created).
        filename: CSV name.
        task: ``classification`` or ``segmentation``.
        pred_key, label_key, group_key, id_key: keys in the decollated engine output / batch.
        include_background: segmentation only; count channel 0 in Dice/IoU.
        batch_transform: optional ``batch -> list of dicts`` override of the default decollation.
    """

    def __init__(
        self,
        output_dir: str,
        filename: str = "predictions.csv",
        task: str = "classification",
        pred_key: str = FairnessKeys.PRED,
        label_key: str = FairnessKeys.LABEL,
        group_key: str = FairnessKeys.GROUP,
        id_key: str = FairnessKeys.ID,
        include_background: bool = False,
        batch_transform: Callable[[Any], Sequence[dict]] | None = None,
    ) -> None:
        if task not in TASKS:
            raise ValueError(f"PredictionsSaver: 'task' expected one of {list(TASKS)} but got {task!r}.")
        self.output_dir, self.filename, self.task = output_dir, filename, task
        self.pred_key, self.label_key, self.group_key, self.id_key = pred_key, label_key, group_key, id_key
        self.include_background = include_background
        self.batch_transform = batch_transform
        self.rows: list[dict[str, Any]] = []
        self.path = os.path.join(output_dir, filename)

    def attach(self, engine: Engine) -> None:
        engine.add_event_handler(Events.EPOCH_STARTED, self.reset)
        engine.add_event_handler(Events.ITERATION_COMPLETED, self.collect)
        engine.add_event_handler(Events.EPOCH_COMPLETED, self.write)

    def reset(self, engine: Engine | None = None) -> None:
        self.rows = []

    @staticmethod
    def _as_items(data: Any) -> list[dict]:
        if isinstance(data, dict):
            return decollate_batch(data, detach=True)
        return list(data)

    def collect(self, engine: Engine) -> None:
        outputs = self._as_items(engine.state.output)
        batches = (
            self.batch_transform(engine.state.batch) if self.batch_transform else self._as_items(engine.state.batch)
        )
        for out, item in zip(outputs, batches, strict=True):
            self.rows.append(self.row(out, item))

    def row(self, out: dict, item: dict) -> dict[str, Any]:
        """One CSV row from a decollated output dict and its batch item."""
        merged = {**item, **out}
        row: dict[str, Any] = {
            "id": _scalar(merged.get(self.id_key, "")),
            "group": _scalar(merged.get(self.group_key, "")),
        }
        pred = torch.as_tensor(merged[self.pred_key]).detach().float().cpu()
        label = merged.get(self.label_key)
        if self.task == "classification":
            if label is not None and isinstance(label, (torch.Tensor, int)):
                label_t = torch.as_tensor(label)
                row["y_true"] = int(label_t.argmax()) if label_t.numel() > 1 else int(label_t.item())
            else:
                row["y_true"] = ""
            scores = pred.flatten()
            if scores.numel() == 2:
                row["y_score"] = float(scores[1])
            else:
                row.update({f"y_score_{c}": float(s) for c, s in enumerate(scores)})
        else:
            if label is None:
                raise ValueError(f"PredictionsSaver: segmentation needs {self.label_key!r} in the output for Dice/IoU.")
            y = torch.as_tensor(label).detach().float().cpu()[None]
            p = pred[None]
            if p.shape != y.shape:
                raise ValueError(
                    f"PredictionsSaver: 'pred' and 'label' expected the same one-hot shape but got {tuple(p.shape)} "
                    f"and {tuple(y.shape)}; add AsDiscreted(argmax/to_onehot) to postprocessing."
                )
            dice = compute_dice(p, y, include_background=self.include_background, ignore_empty=False)
            iou = compute_iou(p, y, include_background=self.include_background, ignore_empty=False)
            row["dice"], row["iou"] = float(dice.nanmean()), float(iou.nanmean())
        return row

    def write(self, engine: Engine | None = None) -> str:
        rows = self.rows
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            gathered: list[Any] = [None] * torch.distributed.get_world_size()
            torch.distributed.all_gather_object(gathered, rows)
            if torch.distributed.get_rank() != 0:
                return self.path
            rows = [r for part in gathered for r in part]
        os.makedirs(self.output_dir, exist_ok=True)
        fields: list[str] = []
        for r in rows:
            fields += [k for k in r if k not in fields]
        with open(self.path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
        return self.path
