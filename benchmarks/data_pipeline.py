# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Throughput and memory of the bundles' training data pipeline at real size, against the pipeline they had before.

    python -m benchmarks.data_pipeline                  # about 5 minutes on 2 CPU cores
    python -m benchmarks.run --only data_pipeline

Measures the data pipeline alone (no network): the ERM bundles' own ``train#preprocessing`` and ``train#dataset``
with their real defaults (``configs/train.json``, no demo overlay), each configuration in a fresh process so that
its peak RSS is its own:

- **skin images at 224 x 224** from JPEG (600 x 450) and PNG (1024 x 768) files: training images/s for each
  worker count, now (cached as uint8 within ``cache_memory_gb``, loader workers, persistent) vs before (the same
  transforms cached as float32 at cache rate 1.0, loaded in the main process: bundles before version 0.5);
- **a 25,000-image datalist** (small generated PNGs, ISIC 2019's size): building the cache, peak RSS
  now within the stated budget vs the float32 cache that the earlier defaults would build (its size computed, not
  built: 15 GB would not fit this machine beside the rest);
- **CT volumes at 96^3 patches** from 1 mm volumes of 192 x 192 x 128 (resampled to 1.5 x 1.5 x 2 mm): volumes/s,
  now (cached on disk by ``PersistentDataset``, loader workers) vs before (in-memory cache, main process).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLES = os.path.join(REPO_ROOT, "bundles")
# the float32 cache at cache rate 1.0, main-process loading: the bundles' data pipeline before the real-size defaults
BEFORE = {
    "classification": {"train#deterministic_transforms#4#dtype": "$torch.float32", "cache_rate": 1.0, "num_workers": 0},
    "segmentation": {"cache": "memory", "cache_rate": 1.0, "num_workers": 0},
}


def write_images(folder: str, n: int, size: tuple[int, int], fmt: str, seed: int = 0) -> str:
    """``n`` skin-like RGB images of ``size`` (width, height) in ``fmt`` plus a two-group datalist; returns its path."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(folder, "images"), exist_ok=True)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    items = []
    for i in range(n):
        base = rng.uniform(80, 220, size=3)
        img = np.empty((h, w, 3), np.float32)
        img[:] = base
        r = min(w, h) * rng.uniform(0.15, 0.3)
        lesion = (xx - w / 2) ** 2 + (yy - h / 2) ** 2 < r**2
        img[lesion] *= 0.5
        img += rng.normal(0, 6, size=(h, w, 1))
        name = f"images/img_{i:05d}.{fmt}"
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(os.path.join(folder, name), quality=90)
        items.append({"image": name, "label": i % 2, "group": (i // 2) % 2, "id": f"img_{i:05d}"})
    n_val = max(2, n // 10)
    datalist = {
        "task": "classification",
        "groups": {"0": "light", "1": "dark"},
        "labels": {"0": "benign", "1": "malignant"},
        "training": items[n_val:],
        "validation": items[:n_val],
        "test": items[:n_val],
    }
    path = os.path.join(folder, "datalist.json")
    with open(path, "w") as f:
        json.dump(datalist, f)
    return path


def write_volumes(folder: str, n: int, shape: tuple[int, int, int], seed: int = 0) -> str:
    """``n`` CT-like NIfTI volumes of ``shape`` at 1 mm with a spherical organ label, and their datalist."""
    import nibabel as nib

    rng = np.random.default_rng(seed)
    for sub in ("images", "labels"):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
    zz, yy, xx = np.mgrid[0 : shape[0], 0 : shape[1], 0 : shape[2]]
    items = []
    for i in range(n):
        centre = np.array(shape) / 2 + rng.uniform(-10, 10, size=3)
        organ = ((zz - centre[0]) ** 2 + (yy - centre[1]) ** 2 + (xx - centre[2]) ** 2) < 20**2
        vol = rng.normal(-50, 30, size=shape).astype(np.float32)
        vol[organ] += 120
        img, lbl = f"images/case_{i:03d}.nii.gz", f"labels/case_{i:03d}.nii.gz"
        nib.save(nib.Nifti1Image(vol, np.eye(4)), os.path.join(folder, img))
        nib.save(nib.Nifti1Image(organ.astype(np.uint8), np.eye(4)), os.path.join(folder, lbl))
        items.append({"image": img, "label": lbl, "group": i % 2, "id": f"case_{i:03d}"})
    datalist = {
        "task": "segmentation",
        "groups": {"0": "male", "1": "female"},
        "labels": {"0": "background", "1": "organ"},
        "training": items[2:],
        "validation": items[:2],
        "test": items[:2],
    }
    path = os.path.join(folder, "datalist.json")
    with open(path, "w") as f:
        json.dump(datalist, f)
    return path


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """One configuration, in this process: build the bundle's training dataset and loader, fill its cache (the
    constructor for a memory cache, an untimed first pass for a disk cache: ``cache_build_s`` holds both), then time
    ``epochs`` passes.

    ``spec``: ``bundle``, ``dataset_dir``, ``work`` (ckpt/cache folder), ``overrides`` (config ids), ``epochs``.
    """
    import torch
    from monai.bundle import ConfigParser

    torch.set_num_threads(1)
    parser = ConfigParser()
    parser.read_config(os.path.join(BUNDLES, spec["bundle"], "configs", "train.json"))
    parser.update(
        {
            "dataset_dir": spec["dataset_dir"],
            "ckpt_dir": os.path.join(spec["work"], "models"),
            "preflight": False,
            **spec["overrides"],
        }
    )
    start = time.perf_counter()
    loader = parser.get_parsed_content("train#dataloader")
    if spec["epochs"]:
        for _ in loader:  # untimed warm-up pass: a disk cache is written here, a memory cache in the constructor
            pass
    build_s = time.perf_counter() - start
    n, shape, start = 0, None, time.perf_counter()
    for _ in range(spec["epochs"]):
        for batch in loader:
            n += int(batch["image"].shape[0])
            shape = list(batch["image"].shape)
    seconds = time.perf_counter() - start
    del loader
    return {
        "samples": n,
        "samples_per_s": round(n / seconds, 2) if n else None,
        "cache_build_s": round(build_s, 2),
        "cache_rate": round(float(parser.get_parsed_content("cache_rate")), 4),
        "batch_shape": shape,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),  # the training process
    }


def _in_subprocess(spec: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.data_pipeline", "--measure", json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": REPO_ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"data_pipeline measurement failed: {spec}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


NAMES = {
    "classification": ("before_float32_cache_main_process", "now_uint8_cache_workers_{}", "images_per_s"),
    "segmentation": ("before_memory_cache_main_process", "now_disk_cache_workers_{}", "patches_per_s"),
}


def _before_and_now(spec: dict[str, Any], work: str, task: str, workers: tuple[int, ...]) -> dict[str, Any]:
    """The earlier pipeline (main process) and today's at each worker count, and the best ratio of their rates."""
    before_name, now_name, unit = NAMES[task]
    row = {before_name: _in_subprocess({**spec, "work": os.path.join(work, "before"), "overrides": BEFORE[task]})}
    for w in workers:
        overrides = {"num_workers": w}
        row[now_name.format(w)] = _in_subprocess({**spec, "work": os.path.join(work, f"w{w}"), "overrides": overrides})
    best = max(row[now_name.format(w)]["samples_per_s"] for w in workers)
    row[f"ratio_best_now_over_before_{unit}"] = round(best / row[before_name]["samples_per_s"], 2)
    return row


def run(
    images: int = 400,
    large_datalist: int = 25000,
    volumes: int = 10,
    workers: tuple[int, ...] = (0, 1, 2),
    budget_gb: float = 2.0,
    epochs: int = 2,
    image_sizes: tuple[tuple[int, int], ...] = ((600, 450), (1024, 768)),
    volume_shape: tuple[int, int, int] = (192, 192, 128),
) -> dict[str, Any]:
    """Every measurement of the module docstring; the arguments shrink it (the test runs it small)."""
    from monai_fairness.data import default_num_workers

    out: dict[str, Any] = {
        "name": "data_pipeline",
        "cpus": os.cpu_count(),
        "default_num_workers": default_num_workers(),
    }
    cls = "erm_skin_lesion_classification"
    with tempfile.TemporaryDirectory() as root:
        for fmt, size in zip(("jpg", "png"), image_sizes, strict=True):
            data = os.path.dirname(write_images(os.path.join(root, fmt), images, size, fmt))
            row: dict[str, Any] = {"files": f"{images} {fmt.upper()} {size[0]}x{size[1]}", "image_size": [224, 224]}
            spec = {"bundle": cls, "dataset_dir": data, "epochs": epochs}
            row.update(_before_and_now(spec, os.path.join(root, fmt), "classification", workers))
            row["ratio_now_over_before_cache_rss"] = round(
                row[f"now_uint8_cache_workers_{workers[0]}"]["peak_rss_mb"]
                / row["before_float32_cache_main_process"]["peak_rss_mb"],
                2,
            )
            out[f"skin_{fmt}"] = row

        data = os.path.dirname(write_images(os.path.join(root, "large"), large_datalist, (32, 32), "png", seed=1))
        big = {"bundle": cls, "dataset_dir": data, "epochs": 0, "work": os.path.join(root, "big")}
        now = _in_subprocess({**big, "overrides": {"num_workers": default_num_workers(), "cache_memory_gb": budget_gb}})
        items = large_datalist
        out["datalist_25k"] = {
            "items": items,
            "cache_memory_gb": budget_gb,
            "now": now,
            "now_cache_gb": round(now["cache_rate"] * items * 3 * 224 * 224 / 1e9, 2),
            "before_float32_cache_gb_computed": round(items * 3 * 224 * 224 * 4 / 1e9, 2),
            "peak_rss_within_budget_plus_1gb": now["peak_rss_mb"] / 1024 <= budget_gb + 1.0,
        }

        data = os.path.dirname(write_volumes(os.path.join(root, "ct"), volumes, volume_shape))
        seg = {"bundle": "erm_ct_segmentation", "dataset_dir": data, "epochs": epochs}
        row = {
            "files": f"{volumes} NIfTI {'x'.join(map(str, volume_shape))} at 1 mm",
            "roi_size": [96, 96, 96],
            "spacing": [1.5, 1.5, 2.0],
        }
        row.update(_before_and_now(seg, os.path.join(root, "ct"), "segmentation", workers))
        out["ct_96"] = row
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    p.add_argument("--images", type=int, default=400)
    p.add_argument("--large-datalist", type=int, default=25000)
    p.add_argument("--volumes", type=int, default=10)
    p.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--budget-gb", type=float, default=2.0)
    args = p.parse_args(argv)
    if args.measure is not None:
        print(json.dumps(measure(json.loads(args.measure))))
        return 0
    from monai_fairness.utils.environment import environment_summary

    result = run(args.images, args.large_datalist, args.volumes, tuple(args.workers), args.budget_gb)
    result["environment"] = environment_summary()
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
