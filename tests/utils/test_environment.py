# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The package lock: exact pins, consistent with setup.cfg's ranges, and the environment the suite runs in."""

from __future__ import annotations

import configparser
import os
import re

import pytest
import torch
from packaging.requirements import Requirement

from monai_fairness.utils.environment import LOCK_FILE, _canonical, environment_summary, lock_mismatches, read_lock
from tests.conftest import REPO_ROOT


def _setup_requirements() -> list[Requirement]:
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(REPO_ROOT, "setup.cfg"))
    lines = cfg["options"]["install_requires"].splitlines()
    extras = cfg["options.extras_require"]
    for name in ("dev", "prune"):
        lines += extras[name].splitlines()
    return [Requirement(line.split("#")[0].strip()) for line in lines if line.split("#")[0].strip()]


def test_every_lock_line_is_an_exact_pin_and_torch_has_no_local_label():
    pins = read_lock()
    assert len(pins) > 50
    assert re.fullmatch(r"\d+\.\d+\.\d+", pins["torch"]), pins["torch"]  # a CUDA build of it must satisfy the lock
    with open(os.path.join(REPO_ROOT, "tools", "lock.sh")) as f:
        assert f"torch=={pins['torch']}" in f.read()  # the lock was made with the torch the lock script installs


def test_the_lock_satisfies_every_range_of_setup_cfg():
    pins = read_lock()
    for req in _setup_requirements():
        name = _canonical(req.name)
        assert name in pins, f"{req.name} is required by setup.cfg but not in the lock"
        assert req.specifier.contains(pins[name], prereleases=True), f"{req} vs locked {pins[name]}"


def test_a_line_that_is_not_a_pin_is_named(tmp_path):
    bad = tmp_path / "lock.txt"
    bad.write_text("# header\nnumpy==2.4.6\nscipy>=1.0\n")
    with pytest.raises(ValueError, match=r"line 3: expected 'name==version' but got 'scipy>=1.0'"):
        read_lock(str(bad))


def test_the_suite_runs_in_the_locked_environment():
    """`make test` installs the lock; a drifted environment would make efficacy numbers irreproducible."""
    assert lock_mismatches() == {}


def test_environment_summary_names_the_key_packages_and_the_lock(tmp_path):
    summary = environment_summary()
    assert summary["lock"] == os.path.basename(LOCK_FILE) and summary["matches_lock"] is True
    assert len(summary["lock_sha256"]) == 64
    assert {"torch", "numpy", "pillow", "scipy", "monai"} <= set(summary["packages"])
    assert summary["torch_threads"] == torch.get_num_threads() >= 1 and summary["cpu_count"] == os.cpu_count()
    drifted = tmp_path / "lock.txt"
    drifted.write_text("numpy==0.0.1\n")
    other = environment_summary(str(drifted))
    assert other["matches_lock"] is False and other["mismatches"]["numpy"][0] == "0.0.1"
