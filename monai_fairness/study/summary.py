# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The study's numbers and verdicts: per method with intervals, paired against the reference and the best simple
baseline, in plain language."""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from monai_fairness.report.build import MIN_CI_GROUP_SIZE, read_predictions
from monai_fairness.study.methods import METHODS, SIMPLE_BASELINES
from monai_fairness.study.statistics import StudyStatistics
from monai_fairness.tasks import FairnessTask, get_task

__all__ = ["load_predictions", "summarize", "verdict"]

_VERDICT_GAPS = {"classification": ("auc_gap", "accuracy_gap"), "segmentation": ("dice_gap",)}


def load_predictions(paths: Mapping[str, Sequence[str]], task: str) -> tuple[dict, torch.Tensor, list[str]]:
    """Read every model's predictions CSV and align them on the test case ids.

    Returns:
        ``({method: [values per seed]}, groups [N], ids)`` with every entry in the same row order.

    Raises:
        ValueError: When two models were evaluated on different test cases or different groups.
    """
    task_obj = get_task(task)
    out: dict[str, list[dict[str, torch.Tensor]]] = {}
    reference_ids: list[str] | None = None
    groups: torch.Tensor | None = None
    for method, files in paths.items():
        out[method] = []
        for path in files:
            _, df = read_predictions(path, task)
            df = df.assign(id=df["id"].astype(str)).sort_values("id", kind="stable").reset_index(drop=True)
            values, g = task_obj.read_predictions(df, path)
            ids = df["id"].tolist()
            if reference_ids is None:
                reference_ids, groups = ids, g
            elif ids != reference_ids or not torch.equal(g, groups):
                raise ValueError(
                    f"predictions {path!r}: expected the same test cases and groups as the other models (a paired "
                    f"comparison needs them) but the ids or groups differ."
                )
            out[method].append(values)
    assert groups is not None and reference_ids is not None
    return out, groups, reference_ids


def _fmt_rel(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{100 * x:+.0f} %"


def _fmt_val(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.3f}"


def _ci_text(comparison: Mapping[str, Any]) -> str:
    """The 95 % interval of one paired comparison as a relative change, or, where that is undefined (the reference
    gap is 0 in some resample), as the absolute difference, which is what the verdict rests on anyway."""
    rel, diff = comparison["relative_ci"], comparison["difference_ci"]
    if rel:
        return f"95 % CI {_fmt_rel(rel[0])} to {_fmt_rel(rel[1])}"
    if diff:
        return f"95 % CI of the difference {diff[0]:+.3f} to {diff[1]:+.3f}"
    return "CI n/a"


def _direction(ci: list[float] | None, lower_is_better: bool) -> str:
    if ci is None:
        return "undefined"
    if ci[1] < 0:
        return "better" if lower_is_better else "worse"
    if ci[0] > 0:
        return "worse" if lower_is_better else "better"
    return "not distinguishable"


def verdict(
    method: str,
    comparisons: Mapping[str, Any],
    task: FairnessTask,
    reference: str,
    baseline: str | None,
    controls: Sequence[str] = (),
) -> str:
    """One plain-language paragraph: each headline gap against the reference, the best simple baseline and the
    method's controls, then the overall metric. A change is claimed only where the 95 % interval of the paired
    difference excludes zero; against a control, "not distinguishable" means the mechanism's own contribution is not
    shown on this data."""
    parts = []
    for gap in _VERDICT_GAPS.get(task.name, task.gaps[:1]):
        ref = comparisons[reference][gap]
        word = {"better": "cuts the gap", "worse": "widens the gap"}.get(
            _direction(ref["difference_ci"], True), "not distinguishable from " + reference
        )
        text = f"{gap} {_fmt_val(ref['reference'])} -> {_fmt_val(ref['method'])} ({_fmt_rel(ref['relative'])}"
        text += f", {_ci_text(ref)})"
        text += f" vs {reference}: {word}"
        if baseline is not None and baseline in comparisons:
            b = comparisons[baseline][gap]
            d = _direction(b["difference_ci"], True)
            ci = _ci_text(b)
            text += {
                "better": f"; smaller than {baseline}'s ({ci})",
                "worse": f"; larger than {baseline}'s ({ci})",
            }.get(d, f"; not distinguishable from {baseline} ({ci})")
        for c in controls:
            r = comparisons[c][gap]
            ci = _ci_text(r)
            text += {
                "better": f"; smaller than its control {c}'s ({ci}): the mechanism's own effect",
                "worse": f"; larger than its control {c}'s ({ci})",
            }.get(
                _direction(r["difference_ci"], True),
                f"; not distinguishable from its control {c} ({ci}): the mechanism's own contribution is not shown",
            )
        parts.append(text)
    headline = task.headline
    h = comparisons[reference][headline]
    d = _direction(h["difference_ci"], False)
    ci = h["difference_ci"]
    points = f"CI {100 * ci[0]:+.1f} to {100 * ci[1]:+.1f} points" if ci else "CI n/a"
    parts.append(f"overall {headline} " + {"better": "higher", "worse": "lower"}.get(d, "unchanged") + f" ({points})")
    return f"{method}: " + "; ".join(parts) + "."


def summarize(
    task_name: str,
    paths: Mapping[str, Sequence[str]],
    *,
    seeds: Sequence[int],
    reference: str = "erm",
    n_bootstrap: int = 1000,
    bootstrap_seed: int = 0,
    group_names: Mapping[str, str] | None = None,
    resample_seeds: bool = False,
) -> dict[str, Any]:
    """The study's JSON: settings, per-method values with intervals, paired comparisons and verdicts.

    ``resample_seeds``: the intervals also cover the spread over training seeds
    (:class:`~monai_fairness.study.statistics.StudyStatistics`).

    Raises:
        ValueError: When the test cases differ between models, or the test split holds fewer than two groups.
    """
    task = get_task(task_name)
    values, groups, ids = load_predictions(paths, task_name)
    present = sorted({int(g) for g in groups.tolist()})
    if len(present) < 2:
        raise ValueError(f"the test split expected at least two groups but holds only {present}.")
    names = {str(g): (group_names or {}).get(str(g), str(g)) for g in present}
    counts = {str(g): int((groups == g).sum()) for g in present}
    warnings_out = [
        f"group {g} ({names[g]}) has {n} test cases: too few for a useful interval (fewer than {MIN_CI_GROUP_SIZE})"
        for g, n in counts.items()
        if n < MIN_CI_GROUP_SIZE
    ]
    for w in warnings_out:
        warnings.warn(w, stacklevel=2)
    stats = StudyStatistics(
        task, values, groups, n_resamples=n_bootstrap, seed=bootstrap_seed, resample_seeds=resample_seeds
    )
    methods = list(values)
    per_method = {
        m: {
            "description": METHODS[m].description if m in METHODS else m,
            "seeds": len(values[m]),
            "metrics": {k: {"value": _num(stats.value(m, k)), "ci": stats.interval(m, k)} for k in stats.metrics},
            "per_seed": {k: stats.seed_values(m, k) for k in stats.metrics},
        }
        for m in methods
    }
    primary = _VERDICT_GAPS.get(task_name, task.gaps[:1])[0]
    simple = [m for m in methods if m in SIMPLE_BASELINES]
    best_simple = min(simple, key=lambda m: _sort_key(stats.value(m, primary))) if simple else None
    comparisons: dict[str, dict[str, Any]] = {}
    verdicts: dict[str, str] = {}
    for m in methods:
        if m == reference:
            continue
        against = {reference: {k: stats.difference(m, reference, k) for k in stats.metrics}}
        if best_simple is not None and best_simple != m:
            against[best_simple] = {k: stats.difference(m, best_simple, k) for k in stats.metrics}
        controls = [c for c in methods if c in METHODS and METHODS[c].control_of == m]
        for c in controls:
            against[c] = {k: stats.difference(m, c, k) for k in stats.metrics}
        comparisons[m] = against
        if reference in values:
            verdicts[m] = verdict(m, against, task, reference, best_simple if best_simple != m else None, controls)
    return _clean(
        {
            "task": task_name,
            "groups": names,
            "n_by_group": counts,
            "n_test": len(ids),
            "seeds": list(seeds),
            "methods": per_method,
            "reference": reference,
            "best_simple_baseline": best_simple,
            "primary_gap": primary,
            "headline": task.headline,
            "worst_group": task.worst_group,
            "comparisons": comparisons,
            "verdicts": verdicts,
            "leakage": attribute_leakage(paths),
            "warnings": warnings_out,
            "settings": {
                "bootstrap": f"{n_bootstrap} resamples within each group, the same indices for every model and seed "
                f"(paired), seed {bootstrap_seed}; a method's value is its mean over seeds; 95 % percentile intervals; "
                "null when a resample leaves a value undefined. "
                + (
                    "Each resample also draws the training seeds (with replacement, the same seed positions for "
                    "every method): the intervals cover which test cases were drawn and the spread over training "
                    "runs"
                    if resample_seeds
                    else "The intervals cover which test cases were drawn, given the trained models; per_seed shows "
                    "the spread over training runs"
                ),
                "resample_seeds": resample_seeds,
                "claims": "a change is claimed only where the 95 % interval of the paired difference excludes zero",
                "best_simple_baseline": f"the simple baseline ({', '.join(SIMPLE_BASELINES)}) with the lowest "
                f"{primary} on this test set (a choice that favours the baseline, never the method)",
                "predictions": {m: [os.path.relpath(p) for p in files] for m, files in paths.items()},
            },
        }
    )


def attribute_leakage(paths: Mapping[str, Sequence[str]]) -> dict[str, list[dict[str, Any]]]:
    """``{method: [per seed]}``: the balanced accuracies of ``leakage.json`` (APPLE's evaluation writes it beside its
    predictions: how well the attribute is read from the latent before and after the perturbation), for the methods
    that have one for every seed, so that ``study.json`` carries them with the rest."""
    out: dict[str, list[dict[str, Any]]] = {}
    for method, files in paths.items():
        leaks = [os.path.join(os.path.dirname(f), "leakage.json") for f in files]
        if not leaks or not all(os.path.isfile(f) for f in leaks):
            continue
        out[method] = []
        for f in leaks:
            with open(f) as fh:
                leak = json.load(fh)
            seed = {"num_eval": leak.get("num_eval")}
            for reader in ("probe", "discriminator", "refitted_discriminator"):
                if reader in leak:
                    seed[reader] = {w: leak[reader][w]["balanced_accuracy"] for w in ("before", "after")}
            out[method].append(seed)
    return out


def _sort_key(x: float) -> float:
    return x if math.isfinite(x) else math.inf


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _clean(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
