# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

from collections import Counter

import pytest

from monai_fairness.data import held_out, split_in_two, stratified_split


def test_split_keeps_group_class_proportions_and_is_deterministic():
    items = [{"image": f"{i}", "group": int(i % 5 == 0), "label": int(i % 2 == 0)} for i in range(200)]
    a = stratified_split(items, (0.5, 0.25, 0.25), seed=1)
    b = stratified_split(items, (0.5, 0.25, 0.25), seed=1)
    assert a == b
    assert sum(len(v) for v in a.values()) == 200
    whole = Counter((i["group"], i["label"]) for i in items)
    for name, frac in (("training", 0.5), ("validation", 0.25), ("test", 0.25)):
        got = Counter((i["group"], i["label"]) for i in a[name])
        for stratum, n in whole.items():
            assert abs(got[stratum] - frac * n) <= 1, (name, stratum)
    ids = [i["image"] for part in a.values() for i in part]
    assert len(set(ids)) == 200


def test_split_errors():
    with pytest.raises(ValueError, match="expected one name per ratio"):
        stratified_split([], (0.5, 0.5), ("a",))
    with pytest.raises(ValueError, match="item 0 has no 'group'"):
        stratified_split([{"label": 0}])
    with pytest.raises(ValueError, match="pass by_class=False for segmentation"):
        stratified_split([{"group": 0, "label": "mask.nii.gz"}])


def test_no_item_is_lost_in_small_strata():
    # 7 classes x 2 groups with 1-4 items each: flooring per stratum would drop many of them
    items = [{"image": str(i), "group": i % 2, "label": (i // 2) % 7} for i in range(45)]
    parts = stratified_split(items, seed=0)
    assert sorted(i["image"] for p in parts.values() for i in p) == sorted(str(i) for i in range(45))


def test_clusters_stay_in_one_split():
    items = [{"image": str(i), "group": i % 2, "label": 0, "lesion": i // 3} for i in range(60)]
    parts = stratified_split(items, seed=2, cluster_key="lesion")
    where = {i["lesion"]: name for name, p in parts.items() for i in p}
    assert all(where[i["lesion"]] == name for name, p in parts.items() for i in p)
    assert sum(len(p) for p in parts.values()) == 60


def test_split_in_two_gives_disjoint_group_stratified_parts():
    items = [{"image": f"{i}.nii.gz", "group": int(i % 10 < 3)} for i in range(40)]  # 28 group 0, 12 group 1
    first, second = split_in_two(items, 0.5, "first"), split_in_two(items, 0.5, "second")
    assert split_in_two(items, 0.5, "first") == first  # the same parts in every stage
    assert {i["image"] for i in first}.isdisjoint(i["image"] for i in second)
    assert len(first) + len(second) == 40
    assert Counter(i["group"] for i in first) == Counter({0: 14, 1: 6})
    assert Counter(i["group"] for i in second) == Counter({0: 14, 1: 6})
    assert split_in_two(items, 0.0, "second") == items  # a segmentor trained elsewhere: APPLE gets everything


def test_split_in_two_without_groups_is_a_seeded_cut():
    # DICOM datalists may carry no group (the sex is read from the headers later)
    items = [{"image": f"series{i}"} for i in range(9)]
    first, second = split_in_two(items, 0.3, "first", seed=1), split_in_two(items, 0.3, "second", seed=1)
    assert len(first) == 3 and len(second) == 6
    assert sorted(i["image"] for i in first + second) == sorted(i["image"] for i in items)
    assert split_in_two(items, 0.3, "first", seed=2) != first


def test_split_in_two_errors():
    items = [{"image": "a", "group": 0}, {"image": "b", "group": 1}]
    with pytest.raises(ValueError, match=r"first_share expected a fraction in \[0, 1\] but got 1.5"):
        split_in_two(items, 1.5, "first")
    with pytest.raises(ValueError, match="part expected 'first' or 'second' but got 'apple'"):
        split_in_two(items, 0.5, "apple")
    with pytest.raises(ValueError, match="the 'first' part of 2 items at first_share=0.0 is empty"):
        split_in_two(items, 0.0, "first")


def test_held_out_leaves_out_every_scored_case_and_refuses_when_none_is_left():
    training = [{"image": f"/d/img{i}.nii.gz", "group": i % 2} for i in range(6)]
    fresh_draw_test = training[:4] + [{"image": "/d/other.nii.gz", "group": 0}]
    assert held_out(training, fresh_draw_test) == training[4:]
    assert held_out(training, []) == training
    with pytest.raises(ValueError, match=r"all 6 training items are also in the evaluated split"):
        held_out(training, training + fresh_draw_test)
