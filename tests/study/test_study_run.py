# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The study end to end on tiny demo data, and its HTML page in a real browser."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from monai_fairness.metrics.bootstrap import iterate_bootstrap
from monai_fairness.metrics.group_index import GroupIndex
from monai_fairness.study import load_predictions, render_study_html, summarize
from monai_fairness.tasks import ClassificationTask
from tests.conftest import REPO_ROOT

TINY = {"image_size": "[32, 32]", "batch_size": "8", "max_epochs": "1"}


@pytest.mark.slow
def test_two_methods_two_seeds_on_the_demo_data(tiny_derm, tmp_path):
    cmd = [sys.executable, "-m", "monai_fairness.study", "--demo", "--dataset_dir", os.path.dirname(tiny_derm)]
    cmd += ["--methods", "erm", "resampling", "--seeds", "0", "1", "--workdir", str(tmp_path), "--n_bootstrap", "60"]
    for k, v in TINY.items():
        cmd += ["--set", f"{k}={v}"]
    env = {**os.environ, "PYTHONPATH": REPO_ROOT, "OMP_NUM_THREADS": "2"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    assert "=== study ===" in proc.stdout and "resampling:" in proc.stdout and "study.html" in proc.stdout
    study = json.loads((tmp_path / "study.json").read_text())
    assert set(study["methods"]) == {"erm", "resampling"} and study["seeds"] == [0, 1]
    assert study["best_simple_baseline"] == "resampling" and "resampling" in study["verdicts"]
    assert study["environment"]["matches_lock"] is True
    # the paired interval, recomputed directly: each resample evaluated on its own, mean over seeds, difference
    paths = {m: [str(tmp_path / f"seed{s}" / m / "eval" / e / "predictions.csv") for s in (0, 1)]
             for m, e in (("erm", "model"), ("resampling", "resampling"))}  # fmt: skip
    values, groups, _ = load_predictions(paths, "classification")
    task = ClassificationTask()
    positions = GroupIndex(groups).encode(groups)
    direct = []
    for idx in iterate_bootstrap(positions, 60, 0):
        for row in idx:
            means = {
                m: np.mean([task.evaluate({k: v[row] for k, v in s.items()}, groups[row]).overall["accuracy"]
                            for s in values[m]])
                for m in values
            }  # fmt: skip
            direct.append(means["resampling"] - means["erm"])
    ci = study["comparisons"]["resampling"]["erm"]["accuracy"]["difference_ci"]
    np.testing.assert_allclose(ci, np.quantile(direct, [0.025, 0.975]), rtol=1e-9)
    # a rerun reuses every finished stage and evaluation
    rerun = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert rerun.returncode == 0 and "monai.bundle run" not in rerun.stdout.replace("finished earlier", "")


def _synthetic_study(tmp_path) -> dict:
    rng = np.random.default_rng(0)
    n = 600
    g = (np.arange(n) % 4 == 0).astype(int)
    y = (np.arange(n) // 4) % 2
    paths = {}
    for method, penalty in (("erm", 0.3), ("resampling", 0.15), ("fairdi", 0.05)):
        paths[method] = []
        for seed in (0, 1):
            score = np.clip(rng.normal(0.3 + 0.4 * y - penalty * y * g, 0.15), 0, 1)
            path = tmp_path / f"{method}_{seed}.csv"
            pd.DataFrame({"id": np.arange(n), "group": g, "y_true": y, "y_score": score}).to_csv(path, index=False)
            paths[method].append(str(path))
    return summarize("classification", paths, seeds=[0, 1], n_bootstrap=200, group_names={"0": "light", "1": "dark"})


def test_summary_verdicts_follow_the_intervals(tmp_path):
    study = _synthetic_study(tmp_path)
    assert study["best_simple_baseline"] == "resampling"
    assert "auc_gap" in study["verdicts"]["fairdi"] and "vs erm: cuts the gap" in study["verdicts"]["fairdi"]
    fairdi_vs_erm = study["comparisons"]["fairdi"]["erm"]["auc_gap"]
    assert fairdi_vs_erm["difference_ci"][1] < 0 and fairdi_vs_erm["relative_ci"][1] < 0
    assert set(study["comparisons"]["fairdi"]) == {"erm", "resampling"}


def test_per_seed_values_are_each_seed_model_on_the_whole_test_set(tmp_path):
    study = _synthetic_study(tmp_path)
    paths = study["settings"]["predictions"]["erm"]
    values, groups, _ = load_predictions({"erm": paths}, "classification")
    direct = [ClassificationTask().evaluate(v, groups) for v in values["erm"]]
    per_seed = study["methods"]["erm"]["per_seed"]
    np.testing.assert_allclose(per_seed["auc_gap"], [r.fairness["auc_gap"] for r in direct], rtol=1e-9)
    np.testing.assert_allclose(per_seed["accuracy"], [r.overall["accuracy"] for r in direct], rtol=1e-9)
    assert per_seed["auc_gap"][0] != per_seed["auc_gap"][1]  # two different models, not one value repeated
    # the method's value is the mean of its seeds' values
    assert np.isclose(np.mean(per_seed["auc_gap"]), study["methods"]["erm"]["metrics"]["auc_gap"]["value"])


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_study_html_shows_its_plots_in_headless_chromium(tmp_path):
    study = _synthetic_study(tmp_path)
    page = tmp_path / "study.html"
    page.write_text(render_study_html(study))
    assert "http://" not in page.read_text() and "https://" not in page.read_text()
    shot = tmp_path / "shot.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
    subprocess.run(
        [CHROMIUM, *flags, f"--user-data-dir={tmp_path / 'p'}", "--window-size=1200,1400", f"--screenshot={shot}",
         f"file://{page}"],
        check=True, capture_output=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    img = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    colored = (np.abs(img[..., 0] - img[..., 2]) > 60) & (img.min(-1) < 200)  # the method markers and whiskers
    assert img.std() > 10 and colored.sum() > 300
