# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Fitzpatrick17k converter on a fixture with the real header and value encodings (images made tiny)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from data_prep.common import ConversionError
from data_prep.fitzpatrick17k import convert, main
from monai_fairness.data import load_fairness_datalist

HEADER = (
    "md5hash,fitzpatrick_scale,fitzpatrick_centaur,label,nine_partition_label,three_partition_label,qc,url,url_alphanum"
)


def _fixture(tmp_path, n=40):
    rng = np.random.default_rng(0)
    (tmp_path / "images").mkdir()
    rows = [HEADER]
    labels = ["psoriasis", "lichen planus", "basal cell carcinoma", "melanoma"]
    for i in range(n):
        md5 = f"{i:032x}"
        fst = [-1, 1, 2, 3, 4, 5, 6, 2][i % 8]
        label = labels[i % 4]
        nine = "malignant epidermal" if label in ("basal cell carcinoma", "melanoma") else "inflammatory"
        three = "malignant" if nine.startswith("malignant") else "non-neoplastic"
        rows.append(
            f"{md5},{fst},{fst},{label},{nine},{three},,https://example.org/{md5}.jpg,https--example.org-{md5}.jpg"
        )
        if i != 5:  # one image "failed to download"
            Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(tmp_path / "images" / f"{md5}.jpg")
    (tmp_path / "fitzpatrick17k.csv").write_text("\n".join(rows) + "\n")
    return str(tmp_path / "fitzpatrick17k.csv"), str(tmp_path / "images")


def test_unknown_type_is_dropped_never_dark(tmp_path):
    csv, images = _fixture(tmp_path)
    path = convert(csv, images, str(tmp_path / "out"))
    d = json.load(open(path))
    items = d["training"] + d["validation"] + d["test"]
    assert all(i["fitzpatrick"] != -1 for i in items)  # the 5 unknown rows are gone, not dark
    assert len(items) == 40 - 5 - 1  # 5 unknown, 1 missing image
    assert all(i["group"] == (0 if i["fitzpatrick"] <= 3 else 1) for i in items)
    assert d["groups"] == {"0": "light", "1": "dark"} and d["sensitive_attribute"] == "skin_tone"
    assert "unknown types: drop" in d["description"]
    assert load_fairness_datalist(path, "training", require_group=True)


def test_unknown_separate_and_scp_reproduction(tmp_path):
    csv, images = _fixture(tmp_path)
    d = json.load(open(convert(csv, images, str(tmp_path / "sep"), unknown="separate")))
    items = d["training"] + d["validation"] + d["test"]
    assert d["groups"]["2"] == "unknown" and {i["group"] for i in items if i["fitzpatrick"] == -1} == {2}
    d = json.load(open(convert(csv, images, str(tmp_path / "scp"), unknown="scp")))
    items = d["training"] + d["validation"] + d["test"]
    assert {i["group"] for i in items if i["fitzpatrick"] == -1} == {1}
    assert "counted as DARK as in the official SCP code" in d["description"]


def test_unknown_error_names_file_and_row(tmp_path):
    csv, images = _fixture(tmp_path)
    with pytest.raises(ConversionError, match=r"fitzpatrick17k.csv row 2: FitzpatrickToGroup: field 'skin_tone'"):
        convert(csv, images, str(tmp_path / "err"), unknown="error")


def test_label_columns_and_split_files(tmp_path):
    csv, images = _fixture(tmp_path)
    (tmp_path / "val.csv").write_text("hasher,low\n" + "\n".join(f"{i:032x},0" for i in (1, 2, 3)) + "\n")
    (tmp_path / "test.csv").write_text("hasher,low\n" + "\n".join(f"{i:032x},0" for i in (4, 6, 7)) + "\n")
    path = convert(
        csv,
        images,
        str(tmp_path / "o"),
        label_column="three_partition_label",
        split_files=[str(tmp_path / "val.csv"), str(tmp_path / "test.csv")],
    )
    d = json.load(open(path))
    assert d["labels"] == {"0": "malignant", "1": "non-neoplastic"}
    assert len(d["validation"]) == 3 and len(d["test"]) == 3 and len(d["training"]) == 34 - 6
    with pytest.raises(SystemExit):
        main(["--help"])
    out = tmp_path / "cli"
    main(["--csv", csv, "--images", images, "--out", str(out), "--attribute", "skin_tone", "--fitzpatrick-cut", "2"])
    d = json.load(open(out / "datalist.json"))
    assert all(i["group"] == int(i["fitzpatrick"] > 2) for i in d["training"] + d["validation"] + d["test"])
