# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Predictions CSV -> fairness report dict (the report JSON of the data contract, ``docs/data_contract.md``).

Keys: ``task``, ``groups`` (declared and present groups, id -> name), ``n_by_group``, ``absent`` (declared groups
without a sample: n 0, values null), ``overall``, ``by_group``, ``fairness``, ``undefined`` (metric -> why it is
null, naming the group), ``ci`` (metric -> [low, high] or null), ``ci_by_group`` (group -> metric -> [low, high] or
null) and ``settings`` (units, decision rule, bootstrap, variants). All numbers come from the task object
(:mod:`monai_fairness.tasks`), the same computation as the validation metrics during training.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Mapping
from typing import Any

import torch

from monai_fairness.metrics.tradeoff import FATE_ACC_METRICS, FATE_FC_METRICS, compute_fate
from monai_fairness.tasks import TASKS, PredictionsError, get_task, task_from_columns

__all__ = [
    "PredictionsError",
    "MIN_CI_GROUP_SIZE",
    "read_predictions",
    "build_report",
    "write_report_json",
    "METRIC_VARIANTS",
]

MIN_CI_GROUP_SIZE = 10  # below this a percentile bootstrap of a group's values is not worth reporting
METRIC_VARIANTS = {k: v for name in TASKS for k, v in get_task(name).variants.items()}


def read_predictions(path: str, task: str | None = None) -> tuple[str, Any]:
    """Read a predictions CSV and check that it is readable; return ``(task, dataframe)``.

    Raises:
        PredictionsError: When the file is missing, empty or not a CSV, or the task is unknown.
    """
    import pandas as pd

    if not os.path.isfile(path):
        raise PredictionsError(f"predictions: expected an existing CSV file but got {path!r}.")
    try:
        df = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise PredictionsError(
            f"predictions {path!r}: expected a CSV with a header row but could not read it: {e}."
        ) from e
    task = task or task_from_columns(list(df.columns))
    if task not in TASKS:
        raise PredictionsError(f"predictions: 'task' expected one of {list(TASKS)} but got {task!r}.")
    return task, df


def _json_ready(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_ready(v) for v in obj]
    if isinstance(obj, torch.Tensor):
        return _json_ready(obj.tolist())
    if isinstance(obj, float):
        if math.isnan(obj):
            return None
        if math.isinf(obj):
            return "inf" if obj > 0 else "-inf"
    return obj


def _load_baseline(baseline: Mapping[str, Any] | str, task: str) -> Mapping[str, Any]:
    if isinstance(baseline, str):
        if not os.path.isfile(baseline):
            raise PredictionsError(f"baseline: expected an existing report.json but got {baseline!r}.")
        with open(baseline) as f:
            try:
                baseline = json.load(f)
            except json.JSONDecodeError as e:
                raise PredictionsError(f"baseline {f.name!r}: expected a report JSON but parsing failed: {e}.") from e
    if not isinstance(baseline, Mapping) or baseline.get("task") != task:
        got = baseline.get("task") if isinstance(baseline, Mapping) else type(baseline).__name__
        raise PredictionsError(f"baseline: expected a {task} report (FATE compares like with like) but got {got!r}.")
    return baseline


def _fate(report: dict[str, Any], baseline: Mapping[str, Any], fate_acc: str, fate_fc: str) -> None:
    acc_b, fc_b = baseline.get("overall", {}).get(fate_acc), baseline.get("fairness", {}).get(fate_fc)
    acc_m, fc_m = report["overall"].get(fate_acc), report["fairness"].get(fate_fc)
    missing = [n for n, v in (("baseline " + fate_acc, acc_b), ("baseline " + fate_fc, fc_b)) if v is None]
    missing += [n for n, v in ((fate_acc, acc_m), (fate_fc, fc_m)) if v is None]
    if missing:
        report["fairness"]["fate"] = None
        report["undefined"]["fate"] = f"{', '.join(missing)} undefined or missing"
    else:
        report["fairness"]["fate"] = compute_fate(acc_m, acc_b, fc_m, fc_b)
    report["settings"]["variants"]["fate"] = METRIC_VARIANTS["fate"] + f" (ACC = {fate_acc}, FC = {fate_fc})"
    report["settings"]["baseline"] = {fate_acc: acc_b, fate_fc: fc_b}


def build_report(
    predictions: str,
    *,
    task: str | None = None,
    group_names: Mapping[str, str] | None = None,
    baseline: Mapping[str, Any] | str | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    threshold: float = 0.5,
    fate_acc: str = "f1_macro",
    fate_fc: str = "eodd",
    min_ci_group_size: int = MIN_CI_GROUP_SIZE,
    group_thresholds: Mapping[int, float] | None = None,
) -> dict[str, Any]:
    """Compute the fairness report of a predictions CSV.

    Args:
        predictions: CSV path (data contract).
        task: ``classification`` or ``segmentation``; inferred from the columns when None.
        group_names: the datalist's ``groups`` (id string -> name). Its ids are the declared groups: a CSV group
            outside them is an error, a declared group without rows is reported as absent.
        baseline: a baseline report (dict or JSON path) of the same task, for FATE (classification).
        n_bootstrap: resamples for the 95 % CIs (0 disables them).
        seed: bootstrap seed.
        threshold: decision threshold on binary ``y_score``, in (0, 1) (multi-class uses argmax).
        fate_acc: ACC of FATE, one of ``f1_macro``, ``accuracy``; fate_fc: FC of FATE, one of eodd, eopp0, eopp1.
        min_ci_group_size: a group with fewer rows gets null intervals, and so does every fairness metric.
        group_thresholds: ``{group id: threshold}`` chosen on validation, instead of ``threshold`` (binary scores).

    Raises:
        PredictionsError: When the CSV, the groups or the baseline break the contract (named in the message).
        ValueError: When an argument is out of range.
    """
    if fate_acc not in FATE_ACC_METRICS or fate_fc not in FATE_FC_METRICS:
        raise ValueError(
            f"build_report: fate_acc expected one of {FATE_ACC_METRICS} and fate_fc one of {FATE_FC_METRICS} but got "
            f"{fate_acc!r}, {fate_fc!r}."
        )
    if int(n_bootstrap) < 0:
        raise ValueError(f"build_report: n_bootstrap expected a count >= 0 (0: no intervals) but got {n_bootstrap}.")
    get_task("classification", threshold=threshold)  # a threshold of 50 (percent) fails before anything is read
    task, df = read_predictions(predictions, task)
    task_obj = get_task(task, threshold=threshold, group_thresholds=group_thresholds)
    values, groups = task_obj.read_predictions(df, predictions)
    declared = sorted(int(k) for k in group_names) if group_names else None
    try:
        result = task_obj.evaluate(values, groups, declared)
    except ValueError as e:  # a group outside the declared ones
        raise PredictionsError(f"predictions {predictions!r}: column 'group': {e}") from e
    if len(result.ids) < 2:
        raise PredictionsError(
            f"predictions {predictions!r}: column 'group' expected at least two groups but found only {result.ids}."
        )
    names = {str(g): (group_names or {}).get(str(g), str(g)) for g in sorted(result.ids + result.absent)}
    small = {g: n for g, n in result.n_by_group.items() if 0 < n < min_ci_group_size}
    ci, ci_by_group = task_obj.intervals(values, groups, int(n_bootstrap), seed) if n_bootstrap else ({}, {})
    if ci and small:
        ci = {k: (None if k in result.fairness else v) for k, v in ci.items()}
        ci_by_group = {g: ({k: None for k in v} if g in small else v) for g, v in ci_by_group.items()}
    by_group = dict(result.by_group)
    by_group.update({str(g): {k: None for k in result.overall} for g in result.absent})
    report: dict[str, Any] = {
        "task": task,
        "groups": names,
        "n_by_group": {g: result.n_by_group[g] for g in names},
        "absent": [str(g) for g in result.absent],
        "overall": result.overall,
        "by_group": {g: by_group[g] for g in names},
        "fairness": result.fairness,
        "undefined": dict(result.undefined),
        "ci": ci,
        "ci_by_group": ci_by_group,
        "settings": {
            "units": "fractions in [0, 1], not percent",
            "decision_rule": task_obj.decision_rule(values),
            "ci": f"95% percentile bootstrap, {n_bootstrap} resamples within each group, seed {seed}; null when a "
            f"resample leaves the metric undefined, and for groups with fewer than {min_ci_group_size} rows (then "
            "also for every fairness metric)",
            "variants": {k: METRIC_VARIANTS[k] for k in [*result.overall, *result.fairness] if k in METRIC_VARIANTS},
            "n": int(groups.numel()),
            "predictions": os.path.basename(predictions),
        },
    }
    if baseline is not None and task_obj.supports_fate:
        _fate(report, _load_baseline(baseline, task), fate_acc, fate_fc)
    _warn(report, small, min_ci_group_size, predictions)
    return _json_ready(report)


def _warn(report: Mapping[str, Any], small: Mapping[str, int], min_size: int, path: str) -> None:
    names = report["groups"]
    if report["absent"]:
        warnings.warn(
            f"predictions {os.path.basename(path)!r}: declared group(s) "
            f"{', '.join(f'{g} ({names[g]})' for g in report['absent'])} have no rows: reported as absent (n 0).",
            stacklevel=3,
        )
    if small:
        warnings.warn(
            f"predictions {os.path.basename(path)!r}: group(s) "
            f"{', '.join(f'{g} ({names[g]}, n={n})' for g, n in small.items())} have fewer than {min_size} rows: "
            "their intervals and every fairness interval are null.",
            stacklevel=3,
        )
    by_reason: dict[str, list[str]] = {}
    for metric, reason in report["undefined"].items():
        by_reason.setdefault(reason, []).append(metric)
    for reason, metrics in by_reason.items():
        warnings.warn(f"{', '.join(metrics)} undefined (null): {reason}.", stacklevel=3)


def write_report_json(report: Mapping[str, Any], path: str) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(report, f, indent=2)
    return path
