# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The task object: everything that differs between classification and segmentation, in one place.

A :class:`FairnessTask` owns the per-sample values a model's predictions reduce to (``y_true``/``y_score`` or
``dice``/``iou``), the predictions-CSV columns and their validation, the metric tables, the headline metric, the gaps
and their reasons when undefined. Validation metrics (:class:`~monai_fairness.metrics.GroupMetric`), the predictions
saver and the report all call the same :meth:`FairnessTask.evaluate`, so a validation value and a test report value
are one computation. The point estimate is the bootstrap evaluation of the identity resample, so intervals and point
estimates cannot drift apart either. A new task (e.g. multi-label chest X-ray) is one new subclass.
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch

from monai_fairness.metrics.bootstrap import bootstrap_intervals
from monai_fairness.metrics.group_index import GroupIndex

__all__ = ["FairnessTask", "TaskResult", "PredictionsError"]


class PredictionsError(ValueError):
    """A predictions CSV breaks the contract; the message names the column, the expected and the actual value."""


@dataclass
class TaskResult:
    """Point estimates of one evaluation, keyed by the original group ids (strings).

    ``overall``/``fairness``: metric -> float or None (undefined). ``by_group``: id -> metric -> float or None, for
    present groups. ``absent``: declared ids without samples. ``undefined``: metric -> why it is None, naming the
    group(s). ``n_by_group``: id -> count (0 for absent groups).
    """

    task: str
    ids: list[int]
    absent: list[int]
    n_by_group: dict[str, int]
    overall: dict[str, float | None]
    by_group: dict[str, dict[str, float | None]]
    fairness: dict[str, float | None]
    undefined: dict[str, str] = field(default_factory=dict)

    def flat(self, prefix: str = "") -> dict[str, float]:
        """``{prefix + metric: value}`` with ``<metric>_g<id>`` per group; undefined values are NaN (MONAI metrics
        are floats), e.g. for ``engine.state.metrics``."""
        out: dict[str, float] = {}
        for name, value in self.overall.items():
            out[f"{prefix}{name}"] = _nan(value)
            for gid, values in self.by_group.items():
                out[f"{prefix}{name}_g{gid}"] = _nan(values[name])
        for name, value in self.fairness.items():
            out[f"{prefix}{name}"] = _nan(value)
        return out


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def _value(x: torch.Tensor | float) -> float | None:
    v = float(x)
    return None if math.isnan(v) else v


def _reshape(tree: Any, b: int, k: int) -> Any:
    """``[b * k, ...]`` tensors of a (nested) table dict -> ``[b, k, ...]``."""
    if isinstance(tree, Mapping):
        return {name: _reshape(v, b, k) for name, v in tree.items()}
    return tree.reshape(b, k, *tree.shape[1:])


class FairnessTask(ABC):
    """Base class of the task objects (:class:`~monai_fairness.tasks.ClassificationTask`,
    :class:`~monai_fairness.tasks.SegmentationTask`).

    Subclasses define the class attributes and the abstract methods; the evaluation, resampling, bootstrap and
    report assembly are shared here.
    """

    name: ClassVar[str]
    utility: ClassVar[tuple[str, ...]]  # metrics filling "overall" and "by_group"
    fairness_metrics: ClassVar[tuple[str, ...]]
    gaps: ClassVar[tuple[str, ...]]  # group comparisons, lower is better
    headline: ClassVar[str]  # the utility metric a user reads first
    worst_group: ClassVar[str]  # the headline's worst-group metric (higher is better)
    sample_keys: ClassVar[tuple[str, ...]]  # per-sample values, in the order GroupMetric buffers them
    variants: ClassVar[dict[str, str]]
    summary_metrics: ClassVar[tuple[str, ...]]  # the fairness line of a report's text summary
    distribution_plot: ClassVar[tuple[str, str]]  # (title, kind) of the report's per-sample plot
    label_is_path: ClassVar[bool]  # a datalist label is a mask file (segmentation) rather than a class id
    supports_fate: ClassVar[bool]  # FATE against a baseline report

    # ---------------------------------------------------------------- per-sample values

    @abstractmethod
    def per_sample(self, pred: torch.Tensor, label: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """A batch of engine outputs -> ``{key: [B] or [B, C]}`` per-sample values (``sample_keys``)."""

    @abstractmethod
    def row(self, values: Mapping[str, torch.Tensor], i: int) -> dict[str, Any]:
        """The CSV columns (besides ``id`` and ``group``) of sample ``i`` of :meth:`per_sample` values."""

    @abstractmethod
    def read_columns(self, df: Any, path: str) -> dict[str, torch.Tensor]:
        """Validate this task's columns of a predictions data frame and return its per-sample values.

        Raises:
            PredictionsError: naming the column, the expected and the actual value.
        """

    @staticmethod
    @abstractmethod
    def matches_columns(columns: Sequence[str]) -> bool:
        """Whether a predictions CSV with these columns is of this task (used when the task is not given)."""

    # ---------------------------------------------------------------- metrics

    def prepare(self, values: Mapping[str, torch.Tensor], groups: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-sample values the task derives from the groups before any metric (e.g. each sample's group-specific
        decision threshold); resampled along with the other values. Default: nothing."""
        return dict(values)

    def context(self, values: Mapping[str, torch.Tensor]) -> dict[str, Any]:
        """Settings derived once from the whole evaluation set (e.g. the class count), shared by every resample."""
        return {}

    @abstractmethod
    def tables(
        self, values: Mapping[str, torch.Tensor], segments: torch.Tensor, num_segments: int, context: Mapping
    ) -> dict[str, Any]:
        """Utility metrics ``[S]`` per segment (plus any auxiliary tables the fairness metrics need)."""

    @abstractmethod
    def fairness(self, overall: Mapping[str, Any], by_group: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        """Group-comparison metrics ``[...]`` from overall tables ``[...]`` and group tables ``[..., K]``."""

    def why_undefined(
        self, values: Mapping[str, torch.Tensor], positions: torch.Tensor, index: GroupIndex
    ) -> dict[str, str]:
        """``{utility metric: reason}`` for utility metrics that are undefined in some group, naming the group."""
        return {}

    def depends_on(self, metric: str) -> str | None:
        """The utility metric a fairness metric is computed from (for the reason it is undefined)."""
        return None

    def decision_rule(self, values: Mapping[str, torch.Tensor]) -> str:
        return ""

    @abstractmethod
    def loss(self, values: Mapping[str, torch.Tensor]) -> float:
        """The mean per-sample loss of the predictions (lower is better): it keeps changing when a ranking metric such
        as AUC has saturated, so model selection breaks ties with it."""

    # ---------------------------------------------------------------- shared evaluation

    def resample(
        self,
        values: Mapping[str, torch.Tensor],
        positions: torch.Tensor,
        num_groups: int,
        indices: torch.Tensor,
        context: Mapping | None = None,
    ) -> dict[str, torch.Tensor]:
        """Every metric of each resample at once.

        Args:
            values: per-sample values, each ``[N, ...]``.
            positions: ``[N]`` group positions in ``[0, K)`` (:meth:`GroupIndex.encode`).
            num_groups: ``K``.
            indices: ``[B, N]`` row indices, one resample per row (``torch.arange(N)[None]`` is the data itself).
            context: :meth:`context` of the whole set (computed when None).

        Returns:
            ``{utility: [B], "<utility>@group": [B, K], fairness: [B]}``.
        """
        context = self.context(values) if context is None else context
        b, n = indices.shape
        flat = indices.reshape(-1)
        sub = {name: v[flat] for name, v in values.items()}
        seg = (torch.arange(b)[:, None] * num_groups + positions[indices]).reshape(-1)
        with warnings.catch_warnings():  # the low-level warnings name segment positions; evaluate() names group ids
            warnings.simplefilter("ignore")
            overall = self.tables(sub, torch.arange(b).repeat_interleave(n), b, context)
            by_group = _reshape(self.tables(sub, seg, b * num_groups, context), b, num_groups)
        out = {name: overall[name] for name in self.utility if name in overall}
        out.update({f"{name}@group": by_group[name] for name in self.utility if name in by_group})
        out.update(self.fairness(overall, by_group))
        return out

    def evaluate(
        self,
        values: Mapping[str, torch.Tensor],
        groups: torch.Tensor,
        declared: Sequence[int | str] | None = None,
    ) -> TaskResult:
        """Point estimates over the present groups, reported under their ids.

        Args:
            values: per-sample values (:meth:`per_sample` or :meth:`read_columns`).
            groups: ``[N]`` group ids (any integers).
            declared: the datalist's group ids; declared groups without samples are reported as absent.
        """
        groups = torch.as_tensor(groups).long().reshape(-1)
        index = GroupIndex(groups, declared)
        positions = index.encode(groups)
        k = index.num_groups
        values = self.prepare(values, groups)
        res = self.resample(values, positions, k, torch.arange(groups.numel())[None])
        overall = {name: _value(res[name][0]) for name in self.utility if name in res}
        by_group = {
            str(g): {name: _value(res[f"{name}@group"][0, i]) for name in overall} for i, g in enumerate(index.ids)
        }
        fairness = {name: _value(res[name][0]) for name in self.fairness_metrics if name in res}
        counts = torch.bincount(positions, minlength=k).tolist()
        n_by_group = {str(g): int(c) for g, c in zip(index.ids, counts, strict=True)}
        n_by_group.update({str(g): 0 for g in index.absent})
        result = TaskResult(self.name, index.ids, index.absent, n_by_group, overall, by_group, fairness)
        result.undefined = self._reasons(result, values, positions, index)
        return result

    def _reasons(
        self, result: TaskResult, values: Mapping[str, torch.Tensor], positions: torch.Tensor, index: GroupIndex
    ) -> dict[str, str]:
        reasons: dict[str, str] = {}
        if index.num_groups < 2:
            only = index.ids[0] if index.ids else None
            for name, value in result.fairness.items():
                if value is None:
                    reasons[name] = f"only one group ({only}) has samples; a comparison needs two"
            return reasons
        utility_reasons = self.why_undefined(values, positions, index)
        for name, value in result.overall.items():
            if value is None or any(result.by_group[g][name] is None for g in result.by_group):
                reasons[name] = utility_reasons.get(name, f"{name} is undefined for some group")
        for name, value in result.fairness.items():
            if value is None:
                base = self.depends_on(name)
                reasons[name] = reasons.get(base, "") if base else ""
                reasons[name] = reasons[name] or utility_reasons.get(name, "an input group value is undefined")
        return reasons

    def intervals(
        self,
        values: Mapping[str, torch.Tensor],
        groups: torch.Tensor,
        n_resamples: int = 1000,
        seed: int = 0,
        alpha: float = 0.05,
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Group-stratified percentile bootstrap intervals: ``(ci, ci_by_group)``, keyed like the report."""
        groups = torch.as_tensor(groups).long().reshape(-1)
        index = GroupIndex(groups)
        positions = index.encode(groups)
        values = self.prepare(values, groups)
        context = self.context(values)

        def evaluate(idx: torch.Tensor) -> dict[str, torch.Tensor]:
            return self.resample(values, positions, index.num_groups, idx, context)

        ci_all = bootstrap_intervals(evaluate, positions, n_resamples=n_resamples, seed=seed, alpha=alpha)
        ci = {name: v for name, v in ci_all.items() if "@" not in name}
        ci_by_group = {
            str(g): {name.split("@")[0]: ci_all[name][i] for name in ci_all if name.endswith("@group")}
            for i, g in enumerate(index.ids)
        }
        return ci, ci_by_group

    # ---------------------------------------------------------------- predictions CSV

    def read_predictions(self, df: Any, path: str) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """``(values, groups)`` of a predictions data frame after checking the shared columns ``id`` and ``group``.

        Raises:
            PredictionsError: empty file, missing ``id``/``group``, non-integer or empty groups, duplicated ids.
        """
        import pandas as pd

        if len(df) == 0:
            raise PredictionsError(f"predictions {path!r}: expected at least one row but the file has none.")
        missing = [c for c in ("id", "group") if c not in df.columns]
        if missing:
            raise PredictionsError(
                f"predictions {path!r}: missing column(s) {missing}; expected id, group and the {self.name} columns, "
                f"but got {list(df.columns)}."
            )
        group = df["group"]
        numeric = pd.to_numeric(group, errors="coerce")
        bad = group[numeric.isna() | (numeric != np.round(numeric))]
        if len(bad):
            raise PredictionsError(
                f"predictions {path!r}: column 'group' expected an integer group id on every row but rows "
                f"{bad.index[:5].tolist()} hold {bad.head(5).tolist()}."
            )
        ids = df["id"].astype(str)
        dup = ids[ids.duplicated(keep=False) & df["id"].notna() & (ids != "")]
        if len(dup):
            raise PredictionsError(
                f"predictions {path!r}: column 'id' expected one row per sample but ids {sorted(set(dup))[:5]} occur "
                f"more than once (a duplicated row would be counted twice and narrow every interval)."
            )
        values = self.read_columns(df, path)
        return values, torch.tensor(numeric.to_numpy(dtype=np.int64))
