# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Shared fixtures: tiny generated demo data (session-scoped) and paths of real files shipped by installed packages."""

from __future__ import annotations

import json
import os

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def tiny_derm(tmp_path_factory) -> str:
    """A small planted-bias dermatology set (32 px, the ``v1`` scenario the tests were written on); returns the
    datalist path."""
    from monai_fairness.data.synthetic import make_skin_lesion_dataset

    return make_skin_lesion_dataset(
        str(tmp_path_factory.mktemp("derm")), n_cases=80, image_size=32, seed=3, scenario="v1"
    )


@pytest.fixture(scope="session")
def tiny_ct(tmp_path_factory) -> dict:
    """A small planted-bias CT set (16^3, NIfTI + DICOM); returns ``{"nifti": path, "dicom": path}``."""
    from monai_fairness.data.synthetic import make_ct_segmentation_dataset

    return make_ct_segmentation_dataset(str(tmp_path_factory.mktemp("ct")), n_cases=20, size=16, seed=5)


@pytest.fixture
def write_datalist(tmp_path):
    """Write a datalist dict (plus any image files it names) into tmp_path and return its path."""

    def _write(datalist: dict, touch: bool = True) -> str:
        for split in ("training", "validation", "test"):
            for item in datalist.get(split, []):
                if touch and isinstance(item.get("image"), str):
                    path = tmp_path / item["image"]
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(b"x")
        path = tmp_path / "datalist.json"
        path.write_text(json.dumps(datalist))
        return str(path)

    return _write


def pydicom_test_file(*parts: str) -> str:
    import pydicom

    return os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files", *parts)


def nibabel_test_file(name: str) -> str:
    import nibabel

    return os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", name)
