# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Every bundle's real recipe (no demo overlay) builds and trains a few iterations on full-size inputs on CPU.

Skin images are 600 x 450 JPEGs (ISIC-like) read at the default 224 x 224; CT volumes are 192 x 192 x 128 at 1 mm,
resampled to the default 1.5 x 1.5 x 2.0 mm and cropped into 96^3 patches. Only the epoch count and batch size are
shrunk; everything else (network, stem, augmentation, caching, workers) is what a user gets.
"""

from __future__ import annotations

import json
import os

import pytest
import torch

from benchmarks.data_pipeline import write_images, write_volumes
from tests.bundles.helpers import bundle_path, run_bundle

FEW = {"max_epochs": 1, "val_interval": 1}


@pytest.fixture(scope="module")
def full_size_skin(tmp_path_factory) -> str:
    return os.path.dirname(write_images(str(tmp_path_factory.mktemp("skin")), 12, (600, 450), "jpg"))


@pytest.fixture(scope="module")
def full_size_ct(tmp_path_factory) -> str:
    return os.path.dirname(write_volumes(str(tmp_path_factory.mktemp("ct")), 8, (192, 192, 128)))


def _saved_state_fits(ckpt_dir: str, name: str, expected_keys_from: dict) -> None:
    state = torch.load(os.path.join(ckpt_dir, name), map_location="cpu", weights_only=True)
    assert set(state) == set(expected_keys_from)


@pytest.mark.slow
@pytest.mark.parametrize(
    "bundle, stages",
    [
        ("erm_skin_lesion_classification", [["train.json"]]),
        ("fairdi_skin_lesion_classification", [["train.json", "train_backbone.json"]]),
        ("scp_skin_lesion_classification", [["train.json"], ["train.json", "score.json"]]),
    ],
)
def test_classification_real_recipe_trains_on_full_size_images(bundle, stages, full_size_skin, tmp_path):
    from monai.bundle import ConfigParser

    path = bundle_path(bundle)
    common = {"dataset_dir": full_size_skin, "ckpt_dir": str(tmp_path / "models"), "output_dir": str(tmp_path / "e")}
    common.update(batch_size=4, fis_group_batch_size=2, calibration_batch_size=4, **FEW)
    for configs in stages:
        run_bundle(path, configs, common, demo=False)
    parser = ConfigParser()
    parser.read_config(os.path.join(path, "configs", "train.json"))
    parser.update({"dataset_dir": full_size_skin, "ckpt_dir": str(tmp_path / "models")})
    assert parser.get_parsed_content("image_size") == [224, 224] and parser.get_parsed_content("imagenet_stem")
    batch = next(iter(parser.get_parsed_content("validate#dataloader")))
    assert tuple(batch["image"].shape[1:]) == (3, 224, 224)
    stage = "backbone.pt" if "fairdi" in bundle else ("erm.pt" if "scp" in bundle else "model.pt")
    _saved_state_fits(str(tmp_path / "models"), stage, parser.get_parsed_content("network_def").state_dict())
    if "scp" in bundle:
        scores = (tmp_path / "e" / "scores" / "channel_scores.csv").read_text().splitlines()
        assert len(scores) == 1 + 512  # every channel of layer4 scored


@pytest.mark.slow
@pytest.mark.parametrize(
    "bundle, stages",
    [
        ("erm_ct_segmentation", [["train.json"]]),
        ("fairdi_ct_segmentation", [["train.json", "train_backbone.json"]]),
        ("apple_ct_segmentation", [["train.json", "pretrain_segmentor.json"], ["train.json", "train_apple.json"]]),
    ],
)
def test_segmentation_real_recipe_trains_on_full_size_volumes(bundle, stages, full_size_ct, tmp_path):
    from monai.bundle import ConfigParser

    path = bundle_path(bundle)
    common = {"dataset_dir": full_size_ct, "ckpt_dir": str(tmp_path / "models"), "output_dir": str(tmp_path / "e")}
    common.update(batch_size=2, fis_group_batch_size=1, **FEW)
    for configs in stages:
        run_bundle(path, configs, common, demo=False)
    parser = ConfigParser()
    parser.read_config(os.path.join(path, "configs", "train.json"))
    parser.update({"dataset_dir": full_size_ct, "ckpt_dir": str(tmp_path / "models")})
    assert parser.get_parsed_content("roi_size") == [96, 96, 96]
    batch = next(iter(parser.get_parsed_content("train#dataloader")))
    assert tuple(batch["image"].shape) == (2 * 2, 1, 96, 96, 96)  # batch 2 x crop_samples 2 patches of 96^3
    val = next(iter(parser.get_parsed_content("validate#dataloader")))
    assert tuple(val["image"].shape[2:]) == (128, 128, 96)  # 192 x 192 x 128 at 1 mm -> 1.5 x 1.5 x 2 mm (z padded)
    cached = [f for f in os.listdir(tmp_path / "cache") if os.path.isdir(tmp_path / "cache" / f)]
    assert len(cached) == 1 and os.listdir(tmp_path / "cache" / cached[0])  # the disk cache of the volumes
    if "apple" in bundle:
        assert {"segmentor.pt", "model.pt", "discriminator.pt"} <= set(os.listdir(tmp_path / "models"))
    else:
        model = "backbone.pt" if "fairdi" in bundle else "model.pt"
        _saved_state_fits(str(tmp_path / "models"), model, parser.get_parsed_content("network_def").state_dict())


def test_demo_overlay_is_the_only_place_demo_sizes_appear():
    """The generated train/inference configs hold the real sizes; each bundle's demo.json the demo ones."""
    for bundle in sorted(os.listdir(os.path.join(os.path.dirname(bundle_path("x"))))):
        configs = os.path.join(bundle_path(bundle), "configs")
        if not os.path.isfile(os.path.join(configs, "demo.json")):
            continue
        demo = json.load(open(os.path.join(configs, "demo.json")))
        for name in ("train.json", "inference.json"):
            config = json.load(open(os.path.join(configs, name)))
            if "image_size" in config:
                assert config["image_size"] == [224, 224] and demo["image_size"] == [64, 64], (bundle, name)
            else:
                assert config["roi_size"] == [96, 96, 96] and demo["roi_size"] == [32, 32, 32], (bundle, name)


@pytest.mark.parametrize(
    "bundle", ["erm_skin_lesion_classification", "fairdi_skin_lesion_classification", "scp_skin_lesion_classification"]
)
@pytest.mark.parametrize("demo", [False, True])
def test_inference_preprocessing_is_the_validation_preprocessing(bundle, demo, full_size_skin):
    """inference.json keeps its own copy of the transforms: it must give the image validation (and the cache) gives."""
    from monai.bundle import ConfigParser

    configs = os.path.join(bundle_path(bundle), "configs")
    images = {}
    for name in ("train.json", "inference.json"):
        parser = ConfigParser()
        parser.read_config([os.path.join(configs, f) for f in [name, *(["demo.json"] if demo else [])]])
        parser.update({"dataset_dir": full_size_skin})
        key = "validate#preprocessing" if name == "train.json" else "preprocessing"
        item = dict(json.load(open(os.path.join(full_size_skin, "datalist.json")))["test"][0])
        item["image"] = os.path.join(full_size_skin, item["image"])
        images[name] = parser.get_parsed_content(key)(item)["image"]
    torch.testing.assert_close(torch.as_tensor(images["inference.json"]), torch.as_tensor(images["train.json"]))


def test_intensity_statistics_must_fit_the_channels(tiny_derm, tmp_path):
    """Grayscale data with the RGB ImageNet statistics: one error naming the id, not a shape error from a transform."""
    from monai.bundle import ConfigParser

    from monai_fairness.data import channel_stats

    assert channel_stats(None, 1, "intensity_mean") is None
    assert channel_stats([0.5], 1, "intensity_mean") == [0.5]
    parser = ConfigParser()
    parser.read_config(os.path.join(bundle_path("erm_skin_lesion_classification"), "configs", "inference.json"))
    parser.update({"dataset_dir": os.path.dirname(tiny_derm), "image_channels": 1})
    with pytest.raises(RuntimeError) as raised:  # MONAI wraps it; a bundle run prints the cause as its error line
        parser.get_parsed_content("preprocessing")
    assert isinstance(raised.value.__cause__, ValueError)
    assert "intensity_mean expected 1 value(s), one per image channel (image_channels 1), but got 3" in str(
        raised.value.__cause__
    )
