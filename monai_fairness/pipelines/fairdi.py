# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The whole FairDi pipeline of a FairDi bundle, in order, as ordinary bundle commands.

    python -m monai_fairness.pipelines.fairdi --bundle bundles/fairdi_skin_lesion_classification \
        --dataset_dir data/demo/derm --workdir runs/fairdi_cls

1. ``train_backbone``: FIS backbone -> ``models/backbone.pt``;
2. ``train_teacher`` once per group id k of the datalist (``--group_id k``) -> ``models/teacher_g{k}.pt``;
3. ``train_student`` -> ``models/model.pt`` (the deployable model);
4. baselines (``--baselines erm resampling reweighting``; default ``erm``) -> ``models/<name>.pt``;
5. ``evaluate`` for every model -> ``eval/<name>/predictions.csv``, ``report.json``, ``report.html``;
6. the side-by-side comparison -> ``eval/comparison.json`` and ``eval/comparison.html``, printed as a table.

Each command is printed before it runs. A finished stage leaves ``models/<stage>.done`` and is skipped on a rerun
(``--force`` redoes everything); an interrupted stage resumes from its last epoch checkpoint.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence

from monai_fairness.data.datalist import group_ids
from monai_fairness.pipelines.bundle_runner import (
    overlays_for,
    parse_sets,
    pipeline_parser,
    print_pipeline_result,
    run_bundle,
    run_stages,
    workdir_layout,
)
from monai_fairness.report.compare import compare_reports, format_comparison, render_comparison_html

__all__ = ["BASELINES", "run_fairdi", "main"]

BASELINES = {
    "erm": ["train.json"],
    "resampling": ["train.json", "train_resampling.json"],
    "reweighting": ["train.json", "train_reweighting.json"],
}


def run_fairdi(
    bundle: str,
    dataset_dir: str,
    workdir: str,
    seed: int = 0,
    baselines: Sequence[str] = ("erm",),
    overrides: dict[str, str] | None = None,
    n_bootstrap: int = 1000,
    force: bool = False,
    datalist_name: str = "datalist.json",
    demo: bool = False,
    evaluate_stages: bool = True,
) -> dict:
    """Run every stage (skipping finished ones) and return the comparison (:mod:`monai_fairness.report.compare`).

    ``demo`` stacks the bundle's ``configs/demo.json`` (demo sizes) on every command. ``evaluate_stages`` false
    evaluates only the baselines and the student (``make demo``: three evaluation commands fewer), not the backbone
    and the teachers.

    Raises:
        ValueError: When a baseline name is unknown.
        subprocess.CalledProcessError: When a stage fails (its output says why).
    """
    unknown = [b for b in baselines if b not in BASELINES]
    if unknown:
        raise ValueError(f"baselines expected names from {sorted(BASELINES)} but got {unknown}.")
    bundle, ckpt_dir, out_dir, common = workdir_layout(bundle, dataset_dir, workdir, seed, overrides)
    groups = group_ids(os.path.join(dataset_dir, datalist_name)) or []
    stages: list[tuple[str, list[str], dict[str, object]]] = [("backbone", ["train.json", "train_backbone.json"], {})]
    stages += [(f"teacher_g{g}", ["train.json", "train_teacher.json"], {"group_id": g}) for g in groups]
    stages += [("student", ["train.json", "train_student.json"], {})]
    stages += [(b, BASELINES[b], {}) for b in baselines]
    overlays = overlays_for(demo)
    timings = run_stages(bundle, stages, common, ckpt_dir, force, overlays)
    stage_models = ["backbone"] + [f"teacher_g{g}" for g in groups] if evaluate_stages else []
    models = list(baselines) + stage_models + ["model"]
    for name in models:
        report = os.path.join(out_dir, name, "report.json")
        if os.path.exists(report) and not force:
            continue
        timings[f"evaluate_{name}"] = run_bundle(
            bundle,
            ["train.json", "evaluate.json"],
            {**common, "eval_model": name, "n_bootstrap": n_bootstrap},
            overlays=overlays,
        )
    reports = {("fairdi_student" if n == "model" else n): os.path.join(out_dir, n, "report.json") for n in models}
    comparison = compare_reports(reports, reference="erm" if "erm" in baselines else None)
    comparison["timings_s"] = {n: round(t, 1) for n, t in timings.items()}

    with open(os.path.join(out_dir, "comparison.json"), "w") as f:
        json.dump(comparison, f, indent=1)
    with open(os.path.join(out_dir, "comparison.html"), "w") as f:
        f.write(render_comparison_html(comparison, title=f"FairDi vs baselines: {os.path.basename(bundle)}"))
    return comparison


def main(argv: list[str] | None = None) -> int:
    p = pipeline_parser(__doc__, "FairDi")
    p.add_argument("--baselines", nargs="*", default=["erm"], choices=sorted(BASELINES))
    args = p.parse_args(argv)
    start = time.time()
    comparison = run_fairdi(
        args.bundle,
        args.dataset_dir,
        args.workdir,
        args.seed,
        args.baselines,
        parse_sets(args.set),
        args.n_bootstrap,
        args.force,
        demo=args.demo,
    )
    print_pipeline_result("FairDi: side by side on the test split", format_comparison(comparison), args.workdir, start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
