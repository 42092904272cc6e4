# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Human-readable fairness reports: a short text summary and a self-contained HTML page with embedded PNG plots.

Plots: per-group bars of every utility metric with bootstrap 95 % CIs; ROC curves by group (classification);
per-group Dice distributions (segmentation). Images are embedded as base64 PNG, so the HTML is one file.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from typing import Any

import numpy as np

from monai_fairness.tasks import get_task

__all__ = ["format_text_summary", "format_value", "render_html", "roc_curve_points"]


def format_value(value: Any, spec: str = ".4f") -> str:
    """A report value as text: numbers with ``spec``, None (NaN in the JSON report) as ``n/a``, strings (the
    report's ``"inf"``/``"-inf"``) as they are."""
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    return format(value, spec)


def format_text_summary(report: Mapping[str, Any]) -> str:
    """A few lines: overall and per-group utility, then the headline fairness metrics (fractions)."""
    lines = [f"task: {report['task']}   n = {sum(report['n_by_group'].values())}   (values are fractions)"]
    utility = list(report["overall"])
    lines.append("  " + "group".ljust(16) + "n".rjust(6) + "".join(m.rjust(11) for m in utility))
    lines.append(
        "  "
        + "overall".ljust(16)
        + str(sum(report["n_by_group"].values())).rjust(6)
        + "".join(format_value(report["overall"][m]).rjust(11) for m in utility)
    )
    for gid, name in report["groups"].items():
        label = f"{gid} ({name})"[:16]
        lines.append(
            "  "
            + label.ljust(16)
            + str(report["n_by_group"][gid]).rjust(6)
            + "".join(format_value(report["by_group"][gid][m]).rjust(11) for m in utility)
        )
    headline = get_task(report["task"]).summary_metrics
    fair = [f"{k} {format_value(report['fairness'][k])}" for k in headline if k in report["fairness"]]
    lines.append("fairness: " + ", ".join(fair))
    if report.get("absent"):
        lines.append("absent (declared, no samples): " + ", ".join(report["absent"]))
    for metric, reason in report.get("undefined", {}).items():
        lines.append(f"undefined: {metric}: {reason}")
    return "\n".join(lines)


def roc_curve_points(y_score: np.ndarray, y_true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ROC curve (FPR, TPR) of binary labels, one point per distinct threshold, vectorised."""
    order = np.argsort(-y_score, kind="stable")
    s, y = y_score[order], y_true[order].astype(float)
    distinct = np.r_[np.nonzero(np.diff(s))[0], y.size - 1]
    tps = np.cumsum(y)[distinct]
    fps = (distinct + 1) - tps
    tpr = np.r_[0.0, tps / max(tps[-1], 1)]
    fpr = np.r_[0.0, fps / max(fps[-1], 1)]
    return fpr, tpr


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _bars(report: Mapping[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = list(report["overall"])
    gids = list(report["groups"])
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.6 * len(metrics), 3.2), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        values = [report["by_group"][g][metric] for g in gids]
        heights = [v if v is not None else 0.0 for v in values]
        cis = [report.get("ci_by_group", {}).get(g, {}).get(metric) for g in gids]
        err = np.array(
            [[h - c[0], c[1] - h] if c and None not in c else [0, 0] for h, c in zip(heights, cis, strict=True)]
        ).T
        ax.bar(range(len(gids)), heights, yerr=np.clip(err, 0, None), capsize=4, color="#4C72B0")
        if report["overall"][metric] is not None:
            ax.axhline(report["overall"][metric], color="#DD8452", ls="--", label="overall")
        ax.set_xticks(range(len(gids)), [f"{g}\n{report['groups'][g]}" for g in gids])
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{metric} by group (95% CI)")
        ax.legend(loc="lower right", fontsize=8)
    return _png(fig)


def _roc(report: Mapping[str, Any], df: Any) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.2, 4))
    binary = "y_score" in df.columns
    cols = (
        ["y_score"] if binary else sorted((c for c in df.columns if c.startswith("y_score_")), key=lambda c: int(c[8:]))
    )
    for gid, name in report["groups"].items():
        sub = df[df["group"] == int(gid)]
        if sub.empty:
            continue
        if binary:
            y, s = sub["y_true"].to_numpy(), sub["y_score"].to_numpy(dtype=float)
        else:  # micro-averaged one-vs-rest
            y = np.eye(len(cols))[sub["y_true"].to_numpy(dtype=int)].ravel()
            s = sub[cols].to_numpy(dtype=float).ravel()
        if y.min() == y.max():
            continue
        fpr, tpr = roc_curve_points(s, y)
        auc = report["by_group"][gid].get("auc")
        ax.plot(fpr, tpr, label=f"{gid} ({name}) AUC {format_value(auc)}")
    ax.plot([0, 1], [0, 1], color="grey", ls=":")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC by group" + ("" if binary else " (micro one-vs-rest)"))
    ax.legend(fontsize=8, loc="lower right")
    return _png(fig)


def _dice_distribution(report: Mapping[str, Any], df: Any) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.8, 3.4))
    gids = [g for g in report["groups"] if report["n_by_group"].get(g)]
    data = [df[df["group"] == int(g)]["dice"].to_numpy(dtype=float) for g in gids]
    ax.boxplot(data, showmeans=True)
    for i, d in enumerate(data, start=1):
        ax.scatter(np.full(d.size, i) + np.linspace(-0.12, 0.12, d.size), d, s=8, alpha=0.5, color="#4C72B0")
    ax.set_xticks(range(1, len(gids) + 1), [f"{g} ({report['groups'][g]})" for g in gids])
    ax.set_ylabel("per-sample Dice")
    ax.set_title("Dice distribution by group")
    return _png(fig)


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _ci(report: Mapping[str, Any], key: str) -> str:
    ci = report.get("ci", {}).get(key)
    return f"[{format_value(ci[0])}, {format_value(ci[1])}]" if ci and None not in ci else ""


def render_html(report: Mapping[str, Any], predictions: str | None = None, title: str = "Fairness report") -> str:
    """Self-contained HTML: tables of overall, per-group and fairness metrics (with CIs and variant notes) and
    embedded PNG plots. ``predictions`` (the CSV) is needed for the ROC and Dice-distribution plots."""
    import pandas as pd

    settings = report.get("settings", {})
    variants = settings.get("variants", {})
    utility = list(report["overall"])
    images = [("Per-group metrics", _bars(report))]
    if predictions is not None:
        title_, plot = get_task(report["task"]).distribution_plot
        images.append((title_, {"roc": _roc, "dice": _dice_distribution}[plot](report, pd.read_csv(predictions))))
    overall_rows = [[m, format_value(report["overall"][m]), _ci(report, m), variants.get(m, "")] for m in utility]
    group_rows = [
        [f"{g} ({n})", str(report["n_by_group"][g])] + [format_value(report["by_group"][g][m]) for m in utility]
        for g, n in report["groups"].items()
    ]
    fair_rows = [[k, format_value(v), _ci(report, k), variants.get(k, "")] for k, v in report["fairness"].items()]
    figures = "".join(
        f'<figure><img alt="{html.escape(t)}" src="data:image/png;base64,{b64}"/>'
        f"<figcaption>{html.escape(t)}</figcaption></figure>"
        for t, b64 in images
    )
    notes = "".join(
        f"<li><b>{html.escape(k)}</b>: {html.escape(str(v))}</li>" for k, v in settings.items() if k != "variants"
    )
    undefined = "".join(
        f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in report.get("undefined", {}).items()
    )
    if report.get("absent"):
        undefined += f"<li><b>absent groups</b> (declared, no samples): {html.escape(', '.join(report['absent']))}</li>"
    undefined_html = f"<h2>Undefined values (shown as n/a)</h2><ul>{undefined}</ul>" if undefined else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}
th{{background:#f3f3f3}}figure{{display:inline-block;margin:1em}}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Task: <b>{html.escape(report["task"])}</b>. All values are fractions in [0, 1] (not percent);
gaps are lower-is-better, worst-group, equity-scaled and FATE values higher-is-better.</p>
<ul>{notes}</ul>
<h2>Overall</h2>{_table(["metric", "value", "95% CI", "definition"], overall_rows)}
<h2>By group</h2>{_table(["group", "n"] + utility, group_rows)}
<h2>Fairness</h2>{_table(["metric", "value", "95% CI", "definition"], fair_rows)}
{undefined_html}
<h2>Plots</h2>{figures}
</body></html>
"""
