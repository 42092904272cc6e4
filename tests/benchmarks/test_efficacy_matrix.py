# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The efficacy matrix: its rows come from the study's paired comparisons, its fresh draws follow each scenario's test
distribution with enough cases per group, and a tiny run goes end to end."""

from __future__ import annotations

import json
import os

import pytest

import benchmarks.efficacy_matrix as matrix
from monai_fairness.data.scenarios import parse_scenario
from monai_fairness.study.runner import predictions_path
from tests.study.test_study_run import _synthetic_study


def test_row_and_table_follow_the_study_and_bold_only_intervals_that_exclude_zero(tmp_path):
    study = _synthetic_study(tmp_path)
    knobs = parse_scenario("shortcut", "classification")
    row = matrix.row_from_study(study, "shortcut", knobs, "classification", 600)
    assert row["mechanisms"] == "shortcut=1" and set(row["cells"]) == {"resampling", "fairdi"}
    fairdi = study["comparisons"]["fairdi"]["erm"]
    assert row["cells"]["fairdi"]["relative_ci"] == fairdi["auc_gap"]["relative_ci"]
    assert row["cells"]["fairdi"]["headline_difference"] == fairdi["auc"]["difference"]
    assert row["reference"]["auc_gap"] == study["methods"]["erm"]["metrics"]["auc_gap"]["value"]
    # one interval that excludes zero, one that does not
    row["cells"]["resampling"]["difference_ci"] = [-0.01, 0.02]
    row["cells"]["fairdi"]["difference_ci"] = [-0.05, -0.01]
    lines = matrix.matrix_table([row]).splitlines()
    assert lines[0].startswith("| scenario (mechanisms) | erm: auc_gap, auc | resampling | fairdi |")
    cells = [c.strip() for c in lines[2].strip("|").split("|")]
    assert cells[0] == "shortcut (shortcut=1)"
    assert not cells[2].startswith("**") and cells[3].startswith("**")
    short = [c.strip() for c in matrix.matrix_table([row], short=True).splitlines()[2].strip("|").split("|")]
    relative = row["cells"]["fairdi"]["relative"]
    assert short[3] == f"**{100 * relative:+.0f} %**" and "[" not in short[2]  # the gap change alone, bold as above


@pytest.mark.parametrize(
    "scenario, task, expected",
    [("default", "classification", 3000), ("appearance", "classification", 1200), ("default", "segmentation", 200)],
)
def test_fresh_draws_hold_enough_cases_of_the_smallest_group(scenario, task, expected):
    assert matrix.fresh_cases(parse_scenario(scenario, task), matrix.MIN_TEST[task]) == expected


def test_every_row_name_is_a_scenario_and_every_method_applies():
    from monai_fairness.study.methods import methods_for

    for task, names in matrix.SCENARIOS.items():
        for name in names:
            parse_scenario(name, task)
        assert set(matrix.METHODS[task]) <= set(methods_for(task))
    # a row per planted bias mechanism; the difficulty knob is part of the default, not a bias of its own
    assert "subtlety" not in matrix.SCENARIOS["classification"] and "group_cue" in matrix.SCENARIOS["classification"]


def test_bad_jobs_and_threads_are_named(capsys):
    for flag in ("--jobs", "--threads"):
        with pytest.raises(SystemExit):
            matrix.main([flag, "0"])
        assert f"{flag} expected at least 1 but got 0" in capsys.readouterr().err


@pytest.mark.slow
def test_a_tiny_matrix_runs_end_to_end_on_the_training_only_mechanisms(tmp_path, monkeypatch):
    monkeypatch.setitem(matrix.METHODS, "classification", ["erm", "resampling"])
    monkeypatch.setitem(matrix.MIN_TEST, "classification", 40)
    sizes = {"generator": {"n_cases": 160, "image_size": 16}, "overrides": {"image_size": [16, 16], "epochs": 1}}
    monkeypatch.setitem(matrix.SIZES, "classification", sizes)
    out = tmp_path / "matrix.json"
    omp_before = os.environ.get("OMP_NUM_THREADS")
    args = ["--task", "classification", "--scenarios", "label_noise", "prevalence", "--seeds", "0", "--jobs", "2"]
    assert matrix.main([*args, "--n_bootstrap", "50", "--workdir", str(tmp_path / "w"), "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    rows = result["tasks"]["classification"]["rows"]
    assert [r["mechanisms"] for r in rows] == ["label_noise=0.2", "prevalence=0.5"]  # in the order asked
    for row in rows:
        assert set(row["cells"]) == {"resampling"}
        assert row["n_by_group"] == {"0": 40, "1": 40}  # representation off: equal groups, MIN_TEST each
        scenario = row["scenario"]
        trained = json.loads((tmp_path / "w" / "classification" / scenario / "data" / "datalist.json").read_text())
        fresh = json.loads((tmp_path / "w" / "classification" / scenario / "fresh" / "datalist.json").read_text())
        assert scenario in trained["description"]  # trained on the mechanism...
        assert scenario not in fresh["description"]  # ...evaluated on the scenario's test distribution
    assert result["environment"]["packages"]["torch"] and result["run"]["jobs"] == 2
    assert result["run"]["torch_threads_per_command"] == 1 and result["run"]["wall_time_s"] >= 0
    assert os.environ.get("OMP_NUM_THREADS") == omp_before  # restored after the run


def test_a_cell_counts_as_finished_only_when_every_method_has_predictions(tmp_path):
    plan = {"methods": ["erm", "resampling"]}
    study = str(tmp_path / "segmentation" / "shape" / "study")
    assert not matrix.cell_finished("segmentation", "shape", 1, plan, str(tmp_path))
    for method in plan["methods"]:
        path = predictions_path(study, 1, method)
        os.makedirs(os.path.dirname(path))
        open(path, "w").close()
        assert matrix.cell_finished("segmentation", "shape", 1, plan, str(tmp_path)) == (method == "resampling")
    assert not matrix.cell_finished("segmentation", "shape", 0, plan, str(tmp_path))  # another seed
