# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The whole SCP pipeline of an SCP bundle, in order, as ordinary bundle commands.

    python -m monai_fairness.pipelines.scp --bundle bundles/scp_skin_lesion_classification \
        --dataset_dir data/demo/derm --workdir runs/scp_cls

1. ``erm``: the ERM classifier, SCP's "vanilla" model (the bundle's ``train.json``, the same recipe as the ERM
   bundle) -> ``models/erm.pt`` (or ``--vanilla_checkpoint`` copies a trained one with the same ``network_def``);
2. ``score``: per-channel SNNL scores of the ERM model -> ``eval/scores/channel_scores.csv`` and ``.png``;
3. ``prune_finetune``: iterative prune -> fine-tune -> ``models/model.pt`` + ``models/pruning_plan.json``;
4. ``evaluate`` the ERM and the pruned model on the test split (the pruned one with FATE against the ERM model);
5. the side-by-side comparison -> ``eval/comparison.json`` and ``eval/comparison.html``, printed as a table.

Each command is printed before it runs; finished stages are skipped on a rerun (``--force`` redoes them).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time

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
from monai_fairness.report.render import format_value

__all__ = ["run_scp", "main"]


def run_scp(
    bundle: str,
    dataset_dir: str,
    workdir: str,
    seed: int = 0,
    overrides: dict[str, str] | None = None,
    n_bootstrap: int = 1000,
    force: bool = False,
    vanilla_checkpoint: str | None = None,
    demo: bool = False,
) -> dict:
    """Run every stage (skipping finished ones) and return the ERM-vs-pruned comparison.

    ``demo`` stacks the bundle's ``configs/demo.json`` (demo sizes) on every command.

    Raises:
        FileNotFoundError: When ``vanilla_checkpoint`` does not exist.
        subprocess.CalledProcessError: When a stage fails (its output says why).
    """
    bundle, ckpt_dir, out_dir, common = workdir_layout(bundle, dataset_dir, workdir, seed, overrides)
    stages: list[tuple[str, list[str], dict[str, object]]] = []
    if vanilla_checkpoint is not None:
        if not os.path.isfile(vanilla_checkpoint):
            raise FileNotFoundError(f"vanilla_checkpoint {vanilla_checkpoint!r} does not exist.")
        shutil.copyfile(vanilla_checkpoint, os.path.join(ckpt_dir, "erm.pt"))
        print(f"\n[erm] using {vanilla_checkpoint}", flush=True)
    else:
        stages.append(("erm", ["train.json"], {}))
    stages.append(("score", ["train.json", "score.json"], {}))
    stages.append(("prune_finetune", ["train.json", "score.json", "prune_finetune.json"], {}))
    overlays = overlays_for(demo)
    timings = run_stages(bundle, stages, common, ckpt_dir, force, overlays)
    for name in ("erm", "model"):
        if os.path.exists(os.path.join(out_dir, name, "report.json")) and not force:
            continue
        timings[f"evaluate_{name}"] = run_bundle(
            bundle,
            ["train.json", "evaluate.json"],
            {**common, "eval_model": name, "n_bootstrap": n_bootstrap},
            overlays=overlays,
        )
    reports = {"erm": os.path.join(out_dir, "erm", "report.json")}
    reports["scp_pruned"] = os.path.join(out_dir, "model", "report.json")
    comparison = compare_reports(reports, reference="erm")
    with open(reports["scp_pruned"]) as f:
        pruned = json.load(f)
    with open(os.path.join(out_dir, "scp", "scp_history.json")) as f:
        history = json.load(f)
    comparison["scp"] = {
        "fate": pruned["fairness"].get("fate"),
        "eodd": {n: comparison["models"][n]["gaps"].get("eodd") for n in reports},
        "selected_iteration": history["selected_iteration"],
        "stop_reason": history["stop_reason"],
        "params": {"erm": history["params_masked"], "pruned": history["params_pruned"]},
    }
    comparison["timings_s"] = {n: round(t, 1) for n, t in timings.items()}
    with open(os.path.join(out_dir, "comparison.json"), "w") as f:
        json.dump(comparison, f, indent=1)
    with open(os.path.join(out_dir, "comparison.html"), "w") as f:
        f.write(render_comparison_html(comparison, title=f"SCP: ERM (vanilla) vs pruned, {os.path.basename(bundle)}"))
    return comparison


def format_scp(comparison: dict) -> str:
    """FATE, EOdd and parameter counts under the comparison table."""
    s = comparison["scp"]
    eodd = s["eodd"]
    lines = [format_comparison(comparison)]
    lines.append(
        f"SCP: EOdd ERM (vanilla) {format_value(eodd['erm'])} -> pruned {format_value(eodd['scp_pruned'])}; "
        f"FATE {format_value(s['fate'], '+.4f')} "
        f"(> 0: the relative fairness gain outweighs the relative macro-F1 change)"
    )
    lines.append(
        f"     kept iteration {s['selected_iteration']} ({s['stop_reason']}); parameters {s['params']['erm']} -> "
        f"{s['params']['pruned']}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = pipeline_parser(__doc__, "SCP")
    p.add_argument("--vanilla_checkpoint", default=None, help="a trained ERM state_dict instead of training one")
    args = p.parse_args(argv)
    start = time.time()
    comparison = run_scp(
        args.bundle,
        args.dataset_dir,
        args.workdir,
        args.seed,
        parse_sets(args.set),
        args.n_bootstrap,
        args.force,
        args.vanilla_checkpoint,
        demo=args.demo,
    )
    print_pipeline_result("SCP: ERM (vanilla) vs pruned on the test split", format_scp(comparison), args.workdir, start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
