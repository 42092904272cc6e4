# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Fixtures of the MONAI Label tests. They run in the separate environment (.venv-label), never in the project's:
``integrations/monailabel/ci.sh`` builds it and runs ``pytest integrations/monailabel/tests``."""

from __future__ import annotations

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
LABEL_DIR = os.path.dirname(HERE)
APP_DIR = os.path.join(LABEL_DIR, "app")
sys.path.insert(0, LABEL_DIR)

from prepare import prepare_bundles, prepare_studies  # noqa: E402


@pytest.fixture(scope="session")
def app_dir() -> str:
    """The MONAI Label app folder (``integrations/monailabel/app``)."""
    return APP_DIR


@pytest.fixture(scope="session")
def served_bundles(tmp_path_factory) -> tuple[str, dict[str, str]]:
    """Every repository bundle with freshly initialised weights (no trained weights exist on a CI machine)."""
    out = str(tmp_path_factory.mktemp("served") / "bundles")
    source = os.path.join(LABEL_DIR, "..", "..", "bundles")
    status = prepare_bundles(out, weights=[], untrained=True, source=source, bundle_models=False)
    return out, status


@pytest.fixture(scope="session")
def demo_studies(tmp_path_factory) -> str:
    """Synthetic studies: ct_case_*.nii.gz (32^3 CT) and skin_lesion_*.png (64x64 RGB)."""
    out = str(tmp_path_factory.mktemp("studies_src"))
    prepare_studies(out, n_cases=2)
    return out
