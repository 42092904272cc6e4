# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Classification (binary or multi-class) as a task object: ``y_true``/``y_score`` per sample."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from monai_fairness.metrics.classification import (
    compute_accuracy_by_group,
    compute_auc_by_group,
    compute_f1_macro_by_group,
    compute_rates_by_group,
    predicted_class,
)
from monai_fairness.metrics.fairness import (
    compute_demographic_parity_difference,
    compute_equalized_odds_difference,
    compute_equity_scaled,
    compute_gap,
    compute_psd,
    compute_worst_group,
)
from monai_fairness.metrics.group_index import GroupIndex
from monai_fairness.metrics.group_thresholds import per_sample_thresholds
from monai_fairness.metrics.multiclass_parity import compute_scp_parity, scp_num_classes
from monai_fairness.tasks.base import FairnessTask, PredictionsError

__all__ = ["ClassificationTask", "score_columns"]

_AUC_BASED = ("worst_group_auc", "auc_gap", "es_auc", "psd_std", "psd_maxmin")
_RATE_BASED = ("eodds", "eopp0", "eopp1", "eodd")


def score_columns(columns: Sequence[str]) -> list[str]:
    """``["y_score"]`` (binary) or ``y_score_0..y_score_{C-1}`` in class order; ``[]`` when there are none."""
    if "y_score" in columns:
        return ["y_score"]
    cols = [c for c in columns if c.startswith("y_score_") and c[len("y_score_") :].isdigit()]
    return sorted(cols, key=lambda c: int(c[len("y_score_") :]))


class ClassificationTask(FairnessTask):
    """Binary (``y_score`` = probability of class 1) or multi-class (``y_score_0..C-1``) classification.

    Utility: ROC AUC (binary, or macro one-vs-rest), accuracy and macro F1 at the decision rule (``y_score >=
    threshold`` for binary scores, argmax otherwise). Fairness: worst-group AUC, AUC and accuracy gaps, equity-scaled
    AUC and accuracy, PSD, fairlearn's demographic parity and equalized odds differences, and the SCP family EOpp0,
    EOpp1, EOdd (definitions: ``docs/metrics.md``).

    Args:
        threshold: binary decision threshold, in (0, 1).
        group_thresholds: ``{group id: threshold}`` chosen on validation
            (:func:`~monai_fairness.metrics.choose_group_thresholds`): each sample's decision uses its group's threshold
            instead of ``threshold`` (binary scores only).

    Raises:
        ValueError: When a threshold is not in (0, 1).
    """

    name = "classification"
    utility = ("auc", "accuracy", "f1_macro")
    fairness_metrics = (
        "worst_group_auc",
        "auc_gap",
        "accuracy_gap",
        "es_auc",
        "es_accuracy",
        "psd_std",
        "psd_maxmin",
        "dpd",
        "eodds",
        "eopp0",
        "eopp1",
        "eodd",
    )
    gaps = ("accuracy_gap", "auc_gap", "eodds", "dpd", "eopp0", "eopp1", "eodd")
    headline = "auc"
    worst_group = "worst_group_auc"
    summary_metrics = ("auc", "accuracy", "worst_group_auc", "auc_gap", "accuracy_gap", "eodds", "eodd", "fate")
    distribution_plot = ("ROC curves by group", "roc")
    label_is_path = False
    supports_fate = True
    sample_keys = ("y_score", "y_true")
    variants = {
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
    }

    def __init__(self, threshold: float = 0.5, group_thresholds: Mapping[int, float] | None = None) -> None:
        for name, value in [
            ("threshold", threshold),
            *((f"group {k}'s threshold", v) for k, v in (group_thresholds or {}).items()),
        ]:
            if not 0.0 < float(value) < 1.0:
                raise ValueError(
                    f"{name} expected a probability in (0, 1) (binary decision y_score >= threshold) but got "
                    f"{value!r}; scores are fractions, not percent."
                )
        self.threshold = float(threshold)
        self.group_thresholds = (
            None if group_thresholds is None else {int(k): float(v) for k, v in group_thresholds.items()}
        )

    # ---------------------------------------------------------------- per-sample values

    def per_sample(self, pred: torch.Tensor, label: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """``pred [B, C]`` probabilities (``Activationsd(softmax=True)``), ``label`` ``[B]``/``[B, 1]`` class ids or
        ``[B, C]`` one-hot (or None at inference) -> ``y_score`` ``[B]`` (binary: class 1) or ``[B, C]``, ``y_true``
        ``[B]`` (absent without labels)."""
        pred = torch.as_tensor(pred).detach().float().reshape(pred.shape[0], -1)
        out = {"y_score": pred[:, 1] if pred.shape[1] == 2 else pred}
        if label is not None:
            y = torch.as_tensor(label).detach()
            y = y.reshape(y.shape[0], -1)
            out["y_true"] = (y.argmax(1) if y.shape[1] > 1 else y[:, 0]).long()
        return out

    def row(self, values: Mapping[str, torch.Tensor], i: int) -> dict[str, Any]:
        row: dict[str, Any] = {"y_true": int(values["y_true"][i]) if "y_true" in values else ""}
        score = values["y_score"][i]
        if score.ndim == 0:
            row["y_score"] = float(score)
        else:
            row.update({f"y_score_{c}": float(s) for c, s in enumerate(score.tolist())})
        return row

    @staticmethod
    def matches_columns(columns: Sequence[str]) -> bool:
        return bool(score_columns(columns)) or "y_true" in columns

    def read_columns(self, df: Any, path: str) -> dict[str, torch.Tensor]:
        import pandas as pd

        cols = list(df.columns)
        scores = score_columns(cols)
        missing = [c for c in ("y_true",) if c not in cols] + ([] if scores else ["y_score"])
        if missing:
            raise PredictionsError(
                f"predictions {path!r}: missing column(s) {missing}; expected id, group, y_true and y_score "
                f"(binary) or y_score_0..y_score_{{C-1}}, but got {cols}."
            )
        numeric = df[scores].apply(pd.to_numeric, errors="coerce")
        text = numeric.isna() & df[scores].notna()
        if text.to_numpy().any():
            rows = np.nonzero(text.to_numpy().any(1))[0][:5].tolist()
            raise PredictionsError(
                f"predictions {path!r}: score columns expected numbers but rows {rows} hold "
                f"{df[scores].iloc[rows].to_numpy().ravel()[:5].tolist()}."
            )
        values = numeric.to_numpy(dtype=float)
        if np.isnan(values).any():
            rows = np.nonzero(np.isnan(values).any(1))[0][:5].tolist()
            raise PredictionsError(f"predictions {path!r}: score columns expected numbers but rows {rows} hold NaN.")
        if (values < 0).any() or (values > 1).any():
            raise PredictionsError(
                f"predictions {path!r}: scores expected in [0, 1] (probabilities) but got values in "
                f"[{values.min():.4g}, {values.max():.4g}]."
            )
        n_classes = 2 if scores == ["y_score"] else len(scores)
        raw = df["y_true"]
        y = pd.to_numeric(raw, errors="coerce")
        bad = raw[y.isna() | (y != np.round(y)) | (y < 0) | (y >= n_classes)]
        if len(bad):
            raise PredictionsError(
                f"predictions {path!r}: column 'y_true' expected integer class ids in [0, {n_classes - 1}] to match "
                f"{len(scores)} score column(s) {scores}, but rows {bad.index[:5].tolist()} hold "
                f"{bad.head(5).tolist()}."
            )
        self._warn_scores(values, scores, path)
        y_score = torch.tensor(values[:, 0] if scores == ["y_score"] else values, dtype=torch.float64)
        out = {"y_score": y_score, "y_true": torch.tensor(y.to_numpy(dtype=np.int64))}
        if "threshold" in df.columns:  # group-specific thresholds applied at evaluation (one per row)
            t = pd.to_numeric(df["threshold"], errors="coerce").to_numpy(dtype=float)
            if scores != ["y_score"] or np.isnan(t).any() or (t <= 0).any() or (t >= 1).any():
                raise PredictionsError(
                    f"predictions {path!r}: column 'threshold' expected a decision threshold in (0, 1) on every row of "
                    "binary scores."
                )
            out["threshold"] = torch.tensor(t, dtype=torch.float64)
        return out

    @staticmethod
    def _warn_scores(values: np.ndarray, scores: list[str], path: str) -> None:
        if np.isin(values, (0.0, 1.0)).all():
            warnings.warn(
                f"predictions {path!r}: every score is exactly 0 or 1; hard labels instead of probabilities make AUC "
                "a single ROC point and the decision threshold meaningless.",
                stacklevel=3,
            )
        if len(scores) > 1:
            sums = values.sum(1)
            off = np.nonzero(np.abs(sums - 1) > 1e-3)[0]
            if off.size:
                warnings.warn(
                    f"predictions {path!r}: multi-class scores expected to sum to 1 per row (softmax probabilities) "
                    f"but {off.size} row(s) do not, e.g. row {int(off[0])} sums to {sums[off[0]]:.4g}.",
                    stacklevel=3,
                )

    # ---------------------------------------------------------------- metrics

    def prepare(self, values: Mapping[str, torch.Tensor], groups: torch.Tensor) -> dict[str, torch.Tensor]:
        out = dict(values)
        if self.group_thresholds is not None:
            if "threshold" in out:
                raise ValueError("group thresholds given twice: the predictions already hold a 'threshold' column.")
            if out["y_score"].ndim != 1:
                raise ValueError("group-specific thresholds expected binary scores (y_score) but got class scores.")
            out["threshold"] = per_sample_thresholds(groups, self.group_thresholds)
        return out

    def _decision(self, values: Mapping[str, torch.Tensor]) -> torch.Tensor:
        threshold = values.get("threshold")
        if threshold is None:
            return predicted_class(values["y_score"], self.threshold)
        return (values["y_score"] >= threshold).long()

    def context(self, values: Mapping[str, torch.Tensor]) -> dict[str, Any]:
        y_score, y_true = values["y_score"], values["y_true"]
        num_classes = 2 if y_score.ndim == 1 else int(y_score.shape[1])
        scp_c = scp_num_classes(self._decision(values), y_true) if y_true.numel() else num_classes
        return {"num_classes": num_classes, "scp_classes": scp_c}

    def tables(
        self, values: Mapping[str, torch.Tensor], segments: torch.Tensor, num_segments: int, context: Mapping
    ) -> dict[str, Any]:
        """``auc``, ``accuracy``, ``f1_macro`` ``[S]``; ``rates`` (selection/tpr/fpr/tnr ``[S, C]``) and
        ``scp_rates`` (the same with the SCP class count)."""
        y_score, y_true = values["y_score"], values["y_true"].long()
        c, scp_c = context["num_classes"], context["scp_classes"]
        y_pred = self._decision(values)
        rates = compute_rates_by_group(y_pred, y_true, segments, num_segments, c)
        return {
            "auc": compute_auc_by_group(y_score, y_true, segments, num_segments, c),
            "accuracy": compute_accuracy_by_group(y_pred, y_true, segments, num_segments),
            "f1_macro": compute_f1_macro_by_group(y_pred, y_true, segments, num_segments, c),
            "rates": rates,
            "scp_rates": rates if scp_c == c else compute_rates_by_group(y_pred, y_true, segments, num_segments, scp_c),
        }

    def fairness(self, overall: Mapping[str, Any], by_group: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        auc, auc_g = overall["auc"], by_group["auc"]
        acc, acc_g = overall["accuracy"], by_group["accuracy"]
        rates = by_group["rates"]
        out = {
            "worst_group_auc": compute_worst_group(auc_g),
            "auc_gap": compute_gap(auc_g),
            "accuracy_gap": compute_gap(acc_g),
            "es_auc": compute_equity_scaled(auc, auc_g, "sum_abs"),
            "es_accuracy": compute_equity_scaled(acc, acc_g, "sum_abs"),
            "psd_std": compute_psd(auc, auc_g, "std"),
            "psd_maxmin": compute_psd(auc, auc_g, "maxmin"),
            "dpd": compute_demographic_parity_difference(rates["selection"]),
            "eodds": compute_equalized_odds_difference(rates["tpr"], rates["fpr"]),
        }
        scp = compute_scp_parity(by_group["scp_rates"])
        out.update({k: scp[k] for k in ("eopp0", "eopp1", "eodd")})
        return out

    def why_undefined(
        self, values: Mapping[str, torch.Tensor], positions: torch.Tensor, index: GroupIndex
    ) -> dict[str, str]:
        y_true = values["y_true"].long()
        c = self.context(values)["num_classes"]
        counts = torch.bincount(positions * c + y_true, minlength=index.num_groups * c).reshape(-1, c)
        lacking = [
            f"group {g} has no sample of class {cls}"
            for i, g in enumerate(index.ids)
            for cls in range(c)
            if counts[i, cls] == 0
        ]
        if not lacking:
            return {}
        reason = "; ".join(lacking) + " (AUC and per-class rates need every class in every group)"
        return {"auc": reason, **{name: reason for name in _RATE_BASED}}

    def depends_on(self, metric: str) -> str | None:
        return "auc" if metric in _AUC_BASED else None

    def loss(self, values: Mapping[str, torch.Tensor]) -> float:
        """Mean cross-entropy of the predicted probabilities, ``-mean_i log p_i(y_i)`` (``p`` clamped at 1e-7)."""
        y_score, y_true = values["y_score"].double(), values["y_true"].long()
        if y_score.ndim == 1:
            p_true = torch.where(y_true == 1, y_score, 1 - y_score)
        else:
            p_true = y_score.gather(1, y_true[:, None])[:, 0]
        return float(-p_true.clamp_min(1e-7).log().mean())

    def decision_rule(self, values: Mapping[str, torch.Tensor]) -> str:
        if self.group_thresholds is not None:
            return "y_score >= the group's threshold " + ", ".join(
                f"{g}: {t:.4g}" for g, t in sorted(self.group_thresholds.items())
            )
        if "threshold" in values:
            return "y_score >= the row's threshold (group-specific, from the predictions' 'threshold' column)"
        return f"y_score >= {self.threshold}" if values["y_score"].ndim == 1 else "argmax over y_score_k"
