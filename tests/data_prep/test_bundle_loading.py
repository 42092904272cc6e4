# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Converted datalists load through a bundle's train config (the real consumer of the contract)."""

from __future__ import annotations

import os

import pytest
from monai.bundle import ConfigWorkflow

from data_prep import fairseg, fitzpatrick17k, isic2019
from tests.bundles.helpers import bundle_path
from tests.data_prep.test_dermatology import isic  # noqa: F401  (fixture)
from tests.data_prep.test_fairseg import _npz
from tests.data_prep.test_fitzpatrick17k import _fixture


def _workflow(bundle: str, datalist: str, tmp_path, **override) -> ConfigWorkflow:
    """The bundle's training workflow at demo size (``demo.json`` stacked last) on a converted datalist."""
    wf = ConfigWorkflow(
        config_file=[os.path.join(bundle, "configs", f) for f in ("train.json", "demo.json")],
        meta_file=os.path.join(bundle, "configs", "metadata.json"),
        logging_file=False,
        workflow_type="train",
        bundle_root=bundle,
        datalist=datalist,
        dataset_dir=os.path.dirname(datalist),
        ckpt_dir=str(tmp_path / "models"),
        **override,
    )
    wf.initialize()
    assert wf.check_properties() == []
    return wf


@pytest.mark.parametrize("source", ["isic2019", "fitzpatrick17k"])
def test_dermatology_datalists_batch_through_the_classification_bundle(source, tmp_path, request):
    if source == "isic2019":
        root = request.getfixturevalue("isic")
        path = isic2019.convert(
            str(root / "gt.csv"),
            str(root / "meta.csv"),
            [str(root / "ISIC_2019_Training_Input")],
            str(tmp_path / "out"),
        )
        num_classes = 8
    else:
        csv, images = _fixture(tmp_path)
        path = fitzpatrick17k.convert(csv, images, str(tmp_path / "out"))
        num_classes = 4
    wf = _workflow(
        bundle_path("erm_skin_lesion_classification"),
        path,
        tmp_path,
        num_classes=num_classes,
        image_size=[16, 16],
        batch_size=4,
    )
    batch = next(iter(wf.parser.get_parsed_content("train#dataloader")))
    assert tuple(batch["image"].shape) == (4, 3, 16, 16) and int(batch["label"].max()) < num_classes


def test_fairseg_datalist_trains_through_the_segmentation_bundle_in_2d(tmp_path):
    path = fairseg.convert(str(_npz(tmp_path / "data")), str(tmp_path / "out"), "race")
    wf = _workflow(
        bundle_path("erm_ct_segmentation"),
        path,
        tmp_path,
        spatial_dims=2,
        roi_size=[16, 16],
        num_classes=3,
        batch_size=4,
        **{"train#random_transforms#1#spatial_axis": 1, "train#trainer#max_epochs": 1},
    )
    batch = next(iter(wf.parser.get_parsed_content("train#dataloader")))
    assert tuple(batch["image"].shape) == (4, 1, 16, 16) and int(batch["label"].max()) == 2
    wf.run()
    assert (tmp_path / "models" / "resume_erm" / "checkpoint_epoch=1.pt").exists()


def test_chest_xray_datalist_batches_through_the_classification_bundle_as_grayscale(tmp_path):
    from data_prep.chest_xray import convert_nih
    from tests.data_prep.test_chest_xray import _png

    rows = [
        "Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,"
        "OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]"
    ]
    for i in range(24):
        name = f"{i // 2 + 1:08d}_{i % 2:03d}.png"
        rows.append(f"{name},{['Effusion', 'No Finding'][i % 2]},0,{i // 2 + 1},{30 + i},{'MF'[i % 2]},PA,1,1,1,1")
        _png(tmp_path / "images" / name)
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    path = convert_nih(str(tmp_path / "d.csv"), [str(tmp_path / "images")], str(tmp_path / "out"), finding="Effusion")
    wf = _workflow(
        bundle_path("erm_skin_lesion_classification"),
        path,
        tmp_path,
        image_size=[8, 8],
        batch_size=4,
        **{"image_channels": 1, "train#deterministic_transforms#2#channel_dim": None},
        intensity_mean=None,  # per-image standardisation: ImageNet's statistics are for three channels
        intensity_std=None,
    )
    batch = next(iter(wf.parser.get_parsed_content("train#dataloader")))
    assert tuple(batch["image"].shape) == (4, 1, 8, 8)
