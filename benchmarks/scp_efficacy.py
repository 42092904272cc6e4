# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Does SCP do what it claims on data where the answer is known? Vanilla vs pruned + fine-tuned, over several seeds.

    python -m benchmarks.scp_efficacy                  # seeds 0 1 2 (about 8-10 min per seed on 2 CPU cores)

Each seed runs the whole pipeline of ``bundles/scp_skin_lesion_classification`` (``monai_fairness.pipelines.scp``:
vanilla training, channel scores, iterative prune -> fine-tune with the validation stop rule; finished stages in
``--workdir`` are reused) on the default planted-bias demo data and reads the vanilla and pruned test reports.

The default test split holds 36 dark-skin cases, so EOdd moves in steps of about 0.03 there. Both models are therefore
also evaluated on a larger fresh draw from the same generator (``--fresh-cases`` images, generator seed 1000, never
used for training, validation or model selection). Prints one JSON document: per seed and mean over seeds, macro-F1,
accuracy, EOdd, EOpp0, EOpp1 and FATE, and whether the issue's targets hold on the mean over seeds (FATE > 0, EOdd at
least 30 % lower, accuracy at most 2 points lower), for both evaluation sets.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import numpy as np

from benchmarks.fresh_draw import fresh_eval_set
from monai_fairness.data.synthetic import make_skin_lesion_dataset
from monai_fairness.pipelines.bundle_runner import run_bundle
from monai_fairness.pipelines.scp import run_scp

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLE = os.path.join(REPO_ROOT, "bundles", "scp_skin_lesion_classification")
KEYS_OVERALL = ("accuracy", "f1_macro", "auc")
KEYS_FAIR = ("eodd", "eopp0", "eopp1", "accuracy_gap")


def _row(report_dir: str) -> dict[str, Any]:
    out = {}
    for name, folder in (("vanilla", "erm"), ("model", "model")):  # SCP's vanilla model is the ERM stage
        with open(os.path.join(report_dir, folder, "report.json")) as f:
            r = json.load(f)
        out[name] = {**{k: r["overall"][k] for k in KEYS_OVERALL}, **{k: r["fairness"][k] for k in KEYS_FAIR}}
        out[name]["n_by_group"] = r["n_by_group"]
        out[name]["eodd_ci"] = r.get("ci", {}).get("eodd")
        if name == "model":
            out[name]["fate"] = r["fairness"]["fate"]
    return out


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    mean = {m: {k: float(np.mean([r[m][k] for r in rows])) for k in KEYS_OVERALL + KEYS_FAIR} for m in rows[0]}
    mean["model"]["fate"] = float(np.mean([r["model"]["fate"] for r in rows]))
    eodd_cut = (mean["vanilla"]["eodd"] - mean["model"]["eodd"]) / mean["vanilla"]["eodd"]
    acc_change = mean["model"]["accuracy"] - mean["vanilla"]["accuracy"]
    targets = {
        "fate_above_0": mean["model"]["fate"] > 0,
        "eodd_reduction_at_least_0.30": eodd_cut >= 0.30,
        "accuracy_at_most_0.02_below_vanilla": acc_change >= -0.02,
    }
    return {
        "mean_over_seeds": mean,
        "eodd_reduction": eodd_cut,
        "accuracy_change": acc_change,
        "targets": targets,
        "all_targets_met": all(targets.values()),
    }


def run(seeds: list[int], data_dir: str, workdir: str, fresh_cases: int, n_bootstrap: int = 200) -> dict[str, Any]:
    dataset_dir = os.path.join(data_dir, "derm")
    if not os.path.isfile(os.path.join(dataset_dir, "datalist.json")):
        make_skin_lesion_dataset(dataset_dir, seed=0)
    fresh_dir = os.path.join(workdir, f"derm_fresh_{fresh_cases}")
    fresh = fresh_eval_set(fresh_dir, make_skin_lesion_dataset, fresh_cases) if fresh_cases else None
    default_rows, fresh_rows, runs = [], [], []
    for seed in seeds:
        wd = os.path.join(workdir, f"scp_skin_lesion_classification_seed{seed}")
        comparison = run_scp(BUNDLE, dataset_dir, wd, seed=seed, n_bootstrap=n_bootstrap)
        runs.append({"seed": seed, **comparison["scp"]})
        default_rows.append({"seed": seed, **_row(os.path.join(wd, "eval"))})
        if fresh:
            out = os.path.join(wd, "eval_fresh")
            common = {"dataset_dir": fresh, "ckpt_dir": os.path.join(wd, "models"), "output_dir": out, "seed": seed}
            for name in ("erm", "model"):
                if not os.path.exists(os.path.join(out, name, "report.json")):
                    run_bundle(
                        BUNDLE,
                        ["train.json", "evaluate.json"],
                        {**common, "eval_model": name, "n_bootstrap": n_bootstrap},
                        quiet=True,
                    )
            fresh_rows.append({"seed": seed, **_row(out)})
    strip = [{k: v for k, v in r.items() if k != "seed"} for r in default_rows]
    result: dict[str, Any] = {
        "benchmark": "scp_efficacy",
        "data": dataset_dir,
        "seeds": seeds,
        "runs": runs,
        "default_test_split": {"per_seed": default_rows, **_summary(strip)},
    }
    if fresh_rows:
        strip = [{k: v for k, v in r.items() if k != "seed"} for r in fresh_rows]
        result["fresh_draw"] = {"data": fresh, "per_seed": fresh_rows, **_summary(strip)}
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--data-dir", default=os.path.join(REPO_ROOT, "data", "demo"))
    p.add_argument("--workdir", default=os.path.join(REPO_ROOT, "runs", "benchmarks"))
    p.add_argument("--fresh-cases", type=int, default=3000, help="size of the extra evaluation draw (0: none)")
    p.add_argument("--n-bootstrap", type=int, default=200)
    args = p.parse_args(argv)
    result = run(
        args.seeds, os.path.abspath(args.data_dir), os.path.abspath(args.workdir), args.fresh_cases, args.n_bootstrap
    )
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
