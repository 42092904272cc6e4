# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Every efficacy number of the project: the study on the demo data, evaluated on a large fresh draw, 3 seeds.

    python -m benchmarks.efficacy_study --task classification    # hours on 2 CPU cores (5-15 min a training run)
    python -m benchmarks.efficacy_study --task segmentation      # about as long; finished runs are reused on a rerun

Each method trains on the ``v1`` scenario of the demo-data generator (``data/study``, generator seed 0: the demo data
before the harder ``default`` of ``make demo``; :mod:`monai_fairness.data.scenarios`) with
its bundle's defaults and the bundle's ``configs/demo.json`` stacked last (demo sizes, as ``make demo``), with the
longer method stages of each setup's ``settings`` below (recorded in ``study.json``; the demo keeps them short to
finish in 10 minutes), one run per seed, and every model is evaluated on a **fresh draw** of the same generator
(seed 2000, every case in its test split; never used for training, model selection or choosing any default):

- classification: 3,000 skin images, 600 of them dark skin; ERM, re-sampling, re-weighting, GroupDRO, adversarial
  debiasing, group-specific thresholds on the ERM model, FairDi (and its paper-shaped variant) with its controls
  ``erm_matched`` and ``student_no_kd``, SCP with its control ``finetune_only``;
- segmentation: 200 CT volumes, 60 of them women; ERM, re-sampling, re-weighting, GroupDRO, adversarial debiasing,
  FairDi (and its paper-shaped variant) with its two controls, APPLE (and its paper-shaped variant) on the frozen ERM
  segmentor with its control ``perturber_no_adversary``.

Writes ``<workdir>/<task>/study.json`` and ``study.html`` (paired 95 % intervals, verdicts, Pareto plots) and copies
the JSON to ``benchmarks/results/efficacy_<task>.json``, the numbers the README and the model cards quote. The run
records the package lock and versions it ran under; finished runs in ``--workdir`` are reused.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import sys
import time

from benchmarks.fresh_draw import fresh_eval_set
from monai_fairness.data.scenarios import parse_scenario, written_with
from monai_fairness.data.synthetic import make_ct_segmentation_dataset, make_skin_lesion_dataset
from monai_fairness.study import format_study, run_study

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO_ROOT, "benchmarks", "results")
SETUPS = {
    "classification": {
        "data": "derm",
        "scenario": "v1",
        "make": make_skin_lesion_dataset,
        "fresh_cases": 3000,
        "settings": {
            "teacher_epochs": 30, "teacher_patience": 8, "student_epochs": 10,  # FairDi
            "scp_finetune_epochs": 3, "max_iterations": 4,  # SCP
        },
        "methods": [
            "erm", "resampling", "reweighting", "groupdro", "adversarial", "thresholds", "fairdi", "fairdi_paper",
            "erm_matched", "student_no_kd", "scp", "finetune_only",
        ],
    },
    "segmentation": {
        "data": "ct",
        "scenario": "v1",
        "make": lambda out, **kw: make_ct_segmentation_dataset(out, write_dicom=False, **kw),
        "fresh_cases": 200,
        "settings": {"perturber_epochs": 150, "student_epochs": 30},  # APPLE; FairDi (as its demo.json)
        "methods": [
            "erm", "resampling", "reweighting", "groupdro", "adversarial", "fairdi", "fairdi_paper", "erm_matched",
            "student_no_kd", "apple", "apple_paper", "perturber_no_adversary",
        ],
    },
}  # fmt: skip


def repo_relative(path: str) -> str:
    """``path`` relative to the repository root when it lies inside it (so that a rerun on a fresh clone elsewhere
    writes the same ``study.json``), else unchanged."""
    rel = os.path.relpath(os.path.abspath(path), REPO_ROOT)
    return path if rel == ".." or rel.startswith(".." + os.sep) else rel


def check_scenario(datalist: str, scenario: str, task: str) -> None:
    """ValueError unless ``datalist`` was generated with ``scenario`` (a reused folder of other data, e.g. ``make
    demo``'s harder ``default``, would silently change every number)."""
    with open(datalist) as f:
        written = json.load(f).get("scenario")
    if not written_with(written, scenario, task):
        raise ValueError(
            f"{datalist}: expected data of the {scenario!r} scenario {parse_scenario(scenario, task)} but its "
            f"'scenario' is {written}; "
            "point --data-dir at another folder (it is generated there) or remove this one."
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=sorted(SETUPS), required=True)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--methods", nargs="+", default=None, help="default: every method of the task and its controls")
    p.add_argument("--data-dir", default=os.path.join(REPO_ROOT, "data", "study"))
    p.add_argument("--workdir", default=os.path.join(REPO_ROOT, "runs", "efficacy"))
    p.add_argument("--n_bootstrap", type=int, default=1000)
    args = p.parse_args(argv)
    setup = SETUPS[args.task]
    start = time.time()
    dataset_dir = os.path.join(args.data_dir, setup["data"])
    make = functools.partial(setup["make"], scenario=setup["scenario"])
    if not os.path.isfile(os.path.join(dataset_dir, "datalist.json")):
        make(dataset_dir, seed=0)
    check_scenario(os.path.join(dataset_dir, "datalist.json"), setup["scenario"], args.task)
    fresh = fresh_eval_set(
        os.path.join(args.workdir, f"{setup['data']}_fresh_{setup['fresh_cases']}"),
        make,
        setup["fresh_cases"],
        seed=2000,
    )
    check_scenario(os.path.join(fresh, "datalist.json"), setup["scenario"], args.task)
    workdir = os.path.join(args.workdir, args.task)
    study = run_study(
        dataset_dir,
        args.methods or setup["methods"],
        args.seeds,
        workdir,
        test_datalist=os.path.join(fresh, "datalist.json"),
        n_bootstrap=args.n_bootstrap,
        overrides=setup["settings"],
        demo=True,
    )
    study["settings"]["data"]["datalist"] = repo_relative(study["settings"]["data"]["datalist"])
    study["settings"]["benchmark"] = {
        "command": f"python -m benchmarks.efficacy_study --task {args.task} --seeds {' '.join(map(str, args.seeds))}"
        + (f" --methods {' '.join(args.methods)}" if args.methods else ""),
        "fresh_draw": f"{setup['fresh_cases']} cases, generator seed 2000, every case in the test split",
        "wall_time_s": round(time.time() - start),
        "wall_time_note": "this invocation only: training runs and evaluations finished earlier in the workdir "
        "are reused, not timed again",
    }
    with open(os.path.join(workdir, "study.json"), "w") as f:
        json.dump(study, f, indent=1)
    os.makedirs(RESULTS, exist_ok=True)
    shutil.copyfile(os.path.join(workdir, "study.json"), os.path.join(RESULTS, f"efficacy_{args.task}.json"))
    print(format_study(study))
    print(f"\nstudy: {os.path.join(workdir, 'study.json')} (copied to benchmarks/results/efficacy_{args.task}.json)")
    print(f"html:  {os.path.join(workdir, 'study.html')}")
    print(f"total {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
