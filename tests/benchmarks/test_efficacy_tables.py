# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The tables the README and the model cards quote, built from a study's JSON."""

from __future__ import annotations

import json

from benchmarks.efficacy_tables import comparison_table, leakage_table, method_table, seeds_lower, summary_table
from monai_fairness.study.summary import attribute_leakage
from tests.study.test_study_run import _synthetic_study


def test_tables_show_each_seed_and_bold_only_intervals_that_exclude_zero(tmp_path):
    study = _synthetic_study(tmp_path)
    per_seed = {m: v["per_seed"]["auc_gap"] for m, v in study["methods"].items()}
    rows = {line.split(" | ")[0].strip("| "): line for line in method_table(study).splitlines()[2:]}
    assert rows["erm"].endswith(", ".join(f"{x:.3f}" for x in per_seed["erm"]) + " |")
    lower = sum(a < b for a, b in zip(per_seed["fairdi"], per_seed["erm"], strict=True))
    assert seeds_lower(study, "fairdi", "erm") == f"{lower} of 2"
    study["methods"]["erm"]["per_seed"]["auc_gap"] = [1.0, 1.0]
    study["methods"]["fairdi"]["per_seed"]["auc_gap"] = [0.5, 2.0]
    assert seeds_lower(study, "fairdi", "erm") == "1 of 2"
    for line in comparison_table(study).splitlines()[2:]:
        name, other, gap_cell = (c.strip() for c in line.strip("|").split("|")[:3])
        ci = study["comparisons"][name][other]["auc_gap"]["difference_ci"]
        assert gap_cell.startswith("**") == (ci[0] > 0 or ci[1] < 0), line


def test_leakage_table_shows_each_seed_from_the_study(tmp_path):
    paths = {"erm": [str(tmp_path / "s0" / "erm" / "predictions.csv")], "apple": []}
    for seed, (before, after) in enumerate(((0.6, 0.9), (0.8, 0.7))):
        folder = tmp_path / f"s{seed}" / "apple"
        folder.mkdir(parents=True)
        leak = {k: {"before": {"balanced_accuracy": before}, "after": {"balanced_accuracy": after}}
                for k in ("probe", "refitted_discriminator")}  # fmt: skip
        (folder / "leakage.json").write_text(json.dumps({"num_eval": 20, **leak}))
        paths["apple"].append(str(folder / "predictions.csv"))
    study = {"leakage": attribute_leakage(paths)}
    assert set(study["leakage"]) == {"apple"}  # erm has no leakage.json
    assert study["leakage"]["apple"][1] == {"num_eval": 20, "probe": {"before": 0.8, "after": 0.7},
                                            "refitted_discriminator": {"before": 0.8, "after": 0.7}}  # fmt: skip
    table = leakage_table(study).splitlines()
    assert len(table) == 3 and table[2].startswith("| apple | 0.70 (0.60, 0.80) | 0.80 (0.90, 0.70) |")
    assert leakage_table({"leakage": {}}) == "" and leakage_table({}) == ""


def test_summary_shows_each_method_against_erm_and_its_control(tmp_path):
    study = _synthetic_study(tmp_path)
    study["comparisons"]["fairdi"]["student_no_kd"] = study["comparisons"]["fairdi"]["resampling"]
    rows = {line.split(" | ")[0].strip("| "): line for line in summary_table([study]).splitlines()[3:]}
    assert set(rows) == {"resampling", "fairdi"}
    assert "student_no_kd: " in rows["fairdi"] and "resampling: " not in rows["fairdi"]  # a control, not a baseline
    ci = study["comparisons"]["fairdi"]["erm"]["auc_gap"]["relative_ci"]
    assert f"[{100 * ci[0]:+.0f} % to {100 * ci[1]:+.0f} %]" in rows["fairdi"]
