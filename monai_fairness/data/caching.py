# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Datasets that cache within a memory budget, and a worker count that follows the machine.

At real scale a ``CacheDataset`` at cache rate 1.0 holds every decoded, resized image in RAM: ISIC 2019 (25,331
images) at 224 x 224 x 3 in float32 is about 15 GB. The bundles therefore cache the deterministic part of the
pipeline as **uint8** (150 kB an image at 224 px: 3.8 GB for ISIC) and only as many items as ``cache_memory_gb``
allows; the rest are decoded on the fly by the loader's workers. CT volumes (tens of MB each, sizes unknown until
read) are cached on disk by MONAI's ``PersistentDataset`` instead. Everything here picks among MONAI's own datasets;
only the choice is ours.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Sequence
from typing import Any

from monai.data import CacheDataset, Dataset, PersistentDataset

__all__ = ["CACHE_MODES", "cache_rate_within", "cached_dataset", "default_num_workers"]

CACHE_MODES = ("memory", "disk", "none")


def default_num_workers(cpu_count: int | None = None, max_workers: int = 8, cuda: bool | None = None) -> int:
    """Data-loader workers for this machine: on a GPU machine one per CPU but one (left to the training process), at
    most ``max_workers``; on a CPU-only machine 0.

    Without a GPU the network's own computation already keeps every core busy (PyTorch's intra-op threads), so
    loader processes only compete with it; ``python -m benchmarks.data_pipeline`` measures each worker count. With
    a GPU, workers decode and augment while the device trains; eight feed a GPU at 224 px from cached uint8 images.

    Args:
        cpu_count: CPUs to plan for; default the CPUs this process may use (``os.sched_getaffinity``).
        max_workers: the most workers returned.
        cuda: whether a GPU trains; default ``torch.cuda.is_available()``.
    """
    if cuda is None:
        import torch

        cuda = torch.cuda.is_available()
    if not cuda:
        return 0
    if cpu_count is None:
        cpu_count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(int(max_workers), int(cpu_count) - 1))


def cache_rate_within(memory_gb: float, num_items: int, item_shape: Sequence[int], bytes_per_value: int = 1) -> float:
    """The largest cache rate whose cache fits ``memory_gb``: ``min(1, budget / (num_items * item bytes))``.

    Args:
        memory_gb: the budget in GB (1e9 bytes); 0 caches nothing.
        num_items: how many items the dataset has.
        item_shape: the shape of one cached image, e.g. ``[3, 224, 224]``.
        bytes_per_value: 1 for uint8 (the bundles' cached classification images), 4 for float32.

    Raises:
        ValueError: When ``memory_gb`` is negative or an item dimension is not positive.
    """
    if memory_gb < 0:
        raise ValueError(f"cache_memory_gb expected a number >= 0 but got {memory_gb}.")
    if any(int(s) <= 0 for s in item_shape):
        raise ValueError(f"item_shape expected positive sizes but got {list(item_shape)}.")
    if num_items <= 0:
        return 1.0
    total = num_items * math.prod(int(s) for s in item_shape) * bytes_per_value
    return min(1.0, memory_gb * 1e9 / total)


def cached_dataset(
    data: Sequence[Any],
    transform: Callable,
    cache: str = "memory",
    cache_rate: float = 1.0,
    cache_dir: str | None = None,
    num_workers: int | None = 0,
    cache_key: Any = None,
) -> Dataset:
    """A MONAI dataset over ``data`` that caches the deterministic part of ``transform`` as ``cache`` says.

    Args:
        data: the datalist items.
        transform: a MONAI ``Compose``; everything before its first random transform (or ``RandIdentity``, which the
            bundles put where the cached uint8 image ends) is cached.
        cache: ``"memory"`` (``CacheDataset`` at ``cache_rate``), ``"disk"`` (``PersistentDataset`` in a subfolder
            of ``cache_dir`` named by a hash of ``cache_key``) or ``"none"`` (``Dataset``).
        cache_rate: the share of items ``"memory"`` caches (see :func:`cache_rate_within`).
        cache_dir: where ``"disk"`` writes (created).
        num_workers: threads that fill the memory cache (``None``: one per CPU).
        cache_key: the settings the cached transforms depend on (e.g. spacing, intensity window, patch size), as
            JSON-serialisable values. MONAI's ``PersistentDataset`` keys files by the item only (its transform hash
            does not see transform parameters), so without this a changed spacing would read stale files.

    Raises:
        ValueError: When ``cache`` is not one of :data:`CACHE_MODES`, or ``"disk"`` has no ``cache_dir``.
    """
    if cache not in CACHE_MODES:
        raise ValueError(f"cache expected one of {list(CACHE_MODES)} but got {cache!r}.")
    if cache == "memory":
        return CacheDataset(data, transform, cache_rate=cache_rate, num_workers=num_workers, progress=False)
    if cache == "disk":
        if not cache_dir:
            raise ValueError("cache 'disk' expected a cache_dir but got none.")
        key = hashlib.sha1(json.dumps(cache_key, sort_keys=True, default=str).encode()).hexdigest()[:12]
        folder = os.path.join(cache_dir, key)
        os.makedirs(folder, exist_ok=True)
        return PersistentDataset(data, transform, cache_dir=folder)
    return Dataset(data, transform)
