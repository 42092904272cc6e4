# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Write the predictions CSV of the data contract (``docs/data_contract.md``) from an evaluator."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch
from monai.data import decollate_batch
from monai.utils import IgniteInfo, min_version, optional_import

from monai_fairness.tasks import FairnessTask, get_task
from monai_fairness.utils.enums import FairnessKeys

Events, _ = optional_import("ignite.engine", IgniteInfo.OPT_IMPORT_VERSION, min_version, "Events")
if TYPE_CHECKING:
    from ignite.engine import Engine
else:
    Engine, _ = optional_import("ignite.engine", IgniteInfo.OPT_IMPORT_VERSION, min_version, "Engine")

__all__ = ["PredictionsSaver"]


def _scalar(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.item() if value.numel() == 1 else value.tolist()
    return value


class PredictionsSaver:
    """Collect one row per evaluated sample and write ``<output_dir>/<filename>`` when the epoch completes.

    The columns besides ``id`` and ``group`` come from the task object (:mod:`monai_fairness.tasks`), the same
    per-sample values the validation metrics use. Classification rows: ``id, group, y_true, y_score`` (binary:
    probability of class 1) or ``y_score_0 ... y_score_{C-1}``. ``pred`` must hold probabilities (put
    ``Activationsd(softmax=True)`` in postprocessing); ``label`` may be an int or one-hot. Segmentation rows:
    ``id, group, dice, iou`` per sample, from discrete one-hot ``pred`` and ``label`` (``AsDiscreted(argmax=True,
    to_onehot=C)``), background excluded, mean over structures. ``group`` and ``label`` columns are left empty where
    the data has none (inference). Under DDP every rank's rows are gathered and rank 0 writes. Identifiers never reach
    this file: ``id`` is the datalist's non-identifying id (or the SHA-1 of the image path, see
    :func:`monai_fairness.data.load_fairness_datalist`).

    Args:
        output_dir: folder of the CSV (created).
        filename: CSV name.
        task: ``classification`` or ``segmentation`` (or a task object).
        pred_key, label_key, group_key, id_key: keys in the decollated engine output / batch.
        include_background: segmentation only; count channel 0 in Dice/IoU.
        batch_transform: optional ``batch -> list of dicts`` override of the default decollation.
        thresholds_file: group-specific decision thresholds (binary classification,
            :func:`monai_fairness.report.write_group_thresholds`): each row gets its group's ``threshold`` and the
            decision ``y_pred``; every item then needs its group (inference too).
        model_file: the evaluated model file; the thresholds must have been chosen for it (SHA-256).
        datalist: the datalist, whose declared groups the thresholds must cover.
    """

    def __init__(
        self,
        output_dir: str,
        filename: str = "predictions.csv",
        task: str | FairnessTask = "classification",
        pred_key: str = FairnessKeys.PRED,
        label_key: str = FairnessKeys.LABEL,
        group_key: str = FairnessKeys.GROUP,
        id_key: str = FairnessKeys.ID,
        include_background: bool = False,
        batch_transform: Callable[[Any], Sequence[dict]] | None = None,
        thresholds_file: str | None = None,
        model_file: str | None = None,
        datalist: str | None = None,
    ) -> None:
        self.task = get_task(task, include_background=include_background)
        self.thresholds_file, self.model_file, self.datalist = thresholds_file, model_file, datalist
        self._thresholds: dict[int, float] | None = None
        self.output_dir, self.filename = output_dir, filename
        self.pred_key, self.label_key, self.group_key, self.id_key = pred_key, label_key, group_key, id_key
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

    def _group_thresholds(self) -> dict[int, float] | None:
        if self.thresholds_file is None:
            return None
        if self._thresholds is None:
            from monai_fairness.report.thresholds import load_group_thresholds

            names = None
            if self.datalist and os.path.isfile(self.datalist):
                with open(self.datalist) as f:
                    names = json.load(f).get("groups")
            self._thresholds = load_group_thresholds(self.thresholds_file, self.model_file, names)
        return self._thresholds

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
        pred = torch.as_tensor(merged[self.pred_key])
        label = merged.get(self.label_key)
        label = torch.as_tensor(label)[None] if isinstance(label, (torch.Tensor, int)) else None
        row.update(self.task.row(self.task.per_sample(pred[None], label), 0))
        thresholds = self._group_thresholds()
        if thresholds is not None:
            if row["group"] in ("", None):
                raise ValueError(
                    f"PredictionsSaver: group-specific thresholds ({self.thresholds_file}) need the group of every "
                    f"item, but item id={row['id']!r} has none; give the datalist a 'group' on every item, or run "
                    "without --thresholds_file."
                )
            if "y_score" not in row:
                raise ValueError("PredictionsSaver: group-specific thresholds expected binary scores (y_score).")
            threshold = thresholds.get(int(row["group"]))
            if threshold is None:
                raise ValueError(f"PredictionsSaver: no threshold for group {row['group']} in {self.thresholds_file}.")
            row["threshold"], row["y_pred"] = threshold, int(row["y_score"] >= threshold)
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
