# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Does APPLE do what it claims on data where the answer is known? Frozen segmentor vs + APPLE, over several seeds.

    python -m benchmarks.apple_efficacy                # seeds 0 1 2 (about 5 min per seed on 2 CPU cores)

Each seed runs the whole pipeline of ``bundles/apple_ct_segmentation`` (``monai_fairness.pipelines.apple``: segmentor
pretraining, APPLE training, both evaluations; finished stages in ``--workdir`` are reused) on the default planted-bias
CT demo data (bias planted in the female group) and reads the test reports and the latent leakage. Prints one JSON
document: per seed and mean over seeds, overall and per-group Dice, the Dice gap, the attribute's balanced accuracy
from the pooled latent before/after (fresh linear probe; the trained discriminator), whether the segmentor's weights
stayed identical, and whether the issue's targets hold on the mean (Dice gap at least 30 % smaller, overall Dice at
most 1 point lower, probe accuracy lower after APPLE).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import numpy as np

from monai_fairness.data.synthetic import make_ct_segmentation_dataset
from monai_fairness.pipelines.apple import run_apple

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLE = os.path.join(REPO_ROOT, "bundles", "apple_ct_segmentation")


def run(seeds: list[int], data_dir: str, workdir: str, n_bootstrap: int = 200) -> dict[str, Any]:
    dataset_dir = os.path.join(data_dir, "ct")
    if not os.path.isfile(os.path.join(dataset_dir, "datalist.json")):
        make_ct_segmentation_dataset(dataset_dir, seed=0)
    per_seed = []
    for seed in seeds:
        wd = os.path.join(workdir, f"apple_ct_segmentation_seed{seed}")
        comparison = run_apple(BUNDLE, dataset_dir, wd, seed=seed, n_bootstrap=n_bootstrap)
        row: dict[str, Any] = {"seed": seed}
        for name, key in (("segmentor", "segmentor"), ("apple", "segmentor_apple")):
            m = comparison["models"][key]
            row[name] = {"dice": m["overall"]["dice"], "dice_gap": m["gaps"]["dice_gap"]}
            row[name]["by_group"] = {g: v["dice"] for g, v in m["by_group"].items()}
        leak = comparison["apple"]["leakage"]
        row["probe_balanced_accuracy"] = {k: leak["probe"][k]["balanced_accuracy"] for k in ("before", "after")}
        row["discriminator_balanced_accuracy"] = {
            k: leak["discriminator"][k]["balanced_accuracy"] for k in ("before", "after")
        }
        sha = comparison["apple"]["segmentor_sha256"]
        row["segmentor_unchanged"] = sha["before_apple"] == sha["after_apple"] == sha["inside_model_pt"]
        per_seed.append(row)
    mean = {
        n: {k: float(np.mean([r[n][k] for r in per_seed])) for k in ("dice", "dice_gap")}
        for n in ("segmentor", "apple")
    }
    probe = {k: float(np.mean([r["probe_balanced_accuracy"][k] for r in per_seed])) for k in ("before", "after")}
    gap_cut = (mean["segmentor"]["dice_gap"] - mean["apple"]["dice_gap"]) / mean["segmentor"]["dice_gap"]
    dice_change = mean["apple"]["dice"] - mean["segmentor"]["dice"]
    targets = {
        "dice_gap_reduction_at_least_0.30": gap_cut >= 0.30,
        "overall_dice_at_most_0.01_below_segmentor": dice_change >= -0.01,
        "probe_accuracy_lower_after_apple": probe["after"] < probe["before"],
        "segmentor_weights_identical": all(r["segmentor_unchanged"] for r in per_seed),
    }
    return {
        "benchmark": "apple_efficacy",
        "data": dataset_dir,
        "seeds": seeds,
        "per_seed": per_seed,
        "mean_over_seeds": {**mean, "probe_balanced_accuracy": probe},
        "dice_gap_reduction": gap_cut,
        "dice_change": dice_change,
        "targets": targets,
        "all_targets_met": all(targets.values()),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--data-dir", default=os.path.join(REPO_ROOT, "data", "demo"))
    p.add_argument("--workdir", default=os.path.join(REPO_ROOT, "runs", "benchmarks"))
    p.add_argument("--n-bootstrap", type=int, default=200)
    args = p.parse_args(argv)
    print(
        json.dumps(
            run(args.seeds, os.path.abspath(args.data_dir), os.path.abspath(args.workdir), args.n_bootstrap), indent=2
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
