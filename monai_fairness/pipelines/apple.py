# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The whole APPLE pipeline of an APPLE bundle, in order, as ordinary bundle commands.

    python -m monai_fairness.pipelines.apple --bundle bundles/apple_ct_segmentation \
        --dataset_dir data/demo/ct --workdir runs/apple_ct

1. ``pretrain_segmentor``: the ordinary (deployed) segmentor -> ``models/segmentor.pt``; or ``--segmentor_checkpoint``
   checks a user's checkpoint against ``network_def`` and copies it;
2. ``train_apple``: perturber + discriminator on the frozen segmentor -> ``models/model.pt``, ``discriminator.pt``;
3. ``evaluate`` the segmentor alone and segmentor + APPLE on the test split (per-group Dice reports; APPLE's also
   ``leakage.json``: the attribute recovered from the latent before and after the perturbation);
4. the side-by-side comparison -> ``eval/comparison.json`` and ``eval/comparison.html``, printed as a table, plus the
   segmentor's SHA-256 before and after APPLE (it must not change).

Each command is printed before it runs; finished stages are skipped on a rerun (``--force`` redoes them).
"""

from __future__ import annotations

import json
import os
import sys
import time

import torch

from monai_fairness.networks.frozen import state_checksum
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

__all__ = ["run_apple", "format_apple", "file_checksum", "main"]

# the two evaluations of the pipeline: the frozen segmentor alone and segmentor + APPLE (--eval_model NAME)
EVALUATIONS = {
    "segmentor": ["train.json", "evaluate.json"],
    "model": ["train.json", "train_apple.json", "evaluate.json"],
}


def file_checksum(path: str, prefix: str = "") -> str:
    """:func:`~monai_fairness.networks.state_checksum` of the state_dict entries under ``prefix`` in a weights file."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    return state_checksum({k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)})


def run_apple(
    bundle: str,
    dataset_dir: str,
    workdir: str,
    seed: int = 0,
    overrides: dict[str, str] | None = None,
    n_bootstrap: int = 1000,
    force: bool = False,
    segmentor_checkpoint: str | None = None,
    datalist: str | None = None,
    demo: bool = False,
) -> dict:
    """Run every stage (skipping finished ones) and return the segmentor-vs-APPLE comparison.

    Args:
        datalist: a datalist file name inside ``dataset_dir`` (e.g. ``datalist_dicom.json``); default the bundle's.
        demo: stack the bundle's ``configs/demo.json`` (demo sizes) on every command.

    Raises:
        FileNotFoundError: When ``segmentor_checkpoint`` does not exist.
        subprocess.CalledProcessError: When a stage fails (its output says why).
    """
    bundle, ckpt_dir, out_dir, common = workdir_layout(bundle, dataset_dir, workdir, seed, overrides)
    if datalist is not None:
        common["datalist"] = os.path.join(os.path.abspath(dataset_dir), datalist)
    pretrain: dict[str, object] = {}
    apple: dict[str, object] = {}
    if segmentor_checkpoint is not None:
        if not os.path.isfile(segmentor_checkpoint):
            raise FileNotFoundError(f"segmentor_checkpoint {segmentor_checkpoint!r} does not exist.")
        pretrain["segmentor_checkpoint"] = os.path.abspath(segmentor_checkpoint)
        # a segmentor trained elsewhere saw none of this training split: APPLE may learn from all of it
        apple["segmentor_share"] = common.get("segmentor_share", 0.0)
    overlays = overlays_for(demo)
    timings = run_stages(
        bundle,
        [("pretrain_segmentor", ["train.json", "pretrain_segmentor.json"], pretrain)],
        common,
        ckpt_dir,
        force,
        overlays,
    )
    segmentor_file = os.path.join(ckpt_dir, "segmentor.pt")
    before = file_checksum(segmentor_file)
    timings.update(
        run_stages(
            bundle, [("train_apple", ["train.json", "train_apple.json"], apple)], common, ckpt_dir, force, overlays
        )
    )
    for name, configs in EVALUATIONS.items():
        if os.path.exists(os.path.join(out_dir, name, "report.json")) and not force:
            continue
        timings[f"evaluate_{name}"] = run_bundle(
            bundle, configs, {**common, "eval_model": name, "n_bootstrap": n_bootstrap}, overlays=overlays
        )
    reports = {"segmentor": os.path.join(out_dir, "segmentor", "report.json")}
    reports["segmentor_apple"] = os.path.join(out_dir, "model", "report.json")
    comparison = compare_reports(reports, reference="segmentor")
    with open(os.path.join(out_dir, "model", "leakage.json")) as f:
        leakage = json.load(f)
    comparison["apple"] = {
        "leakage": leakage,
        "segmentor_sha256": {
            "before_apple": before,
            "after_apple": file_checksum(segmentor_file),
            "inside_model_pt": file_checksum(os.path.join(ckpt_dir, "model.pt"), prefix="segmentor."),
        },
    }
    comparison["timings_s"] = {n: round(t, 1) for n, t in timings.items()}
    with open(os.path.join(out_dir, "comparison.json"), "w") as f:
        json.dump(comparison, f, indent=1)
    with open(os.path.join(out_dir, "comparison.html"), "w") as f:
        f.write(
            render_comparison_html(comparison, title=f"APPLE: frozen segmentor vs + APPLE, {os.path.basename(bundle)}")
        )
    return comparison


def format_apple(comparison: dict) -> str:
    """Dice gap, attribute leakage and the segmentor checksums under the comparison table."""
    a = comparison["apple"]
    probe, sha = a["leakage"]["probe"], a["segmentor_sha256"]
    lines = [format_comparison(comparison)]
    lines.append(
        "sex recovered from the pooled latent by a fresh linear probe (balanced accuracy, chance "
        f"{a['leakage']['chance_balanced_accuracy']:.2f}): before APPLE {probe['before']['balanced_accuracy']:.3f} -> "
        f"after {probe['after']['balanced_accuracy']:.3f}"
    )
    if "discriminator" in a["leakage"]:
        d = a["leakage"]["discriminator"]
        lines.append(
            f"  the trained discriminator: on f_o {d['before']['balanced_accuracy']:.3f} -> on f_p "
            f"{d['after']['balanced_accuracy']:.3f}"
        )
    if "refitted_discriminator" in a["leakage"]:
        r = a["leakage"]["refitted_discriminator"]
        lines.append(
            f"  a discriminator refitted on the frozen latents: f_o {r['before']['balanced_accuracy']:.3f} -> f_p "
            f"{r['after']['balanced_accuracy']:.3f}"
        )
    unchanged = sha["before_apple"] == sha["after_apple"] == sha["inside_model_pt"]
    lines.append(
        f"deployed segmentor weights unchanged: {'yes' if unchanged else 'NO'} (SHA-256 {sha['before_apple'][:16]}...)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = pipeline_parser(__doc__, "APPLE")
    p.add_argument(
        "--segmentor_checkpoint", default=None, help="a deployed segmentor's weights instead of training one"
    )
    p.add_argument("--datalist", default=None, help="datalist file in dataset_dir (e.g. datalist_dicom.json)")
    args = p.parse_args(argv)
    start = time.time()
    comparison = run_apple(
        args.bundle,
        args.dataset_dir,
        args.workdir,
        args.seed,
        parse_sets(args.set),
        args.n_bootstrap,
        args.force,
        args.segmentor_checkpoint,
        args.datalist,
        demo=args.demo,
    )
    title = "APPLE: frozen segmentor vs segmentor + APPLE on the test split"
    print_pipeline_result(title, format_apple(comparison), args.workdir, start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
