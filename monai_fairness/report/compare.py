# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Side-by-side comparison of several models' fairness reports (e.g. FairDi student vs ERM vs backbone vs teachers).

    python -m monai_fairness.report.compare --report erm=eval/erm/report.json --report model=eval/model/report.json \
        --reference erm --out eval

writes ``comparison.json`` and a self-contained ``comparison.html`` (table, per-group bars per model, gap bars) and
prints the table.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np

from monai_fairness.report.render import _png, _table, format_value
from monai_fairness.tasks import get_task

__all__ = ["compare_reports", "format_comparison", "render_comparison_html", "main"]


def _load(report: str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(report, str):
        with open(report) as f:
            return json.load(f)
    return dict(report)


def compare_reports(reports: Mapping[str, str | Mapping[str, Any]], reference: str | None = "erm") -> dict[str, Any]:
    """Collect overall, per-group and gap metrics of each named report; relative gap change against ``reference``.

    Args:
        reports: ``{model name: report.json path or report dict}``, in display order.
        reference: name of the baseline the others are compared with (skipped when absent).

    Returns:
        ``{"task", "groups", "reference", "models": {name: {"n_by_group", "overall", "by_group", "gaps", "ci"}},
        "versus_reference": {name: {"<gap>_reduction": (ref - m) / ref, "<utility>_change": m - ref}}}``.

    Raises:
        ValueError: When no report is given or the reports disagree on the task or the groups.
    """
    if not reports:
        raise ValueError("reports expected at least one named report but got none.")
    loaded = {name: _load(r) for name, r in reports.items()}
    first = next(iter(loaded.values()))
    task, groups = first["task"], first["groups"]
    for name, rep in loaded.items():
        if rep["task"] != task or rep["groups"] != groups:
            raise ValueError(
                f"report '{name}' expected task {task!r} and groups {groups!r} but got {rep['task']!r} and "
                f"{rep['groups']!r}."
            )
    gap_keys = [k for k in get_task(task).gaps if k in first["fairness"]]
    models = {
        name: {
            "n_by_group": rep["n_by_group"],
            "overall": rep["overall"],
            "by_group": rep["by_group"],
            "worst_group": {
                m: min((v[m] for v in rep["by_group"].values() if v[m] is not None), default=None)
                for m in rep["overall"]
            },
            "gaps": {k: rep["fairness"].get(k) for k in gap_keys},
            "ci": {k: rep.get("ci", {}).get(k) for k in gap_keys + list(rep["overall"])},
        }
        for name, rep in loaded.items()
    }
    versus: dict[str, dict[str, float | None]] = {}
    if reference is not None and reference in models:
        ref = models[reference]
        for name, m in models.items():
            if name == reference:
                continue
            row: dict[str, float | None] = {}
            for k in gap_keys:
                r, v = ref["gaps"][k], m["gaps"][k]
                row[f"{k}_reduction"] = (r - v) / r if r not in (None, 0) and v is not None else None
            for u in m["overall"]:
                r, v = ref["overall"][u], m["overall"][u]
                row[f"{u}_change"] = v - r if None not in (r, v) else None
            versus[name] = row
    return {
        "task": task,
        "groups": groups,
        "reference": reference if reference in models else None,
        "models": models,
        "versus_reference": versus,
    }


def format_comparison(comparison: Mapping[str, Any]) -> str:
    """A plain-text table: one row per model with overall and per-group utility and the gaps."""
    models = comparison["models"]
    first = next(iter(models.values()))
    utility = list(first["overall"])
    gids = list(comparison["groups"])
    gap_keys = list(first["gaps"])
    cols = [f"{u}" for u in utility] + [f"{u}_g{g}" for u in utility for g in gids] + gap_keys
    widths = [max(11, len(c) + 2) for c in cols]
    name_width = max(14, *(len(n) + 1 for n in models))  # full names: "segmentor_apple" was cut to 14 characters
    lines = ["model".ljust(name_width) + "".join(c.rjust(w) for c, w in zip(cols, widths, strict=True))]
    for name, m in models.items():
        values = [m["overall"][u] for u in utility] + [m["by_group"][g][u] for u in utility for g in gids]
        values += [m["gaps"][k] for k in gap_keys]
        lines.append(
            name.ljust(name_width) + "".join(format_value(v).rjust(w) for v, w in zip(values, widths, strict=True))
        )
    ref = comparison.get("reference")
    if ref:
        lines.append(f"relative to {ref} (gap reduction: positive = smaller gap; change: difference in value):")
        for name, row in comparison["versus_reference"].items():
            lines.append(f"  {name}: " + ", ".join(f"{k} {format_value(v)}" for k, v in row.items()))
    lines.append("groups: " + ", ".join(f"g{g} = {n}" for g, n in comparison["groups"].items()))
    return "\n".join(lines)


def _group_bars(comparison: Mapping[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = comparison["models"]
    names = list(models)
    first = next(iter(models.values()))
    utility = list(first["overall"])
    gids = list(comparison["groups"])
    gap_keys = list(first["gaps"])
    panels = len(utility) + 1
    fig, axes = plt.subplots(1, panels, figsize=(4.2 * panels, 3.4), squeeze=False)
    width = 0.8 / max(len(gids), 1)
    x = np.arange(len(names))
    for ax, u in zip(axes[0][:-1], utility, strict=True):
        for j, g in enumerate(gids):
            vals = [models[n]["by_group"][g][u] or 0.0 for n in names]
            ax.bar(x + (j - (len(gids) - 1) / 2) * width, vals, width, label=f"{g} {comparison['groups'][g]}")
        lo = min((models[n]["by_group"][g][u] or 0.0) for n in names for g in gids)
        ax.set_ylim(max(0.0, lo - 0.1), 1.0)
        ax.set_xticks(x, names, rotation=30, ha="right")
        ax.set_title(f"{u} by group")
        ax.legend(fontsize=8, loc="lower right")
    ax = axes[0][-1]
    width = 0.8 / max(len(gap_keys), 1)
    for j, k in enumerate(gap_keys):
        vals = [models[n]["gaps"][k] or 0.0 for n in names]
        ax.bar(x + (j - (len(gap_keys) - 1) / 2) * width, vals, width, label=k)
    ax.set_xticks(x, names, rotation=30, ha="right")
    ax.set_title("gaps (lower is fairer)")
    ax.legend(fontsize=8)
    return _png(fig)


def render_comparison_html(comparison: Mapping[str, Any], title: str = "Model comparison") -> str:
    """Self-contained HTML page with the comparison table and plots."""
    models = comparison["models"]
    first = next(iter(models.values()))
    utility = list(first["overall"])
    gids = list(comparison["groups"])
    gap_keys = list(first["gaps"])
    header = ["model"] + utility + [f"{u} g{g} ({comparison['groups'][g]})" for u in utility for g in gids] + gap_keys
    rows = [
        [name]
        + [format_value(m["overall"][u]) for u in utility]
        + [format_value(m["by_group"][g][u]) for u in utility for g in gids]
        + [format_value(m["gaps"][k]) for k in gap_keys]
        for name, m in models.items()
    ]
    versus = ""
    if comparison.get("reference"):
        keys = list(next(iter(comparison["versus_reference"].values()), {}))
        vrows = [[n] + [format_value(r[k]) for k in keys] for n, r in comparison["versus_reference"].items()]
        versus = (
            f"<h2>Relative to {html.escape(comparison['reference'])}</h2><p>*_reduction = (reference gap - model gap)"
            " / reference gap (positive: fairer); *_change = model - reference.</p>" + _table(["model"] + keys, vrows)
        )
    img = _group_bars(comparison)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1300px}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}
th{{background:#f3f3f3}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Task: <b>{html.escape(comparison["task"])}</b>, the same test split for every model. Values are fractions;
gaps are lower-is-better. Each model's full report (CIs, parity metrics, plots) is in its own folder.</p>
{_table(header, rows)}{versus}
<figure><img alt="per-group metrics and gaps" src="data:image/png;base64,{img}"/></figure>
</body></html>
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--report", action="append", required=True, metavar="NAME=PATH", help="a model's report.json")
    p.add_argument("--out", required=True, help="folder for comparison.json and comparison.html")
    p.add_argument("--reference", default="erm", help="baseline model name (default erm)")
    p.add_argument("--title", default="Model comparison")
    args = p.parse_args(argv)
    reports = {}
    for spec in args.report:
        if "=" not in spec:
            p.error(f"--report expected NAME=PATH but got {spec!r}")
        name, path = spec.split("=", 1)
        reports[name] = path
    comparison = compare_reports(reports, reference=args.reference)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "comparison.json"), "w") as f:
        json.dump(comparison, f, indent=1)
    with open(os.path.join(args.out, "comparison.html"), "w") as f:
        f.write(render_comparison_html(comparison, title=args.title))
    print(format_comparison(comparison))
    return 0


if __name__ == "__main__":
    sys.exit(main())
