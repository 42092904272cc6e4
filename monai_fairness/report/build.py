# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Predictions CSV -> fairness report dict (the report JSON of ``shared/design/data.md`` section 1.3).

Keys: ``task``, ``groups``, ``n_by_group``, ``overall``, ``by_group``, ``fairness``, ``ci`` (metric -> [low, high]),
plus ``ci_by_group`` (group -> metric -> [low, high]) and ``settings`` (units, decision rule, bootstrap, variants).
Utility metrics (``auc``, ``accuracy``, ``f1_macro``, ``dice``, ``iou``) fill ``overall`` and ``by_group``; the
group-comparison metrics fill ``fairness``.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from monai_fairness.metrics.bootstrap import bootstrap_intervals
from monai_fairness.metrics.group import (
    CLASSIFICATION_UTILITY,
    SEGMENTATION_UTILITY,
    classification_fairness,
    classification_tables,
    compute_group_metrics,
    segmentation_tables,
)
from monai_fairness.metrics.segmentation import compute_segmentation_fairness
from monai_fairness.metrics.tradeoff import FATE_ACC_METRICS, FATE_FC_METRICS, compute_fate

__all__ = ["PredictionsError", "read_predictions", "build_report", "write_report_json", "METRIC_VARIANTS"]

METRIC_VARIANTS = {
    "auc": "ROC AUC; binary on y_score, multi-class macro one-vs-rest",
    "accuracy": "fraction correct at the decision rule",
    "f1_macro": "macro F1 over the classes present",
    "worst_group_auc": "min over groups of AUC",
    "auc_gap": "max - min over groups of AUC",
    "accuracy_gap": "max - min over groups of accuracy",
    "es_auc": "equity-scaled AUC, sum_abs variant: AUC / (1 + sum_g |AUC - AUC_g|)",
    "es_accuracy": "equity-scaled accuracy, sum_abs variant",
    "psd_std": "std_g(AUC_g) / AUC, population std",
    "psd_maxmin": "(max_g AUC_g - min_g AUC_g) / AUC",
    "dpd": "demographic parity difference (fairlearn): max - min selection rate; multi-class: mean one-vs-rest",
    "eodds": "equalized odds difference (fairlearn, worst case): max(TPR gap, FPR gap)",
    "eopp0": "SCP family: mean over classes of |TNR gap|",
    "eopp1": "SCP family: mean over classes of |TPR gap|",
    "eodd": "SCP family: mean over classes of |dTPR + dFPR| / 2 (signed sum inside the absolute value)",
    "fate": "(ACC_m - ACC_b)/ACC_b - (FC_m - FC_b)/FC_b against the baseline report",
    "dice": "mean per-sample Dice (background excluded)",
    "iou": "mean per-sample IoU (background excluded)",
    "worst_group_dice": "min over groups of mean Dice",
    "dice_gap": "max - min over groups of mean Dice",
    "dice_std": "population std of the group mean Dice",
    "es_dice": "equity-scaled Dice, sum_abs variant (FairSeg)",
    "es_dice_std": "equity-scaled Dice, std variant (FairMedFM): Dice / (1 + dice_std)",
    "dice_skewness": "skewed error ratio (1 - min_g Dice_g) / (1 - max_g Dice_g); 1 = fair",
}


class PredictionsError(ValueError):
    """A predictions CSV breaks the contract; the message names the column, the expected and the actual value."""


def _score_columns(columns: list[str]) -> list[str]:
    if "y_score" in columns:
        return ["y_score"]
    cols = [c for c in columns if c.startswith("y_score_") and c[len("y_score_") :].isdigit()]
    return sorted(cols, key=lambda c: int(c[len("y_score_") :]))


def read_predictions(path: str, task: str | None = None) -> tuple[str, Any]:
    """Read and validate a predictions CSV; return ``(task, dataframe)``.

    Raises:
        PredictionsError: missing columns, fewer than two groups, scores outside [0, 1] or NaN, a class count that
            does not match the score columns, Dice outside [0, 1].
    """
    import pandas as pd

    if not os.path.isfile(path):
        raise PredictionsError(f"predictions: expected an existing CSV file but got {path!r}.")
    df = pd.read_csv(path)
    cols = list(df.columns)
    if task is None:
        task = "segmentation" if "dice" in cols else "classification"
    if task == "classification":
        scores = _score_columns(cols)
        missing = [c for c in ("id", "group", "y_true") if c not in cols] + ([] if scores else ["y_score"])
        if missing:
            raise PredictionsError(
                f"predictions {path!r}: missing column(s) {missing}; expected id, group, y_true and y_score "
                f"(binary) or y_score_0..y_score_{{C-1}}, but got {cols}."
            )
        values = df[scores].to_numpy(dtype=float)
        if np.isnan(values).any():
            rows = np.nonzero(np.isnan(values).any(1))[0][:5].tolist()
            raise PredictionsError(f"predictions {path!r}: score columns expected numbers but rows {rows} hold NaN.")
        if (values < 0).any() or (values > 1).any():
            raise PredictionsError(
                f"predictions {path!r}: scores expected in [0, 1] (probabilities) but got values in "
                f"[{values.min():.4g}, {values.max():.4g}]."
            )
        n_classes = 2 if scores == ["y_score"] else len(scores)
        y_true = df["y_true"].to_numpy()
        if pd.isna(df["y_true"]).any() or (y_true < 0).any() or (y_true >= n_classes).any():
            raise PredictionsError(
                f"predictions {path!r}: column 'y_true' expected class ids in [0, {n_classes - 1}] to match "
                f"{len(scores)} score column(s) {scores}, but got values "
                f"{sorted(set(df['y_true'].dropna().tolist()))[:10]}."
            )
    elif task == "segmentation":
        missing = [c for c in ("id", "group", "dice") if c not in cols]
        if missing:
            raise PredictionsError(
                f"predictions {path!r}: missing column(s) {missing}; expected id, group, dice[, iou]."
            )
        for col in [c for c in ("dice", "iou") if c in cols]:
            v = df[col].to_numpy(dtype=float)
            if np.isnan(v).any() or (v < 0).any() or (v > 1).any():
                raise PredictionsError(f"predictions {path!r}: column {col!r} expected values in [0, 1] without NaN.")
    else:
        raise PredictionsError(f"predictions: 'task' expected 'classification' or 'segmentation' but got {task!r}.")
    if df["group"].isna().any():
        raise PredictionsError(f"predictions {path!r}: column 'group' expected an int on every row but some are empty.")
    present = sorted(int(g) for g in df["group"].unique())
    if len(present) < 2:
        raise PredictionsError(
            f"predictions {path!r}: column 'group' expected at least two groups but found only {present}."
        )
    if min(present) < 0:
        raise PredictionsError(f"predictions {path!r}: column 'group' expected ids >= 0 but got {present}.")
    return task, df


def _num(value: Any) -> float | None:
    v = float(value)
    return None if math.isnan(v) else v


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
) -> dict[str, Any]:
    """Compute the fairness report of a predictions CSV.

    Args:
        predictions: CSV path (data contract).
        task: ``classification`` or ``segmentation``; inferred from the columns when None.
        group_names: group id string -> name (e.g. the datalist's ``groups``).
        baseline: a baseline report (dict or JSON path) for FATE (classification).
        n_bootstrap: resamples for the 95 % CIs (0 disables them).
        seed: bootstrap seed.
        threshold: decision threshold on binary ``y_score`` (multi-class uses argmax).
        fate_acc: ACC of FATE, one of ``f1_macro``, ``accuracy``; fate_fc: FC of FATE, one of eodd, eopp0, eopp1.
    """
    task, df = read_predictions(predictions, task)
    if fate_acc not in FATE_ACC_METRICS or fate_fc not in FATE_FC_METRICS:
        raise ValueError(
            f"build_report: fate_acc expected one of {FATE_ACC_METRICS} and fate_fc one of {FATE_FC_METRICS} but got "
            f"{fate_acc!r}, {fate_fc!r}."
        )
    group_ids = sorted(int(g) for g in df["group"].unique())
    num_groups = max(group_ids) + 1
    groups = torch.tensor(df["group"].to_numpy(dtype=np.int64))
    names = {str(g): (group_names or {}).get(str(g), str(g)) for g in group_ids}
    n = groups.numel()
    if task == "classification":
        scores = _score_columns(list(df.columns))
        y_score = torch.tensor(df[scores].to_numpy(dtype=np.float64))
        y_score = y_score[:, 0] if scores == ["y_score"] else y_score
        y_true = torch.tensor(df["y_true"].to_numpy(dtype=np.int64))
        num_classes = 2 if y_score.ndim == 1 else y_score.shape[1]
        res = compute_group_metrics(
            task, groups, num_groups, y_score=y_score, y_true=y_true, threshold=threshold, num_classes=num_classes
        )
        utility = CLASSIFICATION_UTILITY

        def evaluate(idx: torch.Tensor, gi: torch.Tensor, b: int) -> dict[str, torch.Tensor]:
            ys, yt = y_score[idx.flatten()], y_true[idx.flatten()]
            seg_o = torch.arange(b).repeat_interleave(n)
            seg_g = (torch.arange(b)[:, None] * num_groups + gi).flatten()
            o = classification_tables(ys, yt, seg_o, b, threshold, num_classes)
            g = classification_tables(ys, yt, seg_g, b * num_groups, threshold, num_classes)
            g = {
                k: (
                    v.reshape(b, num_groups)
                    if isinstance(v, torch.Tensor)
                    else {r: t.reshape(b, num_groups, -1) for r, t in v.items()}
                )
                for k, v in g.items()
            }
            fair = classification_fairness({k: o[k] for k in utility}, g)
            return {**{k: o[k] for k in utility}, **{f"{k}@group": g[k] for k in utility}, **fair}
    else:
        dice = torch.tensor(df["dice"].to_numpy(dtype=np.float64))
        iou = torch.tensor(df["iou"].to_numpy(dtype=np.float64)) if "iou" in df.columns else None
        res = compute_group_metrics(task, groups, num_groups, dice=dice, iou=iou)
        utility = tuple(k for k in SEGMENTATION_UTILITY if k in res["overall"])

        def evaluate(idx: torch.Tensor, gi: torch.Tensor, b: int) -> dict[str, torch.Tensor]:
            flat = idx.flatten()
            seg_o = torch.arange(b).repeat_interleave(n)
            seg_g = (torch.arange(b)[:, None] * num_groups + gi).flatten()
            sub_iou = iou[flat] if iou is not None else None
            o = segmentation_tables(dice[flat], seg_o, b, sub_iou)
            g = {
                k: v.reshape(b, num_groups)
                for k, v in segmentation_tables(dice[flat], seg_g, b * num_groups, sub_iou).items()
            }
            fair = compute_segmentation_fairness(o["dice"], g["dice"])
            return {**o, **{f"{k}@group": g[k] for k in utility}, **fair}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined resample values are NaN and skipped by nanquantile
        ci_all = bootstrap_intervals(evaluate, groups, num_groups, n_resamples=n_bootstrap, seed=seed)
    ci = {k: v for k, v in ci_all.items() if "@" not in k}
    ci_by_group = {str(g): {k.split("@")[0]: ci_all[k][g] for k in ci_all if k.endswith("@group")} for g in group_ids}
    overall = {k: _num(v) for k, v in res["overall"].items()}
    fairness = {k: (float(v) if not torch.isnan(torch.as_tensor(v)) else None) for k, v in res["fairness"].items()}
    report: dict[str, Any] = {
        "task": task,
        "groups": names,
        "n_by_group": {str(g): int((groups == g).sum()) for g in group_ids},
        "overall": overall,
        "by_group": {str(g): {k: _num(res["by_group"][k][g]) for k in utility} for g in group_ids},
        "fairness": fairness,
        "ci": ci,
        "ci_by_group": ci_by_group,
        "settings": {
            "units": "fractions in [0, 1], not percent",
            "decision_rule": (
                f"y_score >= {threshold}" if task == "classification" and y_score.ndim == 1 else "argmax over y_score_k"
            )
            if task == "classification"
            else "per-sample Dice/IoU as given",
            "ci": f"95% percentile bootstrap, {n_bootstrap} resamples within each group, seed {seed}",
            "variants": {k: METRIC_VARIANTS[k] for k in list(overall) + list(fairness) if k in METRIC_VARIANTS},
            "n": n,
            "predictions": os.path.basename(predictions),
        },
    }
    if baseline is not None and task == "classification":
        if isinstance(baseline, str):
            with open(baseline) as f:
                baseline = json.load(f)
        report["fairness"]["fate"] = compute_fate(
            overall[fate_acc], baseline["overall"][fate_acc], fairness[fate_fc], baseline["fairness"][fate_fc]
        )
        report["settings"]["variants"]["fate"] = METRIC_VARIANTS["fate"] + f" (ACC = {fate_acc}, FC = {fate_fc})"
        report["settings"]["baseline"] = {
            k: baseline["overall"].get(fate_acc) if k == fate_acc else baseline["fairness"].get(fate_fc)
            for k in (fate_acc, fate_fc)
        }
    return _json_ready(report)


def write_report_json(report: Mapping[str, Any], path: str) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(report, f, indent=2)
    return path
