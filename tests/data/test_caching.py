# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Caching within a budget, the disk cache's settings key, the worker rule, and the demo overlay's place."""

from __future__ import annotations

import os

import numpy as np
import pytest
from monai.data import CacheDataset, Dataset, PersistentDataset
from monai.transforms import Compose, Lambdad, RandIdentity

from monai_fairness.data import cache_rate_within, cached_dataset, default_num_workers
from monai_fairness.pipelines.bundle_runner import bundle_command, overlays_for


def test_cache_rate_fits_the_budget():
    # 1,000 uint8 images of 3 x 224 x 224 are 150.5 MB: 0.1 GB caches about two thirds of them
    assert cache_rate_within(0.1, 1000, [3, 224, 224]) == pytest.approx(0.1e9 / 150_528_000)
    assert cache_rate_within(4.0, 1000, [3, 224, 224]) == 1.0
    assert cache_rate_within(0.0, 1000, [3, 224, 224]) == 0.0
    assert cache_rate_within(1.0, 10, [3, 8, 8], bytes_per_value=4) == 1.0
    with pytest.raises(ValueError, match="cache_memory_gb expected a number >= 0 but got -1"):
        cache_rate_within(-1, 10, [3, 8, 8])
    with pytest.raises(ValueError, match=r"item_shape expected positive sizes but got \[3, 0, 8\]"):
        cache_rate_within(1.0, 10, [3, 0, 8])


def _counting_transform(calls: list) -> Compose:
    def count(x):
        calls.append(1)
        return x * 2

    return Compose([Lambdad("image", count), RandIdentity()])


def test_each_cache_mode_is_the_matching_monai_dataset(tmp_path):
    data = [{"image": np.full((1, 2, 2), i, np.float32)} for i in range(4)]
    calls: list = []
    memory = cached_dataset(data, _counting_transform(calls), "memory", cache_rate=0.5)
    assert isinstance(memory, CacheDataset) and len(calls) == 2  # half the items cached up to RandIdentity
    assert float(memory[3]["image"].max()) == 6.0
    assert type(cached_dataset(data, _counting_transform([]), "none")) is Dataset
    disk = cached_dataset(data, _counting_transform([]), "disk", cache_dir=str(tmp_path), cache_key=[1.5, 2.0])
    assert isinstance(disk, PersistentDataset)
    with pytest.raises(ValueError, match=r"cache expected one of \['memory', 'disk', 'none'\] but got 'ram'"):
        cached_dataset(data, _counting_transform([]), "ram")
    with pytest.raises(ValueError, match="cache 'disk' expected a cache_dir but got none"):
        cached_dataset(data, _counting_transform([]), "disk")


def test_disk_cache_of_other_settings_is_never_read(tmp_path):
    """PersistentDataset keys files by the item only: a changed spacing must land in another folder."""
    data = [{"image": "a.nii.gz"}]
    a = cached_dataset(data, Compose([RandIdentity()]), "disk", cache_dir=str(tmp_path), cache_key=[[1.5, 1.5, 2.0]])
    b = cached_dataset(data, Compose([RandIdentity()]), "disk", cache_dir=str(tmp_path), cache_key=[[1.0, 1.0, 1.0]])
    c = cached_dataset(data, Compose([RandIdentity()]), "disk", cache_dir=str(tmp_path), cache_key=[[1.5, 1.5, 2.0]])
    assert a.cache_dir != b.cache_dir and a.cache_dir == c.cache_dir
    assert sorted(os.listdir(tmp_path)) == sorted(
        {os.path.basename(str(a.cache_dir)), os.path.basename(str(b.cache_dir))}
    )


def test_worker_rule():
    assert default_num_workers(cpu_count=16, cuda=False) == 0  # CPU training: the network's threads use every core
    assert default_num_workers(cpu_count=2, cuda=True) == 1
    assert default_num_workers(cpu_count=16, cuda=True) == 8
    assert default_num_workers(cpu_count=1, cuda=True) == 0


def test_demo_overlay_is_stacked_after_the_stage_configs():
    cmd = bundle_command("/b", ["train.json", "train_student.json"], {"seed": 1}, overlays_for(True))
    files = cmd[cmd.index("--config_file") + 1]
    assert files == repr(["/b/configs/train.json", "/b/configs/train_student.json", "/b/configs/demo.json"])
    plain = bundle_command("/b", ["train.json"], {}, overlays_for(False))
    assert plain[plain.index("--config_file") + 1] == repr(["/b/configs/train.json"])
