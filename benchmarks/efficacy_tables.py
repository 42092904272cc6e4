# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Markdown tables of a stored efficacy study, as the README and the model cards quote them (no number typed by hand).

python -m benchmarks.efficacy_tables benchmarks/results/efficacy_classification.json
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from monai_fairness.study.methods import METHODS

GAPS = {"classification": ("auc_gap", "accuracy_gap", "eodd"), "segmentation": ("dice_gap",)}


def _v(x: float | None, pct: bool = False) -> str:
    if x is None:
        return "n/a"
    return f"{100 * x:+.0f} %" if pct else f"{x:.3f}"


def _ci(ci: list | None, pct: bool = False, points: bool = False) -> str:
    if not ci:
        return "n/a"
    if points:
        return f"{100 * ci[0]:+.1f} to {100 * ci[1]:+.1f} pt"
    return f"{_v(ci[0], pct)} to {_v(ci[1], pct)}"


def _bold(text: str, ci: list | None) -> str:
    return f"**{text}**" if ci and (ci[0] > 0 or ci[1] < 0) else text


def method_table(study: dict[str, Any], methods: list[str] | None = None) -> str:
    """One row per method: the headline metric, the worst group and each gap, mean over seeds [95 % CI], and the
    primary gap of each seed's model (the spread over training runs, which the intervals do not cover).
    ``methods``: only these rows and the reference's."""
    task, primary = study["task"], study["primary_gap"]
    keys = [study["headline"], study["worst_group"], *GAPS[task]]
    lines = [
        "| method | " + " | ".join(keys) + f" | {primary} per seed |",
        "|---" * (len(keys) + 2) + "|",
    ]
    for name, m in study["methods"].items():
        if methods and name not in methods and name != study["reference"]:
            continue
        cells = [f"{_v(m['metrics'][k]['value'])} [{_ci(m['metrics'][k]['ci'])}]" for k in keys]
        cells.append(", ".join(_v(x) for x in m.get("per_seed", {}).get(primary, [])) or "n/a")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def seeds_lower(study: dict[str, Any], method: str, other: str) -> str:
    """``"k of n"``: in how many seeds the method's primary gap is below the other's (same training seed)."""
    primary = study["primary_gap"]
    a = study["methods"][method].get("per_seed", {}).get(primary)
    b = study["methods"][other].get("per_seed", {}).get(primary)
    if not a or not b or None in a or None in b:
        return "n/a"
    return f"{sum(x < y for x, y in zip(a, b, strict=True))} of {len(a)}"


def comparison_table(study: dict[str, Any], methods: list[str] | None = None) -> str:
    """Paired comparisons: each gap's relative change [95 % CI] and the headline's change in points [95 % CI], bold
    where the interval of the paired difference excludes zero; and in how many seeds the primary gap is lower."""
    task, headline = study["task"], study["headline"]
    gaps = GAPS[task]
    lines = [
        "| method | vs | " + " | ".join(f"{g} change [95 % CI]" for g in gaps) + f" | {headline} change [95 % CI] "
        f"| seeds with a lower {study['primary_gap']} |",
        "|---" * (len(gaps) + 4) + "|",
    ]
    for name, against in study["comparisons"].items():
        if methods and name not in methods:
            continue
        for other, rows in against.items():
            cells = []
            for g in gaps:
                r = rows[g]
                text = f"{_v(r['relative'], True)} [{_ci(r['relative_ci'], True)}]"
                cells.append(_bold(text, r["difference_ci"]))
            h = rows[headline]
            diff = (
                f"{100 * h['difference']:+.1f} pt [{_ci(h['difference_ci'], points=True)}]"
                if h["difference"] is not None
                else "n/a"
            )
            cells.append(_bold(diff, h["difference_ci"]))
            cells.append(seeds_lower(study, name, other))
            lines.append(f"| {name} | {other} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def leakage_table(study: dict[str, Any]) -> str:
    """APPLE's attribute leakage per seed (``study["leakage"]``: balanced accuracy on the test set, chance 0.5 for two
    groups): a fresh linear probe on the pooled latent before and after the perturbation, and a refitted copy of the
    discriminator's architecture. Empty when no method has it."""
    cols = [("probe", "before"), ("probe", "after"), ("refitted_discriminator", "before"),
            ("refitted_discriminator", "after")]  # fmt: skip
    lines = []
    for name, seeds in study.get("leakage", {}).items():
        values = [[seed[reader][when] for seed in seeds] for reader, when in cols]
        cells = [f"{sum(v) / len(v):.2f} ({', '.join(f'{x:.2f}' for x in v)})" for v in values]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if not lines:
        return ""
    head = "| method | " + " | ".join(f"{r.replace('refitted_discriminator', 'refitted D')} {w}: mean (per seed)"
                                     for r, w in cols) + " |"  # fmt: skip
    return "\n".join([head, "|---" * 5 + "|", *lines])


def summary_table(studies: list[dict[str, Any]]) -> str:
    """The README's short table: per method its primary gap, the gap's relative change against the reference and
    against the method's control (where the study compared them) [95 % CI], and the headline metric's change in
    points; bold where the interval of the paired difference excludes zero."""
    lines = [
        "| method | gap | gap vs ERM [95 % CI] | gap vs its control [95 % CI] | overall vs ERM [95 % CI] | seeds lower "
        "than ERM |",
        "|---" * 6 + "|",
    ]
    for study in studies:
        gap, headline, ref = study["primary_gap"], study["headline"], study["reference"]
        lines.append(f"| **{study['task']}** (reference {ref}: {gap} "
                     f"{_v(study['methods'][ref]['metrics'][gap]['value'])}) | | | | | |")  # fmt: skip
        for name, against in study["comparisons"].items():
            controls = [o for o in against if o in METHODS and METHODS[o].control_of == name]
            rel = against[ref][gap]
            cells = [
                f"{_v(study['methods'][name]['metrics'][gap]['value'])}",
                _bold(f"{_v(rel['relative'], True)} [{_ci(rel['relative_ci'], True)}]", rel["difference_ci"]),
            ]
            ctrl = []
            for c in controls:
                r = against[c][gap]
                ctrl.append(_bold(f"{c}: {_v(r['relative'], True)} [{_ci(r['relative_ci'], True)}]",
                                  r["difference_ci"]))  # fmt: skip
            cells.append("; ".join(ctrl) or "")
            h = against[ref][headline]
            overall = (
                "n/a"
                if h["difference"] is None
                else _bold(
                    f"{100 * h['difference']:+.1f} pt [{_ci(h['difference_ci'], points=True)}]", h["difference_ci"]
                )
            )
            cells.append(overall)  # fmt: skip
            cells.append(seeds_lower(study, name, ref))
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("study", nargs="+", help="a study.json (several with --summary)")
    p.add_argument("--methods", nargs="*", default=None, help="only these methods' rows and comparisons")
    p.add_argument("--summary", action="store_true", help="the README's one short table over every study given")
    args = p.parse_args(argv)
    studies = []
    for path in args.study:
        with open(path) as f:
            studies.append(json.load(f))
    if args.summary:
        print(summary_table(studies))
        return 0
    if len(studies) > 1:
        p.error("several studies need --summary")
    study = studies[0]
    env = study.get("environment", {})
    print(f"{study['task']}: {study['n_test']} test cases {study['n_by_group']}, seeds {study['seeds']}, "
          f"lock sha256 {str(env.get('lock_sha256'))[:12]} ({env.get('packages')})\n")  # fmt: skip
    print(method_table(study, args.methods) + "\n")
    print(comparison_table(study, args.methods) + "\n")
    leakage = leakage_table(study)
    if leakage:
        print(leakage + "\n")
    for text in study["verdicts"].values():
        print("- " + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
