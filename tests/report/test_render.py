# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The HTML report is self-contained and its plots are visible."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from monai_fairness.report import build_report, render_html, roc_curve_points


def _report(tmp_path, task):
    rng = np.random.default_rng(0)
    n = 200
    g = rng.integers(0, 2, n)
    if task == "classification":
        y = rng.integers(0, 2, n)
        df = pd.DataFrame(
            {"id": range(n), "group": g, "y_true": y, "y_score": np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1)}
        )
    else:
        df = pd.DataFrame({"id": range(n), "group": g, "dice": rng.uniform(0.4, 0.95, n)})
    path = tmp_path / f"{task}.csv"
    df.to_csv(path, index=False)
    report = build_report(str(path), n_bootstrap=100)
    html_path = tmp_path / f"{task}.html"
    html_path.write_text(render_html(report, str(path)))
    return html_path


@pytest.mark.parametrize("task, n_images", [("classification", 2), ("segmentation", 2)])
def test_every_embedded_image_decodes_and_is_not_blank(tmp_path, task, n_images):
    text = _report(tmp_path, task).read_text()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(images) == n_images
    for b64 in images:
        img = np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))).convert("L"), dtype=float)
        assert img.shape[0] > 100 and img.shape[1] > 100
        assert img.std() > 10  # not a blank canvas
    assert "http://" not in text and "https://" not in text  # self-contained


def test_roc_curve_points():
    fpr, tpr = roc_curve_points(np.array([0.9, 0.8, 0.8, 0.1]), np.array([1, 0, 1, 0]))
    assert fpr.tolist() == [0.0, 0.0, 0.5, 1.0] and tpr.tolist() == [0.0, 0.5, 1.0, 1.0]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_headless_chromium_screenshot_shows_the_plots(tmp_path):
    html_path = _report(tmp_path, "classification")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,2600",
            f"--screenshot={shot}",
            f"file://{html_path}",
        ],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    img = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert img.std() > 10
    # the plot area (lower part of the page) holds the blue bars of the per-group chart
    blue = (img[..., 2] > 150) & (img[..., 0] < 110) & (img[..., 1] < 140)
    assert blue[img.shape[0] // 2 :].sum() > 2000
