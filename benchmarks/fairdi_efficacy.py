# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Does FairDi do what it claims on data where the answer is known? ERM vs FairDi student over several seeds.

    python -m benchmarks.fairdi_efficacy                          # classification, seeds 0 1 2 (about 15 min/seed)
    python -m benchmarks.fairdi_efficacy --task segmentation      # 3D CT, seeds 0 1 2

Each seed runs the whole pipeline of the FairDi bundle (``monai_fairness.pipelines.fairdi``: ERM, FIS backbone,
teachers, student; stages already finished in ``--workdir`` are reused) on the default planted-bias demo data, then
reads the ERM and student reports. Prints one JSON document: per seed and mean over seeds, the gaps and the overall
utility, the relative gap reductions, and whether the issue's targets hold on the mean:

- classification: student accuracy gap and AUC gap each at least 30 % below ERM's, overall AUC at most 0.01 below;
- segmentation: student Dice gap below ERM's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import numpy as np

from monai_fairness.data.synthetic import make_ct_segmentation_dataset, make_skin_lesion_dataset
from monai_fairness.pipelines.fairdi import run_fairdi

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TASKS = {
    "classification": ("fairdi_skin_lesion_classification", "derm", ("accuracy_gap", "auc_gap"), "auc"),
    "segmentation": ("fairdi_ct_segmentation", "ct", ("dice_gap",), "dice"),
}


def _mean(values: list[float]) -> float:
    return float(np.mean(values))


def run(task: str, seeds: list[int], data_dir: str, workdir: str, n_bootstrap: int = 200) -> dict[str, Any]:
    bundle, sub, gap_keys, utility = TASKS[task]
    dataset_dir = os.path.join(data_dir, sub)
    if not os.path.isfile(os.path.join(dataset_dir, "datalist.json")):
        (make_skin_lesion_dataset if sub == "derm" else make_ct_segmentation_dataset)(dataset_dir, seed=0)
    per_seed = []
    for seed in seeds:
        comparison = run_fairdi(
            os.path.join(REPO_ROOT, "bundles", bundle),
            dataset_dir,
            os.path.join(workdir, f"{bundle}_seed{seed}"),
            seed=seed,
            baselines=["erm"],
            n_bootstrap=n_bootstrap,
        )
        erm, student = comparison["models"]["erm"], comparison["models"]["fairdi_student"]
        row: dict[str, Any] = {"seed": seed}
        for name, m in (("erm", erm), ("student", student)):
            row[name] = {utility: m["overall"][utility], **{k: m["gaps"][k] for k in gap_keys}}
            row[name]["by_group"] = {g: v[utility] for g, v in m["by_group"].items()}
            if task == "classification":
                row[name]["accuracy_by_group"] = {g: v["accuracy"] for g, v in m["by_group"].items()}
        per_seed.append(row)
    mean = {
        name: {k: _mean([r[name][k] for r in per_seed]) for k in (utility, *gap_keys)} for name in ("erm", "student")
    }
    reduction = {k: (mean["erm"][k] - mean["student"][k]) / mean["erm"][k] for k in gap_keys}
    utility_change = mean["student"][utility] - mean["erm"][utility]
    if task == "classification":
        targets = {
            "accuracy_gap_reduction_at_least_0.30": reduction["accuracy_gap"] >= 0.30,
            "auc_gap_reduction_at_least_0.30": reduction["auc_gap"] >= 0.30,
            "overall_auc_at_most_0.01_below_erm": utility_change >= -0.01,
        }
    else:
        targets = {"dice_gap_narrower_than_erm": reduction["dice_gap"] > 0}
    return {
        "benchmark": f"fairdi_efficacy_{task}",
        "data": dataset_dir,
        "seeds": seeds,
        "per_seed": per_seed,
        "mean_over_seeds": mean,
        "gap_reduction_vs_erm": reduction,
        f"{utility}_change_vs_erm": utility_change,
        "targets": targets,
        "all_targets_met": all(targets.values()),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=sorted(TASKS), default="classification")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--data-dir", default=os.path.join(REPO_ROOT, "data", "demo"))
    p.add_argument("--workdir", default=os.path.join(REPO_ROOT, "runs", "benchmarks"))
    p.add_argument("--n-bootstrap", type=int, default=200)
    args = p.parse_args(argv)
    result = run(args.task, args.seeds, os.path.abspath(args.data_dir), os.path.abspath(args.workdir), args.n_bootstrap)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
