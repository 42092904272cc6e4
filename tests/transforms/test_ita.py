# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""ITA on colour patches with known CIELAB values (published sRGB -> CIELAB D65 reference values)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from monai_fairness.transforms import SkinToneITA, ita_category, ita_degrees, srgb_to_lab

# sRGB -> CIELAB (D65) reference values, as tabulated by colour-science references (e.g. Bruce Lindbloom's calculator)
REFERENCE = [
    ((1.0, 0.0, 0.0), (53.2408, 80.0925, 67.2032)),
    ((0.0, 1.0, 0.0), (87.7347, -86.1827, 83.1793)),
    ((0.0, 0.0, 1.0), (32.2970, 79.1875, -107.8602)),
    ((1.0, 1.0, 1.0), (100.0, 0.0, 0.0)),
    ((0.5, 0.5, 0.5), (53.3890, 0.0, 0.0)),
]


@pytest.mark.parametrize("rgb, lab", REFERENCE)
def test_srgb_to_lab_reference_values(rgb, lab):
    np.testing.assert_allclose(srgb_to_lab(np.array(rgb)), lab, atol=2e-3)


def test_ita_of_known_lab_patches():
    # ITA = atan((L - 50) / b) in degrees
    assert ita_degrees(np.array([70.0, 10.0, 20.0])) == pytest.approx(45.0)
    assert ita_degrees(np.array([50.0, 5.0, 15.0])) == pytest.approx(0.0)
    assert ita_degrees(np.array([30.0, 5.0, 20.0])) == pytest.approx(-45.0)
    assert ita_degrees(np.array([60.0, 0.0, 0.0])) == pytest.approx(90.0)  # b* = 0 is safe with atan2
    red = REFERENCE[0][1]
    assert ita_degrees(srgb_to_lab(np.array([1.0, 0, 0]))) == pytest.approx(
        math.degrees(math.atan((red[0] - 50) / red[2])), abs=1e-3
    )


@pytest.mark.parametrize(
    "ita, name", [(60, "very_light"), (50, "light"), (30, "intermediate"), (20, "tan"), (0, "brown"), (-45, "dark")]
)
def test_categories(ita, name):
    assert ita_category(ita) == name


def test_skin_tone_from_image_ring_ignores_lesion_and_dark_pixels():
    skin = np.array([0.85, 0.65, 0.55])  # a light skin colour
    img = np.broadcast_to(skin, (64, 64, 3)).copy()
    img[20:44, 20:44] = [0.3, 0.15, 0.1]  # lesion in the centre
    img[:3, :3] = 0.0  # dark vignette corner
    expected = ita_degrees(srgb_to_lab(skin))
    assert SkinToneITA()(img) == pytest.approx(expected, abs=1e-6)
    assert SkinToneITA()(np.moveaxis(img * 255, -1, 0)) == pytest.approx(expected, abs=1e-6)
    mask = np.zeros((64, 64), bool)
    mask[20:44, 20:44] = True
    assert SkinToneITA()(img, lesion_mask=mask | (img.sum(-1) == 0)) == pytest.approx(expected, abs=1e-6)
    with pytest.raises(ValueError, match="expected an RGB image"):
        SkinToneITA()(np.zeros((8, 8)))
