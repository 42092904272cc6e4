# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""CheXpert and NIH ChestX-ray14 converters on fixtures with the real headers and encodings."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from data_prep.chest_xray import CHEXPERT_FINDINGS, convert_chexpert, convert_nih, main
from monai_fairness.data import load_fairness_datalist


def _png(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 8), 128, np.uint8)).save(path)


def test_chexpert(tmp_path):
    header = ["Path", "Sex", "Age", "Frontal/Lateral", "AP/PA", *CHEXPERT_FINDINGS]
    rows = [",".join(header)]
    for i in range(40):
        view = "frontal" if i % 4 else "lateral"
        rel = f"CheXpert-v1.0-small/train/patient{i // 2:05d}/study1/view{i % 2 + 1}_{view}.jpg"
        effusion = ["1.0", "0.0", "-1.0", ""][i % 4]
        values = [""] * len(CHEXPERT_FINDINGS)
        values[CHEXPERT_FINDINGS.index("Pleural Effusion")] = effusion
        sex = ["Male", "Female", "Unknown"][i % 3]
        rows.append(",".join([rel, sex, str(20 + i), "Frontal" if i % 4 else "Lateral", "AP", *values]))
        _png(tmp_path / rel)
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")
    path = convert_chexpert(
        str(tmp_path / "train.csv"), str(tmp_path), str(tmp_path / "out"), finding="Pleural Effusion"
    )
    d = json.load(open(path))
    items = d["training"] + d["validation"] + d["test"]
    assert items and all(i["sex"] in ("Male", "Female") for i in items)  # Unknown dropped, never a group
    assert set(i["label"] for i in items) <= {0, 1} and d["labels"]["1"] == "Pleural Effusion"
    assert len(items) == len([i for i in range(40) if i % 4 not in (0, 2) and i % 3 != 2])  # frontal, not uncertain
    assert load_fairness_datalist(path, "training", require_group=True)


def test_nih_with_official_lists_and_no_patient_id(tmp_path):
    rows = [
        "Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,"
        "OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]"
    ]
    for i in range(40):
        name = f"{i // 2 + 1:08d}_{i % 2:03d}.png"
        labels = ["Effusion|Infiltration", "No Finding", "Atelectasis", "Effusion"][i % 4]
        rows.append(f"{name},{labels},{i % 2},{i // 2 + 1},{30 + i},{'MF'[i % 2]},PA,2500,2048,0.143,0.143")
        _png(tmp_path / "images" / name)
    (tmp_path / "Data_Entry_2017_v2020.csv").write_text("\n".join(rows) + "\n")
    names = [r.split(",")[0] for r in rows[1:]]
    (tmp_path / "train_val_list.txt").write_text("\n".join(names[:30]) + "\n")
    (tmp_path / "test_list.txt").write_text("\n".join(names[30:]) + "\n")
    path = convert_nih(
        str(tmp_path / "Data_Entry_2017_v2020.csv"),
        [str(tmp_path / "images")],
        str(tmp_path / "out"),
        finding="Effusion",
        attribute="age",
        age_bins=[45],
        split_lists=[str(tmp_path / "train_val_list.txt"), str(tmp_path / "test_list.txt")],
    )
    d = json.load(open(path))
    assert len(d["test"]) == 10 and len(d["training"]) + len(d["validation"]) == 30
    for item in d["training"] + d["validation"] + d["test"]:
        stem = item["image"].rsplit("/", 1)[-1][:-4]
        i = (int(stem[:8]) - 1) * 2 + int(stem[9:])
        assert item["label"] == int(i % 4 in (0, 3)), item  # rows 0 and 3 (mod 4) list Effusion
    text = json.dumps(d)
    assert "Patient ID" not in text and "_cluster" not in text
    assert all(i["group"] == int(i["age"] >= 45) for i in d["training"])
    assert load_fairness_datalist(path, "test", require_group=True)
    with pytest.raises(SystemExit):
        main(["nih", "--help"])
