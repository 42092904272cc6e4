# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""``study.html``: one self-contained page with the verdicts, the tables with intervals and the Pareto plots."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import numpy as np

from monai_fairness.report.render import _png, _table, format_value

__all__ = ["render_study_html", "format_study"]

_COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"]


def _ci(ci: Any, scale: float = 1.0) -> str:
    return "" if not ci else f"[{format_value(scale * ci[0])}, {format_value(scale * ci[1])}]"


def _pareto(study: Mapping[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gap, headline, worst = study["primary_gap"], study["headline"], study["worst_group"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    for ax, y_metric in zip(axes, (headline, worst), strict=True):
        for i, (name, m) in enumerate(study["methods"].items()):
            x, y = m["metrics"][gap], m["metrics"][y_metric]
            if x["value"] is None or y["value"] is None:
                continue
            xerr = np.array([[x["value"] - x["ci"][0]], [x["ci"][1] - x["value"]]]) if x["ci"] else None
            yerr = np.array([[y["value"] - y["ci"][0]], [y["ci"][1] - y["value"]]]) if y["ci"] else None
            color = _COLORS[i % len(_COLORS)]
            ax.errorbar(x["value"], y["value"], xerr=xerr, yerr=yerr, fmt="o", ms=8, capsize=4, color=color, label=name)
            ax.annotate(name, (x["value"], y["value"]), textcoords="offset points", xytext=(6, 6), fontsize=9)
        ax.set_xlabel(f"{gap} (lower is fairer)")
        ax.set_ylabel(f"{y_metric} (higher is better)")
        ax.set_title(f"{y_metric} vs {gap}, mean over seeds, 95% CI")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="best")
    fig.tight_layout()
    return _png(fig)


def format_study(study: Mapping[str, Any]) -> str:
    """A plain-text summary: one row per method (headline, worst group, primary gap with intervals), the verdicts."""
    gap, headline, worst = study["primary_gap"], study["headline"], study["worst_group"]
    lines = [
        f"study: {study['task']}, {study['n_test']} test cases "
        + ", ".join(f"{g} ({n}): {study['n_by_group'][g]}" for g, n in study["groups"].items())
        + f"; seeds {study['seeds']}; mean over seeds [95 % CI]"
    ]
    lines.append("  " + "method".ljust(13) + "".join(k.rjust(28) for k in (headline, worst, gap)))
    for name, m in study["methods"].items():
        cells = [
            f"{format_value(m['metrics'][k]['value'])} {_ci(m['metrics'][k]['ci'])}".rjust(28)
            for k in (headline, worst, gap)
        ]
        lines.append("  " + name.ljust(13) + "".join(cells))
    for text in study["verdicts"].values():
        lines.append("- " + text)
    for w in study["warnings"]:
        lines.append("warning: " + w)
    return "\n".join(lines)


def render_study_html(study: Mapping[str, Any], title: str = "Fairness study") -> str:
    """Self-contained HTML (images embedded as base64 PNG)."""
    metrics = list(next(iter(study["methods"].values()))["metrics"])
    method_rows = [
        [name, str(m["seeds"])]
        + [f"{format_value(m['metrics'][k]['value'])} {_ci(m['metrics'][k]['ci'])}" for k in metrics]
        for name, m in study["methods"].items()
    ]
    comparison_tables = []
    for name, against in study["comparisons"].items():
        for other, rows in against.items():
            table_rows = [
                [
                    k,
                    format_value(r["method"]),
                    format_value(r["reference"]),
                    f"{format_value(r['difference'])} {_ci(r['difference_ci'])}",
                    f"{format_value(r['relative'], '+.1%') if r['relative'] is not None else 'n/a'} "
                    + (f"[{r['relative_ci'][0]:+.1%}, {r['relative_ci'][1]:+.1%}]" if r["relative_ci"] else ""),
                ]
                for k, r in rows.items()
            ]
            comparison_tables.append(
                f"<h3>{html.escape(name)} vs {html.escape(other)}</h3>"
                + _table(["metric", name, other, "difference [95% CI]", "relative [95% CI]"], table_rows)
            )
    verdicts = "".join(f"<li>{html.escape(v)}</li>" for v in study["verdicts"].values())
    warns = "".join(f"<li>{html.escape(w)}</li>" for w in study["warnings"])
    settings = "".join(
        f"<li><b>{html.escape(k)}</b>: {html.escape(str(v))}</li>" for k, v in study.get("settings", {}).items()
    )
    env = study.get("environment", {})
    env_text = html.escape(
        ", ".join(f"{k} {v}" for k, v in env.get("packages", {}).items())
        + f"; lock {env.get('lock')} sha256 {str(env.get('lock_sha256'))[:12]}, matches: {env.get('matches_lock')}"
    )
    groups = ", ".join(f"{g} ({n}): {study['n_by_group'][g]}" for g, n in study["groups"].items())
    pareto = _pareto(study)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}
table{{border-collapse:collapse;margin:1em 0;font-size:90%}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left}}
th{{background:#f3f3f3}}figure{{margin:1em 0}}img{{max-width:100%}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Task <b>{html.escape(study["task"])}</b>; {study["n_test"]} test cases ({html.escape(groups)}); seeds
{html.escape(str(study["seeds"]))}; reference <b>{html.escape(str(study["reference"]))}</b>; best simple baseline
<b>{html.escape(str(study["best_simple_baseline"]))}</b>. Values are fractions, mean over seeds, with 95 % paired
bootstrap intervals. A method "cuts the gap" only where the interval of the paired difference excludes zero.</p>
<h2>Verdicts</h2><ul>{verdicts}</ul>
{f"<h2>Warnings</h2><ul>{warns}</ul>" if warns else ""}
<h2>Pareto plots</h2>
<figure><img alt="Pareto plots" src="data:image/png;base64,{pareto}"/>
<figcaption>overall and worst-group metric against the gap; whiskers: 95 % intervals</figcaption></figure>
<h2>Every method</h2>{_table(["method", "seeds"] + metrics, method_rows)}
<h2>Paired comparisons</h2>{"".join(comparison_tables)}
<h2>Settings</h2><ul>{settings}<li><b>environment</b>: {env_text}</li></ul>
</body></html>
"""
