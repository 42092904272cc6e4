# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Does APPLE do what it claims on data where the answer is known? Frozen segmentor vs + APPLE, over several seeds.

    python -m benchmarks.apple_efficacy                # seeds 0 1 2 (about 6 min per seed on 2 CPU cores)

Each seed runs the whole pipeline of ``bundles/apple_ct_segmentation`` (``monai_fairness.pipelines.apple``: segmentor
pretraining on one half of the training split, APPLE training on the other half, both evaluations; finished stages in
``--workdir`` are reused) on the default planted-bias CT demo data (bias planted in the female group) and reads the
test reports and the latent leakage.

The default test split holds 7 female volumes, so one volume moves the female mean Dice by a seventh of its error.
Both models are therefore also evaluated on a larger fresh draw from the same generator (``--fresh-cases`` volumes,
generator seed 1000, never used for training, validation or model selection). Prints one JSON document: for both
evaluation sets, per seed and mean over seeds, overall and per-group Dice, the Dice gap, the attribute's balanced
accuracy from the pooled latent before/after (fresh linear probe; the trained discriminator; a discriminator of the
same architecture refitted on the frozen latents), whether the segmentor's
weights stayed identical, and whether the issue's targets hold on the mean (Dice gap at least 30 % smaller, overall
Dice at most 1 point lower, probe accuracy lower after APPLE).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from typing import Any

import numpy as np

from benchmarks.fresh_draw import fresh_eval_set
from monai_fairness.data.synthetic import make_ct_segmentation_dataset
from monai_fairness.pipelines.apple import EVALUATIONS, run_apple
from monai_fairness.pipelines.bundle_runner import run_bundle

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLE = os.path.join(REPO_ROOT, "bundles", "apple_ct_segmentation")


def _row(report_dir: str) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, folder in (("segmentor", "segmentor"), ("apple", "model")):
        with open(os.path.join(report_dir, folder, "report.json")) as f:
            r = json.load(f)
        row[name] = {"dice": r["overall"]["dice"], "dice_gap": r["fairness"]["dice_gap"], "n_by_group": r["n_by_group"]}
        row[name]["by_group"] = {g: v["dice"] for g, v in r["by_group"].items()}
    with open(os.path.join(report_dir, "model", "leakage.json")) as f:
        leak = json.load(f)
    row["probe_balanced_accuracy"] = {k: leak["probe"][k]["balanced_accuracy"] for k in ("before", "after")}
    for key in ("discriminator", "refitted_discriminator"):
        if key in leak:  # refitted_discriminator: leakage.json written since bundle 0.3.2
            row[f"{key}_balanced_accuracy"] = {k: leak[key][k]["balanced_accuracy"] for k in ("before", "after")}
    return row


def _summary(rows: list[dict[str, Any]], weights_identical: bool) -> dict[str, Any]:
    mean = {
        n: {k: float(np.mean([r[n][k] for r in rows])) for k in ("dice", "dice_gap")} for n in ("segmentor", "apple")
    }
    leakage = {
        key: {k: float(np.mean([r[key][k] for r in rows])) for k in ("before", "after")}
        for key in ("probe_balanced_accuracy", "refitted_discriminator_balanced_accuracy")
        if all(key in r for r in rows)
    }
    probe = leakage["probe_balanced_accuracy"]
    gap_cut = (mean["segmentor"]["dice_gap"] - mean["apple"]["dice_gap"]) / mean["segmentor"]["dice_gap"]
    dice_change = mean["apple"]["dice"] - mean["segmentor"]["dice"]
    targets = {
        "dice_gap_reduction_at_least_0.30": gap_cut >= 0.30,
        "overall_dice_at_most_0.01_below_segmentor": dice_change >= -0.01,
        "probe_accuracy_lower_after_apple": probe["after"] < probe["before"],
        "segmentor_weights_identical": weights_identical,
    }
    return {
        "per_seed": rows,
        "mean_over_seeds": {**mean, **leakage},
        "dice_gap_reduction": gap_cut,
        "dice_change": dice_change,
        "targets": targets,
        "all_targets_met": all(targets.values()),
    }


def run(seeds: list[int], data_dir: str, workdir: str, fresh_cases: int, n_bootstrap: int = 200) -> dict[str, Any]:
    dataset_dir = os.path.join(data_dir, "ct")
    if not os.path.isfile(os.path.join(dataset_dir, "datalist.json")):
        make_ct_segmentation_dataset(dataset_dir, seed=0)
    make = functools.partial(make_ct_segmentation_dataset, write_dicom=False)
    fresh_dir = os.path.join(workdir, f"ct_fresh_{fresh_cases}")
    fresh = fresh_eval_set(fresh_dir, make, fresh_cases) if fresh_cases else None
    default_rows, fresh_rows, unchanged = [], [], []
    for seed in seeds:
        wd = os.path.join(workdir, f"apple_ct_segmentation_seed{seed}")
        comparison = run_apple(BUNDLE, dataset_dir, wd, seed=seed, n_bootstrap=n_bootstrap)
        sha = comparison["apple"]["segmentor_sha256"]
        unchanged.append(sha["before_apple"] == sha["after_apple"] == sha["inside_model_pt"])
        default_rows.append({"seed": seed, "segmentor_unchanged": unchanged[-1], **_row(os.path.join(wd, "eval"))})
        if fresh:
            out = os.path.join(wd, "eval_fresh")
            common = {"dataset_dir": fresh, "ckpt_dir": os.path.join(wd, "models"), "output_dir": out, "seed": seed}
            for name, configs in EVALUATIONS.items():
                if not os.path.exists(os.path.join(out, name, "report.json")):
                    run_bundle(BUNDLE, configs, {**common, "eval_model": name, "n_bootstrap": n_bootstrap}, quiet=True)
            fresh_rows.append({"seed": seed, **_row(out)})
    result: dict[str, Any] = {
        "benchmark": "apple_efficacy",
        "data": dataset_dir,
        "seeds": seeds,
        "default_test_split": _summary(default_rows, all(unchanged)),
    }
    if fresh_rows:
        result["fresh_draw"] = {"data": fresh, **_summary(fresh_rows, all(unchanged))}
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--data-dir", default=os.path.join(REPO_ROOT, "data", "demo"))
    p.add_argument("--workdir", default=os.path.join(REPO_ROOT, "runs", "benchmarks"))
    p.add_argument("--fresh-cases", type=int, default=400, help="size of the extra evaluation draw (0: none)")
    p.add_argument("--n-bootstrap", type=int, default=200)
    args = p.parse_args(argv)
    result = run(
        args.seeds, os.path.abspath(args.data_dir), os.path.abspath(args.workdir), args.fresh_cases, args.n_bootstrap
    )
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
