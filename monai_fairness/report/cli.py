# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Fairness report from a predictions CSV (data contract): writes ``report.json`` and ``report.html``.

    python -m monai_fairness.report --predictions eval/predictions.csv --out eval/report
    python -m monai_fairness.report --predictions pruned.csv --out out --baseline vanilla/report.json

Units are fractions; the decision rule is ``y_score >= --threshold`` (binary, default 0.5) or argmax (multi-class);
95 % CIs come from a seeded group-stratified bootstrap (``--n-bootstrap``, ``--seed``).
"""

from __future__ import annotations

import argparse
import os
import sys

from monai_fairness.report.build import build_report, write_report_json
from monai_fairness.report.render import format_text_summary, render_html
from monai_fairness.report.thresholds import choose_thresholds_from_predictions, load_group_thresholds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m monai_fairness.report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--predictions", required=True, help="predictions CSV")
    p.add_argument("--out", required=True, help="output folder for report.json and report.html")
    p.add_argument("--baseline", help="baseline report.json, for FATE")
    p.add_argument("--task", choices=("classification", "segmentation"), help="default: inferred from the columns")
    p.add_argument("--datalist", help="datalist JSON, for group names")
    p.add_argument("--n-bootstrap", type=int, default=1000, help="bootstrap resamples for the 95%% CIs (>= 1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threshold", type=float, default=0.5, help="binary decision threshold, in (0, 1)")
    p.add_argument(
        "--thresholds",
        help="group-specific thresholds: a validation predictions CSV to choose them on (never the test CSV), or a "
        "thresholds JSON written by the bundles' thresholds.json",
    )
    p.add_argument(
        "--threshold-criterion",
        default="balanced_accuracy",
        choices=("balanced_accuracy", "equal_tpr", "equal_fpr"),
        help="how --thresholds chooses from a validation CSV",
    )
    p.add_argument("--title", default="Fairness report")
    args = p.parse_args(argv)
    try:
        if args.n_bootstrap < 1:
            raise ValueError(f"--n-bootstrap expected a count >= 1 but got {args.n_bootstrap}.")
        names = None
        if args.datalist:
            from monai_fairness.data.datalist import read_datalist

            names = read_datalist(args.datalist).get("groups")
        group_thresholds = None
        if args.thresholds:
            if os.path.abspath(args.thresholds) == os.path.abspath(args.predictions):
                raise ValueError("--thresholds: thresholds must never be chosen on the predictions being reported.")
            if args.thresholds.endswith(".json"):
                group_thresholds = load_group_thresholds(args.thresholds, group_names=names)
            else:
                group_thresholds = choose_thresholds_from_predictions(args.thresholds, args.threshold_criterion)
        report = build_report(
            args.predictions,
            task=args.task,
            group_names=names,
            baseline=args.baseline,
            n_bootstrap=args.n_bootstrap,
            seed=args.seed,
            threshold=args.threshold,
            group_thresholds=group_thresholds,
        )
    except ValueError as e:  # PredictionsError, DatalistError and bad arguments: one line a user can act on
        print(f"error: {e}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    write_report_json(report, os.path.join(args.out, "report.json"))
    with open(os.path.join(args.out, "report.html"), "w") as f:
        f.write(render_html(report, args.predictions, title=args.title))
    print(format_text_summary(report))
    print(f"report: {os.path.join(args.out, 'report.json')}\nhtml:   {os.path.join(args.out, 'report.html')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
