# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Ignite handler computing every per-group metric each evaluation epoch, into ``engine.state.metrics``."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from monai.handlers import IgniteMetricHandler, from_engine
from monai.utils import IgniteInfo, min_version, optional_import

from monai_fairness.metrics.group import GroupMetric
from monai_fairness.utils.enums import FairnessKeys

if TYPE_CHECKING:
    from ignite.engine import Engine
else:
    Engine, _ = optional_import("ignite.engine", IgniteInfo.OPT_IMPORT_VERSION, min_version, "Engine")
reinit__is_reduced, _ = optional_import(
    "ignite.metrics.metric", IgniteInfo.OPT_IMPORT_VERSION, min_version, "reinit__is_reduced", as_type="decorator"
)

__all__ = ["GroupMetricHandler", "groups_from_batch"]


def groups_from_batch(batch: Any, key: str = FairnessKeys.GROUP) -> Any:
    """Group ids of a batch: a collated dict (``batch[key]``) or a decollated list of dicts; None when absent."""
    if isinstance(batch, dict):
        return batch.get(key)
    if isinstance(batch, Sequence) and batch and isinstance(batch[0], dict):
        values = [item.get(key) for item in batch]
        return None if any(v is None for v in values) else values
    return None


class GroupMetricHandler(IgniteMetricHandler):
    """Per-group metrics of :class:`~monai_fairness.metrics.GroupMetric` as an evaluator metric.

    Use it in ``validate#additional_metrics`` (or as the key metric). At every epoch end it writes a flat set of
    scalars into ``engine.state.metrics``, each prefixed with ``prefix``: overall utility (``val_auc``), per group
    (``val_auc_g0``, ``val_auc_g1``...) and fairness (``val_worst_group_auc``, ``val_auc_gap``, ``val_eodds``...), so
    StatsHandler prints them, MLFlowHandler logs them and ``CheckpointSaver(key_metric_name="val_worst_group_auc")``
    can select on them.

    ``output_transform`` gives ``(pred, label)`` or ``(pred, label, group)`` from ``engine.state.output``; when it
    gives two items the group is read from ``engine.state.batch`` with ``group_transform``. Batches without a group
    (e.g. MONAI Label passes image and label only) are skipped with one warning, and no group metric is produced.

    Args:
        task: ``classification`` (pred = probabilities) or ``segmentation`` (discrete one-hot pred and label).
        num_groups: the declared groups are ``0..num_groups-1`` (older configs); prefer ``group_ids``.
        prefix: key prefix, e.g. ``"val_"``.
        threshold: binary decision threshold.
        output_transform: see above; default ``from_engine(["pred", "label"])``.
        group_transform: batch -> group ids or None; default :func:`groups_from_batch`.
        include_background: segmentation only.
        headline: metric also stored under the handler's own name, so that it can be an evaluator's key metric;
            default the task's worst-group metric (``worst_group_auc``, ``worst_group_dice``).
        group_ids: the declared group ids (the datalist's ``groups`` keys, e.g.
            ``$monai_fairness.data.group_ids(@datalist)``); None accepts any id. Per-group keys use the ids
            (``val_auc_g1``, ``val_auc_g2`` for sex coded 1/2), and only groups present in the evaluation enter a gap.
    """

    def __init__(
        self,
        task: str = "classification",
        num_groups: int | None = None,
        prefix: str = "",
        threshold: float = 0.5,
        output_transform: Callable = from_engine([FairnessKeys.PRED, FairnessKeys.LABEL]),
        group_transform: Callable = groups_from_batch,
        include_background: bool = False,
        headline: str | None = None,
        group_ids: Sequence[int | str] | None = None,
    ) -> None:
        metric = GroupMetric(task, num_groups, threshold, prefix, include_background, group_ids=group_ids)
        self.headline = prefix + (headline or metric.task.worst_group)
        super().__init__(metric_fn=metric, output_transform=output_transform, save_details=False)
        self.group_transform = group_transform
        self._warned = False
        self._seen = 0

    @reinit__is_reduced
    def reset(self) -> None:
        super().reset()
        self._seen = 0

    def iteration_completed(self, engine: Engine) -> None:
        output = self._output_transform(engine.state.output)
        if len(output) == 2:
            groups = self.group_transform(engine.state.batch)
            if groups is None:
                if not self._warned:
                    warnings.warn(
                        "GroupMetricHandler: the batch has no 'group'; per-group metrics are skipped.", stacklevel=2
                    )
                    self._warned = True
                return
            output = (*output, groups)
        self.update(output)

    @reinit__is_reduced
    def update(self, output: Sequence[Any]) -> None:
        """Args: output: ``(y_pred, y, groups)``."""
        if len(output) != 3:
            raise ValueError(f"GroupMetricHandler: output expected (y_pred, y, groups) but got {len(output)} items.")
        self.metric_fn.update(*output)
        self._seen += 1

    def compute(self) -> Any:
        if self._seen == 0:
            return {}
        return super().compute()

    def completed(self, engine: Engine, name: str) -> None:
        result = self.compute()
        for key, value in result.items():
            engine.state.metrics[key] = value
        engine.state.metrics[name] = result.get(self.headline, float("nan"))  # NaN: no group, never "best"
