# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Which bundle commands the FairDi pipeline runs (the commands themselves are tested in tests/bundles)."""

from __future__ import annotations

import json

import pytest

from monai_fairness.pipelines import fairdi


@pytest.fixture
def recorded(tmp_path, monkeypatch):
    """Run :func:`fairdi.run_fairdi` with the bundle commands recorded instead of run."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "datalist.json").write_text(json.dumps({"groups": {"0": "light", "1": "dark"}}))
    calls = {"stages": [], "evaluated": []}

    def run_stages(bundle, stages, common, ckpt_dir, force=False, overlays=()):
        calls["stages"] += [name for name, _, _ in stages]
        return {}

    def run_bundle(bundle, configs, overrides, overlays=()):
        calls["evaluated"].append(overrides["eval_model"])
        calls["overlays"] = list(overlays)
        return 0.0

    monkeypatch.setattr(fairdi, "run_stages", run_stages)
    monkeypatch.setattr(fairdi, "run_bundle", run_bundle)
    monkeypatch.setattr(fairdi, "compare_reports", lambda reports, reference: {"models": sorted(reports)})
    monkeypatch.setattr(fairdi, "render_comparison_html", lambda comparison, title: "")
    (tmp_path / "work" / "eval").mkdir(parents=True)
    return lambda **kw: (fairdi.run_fairdi("bundle", str(tmp_path / "data"), str(tmp_path / "work"), **kw), calls)


def test_every_stage_is_evaluated_by_default(recorded):
    comparison, calls = recorded(demo=True)
    assert calls["stages"] == ["backbone", "teacher_g0", "teacher_g1", "student", "erm"]
    assert calls["evaluated"] == ["erm", "backbone", "teacher_g0", "teacher_g1", "model"]
    assert comparison["models"] == ["backbone", "erm", "fairdi_student", "teacher_g0", "teacher_g1"]
    assert calls["overlays"] == ["demo.json"]


def test_evaluate_stages_false_evaluates_only_the_baselines_and_the_student(recorded):
    comparison, calls = recorded(evaluate_stages=False, baselines=["erm", "resampling"])
    assert calls["stages"] == ["backbone", "teacher_g0", "teacher_g1", "student", "erm", "resampling"]
    assert calls["evaluated"] == ["erm", "resampling", "model"]
    assert comparison["models"] == ["erm", "fairdi_student", "resampling"]
