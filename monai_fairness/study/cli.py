# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Which mitigation makes a model fairer on your data, and is the effect larger than noise?

    python -m monai_fairness.study --dataset_dir data/demo/derm --methods erm resampling fairdi scp \\
        --seeds 0 1 2 --workdir runs/study_derm --demo

For every seed, trains each method with its bundle (ordinary `python -m monai.bundle run` commands, printed before
they run; a method that starts from ERM reuses the seed's ERM model), evaluates every model on the same test split
(or --test_datalist), and compares them with a paired, group-stratified bootstrap over the test cases (the same
resampled cases for every model, pooled over seeds). Writes <workdir>/study.json and a self-contained
<workdir>/study.html (tables with 95 % intervals, Pareto plots, one verdict per method) and prints the summary. A
method "cuts the gap" only where the 95 % interval of the paired difference excludes zero. Finished runs are reused
on a rerun; an interrupted one resumes from its last checkpoint. The bundles run their real recipes (224 px,
96^3 patches); --demo stacks each bundle's configs/demo.json, the demo sizes of the embedded demo data.

Methods: both tasks erm, resampling, reweighting, groupdro, adversarial, fairdi (controls erm_matched,
student_no_kd); classification also scp (control finetune_only); segmentation also apple (control
perturber_no_adversary). See docs/study.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from monai_fairness.pipelines.bundle_runner import parse_sets
from monai_fairness.study.methods import METHODS
from monai_fairness.study.render import format_study
from monai_fairness.study.study import run_study

__all__ = ["main", "parser"]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m monai_fairness.study", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--dataset_dir", required=True, help="folder holding the datalist (training, validation, test)")
    p.add_argument("--datalist_name", default="datalist.json", help="datalist file name inside --dataset_dir")
    p.add_argument(
        "--methods", nargs="+", required=True, metavar="METHOD", help=f"methods to compare, from {sorted(METHODS)}"
    )
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="training seeds, each trains every method")
    p.add_argument("--workdir", required=True, help="models, predictions, study.json and study.html go here")
    p.add_argument("--reference", default="erm", help="the method every other one is compared with (default erm)")
    p.add_argument(
        "--test_datalist",
        default=None,
        help="evaluate every model on the 'test' split of this datalist instead (e.g. a larger fresh draw); "
        "APPLE's leakage probe fits on its 'training' split",
    )
    p.add_argument("--n_bootstrap", type=int, default=1000, help="bootstrap resamples of the test cases (>= 1)")
    p.add_argument("--bootstrap_seed", type=int, default=0, help="seed of the resampling")
    p.add_argument(
        "--resample_seeds",
        action="store_true",
        help="each resample also draws the training seeds, so that the intervals cover the spread over training runs "
        "(wider; advised at small sizes, where runs differ a lot)",
    )
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="config override for every bundle command"
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="stack each bundle's configs/demo.json on every command (demo sizes, for the embedded demo data); "
        "without it the bundles' real recipes run (224 px / 96^3 patches)",
    )
    p.add_argument("--force", action="store_true", help="retrain and re-evaluate everything")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    start = time.time()
    try:
        if args.n_bootstrap < 1:
            raise ValueError(f"--n_bootstrap expected a count >= 1 but got {args.n_bootstrap}.")
        study = run_study(
            args.dataset_dir,
            args.methods,
            args.seeds,
            args.workdir,
            reference=args.reference,
            test_datalist=args.test_datalist,
            n_bootstrap=args.n_bootstrap,
            bootstrap_seed=args.bootstrap_seed,
            overrides=parse_sets(args.set),
            datalist_name=args.datalist_name,
            force=args.force,
            demo=args.demo,
            resample_seeds=args.resample_seeds,
        )
    except ValueError as e:  # DatalistError and bad arguments: one line a user can act on
        print(f"error: {e}", file=sys.stderr)
        return 2
    print("\n=== study ===")
    print(format_study(study))
    print(f"\nstudy: {os.path.join(os.path.abspath(args.workdir), 'study.json')}")
    print(f"html:  {os.path.join(os.path.abspath(args.workdir), 'study.html')}")
    print(f"total {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
