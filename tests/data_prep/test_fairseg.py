# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Harvard-FairSeg converter on tiny npz files laid out as the official loader reads them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from data_prep.common import ConversionError
from data_prep.fairseg import convert
from monai_fairness.data import load_fairness_datalist


def _npz(folder, n=24):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        mask = np.zeros((16, 16), np.int64)
        mask[4:12, 4:12] = -1
        mask[6:10, 6:10] = -2
        np.savez(
            folder / f"data_{i:06d}.npz",
            fundus_slo=rng.integers(0, 255, (16, 16)).astype(np.uint8),
            disc_cup=mask,
            race=[2, 3, 7][i % 3],
            gender=i % 2,
            ethnicity=[0, 1, -1][i % 3],
            language=[0, 1, 2, -1][i % 4],
            maritalstatus=0,
            age=(40 + i * 2) * 365.0,
            pid=f"P{i // 2:05d}",
        )
    return folder


def test_fairseg_race_masks_and_official_lists(tmp_path):
    npz = _npz(tmp_path / "data")
    (tmp_path / "train.txt").write_text("\n".join(f"data_{i:06d}.npz" for i in range(18)) + "\n")
    (tmp_path / "test.txt").write_text("\n".join(f"data_{i:06d}.npz" for i in range(18, 24)) + "\n")
    path = convert(
        str(npz), str(tmp_path / "out"), "race", split_lists=[str(tmp_path / "train.txt"), str(tmp_path / "test.txt")]
    )
    d = json.load(open(path))
    assert d["groups"] == {"0": "Asian", "1": "Black", "2": "White"} and d["labels"]["2"] == "cup"
    assert len(d["test"]) == 6 and len(d["training"]) + len(d["validation"]) == 18
    item = d["test"][0]
    assert {"0": "Asian", "1": "Black", "2": "White"}[str(item["group"])] == item["race"]
    mask = np.asarray(Image.open(tmp_path / "out" / item["label"]))
    assert set(np.unique(mask).tolist()) == {0, 1, 2} and mask[8, 8] == 2 and mask[4, 4] == 1
    assert "pid" not in json.dumps(d) and "P0000" not in json.dumps(d)
    assert load_fairness_datalist(path, "test", require_group=True)


def test_fairseg_age_in_days_and_unknown_language(tmp_path):
    npz = _npz(tmp_path / "data")
    d = json.load(open(convert(str(npz), str(tmp_path / "a"), "age")))
    items = d["training"] + d["validation"] + d["test"]
    assert all(i["group"] == int(i["age"] >= 60) for i in items) and {i["group"] for i in items} == {0, 1}
    d = json.load(open(convert(str(npz), str(tmp_path / "l"), "language")))
    assert len(d["training"] + d["validation"] + d["test"]) == 18  # language -1 dropped, not folded into a group
    with pytest.raises(ConversionError, match=r"data_000003.npz: field 'language' expected one of"):
        convert(str(npz), str(tmp_path / "e"), "language", unknown="error")


def test_a_pickled_object_array_is_refused_not_loaded(tmp_path):
    folder = _npz(tmp_path / "data", n=3)

    class Payload:  # unpickling this would run code in a pickle-based attack
        def __reduce__(self):
            return (print, ("pwned",))

    np.savez(folder / "data_000001.npz", fundus_slo=np.zeros((16, 16)), disc_cup=np.zeros((16, 16)),
             race=np.array([Payload()], dtype=object))  # fmt: skip
    with pytest.raises(ConversionError, match=r"data_000001.npz: array 'race' is a pickled Python object"):
        convert(str(folder), str(tmp_path / "out"), "race")
