# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""``make demo`` refuses generated data of another scenario (an older clone's ``data/demo``), whose finished runs it
would otherwise reuse, and names what to remove; the user's own data passes as it is."""

from __future__ import annotations

import json

import pytest

from monai_fairness.data.scenarios import parse_scenario
from monai_fairness.demo import check_demo_scenario


def _datalist(tmp_path, **fields) -> str:
    path = tmp_path / "derm" / "datalist.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fields))
    return str(path)


def test_older_demo_data_is_refused_with_what_to_remove(tmp_path):
    v1 = _datalist(tmp_path, synthetic=True, scenario=parse_scenario("v1", "classification"),
                   scenario_description="representation=0.2, appearance=1, shortcut=1")  # fmt: skip
    with pytest.raises(SystemExit) as error:
        check_demo_scenario(v1, "classification", str(tmp_path / "runs"))
    message = str(error.value)
    assert "expected demo data of the default scenario" in message and "holds representation=0.2" in message
    assert str(tmp_path / "runs") in message
    with pytest.raises(SystemExit, match="no scenario"):
        check_demo_scenario(_datalist(tmp_path, synthetic=True), "classification", "runs")


def test_default_demo_data_and_own_data_pass(tmp_path):
    check_demo_scenario(
        _datalist(tmp_path, synthetic=True, scenario=parse_scenario("default", "classification")),
        "classification",
        "runs",
    )
    check_demo_scenario(_datalist(tmp_path, task="classification"), "classification", "runs")  # not generated
