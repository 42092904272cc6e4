# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Group-aware sampling helpers: group-balanced sample weights, inverse-frequency loss weights, per-group loaders."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import torch
from monai.data import DataLoader
from torch.utils.data import Dataset, RandomSampler, Subset

from monai_fairness.data.datalist import DatalistError
from monai_fairness.utils.enums import FairnessKeys

__all__ = [
    "check_group_id",
    "endless",
    "group_balanced_sample_weights",
    "group_counts",
    "group_frequency_weights",
    "group_loaders",
    "select_group",
]


def _groups(items: Sequence[Mapping[str, Any]], stage: str) -> list[int]:
    groups = []
    for i, item in enumerate(items):
        if FairnessKeys.GROUP not in item:
            raise DatalistError(
                f"stage '{stage}' needs a 'group' on every training item; item {i} "
                f"({item.get('id', item.get('image', '?'))}) has none (keys: {sorted(item)})."
            )
        groups.append(int(item[FairnessKeys.GROUP]))
    if not groups:
        raise DatalistError(f"stage '{stage}' expected at least one training item but got none.")
    return groups


def group_counts(items: Sequence[Mapping[str, Any]], stage: str = "train") -> dict[int, int]:
    """``{group id: number of items}`` (e.g. GroupDRO's group-size adjustment).

    Raises:
        DatalistError: When an item has no group.
    """
    return dict(sorted(Counter(_groups(items, stage)).items()))


def group_frequency_weights(
    items: Sequence[Mapping[str, Any]],
    groups: int | Sequence[int] | None = None,
    stage: str = "train_reweighting",
) -> list[float]:
    """Per-group loss weights ``w_k = N / (K * n_k)`` (1 for every group when groups are balanced), as a list indexed
    by group id (so that ``weights[group]`` works for ids such as sex coded 1/2; ids that are not groups get 0).

    Args:
        items: the training items (each with ``group``).
        groups: the declared group ids (the datalist's ``groups`` keys), or their count ``K`` for ids ``0..K-1``;
            None: the ids present in ``items``.
        stage: named in the error messages.

    Raises:
        DatalistError: When an item has no group or a declared group has no item.
    """
    present = _groups(items, stage)
    declared = (
        sorted(set(present))
        if groups is None
        else (list(range(groups)) if isinstance(groups, int) else sorted(int(g) for g in groups))
    )
    counts = Counter(present)
    empty = [g for g in declared if counts[g] == 0]
    if empty:
        raise DatalistError(
            f"stage '{stage}' expected training items in every group {declared} but groups {empty} have none."
        )
    weights = [0.0] * (max(declared) + 1)
    for g in declared:
        weights[g] = len(present) / (len(declared) * counts[g])
    return weights


def group_balanced_sample_weights(
    items: Sequence[Mapping[str, Any]], by_class: bool = False, stage: str = "train_resampling"
) -> torch.Tensor:
    """Sampling weight per item so that each group (or group x class cell) is drawn equally often.

    Use with ``torch.utils.data.WeightedRandomSampler(weights, num_samples=len(items), replacement=True)`` (or
    ``monai.data.DistributedWeightedRandomSampler`` under DDP).
    """
    groups = _groups(items, stage)
    keys: list[Any] = [(g, int(item["label"])) if by_class else g for g, item in zip(groups, items, strict=True)]
    counts = Counter(keys)
    return torch.tensor([1.0 / counts[key] for key in keys], dtype=torch.double)


def group_loaders(
    dataset: Dataset, batch_size: int = 64, num_workers: int = 0, stage: str = "train_backbone", **kwargs: Any
) -> dict[int, DataLoader]:
    """One loader per group over the items of ``dataset`` (a MONAI dataset with ``.data``), sampled with replacement.

    The loaders share ``dataset`` (and so its cache); used for FIS's per-group extra batches. Groups smaller than the
    batch are drawn with replacement, as every draw is. MONAI's ``DataLoader``: its collate flattens the lists of
    patches that multi-sample crops (``RandCropByPosNegLabeld``, ``num_samples`` > 1) return per item.

    Raises:
        DatalistError: When an item has no group.
    """
    groups = _groups(dataset.data, stage)  # type: ignore[attr-defined]
    loaders = {}
    kwargs.setdefault("persistent_workers", num_workers > 0)  # a pass is one batch: else workers restart every step
    for k in sorted(set(groups)):
        subset = Subset(dataset, [i for i, g in enumerate(groups) if g == k])
        sampler = RandomSampler(subset, replacement=True, num_samples=batch_size)
        loaders[k] = DataLoader(subset, batch_size=batch_size, sampler=sampler, num_workers=num_workers, **kwargs)
    return loaders


def endless(loader: DataLoader) -> Iterator[Any]:
    """Cycle over a loader forever (a fresh pass, and fresh random draws, each time)."""
    while True:
        yield from loader


def select_group(items: Sequence[Mapping[str, Any]], group_id: int, stage: str = "train_teacher") -> list[dict]:
    """The items of one group (a FairDi teacher's training or validation data).

    Raises:
        DatalistError: When an item has no group or no item belongs to ``group_id``.
    """
    groups = _groups(items, stage)
    selected = [dict(item) for item, g in zip(items, groups, strict=True) if g == int(group_id)]
    if not selected:
        raise DatalistError(
            f"stage '{stage}' expected items of group_id {group_id} but got none "
            f"(groups present: {sorted(set(groups))})."
        )
    return selected


def check_group_id(group_id: Any, groups: int | Sequence[int], stage: str = "train_teacher") -> int:
    """``group_id`` as an int among the declared groups (their ids, or a count ``K`` for ids ``0..K-1``); the error
    says how to pass it.

    Raises:
        ValueError: When it is missing or not a declared group.
    """
    declared = list(range(groups)) if isinstance(groups, int) else sorted(int(g) for g in groups)
    if isinstance(group_id, bool) or not isinstance(group_id, (int, str)) or not str(group_id).lstrip("-").isdigit():
        raise ValueError(
            f"stage '{stage}' expected group_id one of the declared groups {declared} (pass --group_id k) but got "
            f"{group_id!r}."
        )
    if int(group_id) not in declared:
        raise ValueError(
            f"stage '{stage}' expected group_id one of the declared groups {declared} but got {group_id!r}."
        )
    return int(group_id)
