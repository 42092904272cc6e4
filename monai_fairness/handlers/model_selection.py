# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Model selection that a saturated metric cannot fool: ties (and near-ties) of the key metric go to the lower
validation loss.

A ``CheckpointSaver`` on the key metric alone keeps the **first** epoch that reaches the best value. When the key
metric saturates (validation AUC 1.0000 from epoch 1 on a planted-bias set), it kept epoch 1, the least trained and
worst calibrated epoch (validation accuracy 0.72 against 0.99 at epoch 6), and every method then looked better than
this "ERM" for the wrong reason. MONAI's saver compares one scalar; :class:`BestModelSelector` makes the comparison
and publishes a counter that rises on each improvement, which the saver then follows.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping
from typing import Any

from monai.utils import IgniteInfo, min_version, optional_import

Events, _ = optional_import("ignite.engine", IgniteInfo.OPT_IMPORT_VERSION, min_version, "Events")

__all__ = ["BestModelSelector"]


def _value(metrics: Mapping[str, Any], name: str | None) -> float:
    if name is None or name not in metrics:
        return math.nan
    try:
        return float(metrics[name])
    except (TypeError, ValueError):
        return math.nan


class BestModelSelector:
    """Decide after each validation whether this epoch is the new best model, and say why.

    Epoch ``e`` replaces the current choice ``c`` when its key metric is within ``tolerance`` of the best key value
    seen so far, and either beats ``c``'s key by more than ``tolerance`` or has a lower ``tie_metric`` (validation
    loss, lower is better). So a saturated key metric (equal values) and near-ties within ``tolerance`` go to the
    lower loss, and the chosen key value never drifts more than ``tolerance`` below the best one. A NaN key metric is
    never chosen; a missing tie metric leaves only strict improvements.

    Put it in the evaluator's handlers **before** a ``CheckpointSaver(save_key_metric=True,
    key_metric_name=<selection_name>)``: it writes ``engine.state.metrics[selection_name]``, a counter that rises by one
    at each new choice, so the saver saves exactly the chosen epochs. The choice and its reason are logged and written
    to ``selection_file`` (read into the fairness report's settings). Its state (``state_dict``) belongs in the resume
    checkpoint (``TrainingResume`` saves every stateful validation handler).

    Args:
        key_metric: e.g. ``"val_auc"`` (higher is better).
        tie_metric: e.g. ``"val_loss"`` (lower is better); None: strict improvements only.
        tolerance: near-tie band of the key metric (0: exact ties only).
        selection_name: the metric the checkpoint saver follows.
        selection_file: JSON written at each new choice (None: not written).

    Raises:
        ValueError: When ``tolerance`` is negative.
    """

    def __init__(
        self,
        key_metric: str,
        tie_metric: str | None = "val_loss",
        tolerance: float = 0.001,
        selection_name: str = "val_selection",
        selection_file: str | None = None,
    ) -> None:
        if float(tolerance) < 0:
            raise ValueError(f"tolerance expected a value >= 0 but got {tolerance!r}.")
        self.key_metric, self.tie_metric, self.tolerance = key_metric, tie_metric, float(tolerance)
        self.selection_name, self.selection_file = selection_name, selection_file
        self.logger = logging.getLogger(__name__)
        self.chosen: dict[str, Any] | None = None
        self.best_seen = -math.inf
        self.count = 0

    def attach(self, engine: Any) -> None:
        engine.add_event_handler(Events.EPOCH_COMPLETED, self)

    def state_dict(self) -> dict[str, Any]:
        return {"chosen": json.dumps(self.chosen), "best_seen": self.best_seen, "count": self.count}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.chosen = json.loads(state["chosen"])
        self.best_seen, self.count = float(state["best_seen"]), int(state["count"])

    def _reason(self, epoch: int, key: float, tie: float) -> str | None:
        name, tie_name, tol = self.key_metric, self.tie_metric, self.tolerance
        if math.isnan(key):
            return None
        c = self.chosen
        if c is None:
            return f"epoch {epoch}: first validation, {name} {key:.4f}"
        if key < self.best_seen - tol:
            return None
        if key > c["key"] + tol:
            return f"epoch {epoch}: {name} {key:.4f} > {c['key']:.4f} (epoch {c['epoch']}) + {tol:g}"
        c_tie = math.inf if c["tie"] is None else c["tie"]
        if not math.isnan(tie) and tie < c_tie:
            return (
                f"epoch {epoch}: {name} {key:.4f} within {tol:g} of the best {self.best_seen:.4f} and {tie_name} "
                f"{tie:.4f} < {c_tie:.4f} (epoch {c['epoch']})"
            )
        return None

    def __call__(self, engine: Any) -> None:
        metrics = engine.state.metrics
        epoch = int(engine.state.epoch)
        key, tie = _value(metrics, self.key_metric), _value(metrics, self.tie_metric)
        if not math.isnan(key):
            self.best_seen = max(self.best_seen, key)
        reason = self._reason(epoch, key, tie)
        if reason is not None:
            self.count += 1
            self.chosen = {
                "epoch": epoch,
                "key_metric": self.key_metric,
                "key": key,
                "tie_metric": self.tie_metric,
                "tie": None if math.isnan(tie) else tie,
                "tolerance": self.tolerance,
                "reason": reason,
            }
            self.logger.info(f"model selection: {reason}")
            if self.selection_file:
                os.makedirs(os.path.dirname(os.path.abspath(self.selection_file)), exist_ok=True)
                with open(self.selection_file, "w") as f:
                    json.dump(self.chosen, f, indent=1)
        metrics[self.selection_name] = float(self.count)
