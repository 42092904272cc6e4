# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""How the ``default`` dermatology scenario's difficulty was chosen: ERM on candidate scenarios, on data never reported.

    python -m benchmarks.calibrate_default                       # the candidates below, training seed 0
    python -m benchmarks.calibrate_default --candidates "v1" "v1,subtlety=0.8,group_cue=0.5"

For each candidate, the generator draws the demo's size (1,200 skin images, 64 px) with **generator seed 1** (the
demo, the study and the matrix train and report on generator seeds 0 and 2000 only, so nothing chosen here is measured
on a reported set), ERM trains with the demo recipe (``configs/demo.json``, training seed 0) and is evaluated on a draw
of 1,000 images of the same candidate with generator seed 1001 (never reported either). The issue's target is an
overall ERM AUC between 0.85 and 0.93 (real dermatology classifiers are far from 1); the ``default`` preset takes the
candidate closest to 0.89 whose dark-skin AUC is below the light-skin one. Writes
``benchmarks/results/default_calibration.json`` with every candidate's AUC, AUC gap and the environment.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time

from benchmarks.fresh_draw import fresh_eval_set
from monai_fairness.data.synthetic import make_skin_lesion_dataset
from monai_fairness.study import run_study
from monai_fairness.utils.environment import environment_summary

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULT = os.path.join(REPO_ROOT, "benchmarks", "results", "default_calibration.json")
GENERATOR_SEED = 1  # never used for a reported number
EVAL_SEED, EVAL_CASES = 1001, 1000  # the evaluation draw: never reported either
CANDIDATES = ["v1,group_cue=0.5,subtlety=0.6", "v1,group_cue=0.5,subtlety=0.8", "v1,group_cue=0.5,subtlety=1"]


def measure(candidate: str, workdir: str, seed: int = 0) -> dict[str, object]:
    """ERM's overall and per-group AUC on one candidate (trained on generator seed 1, evaluated on a draw of seed
    1001)."""
    folder = os.path.join(workdir, candidate.replace(",", "_").replace("=", ""))
    data = os.path.join(folder, "data")
    if not os.path.isfile(os.path.join(data, "datalist.json")):
        make_skin_lesion_dataset(data, seed=GENERATOR_SEED, scenario=candidate)
    evaluation = fresh_eval_set(
        os.path.join(folder, "evaluation"),
        functools.partial(make_skin_lesion_dataset, scenario=candidate),
        EVAL_CASES,
        seed=EVAL_SEED,
    )
    study = run_study(
        data,
        ["erm"],
        [seed],
        os.path.join(folder, "study"),
        test_datalist=os.path.join(evaluation, "datalist.json"),
        n_bootstrap=100,
        demo=True,
    )
    metrics = study["methods"]["erm"]["metrics"]
    return {
        "scenario": candidate,
        "auc": metrics["auc"]["value"],
        "auc_gap": metrics["auc_gap"]["value"],
        "worst_group_auc": metrics["worst_group_auc"]["value"],
        "test_cases": study["n_by_group"],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--candidates", nargs="+", default=CANDIDATES)
    p.add_argument("--workdir", default=os.path.join(REPO_ROOT, "runs", "calibration"))
    p.add_argument("--out", default=RESULT)
    args = p.parse_args(argv)
    start = time.time()
    rows = [measure(c, args.workdir) for c in args.candidates]
    result = {
        "what": "ERM (demo recipe, training seed 0) on 1,200 generated skin images (64 px, generator seed 1), "
        "evaluated on 1,000 images of generator seed 1001; neither draw is used for any reported number",
        "target": "overall AUC in [0.85, 0.93]",
        "rows": rows,
        "wall_time_s": round(time.time() - start),
        "environment": environment_summary(),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    for r in rows:
        print(f"{r['scenario']:40s} AUC {r['auc']:.3f}  AUC gap {r['auc_gap']:.3f}  worst {r['worst_group_auc']:.3f}")
    print(f"calibration: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
