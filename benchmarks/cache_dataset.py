# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Training-data throughput on the demo data: MONAI ``CacheDataset`` vs ``Dataset``, same transforms, one run.

The transforms are the ERM classification bundle's own ``train#preprocessing`` at demo size (``configs/demo.json``:
PNG load, channel-first, resize, uint8, then scaling, random flips/rotations/jitter, normalisation); the bundles'
real-size pipeline is measured by ``benchmarks/data_pipeline.py``. ``CacheDataset`` caches everything up to the
first random transform; its one-off caching time is reported separately and included in ``cache_total_s``.
"""

from __future__ import annotations

import os
import time
from typing import Any

from monai.bundle import ConfigParser
from monai.data import CacheDataset, DataLoader, Dataset

from monai_fairness.data import load_fairness_datalist

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLE = os.path.join(REPO_ROOT, "bundles", "erm_skin_lesion_classification")


def _epochs(dataset: Any, epochs: int, batch_size: int) -> tuple[float, int]:
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=0)
    start, n = time.perf_counter(), 0
    for _ in range(epochs):
        for batch in loader:
            n += int(batch["image"].shape[0])
    return time.perf_counter() - start, n


def run(data_dir: str, epochs: int = 3, batch_size: int = 32) -> dict[str, Any]:
    datalist = os.path.join(data_dir, "derm", "datalist.json")
    parser = ConfigParser()
    parser.read_config([os.path.join(BUNDLE, "configs", c) for c in ("train.json", "demo.json")])
    transform = parser.get_parsed_content("train#preprocessing")
    items = load_fairness_datalist(datalist, "training")
    plain_s, n = _epochs(Dataset(items, transform), epochs, batch_size)
    start = time.perf_counter()
    cached = CacheDataset(items, transform, cache_rate=1.0, num_workers=0, progress=False)
    cache_build_s = time.perf_counter() - start
    cached_s, _ = _epochs(cached, epochs, batch_size)
    return {
        "name": "cache_dataset_vs_dataset",
        "items": len(items),
        "epochs": epochs,
        "dataset_items_per_s": n / plain_s,
        "cache_dataset_items_per_s": n / cached_s,
        "cache_build_s": cache_build_s,
        "ratio_throughput_cache_over_plain": plain_s / cached_s,
        "ratio_total_time_plain_over_cache_incl_build": plain_s / (cached_s + cache_build_s),
    }
