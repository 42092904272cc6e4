# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

from collections import Counter

import pytest

from monai_fairness.data import stratified_split


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
