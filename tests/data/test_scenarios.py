# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Named bias mechanisms: each is measurable in the generated data, the ``v1`` preset is the data the study's numbers
were measured on, generation is deterministic, and bad knobs are named."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import nibabel as nib
import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from monai_fairness.data.scenarios import evaluation_knobs, parse_scenario
from monai_fairness.data.synthetic import make_ct_segmentation_dataset, make_skin_lesion_dataset
from tests.conftest import REPO_ROOT
from tests.data.test_synthetic import _digest, erm_accuracy_gap


def _items(path: str, splits=("training", "validation", "test")) -> list[dict]:
    """Every item with its split and absolute file paths."""
    with open(path) as f:
        datalist = json.load(f)
    root = os.path.dirname(path)
    return [
        dict(item, split=s, image=os.path.join(root, item["image"]), label_path=os.path.join(root, str(item["label"])))
        for s in splits
        for item in datalist[s]
    ]


def test_parse_presets_overrides_and_defaults():
    assert parse_scenario("v1", "classification") == {
        "representation": 0.2, "prevalence": 0.0, "appearance": 1.0, "shortcut": 1.0, "group_cue": 0.0,
        "label_noise": 0.0, "subtlety": 0.0,
    }  # fmt: skip
    assert parse_scenario(None, "classification") == parse_scenario("default", "classification")
    assert parse_scenario(None, "segmentation") == parse_scenario("v1", "segmentation")  # CT default unchanged
    knobs = parse_scenario("default,appearance=0.5,label_noise", "classification")
    assert knobs["appearance"] == 0.5 and knobs["label_noise"] == 0.2 and knobs["shortcut"] == 1.0
    assert parse_scenario({"anatomy": 0.5}, "segmentation") == {
        "representation": 0.5, "appearance": 0.0, "anatomy": 0.5, "shape": 0.0,
    }  # fmt: skip


@pytest.mark.parametrize(
    "scenario, task, message",
    [
        ("anatomy", "classification", "got 'anatomy'; anatomy is a segmentation mechanism"),
        ("colour", "classification", "expected a classification mechanism or preset, one of ['appearance'"),
        ("representation=1", "classification", "representation: expected the minority's share of all cases in (0, 1)"),
        ("representation=0", "segmentation", "but got '0'"),
        ("label_noise=0.5", "classification", "label_noise: expected a flip probability in [0, 0.5) but got '0.5'"),
        ("prevalence=1", "classification", "prevalence: expected the fraction of minority malignant training"),
        ("shape=-0.1", "segmentation", "shape: expected a strength in [0, 1] but got '-0.1'"),
        ("appearance=abc", "segmentation", "appearance: expected a number (a strength) but got 'abc'"),
        ("shortcut=0.2,shortcut=0.9", "classification", "shortcut given twice with different knobs (0.2 and 0.9)"),
        ("default", "detection", "expected task one of ['classification', 'segmentation'] but got 'detection'"),
    ],
)
def test_bad_scenarios_are_named(scenario, task, message):
    with pytest.raises(ValueError) as error:
        parse_scenario(scenario, task)
    assert message in str(error.value)


def test_older_knobs_and_a_scenario_contradict(tmp_path):
    with pytest.raises(ValueError, match="bias_strength expected None when a scenario is given but got 0.5"):
        make_skin_lesion_dataset(str(tmp_path), n_cases=4, scenario="default", bias_strength=0.5)
    with pytest.raises(ValueError, match="minority_fraction expected None when a scenario is given"):
        make_ct_segmentation_dataset(str(tmp_path), n_cases=4, size=16, scenario="anatomy", minority_fraction=0.3)


# sha1 of the 24 images (16 px, seed 3) of the generator's default before the harder one (commit 53e5f42):
# the data of every stored study number, which the ``v1`` preset must keep writing
V1_IMAGES_SHA1 = "04d9ef79c40c52085efeb765d858773ba076025b"


def _images_sha1(datalist: str) -> str:
    folder = os.path.join(os.path.dirname(datalist), "images")
    h = hashlib.sha1()
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def test_v1_scenario_is_the_data_of_the_stored_study(tmp_path):
    """``v1`` and the older knobs write the images every stored study number was measured on; no scenario is the
    harder ``default``."""
    v1 = make_skin_lesion_dataset(str(tmp_path / "v1"), n_cases=24, image_size=16, seed=3, scenario="v1")
    older = make_skin_lesion_dataset(
        str(tmp_path / "older"), n_cases=24, image_size=16, seed=3, bias_strength=1.0, minority_fraction=0.2
    )
    plain = make_skin_lesion_dataset(str(tmp_path / "plain"), n_cases=24, image_size=16, seed=3)
    named = make_skin_lesion_dataset(str(tmp_path / "named"), n_cases=24, image_size=16, seed=3, scenario="default")
    assert _images_sha1(v1) == _images_sha1(older) == V1_IMAGES_SHA1
    assert _images_sha1(plain) == _images_sha1(named) != V1_IMAGES_SHA1
    with open(v1) as f:
        assert json.load(f)["scenario_description"] == "representation=0.2, appearance=1, shortcut=1"
    with open(plain) as f:
        assert "subtlety=" in json.load(f)["scenario_description"]


def test_combined_scenarios_are_deterministic(tmp_path):
    spec = "default,prevalence=0.5,label_noise=0.2,group_cue=0.7"
    a = make_skin_lesion_dataset(str(tmp_path / "a"), n_cases=40, image_size=16, seed=9, scenario=spec)
    b = make_skin_lesion_dataset(str(tmp_path / "b"), n_cases=40, image_size=16, seed=9, scenario=spec)
    assert _digest(os.path.dirname(a)) == _digest(os.path.dirname(b))
    spec = "default,anatomy=1,shape=0.5"
    x = make_ct_segmentation_dataset(str(tmp_path / "x"), 4, 16, write_dicom=False, seed=2, scenario=spec)["nifti"]
    y = make_ct_segmentation_dataset(str(tmp_path / "y"), 4, 16, write_dicom=False, seed=2, scenario=spec)["nifti"]
    z = make_ct_segmentation_dataset(str(tmp_path / "z"), 4, 16, write_dicom=False, seed=2)["nifti"]
    assert _digest(os.path.dirname(x)) == _digest(os.path.dirname(y)) != _digest(os.path.dirname(z))


def test_representation_and_training_prevalence_match_their_knobs(tmp_path):
    base = {"n_cases": 400, "image_size": 16, "seed": 1}
    plain = _items(make_skin_lesion_dataset(str(tmp_path / "plain"), scenario="representation=0.3", **base))
    assert sum(i["group"] for i in plain) == 120  # 0.3 x 400
    path = make_skin_lesion_dataset(str(tmp_path / "prev"), scenario="representation=0.3,prevalence=0.75", **base)
    rare = _items(path)

    def malignant_minority(items, split):
        return sum(1 for i in items if i["split"] == split and i["group"] == 1 and i["label"] == 1)

    before, after = malignant_minority(plain, "training"), malignant_minority(rare, "training")
    assert after == pytest.approx(0.25 * before, abs=0.1 * before)  # 75 % of them left out, in training only
    for split in ("validation", "test"):
        assert malignant_minority(rare, split) == malignant_minority(plain, split)
    majority = [i for i in rare if i["group"] == 0]
    assert len(majority) == sum(1 for i in plain if i["group"] == 0)
    on_disk = set(os.listdir(tmp_path / "prev" / "images"))
    assert on_disk == {os.path.basename(i["image"]) for i in rare}  # left-out images are not left behind


def test_label_noise_flips_minority_training_labels_only(tmp_path):
    path = make_skin_lesion_dataset(
        str(tmp_path), n_cases=600, image_size=16, seed=2, scenario="representation=0.5,label_noise=0.3"
    )
    items = _items(path)
    flipped = [i for i in items if i["label"] != i["label_clean"]]
    assert all(i["group"] == 1 and i["split"] != "test" for i in flipped)
    minority_seen = [i for i in items if i["group"] == 1 and i["split"] != "test"]
    assert len(flipped) / len(minority_seen) == pytest.approx(0.3, abs=0.06)


def _lesion_features(path: str) -> np.ndarray:
    """Per image: group, label, border irregularity (perimeter^2 / (4 pi area) of the segmented lesion) and colour
    variegation (standard deviation of blue/red inside it)."""
    rows = []
    for item in _items(path):
        img = np.asarray(Image.open(item["image"]), dtype=float) / 255
        grey = ndimage.uniform_filter(img.mean(-1), 3)
        skin = np.median(np.r_[grey[:3].ravel(), grey[-3:].ravel()])
        labels, n = ndimage.label(ndimage.binary_opening(grey < 0.8 * skin))
        if n == 0:
            continue
        lesion = labels == 1 + int(np.argmax(ndimage.sum(labels > 0, labels, range(1, n + 1))))
        perimeter = (lesion ^ ndimage.binary_erosion(lesion)).sum()
        variegation = (img[..., 2] / (img[..., 0] + 1e-3))[lesion].std()
        rows.append((item["group"], item["label"], perimeter**2 / (4 * np.pi * lesion.sum()), variegation))
    return np.array(rows)


def test_group_cue_moves_malignancy_to_another_cue_in_the_minority(tmp_path):
    path = make_skin_lesion_dataset(
        str(tmp_path), n_cases=160, image_size=64, seed=0, scenario="representation=0.5,group_cue=1"
    )
    f = _lesion_features(path)

    def mean(group, label, column):
        return f[(f[:, 0] == group) & (f[:, 1] == label), column].mean()

    # light skin: malignant lesions are irregular but not variegated
    assert mean(0, 1, 2) > mean(0, 0, 2) + 0.15 and abs(mean(0, 1, 3) - mean(0, 0, 3)) < 0.015
    # dark skin: malignant lesions are variegated but round
    assert mean(1, 1, 3) > mean(1, 0, 3) + 0.03 and abs(mean(1, 1, 2) - mean(1, 0, 2)) < 0.05


def test_subtlety_weakens_the_malignant_cues_in_every_group(tmp_path):
    """Not a bias: the malignant-minus-benign border irregularity and variegation shrink in both groups alike."""
    differences = {}
    for strength in (0.0, 1.0):
        path = make_skin_lesion_dataset(
            str(tmp_path / str(strength)), n_cases=160, image_size=64, seed=0,
            scenario=f"representation=0.5,subtlety={strength}",
        )  # fmt: skip
        f = _lesion_features(path)
        differences[strength] = {
            (group, column): f[(f[:, 0] == group) & (f[:, 1] == 1), column].mean()
            - f[(f[:, 0] == group) & (f[:, 1] == 0), column].mean()
            for group in (0, 1)
            for column in (2, 3)
        }
    for key, full in differences[0.0].items():
        assert full > 0 and differences[1.0][key] < 0.6 * full, (key, full, differences[1.0][key])


def _outline_features(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Per volume, features outside the target organ: body volume and extents, bone volume and extent."""
    x, y = [], []
    for item in _items(path):
        vol = np.asarray(nib.load(item["image"]).dataobj)
        body, bone = vol > -500, vol > 300
        x.append([body.sum(), body.any((1, 2)).sum(), body.any((0, 2)).sum(), bone.sum(), bone.any((1, 2)).sum()])
        y.append(item["group"])
    return np.array(x, dtype=float), np.array(y)


def test_anatomy_makes_sex_visible_outside_the_target(tmp_path):
    probe = make_pipeline(StandardScaler(), LogisticRegression())
    accuracy = {}
    for spec in ("representation=0.5,appearance=1", "representation=0.5,appearance=1,anatomy=1"):
        path = make_ct_segmentation_dataset(str(tmp_path / spec), 60, 24, write_dicom=False, seed=0, scenario=spec)
        x, y = _outline_features(path["nifti"])
        accuracy[spec] = cross_val_score(probe, x, y, cv=5).mean()
    assert accuracy["representation=0.5,appearance=1"] < 0.7
    assert accuracy["representation=0.5,appearance=1,anatomy=1"] > 0.9


def test_shape_shrinks_the_minority_organ(tmp_path):
    path = make_ct_segmentation_dataset(str(tmp_path), 30, 24, write_dicom=False, seed=4, scenario="shape=1")
    volume = {0: [], 1: []}
    for item in _items(path["nifti"]):
        volume[item["group"]].append(np.asarray(nib.load(item["label_path"]).dataobj).sum())
    assert np.mean(volume[1]) / np.mean(volume[0]) == pytest.approx(0.7**3, rel=0.2)


def test_cli_lists_and_writes_scenarios(tmp_path):
    env = {**os.environ, "PYTHONPATH": REPO_ROOT}
    run = [sys.executable, "-m", "data_prep.make_demo_data"]
    listing = subprocess.run([*run, "--list-scenarios"], capture_output=True, text=True, env=env, check=True)
    assert "group_cue: a strength" in listing.stdout and "preset default: representation=0.3,appearance=1" in (
        listing.stdout
    )
    args = ["--out", str(tmp_path), "--what", "derm", "--derm-cases", "20", "--derm-size", "16"]
    subprocess.run([*run, *args, "--derm-scenario", "label_noise=0.1"], env=env, check=True, capture_output=True)
    with open(tmp_path / "derm" / "datalist.json") as f:
        assert json.load(f)["scenario_description"] == "label_noise=0.1"  # equal groups: representation is off
    bad = subprocess.run([*run, *args, "--derm-scenario", "anatomy"], capture_output=True, text=True, env=env)
    assert bad.returncode != 0 and "anatomy is a segmentation mechanism" in bad.stderr


@pytest.mark.slow
def test_erm_gap_grows_with_group_cue(tmp_path):
    """ERM (the bundle itself, small settings): with malignancy shown through another cue on dark skin, the accuracy
    gap grows clearly over the same data without it."""
    gaps = {}
    for cue in (0.0, 1.0):
        data = tmp_path / f"cue{cue}"
        make_skin_lesion_dataset(
            str(data), n_cases=800, image_size=32, seed=11, scenario=f"representation=0.2,group_cue={cue}"
        )
        gaps[cue] = erm_accuracy_gap(data)
    assert gaps[1.0] > gaps[0.0] + 0.1, gaps


def test_evaluation_knobs_switch_only_training_only_mechanisms_off():
    knobs = parse_scenario("representation=0.3,prevalence=0.5,label_noise=0.2,appearance=0.7", "classification")
    assert evaluation_knobs(knobs, "classification") == {**knobs, "prevalence": 0.0, "label_noise": 0.0}
    ct = parse_scenario("default,anatomy,shape=0.5", "segmentation")
    assert evaluation_knobs(ct, "segmentation") == ct  # no CT mechanism is training-only
