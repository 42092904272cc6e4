# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Planted-bias demo data, generated deterministically from a seed (``docs/data_contract.md``).

No public fairness dataset can be downloaded on our machines, so the demo and every efficacy check use data whose
group effect is planted and therefore known. Two sets:

**Dermatology-like 2D RGB classification** (:func:`make_skin_lesion_dataset`), group = skin tone (0 light, 1 dark),
classes 0 benign / 1 malignant. The class signal is the lesion: malignant lesions have an irregular border and
blue-grey variegation, benign ones are round and uniform. Every effect that is not planted scales with the skin's
brightness (pigment, texture and noise are multiplicative), so without a planted mechanism a dark-skin image is a
light-skin image times a per-channel factor, which the bundles' per-image channel-wise standardisation removes.

**CT-like 3D segmentation** (:func:`make_ct_segmentation_dataset`), group = sex (0 M, 1 F), one target organ. A
smooth "body" holds the organ (label 1) and a neighbouring distractor of similar density (not labelled). Written as
NIfTI volumes and, optionally, as DICOM series whose headers carry PatientSex and PatientAge (plus fictitious
name/id/dates to exercise the identifier filters; they are never copied into datalists).

The bias is planted by named mechanisms, each with a knob, combined into a scenario
(:mod:`monai_fairness.data.scenarios`): representation, prevalence, appearance, shortcut, group_cue and label_noise
for dermatology, plus ``subtlety`` (weaker malignant cues in every group: difficulty, not bias); representation,
appearance, anatomy and shape for CT. The ``default`` scenario is the demo's data; ``v1`` the data of the efficacy
study (dermatology: dark skin 20 %, low contrast and a light-skin-only shortcut; CT: women 30 %, low organ contrast);
``bias_strength`` and ``minority_fraction`` are the older knobs of ``v1``.

Every datalist follows the contract (``"synthetic": true``) with group x class stratified splits.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from monai_fairness.data.scenarios import describe_scenario, parse_scenario
from monai_fairness.data.splits import stratified_split

__all__ = ["make_skin_lesion_dataset", "make_ct_segmentation_dataset", "DERM_GROUPS", "CT_GROUPS", "item_id"]

DERM_GROUPS = {"0": "light", "1": "dark"}
DERM_LABELS = {"0": "benign", "1": "malignant"}
CT_GROUPS = {"0": "M", "1": "F"}
CT_LABELS = {"0": "background", "1": "organ"}
LIGHT_SKIN = np.array([0.90, 0.74, 0.63])
DARK_SKIN = np.array([0.45, 0.30, 0.22])
MARKER_RGB = np.array([0.50, 0.15, 0.60])


def item_id(relative_path: str) -> str:
    """Non-identifying item id: the first 12 hex digits of the SHA-1 of the relative image path
    (``docs/data_contract.md``)."""
    return hashlib.sha1(relative_path.encode()).hexdigest()[:12]


def _check_fraction(name: str, value: float) -> float:
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} expected a value in [0, 1] but got {value!r}.")
    return float(value)


def _assign_groups(rng: np.random.Generator, n: int, minority_fraction: float) -> np.ndarray:
    n_min = int(round(n * minority_fraction))
    groups = np.zeros(n, dtype=int)
    groups[:n_min] = 1
    return rng.permutation(groups)


def _smooth_noise(rng: np.random.Generator, shape: Sequence[int], scale: int) -> np.ndarray:
    """Low-frequency noise in [-1, 1]: a coarse random grid upsampled by nearest repeat and box-blurred."""
    coarse = rng.uniform(-1, 1, size=[max(1, s // scale) + 1 for s in shape])
    up = coarse
    for axis, s in enumerate(shape):
        up = np.repeat(up, scale, axis=axis).take(np.arange(s), axis=axis)
    for axis in range(len(shape)):
        k = max(1, scale // 2)
        up = sum(np.roll(up, o, axis=axis) for o in range(-k, k + 1)) / (2 * k + 1)
    return up


def _lesion_image(
    rng: np.random.Generator,
    size: int,
    malignant: bool,
    dark: bool,
    marker: bool,
    contrast_scale: float,
    border_scale: float = 1.0,
    variegation_scale: float = 1.0,
    cue_scale: float = 1.0,
    benign_atypia: float = 0.0,
) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    skin = (DARK_SKIN if dark else LIGHT_SKIN) * rng.uniform(0.92, 1.08, size=3)
    img = np.broadcast_to(skin, (size, size, 3)).copy()
    img *= 1.0 + 0.05 * _smooth_noise(rng, (size, size), max(2, size // 8))[..., None]
    cy, cx = size / 2 + rng.uniform(-size / 10, size / 10, size=2)
    theta = np.arctan2(yy - cy, xx - cx)
    dist = np.hypot(yy - cy, xx - cx)
    r0 = size * rng.uniform(0.16, 0.24)
    if malignant:
        amps = rng.uniform(0.07, 0.12, size=4) * (border_scale * cue_scale)
    else:
        amps = rng.uniform(0.0, 0.025 * (1.0 + benign_atypia), size=4)
    harmonics = zip(amps, (3, 4, 5, 7), strict=True)
    radius = r0 * (1 + sum(a * np.sin(k * theta + rng.uniform(0, 2 * np.pi)) for a, k in harmonics))
    inside = 1.0 / (1.0 + np.exp(-(radius - dist) / 0.8))
    contrast = min(0.95, rng.uniform(0.45, 0.6) * contrast_scale)
    lesion = img * (1.0 - contrast * np.array([0.55, 0.68, 0.78]))
    if malignant:  # blue-grey variegation: patches of a second pigment inside the lesion
        patches = (_smooth_noise(rng, (size, size), max(2, size // 10)) > 0.1).astype(np.float32)
        tint = 1.0 - contrast * np.array([0.85, 0.7, 0.35])
        weight = 0.8 * (variegation_scale * cue_scale)
        lesion = lesion * (1 - weight * patches[..., None]) + img * tint * weight * patches[..., None]
    img = img * (1 - inside[..., None]) + lesion * inside[..., None]
    if marker:
        s = max(3, size // 12)
        y0, x0 = [int(v) for v in rng.choice([1, size - s - 1], size=2)]
        img[y0 : y0 + s, x0 : x0 + s] = MARKER_RGB
    img *= 1.0 + rng.normal(0, 0.10, size=img.shape)  # multiplicative: the same relative noise on every skin tone
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def _write_datalist(
    out_dir: str,
    items: list[dict[str, Any]],
    meta: dict[str, Any],
    by_class: bool,
    seed: int,
    filename: str,
    after_split: Callable[[dict[str, list[dict[str, Any]]]], None] | None = None,
) -> str:
    splits = stratified_split(items, by_class=by_class, seed=seed)
    if after_split is not None:
        after_split(splits)
    datalist = {**meta, "synthetic": True, **splits}
    path = os.path.join(out_dir, filename)
    with open(path, "w") as f:
        json.dump(datalist, f, indent=1)
    return path


def _resolve_knobs(
    task: str,
    scenario: str | Mapping[str, float] | None,
    minority_fraction: float | None,
    bias_strength: float | None,
) -> dict[str, float]:
    """The scenario's knobs; ``default`` without one; the ``v1`` scenario changed by the older ``minority_fraction`` /
    ``bias_strength`` knobs when either is given (they predate scenarios and keep their meaning)."""
    if scenario is not None:
        for name, value in (("minority_fraction", minority_fraction), ("bias_strength", bias_strength)):
            if value is not None:
                raise ValueError(
                    f"{name} expected None when a scenario is given but got {value!r}: the scenario sets every "
                    "mechanism (representation for the minority's share; appearance and shortcut for bias_strength)."
                )
        return parse_scenario(scenario, task)
    knobs = parse_scenario("default" if minority_fraction is None and bias_strength is None else "v1", task)
    if minority_fraction is not None:
        knobs["representation"] = _check_fraction("minority_fraction", minority_fraction)
    if bias_strength is not None:
        bias_strength = _check_fraction("bias_strength", bias_strength)
        for name in ("appearance", "shortcut"):
            if name in knobs:
                knobs[name] = bias_strength
    return knobs


def _scenario_meta(knobs: dict[str, float], task: str) -> dict[str, Any]:
    return {"scenario": knobs, "scenario_description": describe_scenario(knobs, task)}


def _plant_training_prevalence(splits: dict, leave_out: float, seed: int, out_dir: str) -> None:
    """``prevalence``: leave out that fraction of the minority's malignant training cases (files deleted too)."""
    rng = np.random.default_rng([seed, 1])
    kept = []
    for item in splits["training"]:
        if item["group"] == 1 and item["label"] == 1 and rng.random() < leave_out:
            os.remove(os.path.join(out_dir, item["image"]))
            continue
        kept.append(item)
    splits["training"] = kept


def _plant_label_noise(splits: dict, flip: float, seed: int) -> None:
    """``label_noise``: flip each minority label with probability ``flip`` in training and validation."""
    rng = np.random.default_rng([seed, 2])
    for split in ("training", "validation", "test"):
        for item in splits[split]:
            item["label_clean"] = item["label"]
            if split != "test" and item["group"] == 1 and rng.random() < flip:
                item["label"] = 1 - item["label"]


def make_skin_lesion_dataset(
    out_dir: str,
    n_cases: int = 1200,
    image_size: int = 64,
    minority_fraction: float | None = None,
    bias_strength: float | None = None,
    malignant_fraction: float = 0.5,
    seed: int = 0,
    scenario: str | Mapping[str, float] | None = None,
) -> str:
    """Write PNG images and ``datalist.json`` for the planted-bias dermatology set; return the datalist path.

    Args:
        out_dir: output folder (created); images go to ``out_dir/images``.
        n_cases: number of images generated (``prevalence`` then leaves some minority training cases out).
        image_size: square side in pixels.
        minority_fraction: older form of ``representation`` (default 0.2); not with ``scenario``.
        bias_strength: older form of ``appearance`` and ``shortcut`` together (default 1); not with ``scenario``.
        malignant_fraction: fraction of class 1 in each group.
        seed: everything is a function of it.
        scenario: the bias mechanisms and their knobs (:func:`monai_fairness.data.scenarios.parse_scenario`);
            ``None`` is the ``default`` scenario.

    Raises:
        ValueError: a knob outside its range, an unknown mechanism, or both a scenario and an older knob.
    """
    from PIL import Image

    knobs = _resolve_knobs("classification", scenario, minority_fraction, bias_strength)
    malignant_fraction = _check_fraction("malignant_fraction", malignant_fraction)
    if image_size < 16:
        raise ValueError(f"image_size expected at least 16 pixels but got {image_size}.")
    shortcut, appearance, cue = knobs["shortcut"], knobs["appearance"], knobs["group_cue"]
    # every group alike (not a bias: the task's difficulty): weaker malignant cues, more irregular benign borders
    subtlety = knobs["subtlety"]
    cue_scale = 1.0 - 0.85 * subtlety
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(out_dir, "images"), exist_ok=True)
    groups = _assign_groups(rng, n_cases, knobs["representation"])
    items = []
    for i, group in enumerate(groups):
        malignant = bool(rng.random() < malignant_fraction)
        dark = bool(group == 1)
        if dark:
            p_marker = 0.5
        else:
            p_marker = 0.5 + 0.45 * shortcut if malignant else 0.5 - 0.45 * shortcut
        marker = bool(rng.random() < p_marker)
        contrast_scale = 1.0 - 0.8 * appearance if dark else 1.0
        border, variegation = (1.0 - cue, 1.0) if dark else (1.0, 1.0 - cue)
        img = _lesion_image(
            rng, image_size, malignant, dark, marker, contrast_scale, border, variegation, cue_scale, 2.0 * subtlety
        )
        rel = f"images/lesion_{i:05d}.png"
        Image.fromarray(img).save(os.path.join(out_dir, rel))
        items.append(
            {
                "image": rel,
                "label": int(malignant),
                "group": int(group),
                "skin_tone": DERM_GROUPS[str(group)],
                "marker": int(marker),
                "id": item_id(rel),
            }
        )

    def after_split(splits: dict) -> None:
        if knobs["prevalence"] > 0:
            _plant_training_prevalence(splits, knobs["prevalence"], seed, out_dir)
        if knobs["label_noise"] > 0:
            _plant_label_noise(splits, knobs["label_noise"], seed)

    meta = {
        "name": "derm_planted_bias",
        "description": (
            f"generated; bias planted in group 1 (dark skin), scenario: {describe_scenario(knobs, 'classification')} "
            f"(seed {seed}; mechanisms: monai_fairness.data.scenarios)"
        ),
        "task": "classification",
        "sensitive_attribute": "skin_tone",
        "groups": DERM_GROUPS,
        "labels": DERM_LABELS,
        **_scenario_meta(knobs, "classification"),
        "seed": seed,
    }
    return _write_datalist(
        out_dir, items, meta, by_class=True, seed=seed, filename="datalist.json", after_split=after_split
    )


def _ellipsoid(grid: np.ndarray, centre: np.ndarray, radii: np.ndarray) -> np.ndarray:
    return (((grid - centre[:, None, None, None]) / radii[:, None, None, None]) ** 2).sum(0) <= 1


def _pelvis_ring(grid: np.ndarray, centre: np.ndarray, body_r: np.ndarray, size: int, widen: float) -> np.ndarray:
    """``anatomy``: a pelvis-like bone ring in the slices below the organ, its width a fraction of the body's there."""
    dz = (grid[2] - centre[2]) / size
    slab = (dz >= -0.40) & (dz <= -0.30)
    local = np.sqrt(np.clip(1 - (-0.35 * size / body_r[2]) ** 2, 0, 1))  # the body's transverse scale at the slab
    rx = 0.72 * body_r[0] * local * widen
    ry = 0.6 * rx
    r = np.sqrt(((grid[0] - centre[0]) / rx) ** 2 + ((grid[1] - centre[1]) / ry) ** 2)
    return slab & (r <= 1.0) & (r >= 0.72)


def _ct_case(
    rng: np.random.Generator,
    size: int,
    female: bool,
    knobs: dict[str, float],
    anatomy_rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    appearance, anatomy, shape = knobs["appearance"], knobs["anatomy"], knobs["shape"]
    grid = np.stack(np.meshgrid(*[np.arange(size, dtype=np.float32)] * 3, indexing="ij"))
    centre = size / 2 + rng.uniform(-1.5, 1.5, size=3)
    body_r = np.array([0.44, 0.38, 0.46]) * size
    if anatomy > 0:  # every body gets a random size; women's outline is smaller transversally
        transverse = anatomy_rng.uniform(0.93, 1.03) * ((1.0 - 0.12 * anatomy) if female else 1.0)
        body_r = body_r * np.array([transverse, transverse, 1.0])
    body = _ellipsoid(grid, centre, body_r)
    vol = np.where(body, 40.0, -1000.0)
    vol += 25.0 * _smooth_noise(rng, (size,) * 3, max(2, size // 8)) * body
    organ_c = centre + np.array([-0.12, 0.05, 0.0]) * size + rng.uniform(-1.5, 1.5, size=3)
    organ_r = np.array([0.17, 0.14, 0.2]) * size * rng.uniform(0.85, 1.15, size=3)
    if shape > 0 and female:
        organ_r = organ_r * (1.0 - 0.3 * shape)
    organ = _ellipsoid(grid, organ_c, organ_r)
    distractor_c = organ_c + np.array([0.3, 0.0, 0.0]) * size + rng.uniform(-1, 1, size=3)
    distractor_r = np.array([0.09, 0.09, 0.12]) * size
    distractor = _ellipsoid(grid, distractor_c, distractor_r)
    distractor &= ~organ
    contrast = 1.0 - 0.6 * appearance if female else 1.0
    vol = np.where(organ, vol + 60.0 * contrast, vol)
    distractor_hu = 40.0 + 60.0 * contrast * (0.4 + 0.5 * appearance if female else 0.4)
    vol = np.where(distractor & body, distractor_hu + 10.0 * _smooth_noise(rng, (size,) * 3, 4), vol)
    if anatomy > 0:
        ring = _pelvis_ring(grid, centre, body_r, size, (1.0 + 0.25 * anatomy) if female else 1.0)
        vol = np.where(ring & body & ~organ, 450.0, vol)
    vol += rng.normal(0, 12.0, size=vol.shape)
    vol = np.clip(vol, -1024.0, 3071.0)  # the range a 12-bit CT with intercept -1024 stores, so DICOM == NIfTI
    return vol.astype(np.float32), organ.astype(np.uint8)


def _write_dicom_series(
    folder: str, volume_hu: np.ndarray, spacing: float, sex: str, age: int, case_index: int, seed: int
) -> None:
    """One CT slice per file along the last axis; geometry matches the NIfTI affine ``diag(-s, -s, s)`` (see tests)."""
    import datetime

    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    os.makedirs(folder, exist_ok=True)
    prefix = "1.2.826.0.1.3680043.10.1444."  # example root; UIDs below are derived deterministically from the seed
    study_uid = generate_uid(prefix=prefix, entropy_srcs=[f"study{seed}-{case_index}"])
    series_uid = generate_uid(prefix=prefix, entropy_srcs=[f"series{seed}-{case_index}"])
    study_date = datetime.date(2024, 1, 1)
    birth = study_date.replace(year=study_date.year - age) - datetime.timedelta(days=30)
    pixels = np.clip(np.round(volume_hu + 1024.0), 0, 4095).astype(np.uint16)
    for k in range(volume_hu.shape[2]):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid(prefix=prefix, entropy_srcs=[f"sop{seed}-{case_index}-{k}"])
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
        ds.Modality = "CT"
        # fictitious identifiers, present on purpose so that tests can prove they never leak into outputs
        ds.PatientName = f"Synthetic^Case{case_index:04d}"
        ds.PatientID = f"SYN{seed:03d}{case_index:05d}"
        ds.PatientBirthDate = birth.strftime("%Y%m%d")
        ds.StudyDate = study_date.strftime("%Y%m%d")
        ds.PatientSex = sex
        ds.PatientAge = f"{age:03d}Y"
        ds.SeriesNumber, ds.InstanceNumber = 1, k + 1
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.ImagePositionPatient = [0.0, 0.0, float(k * spacing)]
        ds.PixelSpacing = [spacing, spacing]
        ds.SliceThickness = spacing
        ds.Rows, ds.Columns = volume_hu.shape[1], volume_hu.shape[0]
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        # pixel (row r, column c) of slice k lies at LPS (c*s, r*s, k*s): rows follow the volume's second axis
        ds.PixelData = np.ascontiguousarray(pixels[:, :, k].T).tobytes()
        ds.save_as(os.path.join(folder, f"slice_{k:03d}.dcm"), enforce_file_format=True)


def make_ct_segmentation_dataset(
    out_dir: str,
    n_cases: int = 150,
    size: int = 32,
    minority_fraction: float | None = None,
    bias_strength: float | None = None,
    spacing: float = 1.5,
    write_dicom: bool = True,
    seed: int = 0,
    scenario: str | Mapping[str, float] | None = None,
) -> dict[str, str]:
    """Write NIfTI volumes/masks (and DICOM series) plus datalists; return ``{"nifti": path, "dicom": path}``.

    ``datalist.json`` points at ``images/case_XXXX.nii.gz``; ``datalist_dicom.json`` at the DICOM series folders
    ``dicom/case_XXXX`` with the same masks and splits. Each item keeps ``sex`` and ``age`` (years) as raw attributes.
    ``minority_fraction`` (default 0.3) and ``bias_strength`` (default 1) are the older forms of the ``representation``
    and ``appearance`` knobs of ``scenario`` (:func:`monai_fairness.data.scenarios.parse_scenario`; ``None`` is the
    ``default`` scenario); a scenario and an older knob together are an error.
    """
    import nibabel as nib

    knobs = _resolve_knobs("segmentation", scenario, minority_fraction, bias_strength)
    if size < 16:
        raise ValueError(f"size expected at least 16 voxels but got {size}.")
    rng = np.random.default_rng(seed)
    for sub in ("images", "labels"):
        os.makedirs(os.path.join(out_dir, sub), exist_ok=True)
    affine = np.diag([-spacing, -spacing, spacing, 1.0])
    groups = _assign_groups(rng, n_cases, knobs["representation"])
    items, dicom_items = [], []
    for i, group in enumerate(groups):
        female = bool(group == 1)
        vol, mask = _ct_case(rng, size, female, knobs, np.random.default_rng([seed, 3, i]))
        age = int(rng.integers(30, 86))
        sex = CT_GROUPS[str(group)]
        img_rel, lbl_rel = f"images/case_{i:04d}.nii.gz", f"labels/case_{i:04d}.nii.gz"
        nib.save(nib.Nifti1Image(vol, affine), os.path.join(out_dir, img_rel))
        nib.save(nib.Nifti1Image(mask, affine), os.path.join(out_dir, lbl_rel))
        base = {"label": lbl_rel, "group": int(group), "sex": sex, "age": age}
        items.append({"image": img_rel, **base, "id": item_id(img_rel)})
        if write_dicom:
            dcm_rel = f"dicom/case_{i:04d}"
            _write_dicom_series(os.path.join(out_dir, dcm_rel), vol, spacing, sex, age, i, seed)
            dicom_items.append({"image": dcm_rel, **base, "id": item_id(dcm_rel)})
    meta = {
        "name": "ct_planted_bias",
        "description": (
            f"generated; bias planted in group 1 (F), scenario: {describe_scenario(knobs, 'segmentation')} "
            f"(seed {seed}; mechanisms: monai_fairness.data.scenarios)"
        ),
        "task": "segmentation",
        "sensitive_attribute": "sex",
        "groups": CT_GROUPS,
        "labels": CT_LABELS,
        **_scenario_meta(knobs, "segmentation"),
        "seed": seed,
    }
    paths = {"nifti": _write_datalist(out_dir, items, meta, by_class=False, seed=seed, filename="datalist.json")}
    if write_dicom:
        paths["dicom"] = _write_datalist(
            out_dir,
            dicom_items,
            {**meta, "name": "ct_planted_bias_dicom"},
            by_class=False,
            seed=seed,
            filename="datalist_dicom.json",
        )
    return paths
