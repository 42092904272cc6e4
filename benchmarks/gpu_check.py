# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The GPU check: each bundle training stage for a fixed number of iterations, built from the bundles' own configs,
with AMP on CUDA, timed against the ERM stage of the same bundle family on the same batches (the ERM stage is
MONAI's plain ``SupervisedTrainer`` on the same network, so ``ratio_to_erm`` is the ratio to a plain MONAI step); the
group-metric handler's share of an evaluation; APPLE's inference overhead. Prints one JSON document.

    python -m benchmarks.gpu_check                 # real size on CUDA (224x224, 96^3 patches), demo size on CPU
    python -m benchmarks.gpu_check --size demo     # what CI runs: 64x64, 32^3, a few iterations
    bash benchmarks/gpu_check.sh "$OUT"            # on a lent GPU machine: writes $OUT/gpu_check.json

Each stage is ``python -m monai.bundle run``'s own ``train#trainer`` (same network, loss, optimizer, engine and AMP
setting) with its training handlers removed (no validation, checkpoints or LR schedule) and its data loader replaced
by batches prefetched once from the stage's own loader, so the timed loop is the training step alone, for every
stage alike. The FairDi student gets random teachers and APPLE a random frozen segmentor (the step costs the same).
Targets: GroupDRO <= 1.1x and adversarial debiasing <= 1.3x the ERM step; the FairDi student <= 1.3x; APPLE inference
<= 1.05x the frozen segmentor; the group-metric handler <= 2 % of an evaluation. Each stage keeps its best round
(the first run is a warm-up). Peak memory is per stage on CUDA (``max_memory_allocated``) and the process peak RSS
on CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from typing import Any

import torch
from monai.bundle import ConfigParser

from benchmarks import apple_latency
from monai_fairness.data.synthetic import make_ct_segmentation_dataset, make_skin_lesion_dataset
from monai_fairness.utils.environment import environment_summary

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLES = os.path.join(REPO_ROOT, "bundles")
# real: the bundles' defaults (224 px, batch 64; 96^3 patches, two a volume, batch 2); demo: their configs/demo.json
OVERLAYS = {"real": [], "demo": ["demo.json"]}
SIZES: dict[str, dict[str, dict[str, Any]]] = {
    "real": {"classification": {}, "segmentation": {}},
    "demo": {"classification": {}, "segmentation": {"batch_size": 2}},
}
APPLE_ROI = {"real": [96, 96, 96], "demo": None}
DATA = {"real": {"derm_px": 224, "ct_voxels": 112}, "demo": {"derm_px": 64, "ct_voxels": 32}}
STUDENT_FIS_KD = ["train.json", "train_student.json", "train_student_fis_kd.json"]  # the paper-shaped student
STAGES: dict[str, list[tuple[str, str, list[str]]]] = {
    "classification": [
        ("erm", "erm_skin_lesion_classification", ["train.json"]),
        ("groupdro", "fairdi_skin_lesion_classification", ["train.json", "train_groupdro.json"]),
        ("adversarial", "fairdi_skin_lesion_classification", ["train.json", "train_adversarial.json"]),
        ("fairdi_student", "fairdi_skin_lesion_classification", ["train.json", "train_student.json"]),
        ("fairdi_student_fis_kd", "fairdi_skin_lesion_classification", STUDENT_FIS_KD),
    ],
    "segmentation": [
        ("erm", "erm_ct_segmentation", ["train.json"]),
        ("groupdro", "fairdi_ct_segmentation", ["train.json", "train_groupdro.json"]),
        ("adversarial", "fairdi_ct_segmentation", ["train.json", "train_adversarial.json"]),
        ("fairdi_student", "fairdi_ct_segmentation", ["train.json", "train_student.json"]),
        ("fairdi_student_fis_kd", "fairdi_ct_segmentation", STUDENT_FIS_KD),
        ("apple_perturber", "apple_ct_segmentation", ["train.json", "train_apple.json"]),
        (
            "apple_perturber_paper",
            "apple_ct_segmentation",
            ["train.json", "train_apple.json", "train_apple_paper.json"],
        ),
    ],
}
TARGETS = {"groupdro": 1.1, "adversarial": 1.3, "fairdi_student": 1.3}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _parser(bundle: str, configs: list[str], overrides: dict[str, Any], size: str) -> ConfigParser:
    parser = ConfigParser()
    parser.read_config([os.path.join(BUNDLES, bundle, "configs", c) for c in configs + OVERLAYS[size]])
    parser.update(overrides)
    return parser


def _stage_files(parser: ConfigParser, ckpt_dir: str) -> None:
    """Random stand-ins for what a stage loads from earlier stages: teachers, the frozen segmentor."""
    if "teachers" in parser:
        state = parser.get_parsed_content("network_def").state_dict()
        for group in parser.get_parsed_content("teachers#checkpoints"):
            torch.save(state, os.path.join(ckpt_dir, f"teacher_g{group}.pt"))
    if "segmentor_file" in parser and "segmentor" in parser:
        torch.save(parser.get_parsed_content("segmentor_def").state_dict(), parser.get_parsed_content("segmentor_file"))


def _time_engine(engine: Any, batches: list, rounds: int, device: torch.device) -> tuple[float, float]:
    """Best seconds per iteration over ``rounds`` runs after a warm-up run, and the peak memory in MB."""
    engine.data_loader = batches
    engine.state.epoch_length = len(batches)
    engine.state.max_epochs = 1
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    best = float("inf")
    for round_index in range(rounds + 1):
        _sync(device)
        start = time.perf_counter()
        engine.run()
        _sync(device)
        if round_index:  # round 0 is the warm-up (cuDNN autotuning, lazy allocations)
            best = min(best, (time.perf_counter() - start) / len(batches))
    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated(device) / 2**20
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return best, peak


def _prefetch(loader: Any, iterations: int) -> list:
    batches: list = []
    while len(batches) < iterations:
        before = len(batches)
        for batch in loader:
            batches.append(batch)
            if len(batches) == iterations:
                break
        if len(batches) == before:
            raise RuntimeError("gpu_check: the stage's data loader yielded no batch (too few training items).")
    return batches


def _common(task: str, size: str, data: str, work: str, device: torch.device) -> dict[str, Any]:
    return {
        "bundle_root": work,
        "dataset_dir": data,
        "ckpt_dir": work,
        "output_dir": work,
        "device": f"$torch.device('{device}')",
        "amp": device.type == "cuda",
        "preflight": False,
        "cache": "none",
        "num_workers": 0,
        "max_epochs": 1,
        "val_interval": 1,  # the trainer refuses fewer epochs than one validation interval (CT's is 5)
        **SIZES[size][task],
    }


def check_training(
    task: str, size: str, data: str, device: torch.device, iterations: int, rounds: int
) -> dict[str, Any]:
    """Every stage of the task: seconds per step, samples/s, peak memory and the ratio to the ERM step."""
    out: dict[str, Any] = {}
    for name, bundle, configs in STAGES[task]:
        with tempfile.TemporaryDirectory() as work:
            parser = _parser(bundle, configs, {**_common(task, size, data, work, device), "train#handlers": []}, size)
            _stage_files(parser, work)
            trainer = parser.get_parsed_content("train#trainer")
            batches = _prefetch(trainer.data_loader, iterations)
            step, peak = _time_engine(trainer, batches, rounds, device)
        samples = int(batches[0]["image"].shape[0])
        out[name] = {
            "step_s": round(step, 5),
            "samples_per_s": round(samples / step, 2),
            "batch": list(batches[0]["image"].shape),
            "peak_memory_mb": round(peak, 1),
        }
    out["peak_memory_kind"] = (
        "torch.cuda.max_memory_allocated, per stage"
        if device.type == "cuda"
        else "process peak RSS so far (cumulative over stages)"
    )
    erm = out["erm"]["step_s"]
    for name, row in out.items():
        if not isinstance(row, dict):
            continue
        row["ratio_to_erm"] = round(row["step_s"] / erm, 3)
        if name in TARGETS:
            row["target"] = f"<= {TARGETS[name]}"
            row["meets_target"] = row["ratio_to_erm"] <= TARGETS[name]
    return out


def check_group_metric_share(
    task: str, size: str, data: str, device: torch.device, iterations: int, rounds: int
) -> dict[str, Any]:
    """One evaluation of the ERM bundle's validator with and without the group-metric handler."""
    bundle = STAGES[task][0][1]
    times = {}
    for variant, extra in (("with", {}), ("without", {"validate#additional_metrics": {}})):
        with tempfile.TemporaryDirectory() as work:
            overrides = {**_common(task, size, data, work, device), "validate#handlers": [], **extra}
            evaluator = _parser(bundle, ["train.json"], overrides, size).get_parsed_content("validate#evaluator")
            evaluator.network.eval()
            batches = _prefetch(evaluator.data_loader, iterations)
            times[variant], _ = _time_engine(evaluator, batches, rounds, device)
    share = times["with"] / times["without"] - 1.0
    return {
        "evaluation_s_per_batch": round(times["without"], 5),
        "with_group_metric_s_per_batch": round(times["with"], 5),
        "group_metric_share": round(share, 4),
        "target": "<= 0.02",
        "meets_target": share <= 0.02,
    }


def run(
    size: str = "auto",
    tasks: tuple[str, ...] = ("classification", "segmentation"),
    iterations: int | None = None,
    rounds: int | None = None,
    apple_rounds: int | None = None,
) -> dict[str, Any]:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if size == "auto":
        size = "real" if device.type == "cuda" else "demo"
    if size not in SIZES:
        raise ValueError(f"gpu_check --size: expected one of auto, {', '.join(SIZES)} but got {size!r}.")
    iterations = iterations or (20 if device.type == "cuda" else 3)
    rounds = rounds or (3 if device.type == "cuda" else 1)
    start = time.time()
    result: dict[str, Any] = {
        "benchmark": "gpu_check",
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({platform.processor()})",
        "size": size,
        "amp": device.type == "cuda",
        "iterations": iterations,
        "rounds": rounds,
    }
    with tempfile.TemporaryDirectory() as data_root:
        for task in tasks:
            if task == "classification":
                data = os.path.join(data_root, "derm")
                make_skin_lesion_dataset(data, n_cases=120, image_size=DATA[size]["derm_px"], seed=0)
            else:
                data = os.path.join(data_root, "ct")
                make_ct_segmentation_dataset(data, n_cases=16, size=DATA[size]["ct_voxels"], write_dicom=False, seed=0)
            result[task] = {
                "training": check_training(task, size, data, device, iterations, rounds),
                "evaluation": check_group_metric_share(task, size, data, device, iterations, rounds),
            }
    if "segmentation" in tasks:
        volume = 160 if size == "real" else 32
        result["apple_inference"] = apple_latency.run(
            volume=volume,
            rounds=apple_rounds or (20 if device.type == "cuda" else 3),
            roi_size=APPLE_ROI[size],
        )
    result["wall_s"] = round(time.time() - start, 1)
    result["environment"] = environment_summary()
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", default="auto", choices=["auto", *SIZES], help="auto: real on CUDA, demo on CPU")
    p.add_argument("--tasks", nargs="+", default=["classification", "segmentation"], choices=sorted(STAGES))
    p.add_argument("--iterations", type=int, default=None, help="training steps per timed run (CUDA 20, CPU 3)")
    p.add_argument("--rounds", type=int, default=None, help="timed runs per stage after the warm-up (CUDA 3, CPU 1)")
    p.add_argument("--apple-rounds", type=int, default=None, help="APPLE inference rounds (CUDA 20, CPU 3)")
    p.add_argument("--out", default=None, help="also write the JSON to this file")
    args = p.parse_args(argv)
    result = run(args.size, tuple(args.tasks), args.iterations, args.rounds, args.apple_rounds)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
