# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

import json

import pytest

from monai_fairness.report.compare import compare_reports, format_comparison, main


def _report(acc0: float, acc1: float, auc: float, acc_gap: float, auc_gap: float) -> dict:
    return {
        "task": "classification",
        "groups": {"0": "light", "1": "dark"},
        "n_by_group": {"0": 10, "1": 5},
        "overall": {"auc": auc, "accuracy": (acc0 + acc1) / 2},
        "by_group": {"0": {"auc": 1.0, "accuracy": acc0}, "1": {"auc": 0.9, "accuracy": acc1}},
        "fairness": {"accuracy_gap": acc_gap, "auc_gap": auc_gap, "eodds": 0.1, "dpd": 0.05},
        "ci": {"accuracy_gap": [0.0, 0.3]},
    }


def test_relative_gap_reduction_by_hand(tmp_path):
    reports = {"erm": _report(1.0, 0.8, 0.99, 0.20, 0.10), "fairdi": _report(0.98, 0.9, 0.985, 0.08, 0.05)}
    comparison = compare_reports(reports, reference="erm")
    row = comparison["versus_reference"]["fairdi"]
    assert row["accuracy_gap_reduction"] == pytest.approx(0.6)  # (0.20 - 0.08) / 0.20
    assert row["auc_gap_reduction"] == pytest.approx(0.5)
    assert row["auc_change"] == pytest.approx(-0.005)
    assert comparison["models"]["fairdi"]["worst_group"]["accuracy"] == pytest.approx(0.9)
    text = format_comparison(comparison)
    assert "fairdi" in text and "accuracy_gap_reduction 0.6000" in text

    paths = []
    for name, rep in reports.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(rep))
        paths += ["--report", f"{name}={tmp_path / f'{name}.json'}"]
    assert main(paths + ["--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "comparison.html").stat().st_size > 5_000
    assert json.loads((tmp_path / "out" / "comparison.json").read_text())["reference"] == "erm"


def test_reports_of_different_groups_are_refused():
    other = _report(1.0, 0.8, 0.99, 0.2, 0.1)
    other["groups"] = {"0": "M", "1": "F"}
    with pytest.raises(ValueError, match="report 'b' expected task 'classification' and groups"):
        compare_reports({"a": _report(1.0, 0.8, 0.99, 0.2, 0.1), "b": other})


def test_scp_summary_prints_the_reports_non_finite_values():
    """A report stores an infinite FATE as "-inf" and a NaN EOdd as null (JSON); the SCP summary line prints them
    instead of failing (a tiny run with a zero baseline EOdd crashed the pipeline's last step)."""
    from monai_fairness.pipelines.scp import format_scp
    from monai_fairness.report.render import format_value

    assert format_value(0.12345) == "0.1235" and format_value(-0.5, "+.4f") == "-0.5000"
    assert format_value(None) == "n/a" and format_value("-inf", "+.4f") == "-inf"
    comparison = compare_reports(
        {"erm": _report(1.0, 0.8, 0.99, 0.2, 0.1), "scp_pruned": _report(1.0, 0.8, 0.99, 0.2, 0.1)}
    )
    comparison["scp"] = {
        "fate": "-inf",
        "eodd": {"erm": 0.0, "scp_pruned": None},
        "selected_iteration": 2,
        "stop_reason": "max_iterations",
        "params": {"erm": 100, "pruned": 90},
    }
    line = format_scp(comparison).splitlines()[-2]
    assert line.startswith("SCP: EOdd ERM (vanilla) 0.0000 -> pruned n/a; FATE -inf ")
    comparison["scp"]["fate"] = 0.25
    assert "FATE +0.2500 " in format_scp(comparison)
