# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Bad study input fails (or warns) before anything trains, naming what is wrong."""

from __future__ import annotations

import contextlib
import io
import os

import pytest

from monai_fairness.data import DatalistError
from monai_fairness.study import check_study_inputs
from monai_fairness.study.cli import main


def _datalist(n_test_dark: int = 12, with_group: bool = True, task: str = "classification") -> dict:
    def item(i: int, group: int) -> dict:
        out = {"image": f"img/{i}.png", "label": i % 2 if task == "classification" else f"lbl/{i}.png", "id": f"c{i}"}
        if with_group:
            out["group"] = group
        return out

    return {
        "task": task,
        "groups": {"0": "light", "1": "dark"},
        "labels": {"0": "benign", "1": "malignant"},
        "training": [item(i, i % 2) for i in range(8)],
        "validation": [item(100 + i, i % 2) for i in range(4)],
        "test": [item(200 + i, 0) for i in range(20)] + [item(300 + i, 1) for i in range(n_test_dark)],
    }


def _error(argv: list[str]) -> str:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    assert code == 2
    return err.getvalue().strip().splitlines()[-1]


@pytest.mark.parametrize(
    "methods, seeds, message",
    [
        (["erm", "groupdrox"], [0], "unknown method(s) ['groupdrox']"),
        (["erm", "apple"], [0], "['apple'] do not apply to a classification datalist; the methods for classification"),
        (["erm", "resampling"], [0, 1, 0], "--seeds: [0] given more than once"),
        (["resampling", "fairdi"], [0], "--reference 'erm' expected one of --methods"),
        (["erm", "erm"], [0], "--methods: ['erm'] given more than once"),
    ],
)
def test_bad_methods_and_seeds_are_one_error_line(write_datalist, tmp_path, methods, seeds, message):
    path = write_datalist(_datalist())
    argv = ["--dataset_dir", str(tmp_path), "--workdir", str(tmp_path / "w"), "--methods", *methods]
    line = _error(argv + ["--seeds", *map(str, seeds)])
    assert line.startswith("error: ") and message in line, line
    assert not (tmp_path / "w").exists()  # nothing ran
    assert path


def test_a_datalist_without_groups_and_a_one_group_test_split(write_datalist, tmp_path):
    path = write_datalist(_datalist(with_group=False))
    with pytest.raises(DatalistError, match="stage 'study' needs field 'group' on every item"):
        check_study_inputs(path, ["erm"], [0], "erm")
    path = write_datalist(_datalist(n_test_dark=0))
    with pytest.raises(DatalistError, match=r"at least two groups .* holds only \[0\]"):
        check_study_inputs(path, ["erm"], [0], "erm")


def test_a_small_group_is_named_with_its_count(write_datalist):
    path = write_datalist(_datalist(n_test_dark=4))
    with pytest.warns(UserWarning, match=r"group 1 \(dark\) has 4 test cases: too few for a useful interval"):
        check_study_inputs(path, ["erm", "resampling"], [0, 1], "erm")


def test_apple_s_leakage_probe_fits_on_the_training_datalist_when_the_study_evaluates_elsewhere(tmp_path, monkeypatch):
    """A fresh draw holds every case in its test split; the probe must fit on the study's training data instead."""
    from monai_fairness.study import runner

    calls = []
    monkeypatch.setattr(runner, "run_stages", lambda *a, **k: {})
    monkeypatch.setattr(runner, "run_bundle", lambda bundle, configs, overrides, **k: calls.append(overrides))
    erm = tmp_path / "work" / "seed0" / "erm" / "models"
    erm.mkdir(parents=True)
    (erm / "model.pt").write_bytes(b"")
    fresh = str(tmp_path / "fresh" / "datalist.json")
    kwargs = dict(dataset_dir=str(tmp_path / "data"), workdir=str(tmp_path / "work"), bundles_dir=str(tmp_path),
                  group_ids=[0, 1], test_datalist=fresh)  # fmt: skip
    for method in ("apple", "perturber_no_adversary", "erm"):
        runner.run_method(method, "segmentation", 0, **kwargs)
    apple, control, erm_eval = calls
    training = os.path.join(str(tmp_path / "data"), "datalist.json")
    assert apple["leakage_datalist"] == control["leakage_datalist"] == training
    assert apple["datalist"] == control["datalist"] == os.path.abspath(fresh)
    assert "leakage_datalist" not in erm_eval
