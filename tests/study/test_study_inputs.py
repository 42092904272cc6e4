# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Bad study input fails (or warns) before anything trains, naming what is wrong."""

from __future__ import annotations

import contextlib
import io

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
