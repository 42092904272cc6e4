# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""ISIC 2019 and HAM10000 converters on fixtures with the real headers and value encodings; the result trains."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

from data_prep import ham10000, isic2019
from data_prep.common import ConversionError
from monai_fairness.data import load_fairness_datalist


def _img(path):
    rng = np.random.default_rng(abs(hash(str(path))) % 2**32)
    Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(path)


@pytest.fixture
def ham(tmp_path):
    p1, p2 = tmp_path / "HAM10000_images_part_1", tmp_path / "HAM10000_images_part_2"
    p1.mkdir(), p2.mkdir()
    dx = ["nv", "mel", "bkl", "bcc", "akiec", "vasc", "df"]
    sexes = ["male", "female", "male", "female", "unknown"]
    rows = ["lesion_id,image_id,dx,dx_type,age,sex,localization,dataset"]
    for i in range(60):
        lesion, image = f"HAM_{i // 2:07d}", f"ISIC_{i:07d}"  # two images per lesion
        age = "" if i % 13 == 0 else str(30 + (i % 9) * 5) + ".0"
        rows.append(f"{lesion},{image},{dx[(i // 2) % 7]},histo,{age},{sexes[(i // 2) % 5]},back,vidir_modern")
        _img((p1 if i % 2 else p2) / f"{image}.jpg")
    (tmp_path / "HAM10000_metadata.csv").write_text("\n".join(rows) + "\n")
    return tmp_path


def test_ham10000_sex_unknown_dropped_and_lesions_kept_together(ham, tmp_path):
    out = tmp_path / "out"
    path = ham10000.convert(
        str(ham / "HAM10000_metadata.csv"),
        [str(ham / "HAM10000_images_part_1"), str(ham / "HAM10000_images_part_2")],
        str(out),
    )
    d = json.load(open(path))
    items = d["training"] + d["validation"] + d["test"]
    assert len(items) == 48 and {i["sex"] for i in items} == {"male", "female"}  # 12 'unknown' images dropped
    assert all(i["group"] == (0 if i["sex"] == "male" else 1) for i in items)
    where = {i["lesion_id"]: s for s in ("training", "validation", "test") for i in d[s]}
    for s in ("training", "validation", "test"):
        assert all(where[i["lesion_id"]] == s for i in d[s])  # no lesion crosses splits
    assert d["labels"]["4"] == "mel" and load_fairness_datalist(path, "training", require_group=True)


def test_ham10000_age_bins_binary_and_missing_age_error(ham, tmp_path):
    imgs = [str(ham / "HAM10000_images_part_1"), str(ham / "HAM10000_images_part_2")]
    d = json.load(
        open(
            ham10000.convert(
                str(ham / "HAM10000_metadata.csv"),
                imgs,
                str(tmp_path / "a"),
                attribute="age",
                age_bins=[50],
                binary=True,
                unknown="separate",
            )
        )
    )
    items = d["training"] + d["validation"] + d["test"]
    assert d["groups"] == {"0": "<50", "1": ">=50", "2": "unknown"} and d["labels"] == {
        "0": "other",
        "1": "akiec_or_mel",
    }
    assert all(i["group"] == (2 if "age" not in i else int(i["age"] >= 50)) for i in items)
    with pytest.raises(ConversionError, match=r"HAM10000_metadata.csv row 2: BinAge: field 'age'"):
        ham10000.convert(
            str(ham / "HAM10000_metadata.csv"), imgs, str(tmp_path / "b"), attribute="age", unknown="error"
        )


@pytest.fixture
def isic(tmp_path):
    images = tmp_path / "ISIC_2019_Training_Input"
    images.mkdir()
    gt = ["image,MEL,NV,BCC,AK,BKL,DF,VASC,SCC,UNK"]
    meta = ["image,age_approx,anatom_site_general,lesion_id,sex"]
    for i in range(48):
        name = f"ISIC_{i:07d}"
        onehot = ["0.0"] * 9
        onehot[i % 8] = "1.0"
        gt.append(",".join([name] + onehot))
        sex = ["male", "female", ""][i % 3]
        lesion = f"BCN_{i // 3:07d}" if i % 5 else ""
        meta.append(f"{name},{'' if i % 7 == 0 else (i % 8 + 3) * 5}.0,anterior torso,{lesion},{sex}")
        _img(images / f"{name}.jpg")
    unk = ["ISIC_9999999"] + ["0.0"] * 8 + ["1.0"]
    gt.append(",".join(unk))
    (tmp_path / "gt.csv").write_text("\n".join(gt) + "\n")
    (tmp_path / "meta.csv").write_text("\n".join(meta) + "\n")
    return tmp_path


def test_isic2019_classes_sex_and_errors(isic, tmp_path):
    path = isic2019.convert(
        str(isic / "gt.csv"), str(isic / "meta.csv"), [str(isic / "ISIC_2019_Training_Input")], str(tmp_path / "o")
    )
    d = json.load(open(path))
    items = d["training"] + d["validation"] + d["test"]
    assert len(items) == 32 and list(d["labels"].values()) == ["MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC"]
    assert all(i["sex"] in ("male", "female") for i in items)  # empty sex rows dropped, not guessed
    assert load_fairness_datalist(path, "training", require_group=True, require_all_groups=True)
    with pytest.raises(ConversionError, match=r"meta.csv row 4: EncodeSex: field 'sex'"):
        isic2019.convert(
            str(isic / "gt.csv"),
            str(isic / "meta.csv"),
            [str(isic / "ISIC_2019_Training_Input")],
            str(tmp_path / "e"),
            unknown="error",
        )
    bad = (isic / "gt.csv").read_text().replace("ISIC_0000001,0.0,1.0", "ISIC_0000001,1.0,1.0")
    (isic / "bad.csv").write_text(bad)
    with pytest.raises(ConversionError, match=r"bad.csv row 3: expected exactly one of"):
        isic2019.convert(
            str(isic / "bad.csv"), str(isic / "meta.csv"), [str(isic / "ISIC_2019_Training_Input")], str(tmp_path / "x")
        )


def test_converted_datalist_loads_through_the_erm_train_config(ham, tmp_path):
    from monai.bundle import ConfigWorkflow

    from tests.bundles.helpers import bundle_path

    out = tmp_path / "out"
    imgs = [str(ham / "HAM10000_images_part_1"), str(ham / "HAM10000_images_part_2")]
    path = ham10000.convert(str(ham / "HAM10000_metadata.csv"), imgs, str(out))
    bundle = bundle_path("erm_skin_lesion_classification")
    wf = ConfigWorkflow(
        config_file=os.path.join(bundle, "configs", "train.json"),
        logging_file=False,
        workflow_type="train",
        meta_file=os.path.join(bundle, "configs", "metadata.json"),
        bundle_root=bundle,
        datalist=path,
        dataset_dir=str(out),
        num_classes=7,
        image_size=[16, 16],
        batch_size=4,
        ckpt_dir=str(tmp_path / "m"),
    )
    wf.initialize()
    assert wf.check_properties() == []
    batch = next(iter(wf.parser.get_parsed_content("train#dataloader")))
    assert tuple(batch["image"].shape) == (4, 3, 16, 16) and batch["group"].shape == (4,)


def test_ita_derived_skin_tone_is_named_as_derived(tmp_path):
    from data_prep.common import ita_attributes

    folder = tmp_path / "imgs"
    folder.mkdir()
    rows = ["lesion_id,image_id,dx,dx_type,age,sex,localization"]
    for i, skin in enumerate([(0.92, 0.80, 0.74), (0.45, 0.30, 0.22)] * 6):
        img = np.broadcast_to(np.array(skin), (32, 32, 3)).copy()
        img[12:20, 12:20] = 0.2
        Image.fromarray((img * 255).astype(np.uint8)).save(folder / f"ISIC_{i:07d}.jpg")
        rows.append(f"HAM_{i:07d},ISIC_{i:07d},{['nv', 'mel'][i // 2 % 2]},histo,50.0,male,back")
    (tmp_path / "meta.csv").write_text("\n".join(rows) + "\n")
    path = ham10000.convert(str(tmp_path / "meta.csv"), [str(folder)], str(tmp_path / "o"), attribute="ita")
    d = json.load(open(path))
    items = d["training"] + d["validation"] + d["test"]
    assert "DERIVED from the image" in d["description"] and d["sensitive_attribute"] == "ita"
    light = ita_attributes(str(folder / "ISIC_0000000.jpg"))
    dark = ita_attributes(str(folder / "ISIC_0000001.jpg"))
    assert light["ita"] > 41 and dark["ita"] < 10 and light["fitzpatrick_ita"] <= 3 < dark["fitzpatrick_ita"]
    assert {i["group"] for i in items if i["fitzpatrick_ita"] <= 3} == {0} and {
        i["group"] for i in items if i["fitzpatrick_ita"] > 3
    } == {1}
