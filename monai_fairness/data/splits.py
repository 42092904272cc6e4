# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Group x class stratified splits.

Hand-written rather than ``monai.data.partition_dataset_classes``, which floors each stratum's share and silently drops
the remainder (3 items at 0.7/0.15/0.15 keep 2): here every item lands in exactly one split (largest remainder).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from monai_fairness.utils.enums import FairnessKeys

__all__ = ["stratified_split"]


def stratified_split(
    items: Sequence[Mapping[str, Any]],
    ratios: Sequence[float] = (0.7, 0.15, 0.15),
    names: Sequence[str] = ("training", "validation", "test"),
    *,
    by_class: bool = True,
    seed: int = 0,
    cluster_key: str | None = None,
) -> dict[str, list[Mapping[str, Any]]]:
    """Split items so every split keeps the group x class proportions of the whole set.

    The stratum of an item is ``(group, label)`` (or ``group`` alone when ``by_class`` is False, e.g. segmentation,
    where ``label`` is a mask path). Each stratum is shuffled with ``seed`` and cut by ``ratios``.

    Args:
        items: datalist items carrying ``group`` (and an int ``label`` when ``by_class``).
        ratios: relative sizes of the splits.
        names: one name per ratio.
        by_class: stratify by class as well as group.
        seed: shuffle seed.
        cluster_key: keep items sharing this key's value in one split (e.g. ``lesion_id`` for ISIC/HAM10000, a patient
            key for DICOM studies); clusters are stratified by their first item. Items without the key are their own
            cluster.

    Raises:
        ValueError: When ``ratios`` and ``names`` differ in length, or an item lacks ``group``/``label``.
    """
    if cluster_key is not None:
        clusters: dict[Any, list[Mapping[str, Any]]] = {}
        for i, item in enumerate(items):
            value = item.get(cluster_key)
            clusters.setdefault(f"__item{i}" if value is None else value, []).append(item)
        firsts = [members[0] for members in clusters.values()]
        index = {id(members[0]): members for members in clusters.values()}
        parts = stratified_split(firsts, ratios, names, by_class=by_class, seed=seed)
        return {name: [m for first in part for m in index[id(first)]] for name, part in parts.items()}
    if len(ratios) != len(names):
        raise ValueError(f"stratified_split: expected one name per ratio but got ratios={list(ratios)}, names={list(names)}.")
    strata: dict[tuple, list[int]] = {}
    for i, item in enumerate(items):
        if FairnessKeys.GROUP not in item:
            raise ValueError(f"stratified_split: item {i} has no 'group'; expected an int group id.")
        key: tuple = (int(item[FairnessKeys.GROUP]),)
        if by_class:
            if not isinstance(item.get(FairnessKeys.LABEL), int):
                raise ValueError(
                    f"stratified_split: item {i} field 'label' expected an int class id but got "
                    f"{item.get(FairnessKeys.LABEL)!r}; pass by_class=False for segmentation."
                )
            key += (int(item[FairnessKeys.LABEL]),)
        strata.setdefault(key, []).append(i)
    rng = np.random.default_rng(seed)
    fractions = np.asarray(ratios, dtype=float) / float(sum(ratios))
    assigned: list[list[int]] = [[] for _ in names]
    for key in sorted(strata):
        members = [strata[key][j] for j in rng.permutation(len(strata[key]))]
        counts = _largest_remainder(len(members), fractions)
        start = 0
        for part, count in zip(assigned, counts, strict=True):
            part.extend(members[start : start + count])
            start += count
    return {name: [items[i] for i in sorted(part)] for name, part in zip(names, assigned, strict=True)}


def _largest_remainder(n: int, fractions: np.ndarray) -> list[int]:
    """Split ``n`` into integer counts proportional to ``fractions`` that add up to exactly ``n``."""
    raw = n * fractions
    counts = np.floor(raw).astype(int)
    for j in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[j] += 1
    return counts.tolist()
