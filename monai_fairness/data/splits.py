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

__all__ = ["stratified_split", "split_in_two", "held_out"]


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
        raise ValueError(
            f"stratified_split: expected one name per ratio but got ratios={list(ratios)}, names={list(names)}."
        )
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


def split_in_two(
    items: Sequence[Mapping[str, Any]], first_share: float, part: str, *, seed: int = 0
) -> list[Mapping[str, Any]]:
    """One of two disjoint parts of a split: ``"first"`` holds ``first_share`` of it, ``"second"`` the rest.

    APPLE's deployment set-up (Xu et al., arXiv 2403.05114): the deployed segmentor was trained elsewhere, and the
    clinical group trains the perturber on its own labelled cases. On the demo data both come from one training
    split, so the stand-in segmentor trains on the first part and APPLE on the second; a segmentor fitted to the very
    cases APPLE trains on leaves it almost no group gap to learn from. The parts keep each group's proportion when
    every item carries ``group`` (DICOM datalists may not: the sex is read from the headers later), otherwise they
    are a seeded random cut. The same items, ``first_share`` and ``seed`` give the same parts in every stage.

    Args:
        items: datalist items.
        first_share: fraction of the items in the first part, in [0, 1]; 0 leaves every item to ``"second"``.
        part: ``"first"`` or ``"second"``.
        seed: shuffle seed of the cut.

    Raises:
        ValueError: When ``first_share`` is outside [0, 1], ``part`` is unknown, or the requested part is empty.
    """
    share = float(first_share)
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"split_in_two: first_share expected a fraction in [0, 1] but got {first_share!r}.")
    if part not in ("first", "second"):
        raise ValueError(f"split_in_two: part expected 'first' or 'second' but got {part!r}.")
    if all(FairnessKeys.GROUP in item for item in items):
        chosen = stratified_split(items, (share, 1.0 - share), ("first", "second"), by_class=False, seed=seed)[part]
    else:
        order = np.random.default_rng(seed).permutation(len(items))
        n_first = int(round(share * len(items)))
        keep = set((order[:n_first] if part == "first" else order[n_first:]).tolist())
        chosen = [item for i, item in enumerate(items) if i in keep]
    if not chosen:
        raise ValueError(
            f"split_in_two: the {part!r} part of {len(items)} items at first_share={share} is empty; expected at "
            "least one item (lower or raise first_share)."
        )
    return chosen


def held_out(
    items: Sequence[Mapping[str, Any]], evaluated: Sequence[Mapping[str, Any]], *, name: str = "training"
) -> list[Mapping[str, Any]]:
    """The ``items`` whose image is not among the ``evaluated`` ones.

    A probe fitted on some cases and scored on others must never see a scored case while fitting. With an
    evaluation datalist that puts every case into its test split (a fresh draw, ``benchmarks.fresh_draw``) the
    training split is a subset of the test split, so APPLE's leakage probe fits on this held-out part.

    Raises:
        ValueError: When every item is also evaluated (nothing left to fit on).
    """
    scored = {str(item.get(FairnessKeys.IMAGE)) for item in evaluated}
    kept = [item for item in items if str(item.get(FairnessKeys.IMAGE)) not in scored]
    if not kept:
        raise ValueError(
            f"held_out: all {len(items)} {name} items are also in the evaluated split; expected at least one held-out "
            "item to fit on (evaluate on a split that does not contain them)."
        )
    return kept


def _largest_remainder(n: int, fractions: np.ndarray) -> list[int]:
    """Split ``n`` into integer counts proportional to ``fractions`` that add up to exactly ``n``."""
    raw = n * fractions
    counts = np.floor(raw).astype(int)
    for j in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[j] += 1
    return counts.tolist()
