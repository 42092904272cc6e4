# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Individual Typology Angle (ITA) skin tone: a documented *derived* attribute, not self-reported or clinician-rated.

``ITA = arctan((L* - 50) / b*) * 180 / pi`` in CIELAB (D65), computed with ``atan2`` so that ``b* ~ 0`` is safe, on
non-lesion skin pixels; per image the median is taken (our choice). Without a lesion mask the skin is an outer ring
of the image (radius 0.30-0.48 of the shorter side), dropping the vignette corners and very dark pixels (hair,
shadows, ``L* < 25``) (our choice). Categories (Del Bino et al.): very light > 55, light 41-55, intermediate 28-41,
tan 10-28, brown -30-10, dark < -30 degrees. These literature thresholds were not re-checked against the papers here.
"""

from __future__ import annotations

import numpy as np
from monai.transforms import Transform

__all__ = ["srgb_to_lab", "ita_degrees", "ita_category", "ita_to_fitzpatrick", "SkinToneITA", "ITA_CATEGORIES"]

# (lower bound in degrees, name), checked from the top
ITA_CATEGORIES = ((55.0, "very_light"), (41.0, "light"), (28.0, "intermediate"), (10.0, "tan"), (-30.0, "brown"))
_D65_WHITE = np.array([0.95047, 1.0, 1.08883])
_RGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in [0, 1] (``[..., 3]``) -> CIELAB (D65, 2 degree observer), ``[..., 3]`` as (L*, a*, b*)."""
    rgb = np.asarray(rgb, dtype=np.float64)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _RGB_TO_XYZ.T / _D65_WHITE
    delta = 6 / 29
    f = np.where(xyz > delta**3, np.cbrt(xyz), xyz / (3 * delta**2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def ita_degrees(lab: np.ndarray) -> np.ndarray:
    """ITA in degrees from CIELAB ``[..., 3]``: ``atan2(L* - 50, b*)``."""
    lab = np.asarray(lab, dtype=np.float64)
    return np.degrees(np.arctan2(lab[..., 0] - 50.0, lab[..., 2]))


def ita_category(ita: float) -> str:
    """Del Bino category of an ITA value in degrees."""
    for bound, name in ITA_CATEGORIES:
        if ita > bound:
            return name
    return "dark"


def ita_to_fitzpatrick(ita: float) -> int:
    """Fitzpatrick-like type 1-6 from ITA, one type per Del Bino category (the mapping Kinyanjui et al. 2020 use for
    dermoscopy): > 55 -> 1, 41-55 -> 2, 28-41 -> 3, 10-28 -> 4, -30-10 -> 5, < -30 -> 6. Derived, not rated."""
    for skin_type, (bound, _) in enumerate(ITA_CATEGORIES, start=1):
        if ita > bound:
            return skin_type
    return 6


class SkinToneITA(Transform):
    """RGB image (``[3, H, W]`` channel-first or ``[H, W, 3]``, values in [0, 1] or [0, 255]) -> median ITA in degrees
    over the skin pixels (the outer ring, or ``~lesion_mask`` when a mask is given).

    Raises:
        ValueError: When the image is not 3-channel RGB, or no skin pixel is left.
    """

    def __init__(self, ring: tuple[float, float] = (0.30, 0.48), min_lightness: float = 25.0) -> None:
        self.ring, self.min_lightness = ring, min_lightness

    def __call__(self, img: np.ndarray, lesion_mask: np.ndarray | None = None) -> float:
        arr = np.asarray(img, dtype=np.float64)
        if arr.ndim == 3 and arr.shape[0] == 3 and arr.shape[-1] != 3:
            arr = np.moveaxis(arr, 0, -1)
        if arr.ndim != 3 or arr.shape[-1] != 3:
            raise ValueError(f"SkinToneITA: expected an RGB image [3, H, W] or [H, W, 3] but got shape {arr.shape}.")
        if arr.max() > 1.0:
            arr = arr / 255.0
        h, w = arr.shape[:2]
        if lesion_mask is not None:
            skin = ~np.asarray(lesion_mask, dtype=bool).reshape(h, w)
        else:
            yy, xx = np.mgrid[0:h, 0:w]
            r = np.hypot(yy - (h - 1) / 2, xx - (w - 1) / 2) / min(h, w)
            skin = (r >= self.ring[0]) & (r <= self.ring[1])
        lab = srgb_to_lab(arr[skin])
        lab = lab[lab[:, 0] >= self.min_lightness]
        if lab.shape[0] == 0:
            raise ValueError("SkinToneITA: no skin pixel left after removing the lesion and very dark pixels.")
        return float(np.median(ita_degrees(lab)))
