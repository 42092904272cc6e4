# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The main job: ``make demo`` (``python -m monai_fairness.demo``).

1. generate the planted-bias demo data if it is missing (``data_prep/make_demo_data.py``);
2. run the FairDi pipeline of ``bundles/fairdi_skin_lesion_classification`` (``monai_fairness.pipelines.fairdi``):
   the ERM baseline, the FIS backbone, one teacher per skin-tone group and the distilled student, each an ordinary
   ``python -m monai.bundle run`` command printed before it runs, then the evaluation of ERM and the student on the
   test split (predictions CSV, ``report.json``, ``report.html``);
3. print ERM vs FairDi side by side (per-group accuracy/AUC and the gaps) and where the outputs are, including the
   comparison page ``comparison.html``;
4. run the SCP pipeline of ``bundles/scp_skin_lesion_classification`` (``monai_fairness.pipelines.scp``) on the same
   classifier: the ERM model of step 2 is SCP's "vanilla" model (the same train.json), its channels are scored
   against skin tone, pruned and fine-tuned; print ERM vs pruned with EOpp0/EOpp1/EOdd and FATE;
5. run the APPLE pipeline of ``bundles/apple_ct_segmentation`` (``monai_fairness.pipelines.apple``) on the 3D CT demo
   data: an ordinary UNet is trained and frozen as the "deployed" segmentor, a latent perturber is trained against a
   sex discriminator; print per-group Dice of the segmentor vs segmentor + APPLE, how well sex can be recovered from
   the latent before and after, and the segmentor's SHA-256 before and after (unchanged);
6. end with the study's summary (``monai_fairness.study``) of those models: each against its reference with paired
   95 % bootstrap intervals and a plain-language verdict, written to ``study_derm/`` and ``study_ct/``
   (``study.json``, ``study.html``).

A rerun skips finished stages; an interrupted stage resumes from its last epoch checkpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from monai_fairness.data.scenarios import describe_scenario, parse_scenario, written_with
from monai_fairness.data.synthetic import make_ct_segmentation_dataset, make_skin_lesion_dataset
from monai_fairness.pipelines.apple import format_apple, run_apple
from monai_fairness.pipelines.fairdi import run_fairdi
from monai_fairness.pipelines.scp import format_scp, run_scp
from monai_fairness.report.compare import format_comparison
from monai_fairness.study import format_study, summarize, write_study

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAIRDI_CLS = os.path.join(REPO_ROOT, "bundles", "fairdi_skin_lesion_classification")
SCP_CLS = os.path.join(REPO_ROOT, "bundles", "scp_skin_lesion_classification")
APPLE_SEG = os.path.join(REPO_ROOT, "bundles", "apple_ct_segmentation")


def _gap_line(comparison: dict, key: str, unit: float, name: str) -> str:
    erm, student = comparison["models"]["erm"]["gaps"][key], comparison["models"]["fairdi_student"]["gaps"][key]
    reduction = comparison["versus_reference"]["fairdi_student"][f"{key}_reduction"]
    if reduction is None:
        cut = ""
    else:
        cut = f", {abs(100 * reduction):.0f}% {'smaller' if reduction >= 0 else 'larger'}"
    return f"{name} (light vs dark): ERM {unit * erm:.3g} -> FairDi {unit * student:.3g}{cut}"


def _study(title: str, task: str, predictions: dict[str, str], reference: str, workdir: str, datalist: str) -> str:
    """The study's summary of the models the demo trained (one seed): paired intervals against the reference."""
    with open(datalist) as f:
        names = json.load(f)["groups"]
    study = summarize(task, {m: [p] for m, p in predictions.items()}, seeds=[0], reference=reference, group_names=names)
    write_study(study, workdir, title=title)
    return format_study(study) + f"\n  study: {os.path.join(workdir, 'study.html')}"


def check_demo_scenario(datalist: str, task: str, out_dir: str) -> None:
    """SystemExit naming the folders to remove when ``datalist`` holds generated data of another scenario than the
    ``default`` (data written by an older version, whose finished runs the demo would otherwise reuse)."""
    with open(datalist) as f:
        data = json.load(f)
    if not data.get("synthetic"):
        return  # the user's own data: the demo runs on it as it is
    if not written_with(data.get("scenario"), "default", task):
        expected = describe_scenario(parse_scenario("default", task), task)
        raise SystemExit(
            f"{datalist}: expected demo data of the default scenario ({expected}) but it "
            f"holds {data.get('scenario_description', 'the data of an older version (no scenario)')}; remove "
            f"{os.path.dirname(os.path.dirname(datalist))} and {out_dir} (`make clean` and delete the data folder) "
            "and run the demo again."
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=os.path.join(REPO_ROOT, "data", "demo"))
    p.add_argument("--out-dir", default=os.path.join(REPO_ROOT, "runs", "demo"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=None, help="override max_epochs of every stage but the teachers")
    args = p.parse_args(argv)
    data_dir, out_dir = os.path.abspath(args.data_dir), os.path.abspath(args.out_dir)
    start = time.time()

    derm_list = os.path.join(data_dir, "derm", "datalist.json")
    ct_list = os.path.join(data_dir, "ct", "datalist.json")
    if not os.path.isfile(derm_list):
        print(f"generating the dermatology demo data in {os.path.dirname(derm_list)} ...", flush=True)
        make_skin_lesion_dataset(os.path.dirname(derm_list), seed=0)
    if not os.path.isfile(ct_list):
        print(f"generating the CT demo data in {os.path.dirname(ct_list)} ...", flush=True)
        make_ct_segmentation_dataset(os.path.dirname(ct_list), seed=0)
    for task, datalist in (("classification", derm_list), ("segmentation", ct_list)):
        check_demo_scenario(datalist, task, out_dir)

    workdir = os.path.join(out_dir, "fairdi_skin_lesion_classification")
    overrides = {"max_epochs": str(args.epochs)} if args.epochs is not None else {}
    comparison = run_fairdi(
        FAIRDI_CLS,
        os.path.dirname(derm_list),
        workdir,
        seed=args.seed,
        baselines=["erm"],
        overrides=overrides,
        demo=True,
        evaluate_stages=False,
    )

    eval_dir = os.path.join(workdir, "eval")
    print("\n=== ERM vs FairDi on the planted-bias test split (skin lesions; fractions) ===")
    print(format_comparison(comparison))
    print()
    print(_gap_line(comparison, "accuracy_gap", 100, "accuracy gap, points"))
    print(_gap_line(comparison, "auc_gap", 1, "AUC gap"))
    print("\noutputs:")
    print(f"  comparison:        {os.path.join(eval_dir, 'comparison.html')}")
    print(f"  FairDi student:    {os.path.join(workdir, 'models', 'model.pt')} (report: {eval_dir}/model/)")
    print(f"  ERM baseline:      {os.path.join(workdir, 'models', 'erm.pt')} (report: {eval_dir}/erm/)")
    print(f"  backbone/teachers: {os.path.join(workdir, 'models')} (not evaluated by the demo; the bundle's")
    print("                     evaluate.json --eval_model backbone, teacher_g0 or teacher_g1 writes their reports)")

    scp_dir = os.path.join(out_dir, "scp_skin_lesion_classification")
    scp = run_scp(
        SCP_CLS,
        os.path.dirname(derm_list),
        scp_dir,
        seed=args.seed,
        vanilla_checkpoint=os.path.join(workdir, "models", "erm.pt"),
        demo=True,
    )
    print("\n=== SCP: ERM (the 'vanilla' model above) vs pruned + fine-tuned, same test split ===")
    print(format_scp(scp))
    print("\noutputs:")
    print(f"  comparison:        {os.path.join(scp_dir, 'eval', 'comparison.html')}")
    print(f"  pruned model:      {os.path.join(scp_dir, 'models', 'model.pt')} + pruning_plan.json")
    print(f"  channel scores:    {os.path.join(scp_dir, 'eval', 'scores', 'channel_scores.png')}")

    apple_dir = os.path.join(out_dir, "apple_ct_segmentation")
    apple = run_apple(APPLE_SEG, os.path.dirname(ct_list), apple_dir, seed=args.seed, overrides=overrides, demo=True)
    print("\n=== APPLE: frozen CT segmentor vs segmentor + APPLE, test split (Dice; sex groups) ===")
    print(format_apple(apple))
    print("\noutputs:")
    print(f"  comparison:        {os.path.join(apple_dir, 'eval', 'comparison.html')}")
    print(f"  segmentor + APPLE: {os.path.join(apple_dir, 'models', 'model.pt')} (frozen segmentor: segmentor.pt)")
    print(f"  latent leakage:    {os.path.join(apple_dir, 'eval', 'model', 'leakage.json')}")
    print(f"  demo data:         {data_dir}")

    print("\n=== The study's summary: every model of the demo against its reference, paired 95 % intervals ===")
    print("(one seed on the small default test split: most intervals include zero; `python -m monai_fairness.study`")
    print(" trains several seeds, and benchmarks/efficacy_study.py evaluates them on a large fresh draw)")
    derm_eval, scp_eval = os.path.join(workdir, "eval"), os.path.join(scp_dir, "eval")
    derm = {
        "erm": os.path.join(derm_eval, "erm", "predictions.csv"),
        "fairdi": os.path.join(derm_eval, "model", "predictions.csv"),
        "scp": os.path.join(scp_eval, "model", "predictions.csv"),
    }
    print(
        _study(
            "Demo study: skin lesions", "classification", derm, "erm", os.path.join(out_dir, "study_derm"), derm_list
        )
    )
    apple_eval = os.path.join(apple_dir, "eval")
    ct = {
        "segmentor": os.path.join(apple_eval, "segmentor", "predictions.csv"),
        "apple": os.path.join(apple_eval, "model", "predictions.csv"),
    }
    print(_study("Demo study: CT", "segmentation", ct, "segmentor", os.path.join(out_dir, "study_ct"), ct_list))
    print(f"total {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
