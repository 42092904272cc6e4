# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

import re

import pytest

from monai_fairness.data import DatalistError, count_by_group_class, load_fairness_datalist, validate_datalist


def _base(**splits):
    d = {
        "name": "t",
        "description": "t",
        "task": "classification",
        "sensitive_attribute": "sex",
        "groups": {"0": "M", "1": "F"},
        "labels": {"0": "neg", "1": "pos"},
        "synthetic": True,
        "training": [
            {"image": "a.png", "label": 0, "group": 0, "id": "a"},
            {"image": "b.png", "label": 1, "group": 1, "id": "b"},
        ],
        "validation": [],
        "test": [],
    }
    d.update(splits)
    return d


def test_load_returns_absolute_paths(write_datalist, tmp_path):
    items = load_fairness_datalist(write_datalist(_base()), "training", require_group=True)
    assert [i["image"] for i in items] == [str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    assert [i["group"] for i in items] == [0, 1]


def test_missing_group_names_stage_item_and_expected(write_datalist):
    d = _base(training=[{"image": "a.png", "label": 0, "group": 0}, {"image": "b.png", "label": 1, "id": "b"}])
    path = write_datalist(d)
    with pytest.raises(DatalistError) as err:
        load_fairness_datalist(path, require_group=True, stage="train_teacher")
    msg = str(err.value)
    assert "stage 'train_teacher' needs field 'group'" in msg
    assert "training[1] (id='b')" in msg
    assert "expected an int in [0, 1]" in msg
    # inference does not need the group
    assert len(load_fairness_datalist(path, require_group=False)) == 2


def test_group_not_in_groups(write_datalist):
    d = _base(training=[{"image": "a.png", "label": 0, "group": 2, "id": "a"}])
    message = "field 'group' expected an int in [0, 1] (keys of 'groups') but got 2"
    with pytest.raises(DatalistError, match=re.escape(message)):
        load_fairness_datalist(write_datalist(d))


def test_label_not_in_labels(write_datalist):
    d = _base(training=[{"image": "a.png", "label": 5, "group": 0}])
    with pytest.raises(DatalistError, match=re.escape("training[0]: field 'label' expected an int in [0, 1]")):
        load_fairness_datalist(write_datalist(d))


def test_missing_image_file(write_datalist, tmp_path):
    path = write_datalist(_base(), touch=False)
    with pytest.raises(DatalistError) as err:
        load_fairness_datalist(path)
    assert "training[0] (id='a'): field 'image' expected an existing file or folder" in str(err.value)
    assert str(tmp_path / "a.png") in str(err.value)


def test_group_with_no_items_in_split(write_datalist):
    d = _base(test=[{"image": "a.png", "label": 0, "group": 0}])
    message = "split 'test': expected at least one item in every group [0, 1] but group(s) 1 (F) have none"
    with pytest.raises(DatalistError, match=re.escape(message)):
        load_fairness_datalist(write_datalist(d), "test", require_all_groups=True)


def test_missing_split_and_bad_task(write_datalist, tmp_path):
    d = _base()
    del d["test"]
    with pytest.raises(DatalistError, match="expected a list named 'test' but found only"):
        load_fairness_datalist(write_datalist(d), "test")
    message = "field 'task': expected one of ['classification', 'segmentation'] but got 'detection'"
    with pytest.raises(DatalistError, match=re.escape(message)):
        validate_datalist({**d, "task": "detection"}, tmp_path)


def test_missing_top_level_field(tmp_path):
    with pytest.raises(DatalistError, match="missing top-level field 'groups'"):
        validate_datalist({"task": "classification", "labels": {"0": "a"}}, tmp_path)


def test_count_by_group_class():
    items = [{"group": 0, "label": 0}, {"group": 0, "label": 1}, {"group": 0, "label": 1}, {"group": 1, "label": 1}]
    table = count_by_group_class(items, {"0": "M", "1": "F"}, {"0": "neg", "1": "pos"})
    assert table.loc["M", "pos"] == 2 and table.loc["F", "neg"] == 0 and table.loc["F", "pos"] == 1
    seg = count_by_group_class(items, {"0": "M", "1": "F"})
    assert seg.loc["M", "n"] == 3 and seg.loc["F", "n"] == 1


def test_demo_datalists_pass_the_contract(tiny_derm, tiny_ct):
    for path, split in ((tiny_derm, "training"), (tiny_ct["nifti"], "test"), (tiny_ct["dicom"], "validation")):
        items = load_fairness_datalist(path, split, require_group=True, require_all_groups=True)
        assert items and all("group" in i for i in items)
