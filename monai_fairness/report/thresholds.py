# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Group-specific thresholds as a file next to the model: chosen on validation predictions, checked when applied.

The file (``models/<model>.thresholds.json``) holds the criterion, one threshold per group id, the group names, the
model file's name and SHA-256 and what they were chosen on; never a test case. Applying it to another model or to a
datalist with other groups is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

from monai_fairness.metrics.group_thresholds import ThresholdCriterion, choose_group_thresholds
from monai_fairness.tasks import PredictionsError, get_task

__all__ = ["ThresholdsError", "choose_thresholds_from_predictions", "write_group_thresholds", "load_group_thresholds"]


class ThresholdsError(ValueError):
    """A thresholds file does not fit the model or the groups it is applied to (the message says which)."""


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def choose_thresholds_from_predictions(predictions: str, criterion: str) -> dict[int, float]:
    """Thresholds from a **validation** predictions CSV (binary ``y_score``).

    Raises:
        PredictionsError: When the CSV breaks the contract or holds class scores.
    """
    from monai_fairness.report.build import read_predictions

    task_name, df = read_predictions(predictions, "classification")
    values, groups = get_task(task_name).read_predictions(df, predictions)
    if values["y_score"].ndim != 1:
        raise PredictionsError(f"predictions {predictions!r}: group thresholds expected binary scores (y_score).")
    return choose_group_thresholds(values["y_score"], values["y_true"], groups, criterion)


def write_group_thresholds(
    predictions: str,
    path: str,
    criterion: str = ThresholdCriterion.BALANCED_ACCURACY,
    model_file: str | None = None,
    datalist: str | None = None,
    split: str = "validation",
) -> dict[str, Any]:
    """Choose thresholds on ``predictions`` (the validation split's) and write them to ``path``; return the record."""
    if split == "test":
        raise ThresholdsError("thresholds must never be chosen on the test split; choose them on validation.")
    thresholds = choose_thresholds_from_predictions(predictions, criterion)
    names = {}
    if datalist and os.path.isfile(datalist):
        with open(datalist) as f:
            names = json.load(f).get("groups", {})
    record = {
        "criterion": str(criterion),
        "thresholds": {str(k): v for k, v in sorted(thresholds.items())},
        "groups": {str(k): names.get(str(k), str(k)) for k in sorted(thresholds)},
        "model_file": os.path.basename(model_file) if model_file else None,
        "model_sha256": _sha256(model_file) if model_file else None,
        "chosen_on": f"{split} split predictions ({os.path.basename(predictions)})",
    }
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(record, f, indent=1)
    return record


def load_group_thresholds(
    path: str, model_file: str | None = None, group_names: Mapping[str, str] | None = None
) -> dict[int, float]:
    """``{group id: threshold}`` of a thresholds file, after checking it belongs to ``model_file`` and to the declared
    groups ``group_names``.

    Raises:
        ThresholdsError: When the file is missing or unreadable, was chosen for another model (SHA-256 differs), or
            covers other groups than the datalist declares.
    """
    if not os.path.isfile(path):
        raise ThresholdsError(f"thresholds: expected an existing thresholds JSON but got {path!r}.")
    try:
        with open(path) as f:
            record = json.load(f)
        thresholds = {int(k): float(v) for k, v in record["thresholds"].items()}
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise ThresholdsError(f"thresholds {path!r}: expected a thresholds file of this project but got: {e}.") from e
    if model_file is not None and record.get("model_sha256") not in (None, _sha256(model_file)):
        raise ThresholdsError(
            f"thresholds {path!r} were chosen for another model ({record.get('model_file')}, SHA-256 "
            f"{str(record.get('model_sha256'))[:12]}...) than {os.path.basename(model_file)!r} "
            f"({_sha256(model_file)[:12]}...); choose them again for this model."
        )
    if group_names is not None:
        declared = sorted(int(k) for k in group_names)
        if sorted(thresholds) != declared:
            raise ThresholdsError(
                f"thresholds {path!r} cover groups {sorted(thresholds)} but the datalist declares {declared}."
            )
    return thresholds
