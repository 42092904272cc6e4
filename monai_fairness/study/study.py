# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Run a study end to end: check the inputs, train and evaluate every method per seed, write study.json/study.html."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from monai_fairness.data.datalist import DatalistError, read_datalist, validate_datalist
from monai_fairness.pipelines.bundle_runner import overlays_for
from monai_fairness.report.build import MIN_CI_GROUP_SIZE
from monai_fairness.study.methods import check_methods, run_order
from monai_fairness.study.render import render_study_html
from monai_fairness.study.runner import run_method
from monai_fairness.study.summary import summarize
from monai_fairness.utils.environment import environment_summary

__all__ = ["check_study_inputs", "run_study", "write_study", "BUNDLES_DIR"]

BUNDLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "bundles")


def check_study_inputs(
    datalist: str,
    methods: Sequence[str],
    seeds: Sequence[int],
    reference: str,
    test_datalist: str | None = None,
) -> dict[str, Any]:
    """Every check that can fail before anything trains; returns the datalist.

    Raises:
        DatalistError: a datalist that breaks the contract, items without ``group``, a test split with fewer than two
            groups.
        ValueError: unknown methods, methods that do not fit the task, a method or seed given twice, a reference that
            is not among the methods.
    """
    data = read_datalist(datalist)
    task = data.get("task")
    validate_datalist(data, os.path.dirname(os.path.abspath(datalist)), require_group=True, stage="study")
    check_methods(methods, task)
    if reference not in methods:
        raise ValueError(f"--reference {reference!r} expected one of --methods {list(methods)}.")
    repeated = sorted({s for s in seeds if list(seeds).count(s) > 1})
    if repeated:
        raise ValueError(f"--seeds: {repeated} given more than once (a repeated seed would count its run twice).")
    test = data
    if test_datalist is not None:
        test = read_datalist(test_datalist)
        if test.get("task") != task:
            raise DatalistError(
                f"--test_datalist {test_datalist!r}: expected a {task} datalist like the training one but got "
                f"{test.get('task')!r}."
            )
        validate_datalist(test, os.path.dirname(os.path.abspath(test_datalist)), splits=("test",), require_group=True)
    groups = [int(item["group"]) for item in test.get("test", [])]
    present = sorted(set(groups))
    if len(present) < 2:
        raise DatalistError(
            f"the test split expected at least two groups (a comparison between groups) but holds only {present}."
        )
    names = test.get("groups", {})
    for g in present:
        n = groups.count(g)
        if n < MIN_CI_GROUP_SIZE:
            warnings.warn(
                f"group {g} ({names.get(str(g), g)}) has {n} test cases: too few for a useful interval "
                f"(fewer than {MIN_CI_GROUP_SIZE}).",
                stacklevel=2,
            )
    return data


def run_study(
    dataset_dir: str,
    methods: Sequence[str],
    seeds: Sequence[int],
    workdir: str,
    *,
    reference: str = "erm",
    test_datalist: str | None = None,
    n_bootstrap: int = 1000,
    bootstrap_seed: int = 0,
    overrides: Mapping[str, object] | None = None,
    bundles_dir: str = BUNDLES_DIR,
    datalist_name: str = "datalist.json",
    force: bool = False,
    demo: bool = False,
    resample_seeds: bool = False,
) -> dict[str, Any]:
    """Check, train, evaluate, compare; writes ``<workdir>/study.json`` and ``<workdir>/study.html``.

    ``demo`` stacks each bundle's ``configs/demo.json`` (demo sizes) on every command; without it the bundles' real
    recipes run. ``resample_seeds``: the intervals also cover the spread over training seeds
    (:class:`~monai_fairness.study.statistics.StudyStatistics`)."""
    datalist = os.path.join(dataset_dir, datalist_name)
    data = check_study_inputs(datalist, methods, seeds, reference, test_datalist)
    task = data["task"]
    group_ids = sorted(int(k) for k in data["groups"])
    order = run_order(methods)
    paths: dict[str, list[str]] = {m: [] for m in methods}
    common = {"dataset_dir": dataset_dir, "workdir": workdir, "bundles_dir": bundles_dir, "group_ids": group_ids}
    for seed in seeds:
        for method in order:
            path = run_method(
                method,
                task,
                seed,
                **common,
                overrides=overrides,
                test_datalist=test_datalist,
                force=force,
                demo=demo,
            )
            if method in paths:
                paths[method].append(path)
    test_groups = read_datalist(test_datalist or datalist).get("groups")
    study = summarize(
        task,
        paths,
        seeds=seeds,
        reference=reference,
        n_bootstrap=n_bootstrap,
        bootstrap_seed=bootstrap_seed,
        group_names=test_groups,
        resample_seeds=resample_seeds,
    )
    study["settings"]["data"] = {"datalist": os.path.abspath(datalist), "test_datalist": test_datalist}
    study["settings"]["overrides"] = {k: str(v) for k, v in (overrides or {}).items()}
    study["settings"]["config_overlays"] = list(overlays_for(demo))
    return write_study(study, workdir, title=f"Fairness study: {os.path.basename(os.path.abspath(dataset_dir))}")


def write_study(study: dict[str, Any], workdir: str, title: str = "Fairness study") -> dict[str, Any]:
    """Add the environment (package versions, lock) and write ``<workdir>/study.json`` and ``study.html``."""
    study["environment"] = environment_summary()
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "study.json"), "w") as f:
        json.dump(study, f, indent=1)
    with open(os.path.join(workdir, "study.html"), "w") as f:
        f.write(render_study_html(study, title=title))
    return study
