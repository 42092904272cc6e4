# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Per-group summary of a predictions CSV: accuracy (classification) or Dice (segmentation) by group, and the gap.

    python -m monai_fairness.report --predictions runs/demo/erm/eval/predictions.csv

Units are fractions; the decision rule is 0.5 on ``y_score`` (binary) or argmax over ``y_score_k`` (multi-class).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["summarize_predictions", "format_summary"]


def _predicted_class(df: Any) -> np.ndarray:
    if "y_score" in df.columns:
        return (df["y_score"].to_numpy(dtype=float) >= 0.5).astype(int)
    cols = sorted((c for c in df.columns if c.startswith("y_score_")), key=lambda c: int(c.rsplit("_", 1)[1]))
    if not cols:
        raise ValueError(f"predictions: expected a 'y_score' or 'y_score_<k>' column but got {list(df.columns)}.")
    return df[cols].to_numpy(dtype=float).argmax(axis=1)


def summarize_predictions(path: str, group_names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read a predictions CSV and return ``{"task", "metric", "overall", "by_group": {gid: {...}}, "gap"}``.

    Raises:
        ValueError: When required columns are missing or fewer than two groups are present.
    """
    import pandas as pd

    df = pd.read_csv(path)
    if "group" not in df.columns or df["group"].isna().all():
        raise ValueError(f"predictions {path!r}: expected a filled 'group' column but got columns {list(df.columns)}.")
    if "dice" in df.columns:
        task, metric = "segmentation", "dice"
        df["_m"] = df["dice"].astype(float)
    elif "y_true" in df.columns:
        task, metric = "classification", "accuracy"
        df["_m"] = (_predicted_class(df) == df["y_true"].to_numpy(dtype=int)).astype(float)
    else:
        raise ValueError(f"predictions {path!r}: expected 'y_true' (classification) or 'dice' (segmentation) columns.")
    groups = sorted(int(g) for g in df["group"].dropna().unique())
    if len(groups) < 2:
        raise ValueError(f"predictions {path!r}: expected at least two groups but found {groups}.")
    by_group = {}
    for g in groups:
        sub = df[df["group"] == g]
        name = (group_names or {}).get(str(g), str(g))
        by_group[str(g)] = {"name": name, "n": int(len(sub)), metric: float(sub["_m"].mean())}
    values = [v[metric] for v in by_group.values()]
    return {
        "task": task,
        "metric": metric,
        "overall": {metric: float(df["_m"].mean()), "n": int(len(df))},
        "by_group": by_group,
        "gap": float(max(values) - min(values)),
    }


def format_summary(summary: Mapping[str, Any]) -> str:
    """A few human-readable lines."""
    metric = summary["metric"]
    lines = [f"overall {metric}: {summary['overall'][metric]:.3f} (n={summary['overall']['n']})"]
    for gid, v in summary["by_group"].items():
        lines.append(f"  group {gid} ({v['name']}): {metric} {v[metric]:.3f} (n={v['n']})")
    lines.append(f"{metric} gap (max - min over groups): {summary['gap']:.3f} ({100 * summary['gap']:.1f} points)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--predictions", required=True, help="predictions CSV (data contract)")
    p.add_argument("--datalist", help="optional datalist JSON, for group names")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = p.parse_args(argv)
    names = None
    if args.datalist and os.path.isfile(args.datalist):
        with open(args.datalist) as f:
            names = json.load(f).get("groups")
    summary = summarize_predictions(args.predictions, names)
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
