# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Group x class stratified splits, on top of ``monai.data.partition_dataset_classes``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from monai.data import partition_dataset_classes

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
            clusters.setdefault(item.get(cluster_key) or f"__item{i}", []).append(item)
        firsts = [members[0] for members in clusters.values()]
        index = {id(members[0]): members for members in clusters.values()}
        parts = stratified_split(firsts, ratios, names, by_class=by_class, seed=seed)
        return {name: [m for first in part for m in index[id(first)]] for name, part in parts.items()}
    if len(ratios) != len(names):
        raise ValueError(f"stratified_split: expected one name per ratio but got ratios={list(ratios)}, names={list(names)}.")
    strata: dict[tuple, int] = {}
    classes = []
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
        classes.append(strata.setdefault(key, len(strata)))
    parts = partition_dataset_classes(list(items), classes, ratios=list(ratios), shuffle=True, seed=seed)
    return {name: list(part) for name, part in zip(names, parts)}
