# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The GPU check must run on CPU too: CI has no GPU, so a broken check would otherwise first fail on a lent machine."""

from __future__ import annotations

import json

import pytest

from benchmarks import gpu_check


@pytest.mark.slow
def test_gpu_check_runs_every_stage_at_demo_size(capsys, tmp_path) -> None:
    """The command line as CI runs it: one JSON document on stdout and in --out."""
    out = tmp_path / "gpu_check.json"
    args = ["--size", "demo", "--iterations", "1", "--rounds", "1", "--apple-rounds", "1", "--out", str(out)]
    assert gpu_check.main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert json.loads(out.read_text()) == result
    assert result["size"] == "demo" and result["amp"] is False
    for task, _ in gpu_check.STAGES.items():
        training = result[task]["training"]
        assert set(training) - {"peak_memory_kind"} == {name for name, _, _ in gpu_check.STAGES[task]}
        for name, row in training.items():
            if name == "peak_memory_kind":
                continue
            assert row["step_s"] > 0 and row["samples_per_s"] > 0, (task, name, row)
            assert row["ratio_to_erm"] == pytest.approx(row["step_s"] / training["erm"]["step_s"], rel=1e-2)
            assert ("meets_target" in row) == (name in gpu_check.TARGETS)
        assert result[task]["evaluation"]["evaluation_s_per_batch"] > 0
    assert result["classification"]["training"]["erm"]["batch"] == [32, 3, 64, 64]
    assert result["segmentation"]["training"]["erm"]["batch"][2:] == [32, 32, 32]
    assert result["apple_inference"]["params"]["perturber"] > 0
    assert result["environment"]["packages"]["torch"]


def test_gpu_check_rejects_an_unknown_size() -> None:
    with pytest.raises(ValueError, match="--size: expected one of"):
        gpu_check.run(size="huge")
