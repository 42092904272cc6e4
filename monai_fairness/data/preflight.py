# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""One pass over a datalist before a run: every problem a training or evaluation would hit later, named at once.

Written here because MONAI checks nothing before the first batch: a truncated PNG ends a run mid-epoch in a worker
with "image file is truncated" (134 lines, no file name), a grayscale image among RGB ones in "stack expects each
tensor to be equal size", and an image and mask of different shapes are padded separately, so the mask shifts and a
perfect model scores Dice 0.53 on that case. The checks read headers where the format allows (PNG chunk CRCs, JPEG
decoded at 1/8 scale, NIfTI headers); other formats (DICOM series, NRRD...) are loaded with MONAI's ``LoadImage``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from monai_fairness.data.datalist import DatalistError, read_datalist, validate_datalist
from monai_fairness.tasks import get_task
from monai_fairness.utils.enums import FairnessKeys

__all__ = ["preflight_datalist", "image_header", "channel_stats"]

_PIL_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
_NIFTI_SUFFIXES = (".nii", ".nii.gz")
MAX_LISTED = 25


def channel_stats(values: Sequence[float] | None, image_channels: int, name: str) -> list[float] | None:
    """``values`` (one per image channel, e.g. ImageNet's mean for RGB), checked where a config uses them.

    ``None`` stands for per-image standardisation and passes through.

    Raises:
        ValueError: When the count differs from ``image_channels``; the message names the config id.
    """
    if values is None:
        return None
    values = [float(v) for v in values]
    if len(values) != int(image_channels):
        raise ValueError(
            f"{name} expected {image_channels} value(s), one per image channel (image_channels {image_channels}), "
            f"but got {len(values)}: {values}; set it to null to standardise each image instead."
        )
    return values


def _pil_header(path: str) -> dict[str, Any]:
    from PIL import Image

    with Image.open(path) as img:
        info = {"channels": len(img.getbands()), "mode": img.mode, "shape": tuple(img.size), "affine": None}
        if img.format == "JPEG":
            img.draft(img.mode, (max(1, img.size[0] // 8), max(1, img.size[1] // 8)))
            img.load()  # a truncated JPEG fails here (verify() does not check JPEG data)
        else:
            img.verify()  # PNG: every chunk's CRC, without decoding the pixels
    return info


def _canonical(shape: Sequence[int], affine: np.ndarray) -> tuple[tuple[int, ...], np.ndarray]:
    """Shape and affine after reorienting to RAS (what ``Orientationd(axcodes="RAS")`` does), from the header only."""
    import nibabel as nib

    ornt = nib.io_orientation(affine)
    spatial = tuple(int(s) for s in shape[:3])
    new_shape = tuple(spatial[int(axis)] for axis in ornt[:, 0])
    return new_shape, affine @ nib.orientations.inv_ornt_aff(ornt, spatial)


def _nifti_header(path: str) -> dict[str, Any]:
    import nibabel as nib

    img = nib.load(path)
    shape = img.header.get_data_shape()
    if path.endswith(".nii"):  # uncompressed: the file must hold every voxel the header promises
        expected = int(img.header.get_data_offset()) + int(np.prod(shape)) * img.header.get_data_dtype().itemsize
        if os.path.getsize(path) < expected:
            raise OSError(f"file is truncated: {os.path.getsize(path)} bytes, the header needs {expected}")
    channels = int(shape[3]) if len(shape) > 3 else 1
    spatial, affine = _canonical(shape, img.affine)
    return {"channels": channels, "mode": "nifti", "shape": spatial, "affine": affine}


_LOADERS: list[Any] = []


def _monai_header(path: str) -> dict[str, Any]:
    from monai.transforms import EnsureChannelFirst, LoadImage, Orientation

    if not _LOADERS:  # built once: every LoadImage registers its readers again (and logs it)
        _LOADERS.extend([LoadImage(image_only=True), EnsureChannelFirst(), Orientation(axcodes="RAS", labels=None)])
    load, channel_first, orientation = _LOADERS
    img = channel_first(load(path))
    if img.ndim == 4:
        img = orientation(img)
    affine = np.asarray(img.affine) if hasattr(img, "affine") else None
    return {"channels": int(img.shape[0]), "mode": "loaded", "shape": tuple(img.shape[1:]), "affine": affine}


def image_header(path: str) -> dict[str, Any]:
    """``{"channels", "mode", "shape", "affine"}`` of an image file or DICOM series folder (shape and affine in RAS for
    3D volumes).

    Raises:
        Exception: whatever the reader raises for an undecodable file (the caller names the item).
    """
    lower = path.lower()
    if lower.endswith(_PIL_SUFFIXES):
        return _pil_header(path)
    if lower.endswith(_NIFTI_SUFFIXES):
        return _nifti_header(path)
    return _monai_header(path)


def _same_grid(a: Mapping[str, Any], b: Mapping[str, Any]) -> str | None:
    if tuple(a["shape"]) != tuple(b["shape"]):
        return f"spatial shape {tuple(a['shape'])} vs {tuple(b['shape'])}"
    if a["affine"] is not None and b["affine"] is not None:
        if not np.allclose(np.asarray(a["affine"])[:3], np.asarray(b["affine"])[:3], rtol=1e-4, atol=1e-3):
            return f"affine\n{np.round(np.asarray(a['affine'])[:3], 4)}\nvs\n{np.round(np.asarray(b['affine'])[:3], 4)}"
    return None


def preflight_datalist(
    path: str,
    splits: Sequence[str] = ("training", "validation"),
    *,
    image_channels: int | None = None,
    num_classes: int | None = None,
    require_label: bool = True,
    require_group: bool = False,
    enabled: bool = True,
) -> int:
    """Check every item of the given splits before a run; raise one error that lists every problem found.

    Checks: the datalist contract (fields, ids, files exist); every image decodes (PNG/JPEG/NIfTI from headers);
    its channel count equals ``image_channels``; ``label`` is present (``require_label``: training and evaluation
    need it, inference does not) and, for class-id labels, the datalist's ``labels`` fit ``num_classes``; for mask
    labels (segmentation) the mask decodes and has the image's spatial shape and affine.

    Args:
        path: the datalist JSON.
        splits: the splits the run reads.
        image_channels: channels the bundle's network expects (3 for RGB); None skips the check.
        num_classes: the bundle's ``num_classes`` (checked for class-id labels only); None skips the check.
        require_label: every item needs ``label``.
        require_group: every item needs ``group`` (fairness stages).
        enabled: False skips every check (the bundles' ``preflight`` switch: ``--preflight False``). A datalist file
            that does not exist is not checked either (MONAI Label passes the items directly; export reads no data).

    Returns:
        The number of items checked.

    Raises:
        DatalistError: listing up to 25 problems (item, field, expected, actual) and how many there are in all.
    """
    if not enabled or not os.path.isfile(path):  # no datalist: MONAI Label passes items, export reads none
        return 0
    data = read_datalist(path)
    base = os.path.dirname(os.path.abspath(path))
    splits = [s for s in splits if s in data]
    validate_datalist(data, base, splits=splits, require_group=require_group)
    task = get_task(data["task"])
    problems: list[str] = []
    if num_classes is not None and not task.label_is_path:
        declared = sorted(int(k) for k in data["labels"])
        if declared[-1] >= int(num_classes) or len(declared) != int(num_classes):
            problems.append(
                f"field 'labels': the datalist declares classes {declared} but the bundle's num_classes is "
                f"{num_classes}; pass --num_classes {len(declared)} (the classifier's output size)"
            )
    checked = 0
    for split in splits:
        for i, item in enumerate(data[split]):
            checked += 1
            name = f"{split}[{i}]" + (f" (id={item[FairnessKeys.ID]!r})" if FairnessKeys.ID in item else "")
            if require_label and FairnessKeys.LABEL not in item:
                problems.append(f"item {name}: missing field 'label' (training and evaluation need it)")
            image_path = os.path.join(base, item[FairnessKeys.IMAGE])
            try:
                image = image_header(image_path)
            except Exception as e:  # any reader error means the run would fail on this item
                problems.append(f"item {name}: field 'image' {image_path!r} cannot be decoded: {type(e).__name__}: {e}")
                continue
            if image_channels is not None and image["channels"] != int(image_channels):
                problems.append(
                    f"item {name}: field 'image' {image_path!r} expected {image_channels} channel(s) but has "
                    f"{image['channels']} (mode {image['mode']}); convert it (e.g. to RGB) or change the bundle's "
                    "input channels"
                )
            if task.label_is_path and isinstance(item.get(FairnessKeys.LABEL), str):
                mask_path = os.path.join(base, item[FairnessKeys.LABEL])
                try:
                    mask = image_header(mask_path)
                except Exception as e:
                    problems.append(
                        f"item {name}: field 'label' {mask_path!r} cannot be decoded: {type(e).__name__}: {e}"
                    )
                    continue
                mismatch = _same_grid(image, mask)
                if mismatch:
                    problems.append(
                        f"item {name}: image {image_path!r} and mask {mask_path!r} expected the same grid but differ: "
                        f"{mismatch}"
                    )
    if problems:
        listed = "\n  - ".join(problems[:MAX_LISTED])
        more = f"\n  ... and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        raise DatalistError(
            f"datalist {path!r}: {len(problems)} problem(s) found before the run (splits {list(splits)}; "
            f"--preflight False skips this check):\n  - {listed}{more}"
        )
    return checked
