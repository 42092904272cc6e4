# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Segmentation as a task object: per-sample ``dice`` (and ``iou``), FairSeg/FairMedFM group metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from monai.metrics import compute_dice, compute_iou

from monai_fairness.metrics.segmentation import compute_mean_by_group, compute_segmentation_fairness
from monai_fairness.tasks.base import FairnessTask, PredictionsError

__all__ = ["SegmentationTask"]


class SegmentationTask(FairnessTask):
    """Segmentation judged by per-sample Dice (and IoU): the mean over the samples of a group is the group's value.

    Fairness: worst-group Dice, Dice gap, Dice std, equity-scaled Dice (sum_abs and std variants) and the skewed error
    ratio (``docs/metrics.md``).

    Args:
        include_background: count channel 0 in the per-sample Dice/IoU.
    """

    name = "segmentation"
    utility = ("dice", "iou")
    fairness_metrics = ("worst_group_dice", "dice_gap", "dice_std", "es_dice", "es_dice_std", "dice_skewness")
    gaps = ("dice_gap", "dice_std", "dice_skewness")
    headline = "dice"
    worst_group = "worst_group_dice"
    summary_metrics = ("dice", "worst_group_dice", "dice_gap", "es_dice", "dice_skewness")
    distribution_plot = ("Dice distribution by group", "dice")
    label_is_path = True
    supports_fate = False
    sample_keys = ("dice", "iou")
    variants = {
        "dice": "mean per-sample Dice (background excluded)",
        "iou": "mean per-sample IoU (background excluded)",
        "worst_group_dice": "min over groups of mean Dice",
        "dice_gap": "max - min over groups of mean Dice",
        "dice_std": "population std of the group mean Dice",
        "es_dice": "equity-scaled Dice, sum_abs variant (FairSeg)",
        "es_dice_std": "equity-scaled Dice, std variant (FairMedFM): Dice / (1 + dice_std)",
        "dice_skewness": "skewed error ratio (1 - min_g Dice_g) / (1 - max_g Dice_g); 1 = fair",
    }

    def __init__(self, include_background: bool = False) -> None:
        self.include_background = bool(include_background)

    def per_sample(self, pred: torch.Tensor, label: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """Discrete one-hot ``pred`` and ``label`` ``[B, C, H, W(, D)]`` -> ``dice``, ``iou`` ``[B]`` (mean over
        the structures; an empty structure in both counts as 1, as MONAI's ``ignore_empty=False``).

        Raises:
            ValueError: When ``label`` is None or the shapes differ (the message says which postprocessing fixes it).
        """
        if label is None:
            raise ValueError("segmentation needs 'label' in the evaluator output to compute Dice/IoU.")
        pred, label = torch.as_tensor(pred).detach().float(), torch.as_tensor(label).detach().float()
        if pred.shape != label.shape:
            raise ValueError(
                f"'pred' and 'label' expected the same one-hot shape but got {tuple(pred.shape)} and "
                f"{tuple(label.shape)}; add AsDiscreted(argmax/to_onehot) to postprocessing."
            )
        kw = {"include_background": self.include_background, "ignore_empty": False}
        return {
            "dice": compute_dice(pred, label, **kw).nanmean(1).cpu(),
            "iou": compute_iou(pred, label, **kw).nanmean(1).cpu(),
        }

    def row(self, values: Mapping[str, torch.Tensor], i: int) -> dict[str, Any]:
        return {name: float(values[name][i]) for name in self.sample_keys if name in values}

    @staticmethod
    def matches_columns(columns: Sequence[str]) -> bool:
        return "dice" in columns

    def read_columns(self, df: Any, path: str) -> dict[str, torch.Tensor]:
        import pandas as pd

        if "dice" not in df.columns:
            raise PredictionsError(
                f"predictions {path!r}: missing column(s) ['dice']; expected id, group, dice[, iou] but got "
                f"{list(df.columns)}."
            )
        out = {}
        for col in [c for c in ("dice", "iou") if c in df.columns]:
            v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
            if np.isnan(v).any() or (v < 0).any() or (v > 1).any():
                rows = np.nonzero(np.isnan(v) | (v < 0) | (v > 1))[0][:5].tolist()
                raise PredictionsError(
                    f"predictions {path!r}: column {col!r} expected values in [0, 1] on every row but rows {rows} "
                    f"hold {df[col].iloc[rows].tolist()}."
                )
            out[col] = torch.tensor(v, dtype=torch.float64)
        return out

    def tables(
        self, values: Mapping[str, torch.Tensor], segments: torch.Tensor, num_segments: int, context: Mapping
    ) -> dict[str, Any]:
        """Mean per-sample Dice (and IoU) per segment, each ``[S]``."""
        return {
            name: compute_mean_by_group(values[name], segments, num_segments) for name in self.utility if name in values
        }

    def fairness(self, overall: Mapping[str, Any], by_group: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        return compute_segmentation_fairness(overall["dice"], by_group["dice"])

    def loss(self, values: Mapping[str, torch.Tensor]) -> float:
        """Mean Dice loss, ``1 - mean_i Dice_i``."""
        return float(1 - values["dice"].double().mean())

    def decision_rule(self, values: Mapping[str, torch.Tensor]) -> str:
        return "per-sample Dice/IoU as given"
