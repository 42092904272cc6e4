# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The main job: ``make demo`` (``python -m monai_fairness.demo``).

1. generate the planted-bias demo data if it is missing (``data_prep/make_demo_data.py``);
2. train the ERM skin-lesion classifier bundle with ``python -m monai.bundle run`` (train.json);
3. evaluate it on the test split (train.json + evaluate.json), which writes the predictions CSV;
4. print the fairness report summary (per-group accuracy/AUC and the gaps) and where the outputs are, including the
   HTML report written by the evaluation.

Every step is an ordinary bundle command, printed before it runs, so it can be rerun by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from monai_fairness.data.synthetic import make_ct_segmentation_dataset, make_skin_lesion_dataset
from monai_fairness.pipelines.bundle_runner import run_bundle
from monai_fairness.report.render import format_text_summary

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ERM_CLS = os.path.join(REPO_ROOT, "bundles", "erm_skin_lesion_classification")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=os.path.join(REPO_ROOT, "data", "demo"))
    p.add_argument("--out-dir", default=os.path.join(REPO_ROOT, "runs", "demo"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=None, help="override the bundle's max_epochs")
    args = p.parse_args(argv)
    data_dir, out_dir = os.path.abspath(args.data_dir), os.path.abspath(args.out_dir)
    timings: dict[str, float] = {}

    derm_list = os.path.join(data_dir, "derm", "datalist.json")
    ct_list = os.path.join(data_dir, "ct", "datalist.json")
    start = time.time()
    if not os.path.isfile(derm_list):
        print(f"generating the dermatology demo data in {os.path.dirname(derm_list)} ...", flush=True)
        make_skin_lesion_dataset(os.path.dirname(derm_list), seed=0)
    if not os.path.isfile(ct_list):
        print(f"generating the CT demo data in {os.path.dirname(ct_list)} ...", flush=True)
        make_ct_segmentation_dataset(os.path.dirname(ct_list), seed=0)
    timings["data"] = time.time() - start

    erm_dir = os.path.join(out_dir, "erm_skin_lesion_classification")
    common: dict[str, object] = {
        "dataset_dir": os.path.dirname(derm_list),
        "ckpt_dir": os.path.join(erm_dir, "models"),
        "output_dir": os.path.join(erm_dir, "eval"),
        "seed": args.seed,
    }
    train_overrides = dict(common)
    if args.epochs is not None:
        train_overrides["max_epochs"] = args.epochs
    timings["erm_train"] = run_bundle(ERM_CLS, ["train.json"], train_overrides)
    timings["erm_evaluate"] = run_bundle(ERM_CLS, ["train.json", "evaluate.json"], common)

    eval_dir = os.path.join(erm_dir, "eval")
    with open(os.path.join(eval_dir, "report.json")) as f:
        report = json.load(f)
    print("\n=== ERM skin-lesion classifier on the planted-bias test split ===")
    print(format_text_summary(report))
    print(f"accuracy gap (light vs dark): {100 * report['fairness']['accuracy_gap']:.1f} points")
    print("\noutputs:")
    print(f"  trained model:   {os.path.join(erm_dir, 'models', 'model.pt')}")
    print(f"  predictions CSV: {os.path.join(eval_dir, 'predictions.csv')}")
    print(f"  report JSON:     {os.path.join(eval_dir, 'report.json')}")
    print(f"  report HTML:     {os.path.join(eval_dir, 'report.html')}")
    print(f"  demo data:       {data_dir}")
    print("timings (s): " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
