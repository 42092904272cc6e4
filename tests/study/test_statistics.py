# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The study's paired bootstrap equals a direct per-resample computation, and its intervals say what they should."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from monai_fairness.metrics.bootstrap import iterate_bootstrap
from monai_fairness.metrics.group_index import GroupIndex
from monai_fairness.study import StudyStatistics, paired_bootstrap
from monai_fairness.study.summary import verdict
from monai_fairness.tasks import ClassificationTask, SegmentationTask


def _model(n: int, seed: int, dark_penalty: float) -> tuple[dict, torch.Tensor]:
    """Binary scores; group 1's positives score ``dark_penalty`` lower (a planted AUC and accuracy gap)."""
    rng = np.random.default_rng(seed)
    g = np.arange(n) % 3 == 0  # group 1 is a third of the cases
    y = (np.arange(n) // 3) % 2
    score = np.clip(rng.normal(0.3 + 0.4 * y - dark_penalty * y * g, 0.15), 0, 1)
    return {"y_score": torch.tensor(score), "y_true": torch.tensor(y)}, torch.tensor(g.astype(np.int64))


def test_vectorised_paired_bootstrap_equals_a_loop_over_resamples():
    task = ClassificationTask()
    a0, groups = _model(90, 0, 0.3)
    a1, _ = _model(90, 1, 0.3)
    b0, _ = _model(90, 2, 0.1)
    b1, _ = _model(90, 3, 0.1)
    stats = StudyStatistics(task, {"a": [a0, a1], "b": [b0, b1]}, groups, ["auc_gap", "auc"], 40, seed=7)
    positions = GroupIndex(groups).encode(groups)
    (idx,) = list(iterate_bootstrap(positions, 40, 7))
    naive = []
    for row in idx:  # the direct computation: evaluate every resample on its own
        per_model = {}
        for name, seeds in (("a", [a0, a1]), ("b", [b0, b1])):
            results = [task.evaluate({k: v[row] for k, v in s.items()}, groups[row]) for s in seeds]
            per_model[name] = np.mean([r.fairness["auc_gap"] for r in results])
        naive.append(per_model["b"] - per_model["a"])
    vectorised = (stats.resampled["b"]["auc_gap"] - stats.resampled["a"]["auc_gap"]).numpy()
    np.testing.assert_allclose(vectorised, naive, rtol=1e-10, atol=1e-12)
    diff = stats.difference("b", "a", "auc_gap")
    np.testing.assert_allclose(diff["difference_ci"], np.quantile(naive, [0.025, 0.975]), rtol=1e-10)


def test_a_real_gap_cut_excludes_zero_and_a_copy_contains_it():
    task = ClassificationTask()
    biased, groups = _model(1200, 0, 0.35)
    fair, _ = _model(1200, 1, 0.0)
    cut = paired_bootstrap(task, biased, fair, groups, "auc_gap", n_resamples=400)
    assert cut["difference_ci"][1] < 0  # the fair model's gap is smaller, and the interval says so
    rng = np.random.default_rng(5)
    noisy = {**biased, "y_score": (biased["y_score"] + torch.tensor(rng.normal(0, 0.01, 1200))).clamp(0, 1)}
    same = paired_bootstrap(task, biased, noisy, groups, "auc_gap", n_resamples=400)
    low, high = same["difference_ci"]
    assert low < 0 < high  # the same model up to noise: not distinguishable


def test_verdict_claims_a_cut_only_when_the_interval_excludes_zero():
    task = ClassificationTask()
    biased, groups = _model(1200, 0, 0.35)
    fair, _ = _model(1200, 1, 0.0)
    rng = np.random.default_rng(5)
    copy = {**biased, "y_score": (biased["y_score"] + torch.tensor(rng.normal(0, 0.01, 1200))).clamp(0, 1)}
    stats = StudyStatistics(task, {"erm": [biased], "fair": [fair], "copy": [copy]}, groups, n_resamples=300)
    metrics = stats.metrics
    fair_text = verdict("fair", {"erm": {k: stats.difference("fair", "erm", k) for k in metrics}}, task, "erm", None)
    copy_text = verdict("copy", {"erm": {k: stats.difference("copy", "erm", k) for k in metrics}}, task, "erm", None)
    assert "auc_gap" in fair_text and "vs erm: cuts the gap" in fair_text
    assert "vs erm: not distinguishable from erm" in copy_text and "cuts" not in copy_text


def test_verdict_shows_the_difference_interval_where_the_relative_one_is_undefined():
    """A reference gap of 0 in some resample leaves no relative interval; the verdict still states its interval."""
    task = ClassificationTask()
    gap = {
        "method": 0.05, "reference": 0.15, "difference": -0.10, "difference_ci": [-0.2, -0.01],
        "relative": -0.67, "relative_ci": None,
    }  # fmt: skip
    comparisons = {"erm": {g: gap for g in task.gaps}}
    comparisons["erm"][task.headline] = {**gap, "difference_ci": [-0.01, 0.02]}
    text = verdict("fair", comparisons, task, "erm", None)
    assert "cuts the gap" in text and "95 % CI of the difference -0.200 to -0.010" in text and "n/a" not in text


def test_segmentation_and_relabelled_groups_give_the_same_intervals():
    task = SegmentationTask()
    rng = np.random.default_rng(0)
    groups = torch.tensor(np.arange(200) % 2)
    a = {"dice": torch.tensor(np.clip(rng.normal(0.85 - 0.1 * groups.numpy(), 0.05), 0, 1))}
    b = {"dice": torch.tensor(np.clip(rng.normal(0.85 - 0.02 * groups.numpy(), 0.05), 0, 1))}
    plain = paired_bootstrap(task, a, b, groups, "dice_gap", n_resamples=200)
    relabelled = paired_bootstrap(task, a, b, groups * 4 + 3, "dice_gap", n_resamples=200)  # ids {3, 7}
    assert plain["difference_ci"] == pytest.approx(relabelled["difference_ci"], abs=1e-12)
    assert plain["difference_ci"][1] < 0


def test_resampled_seeds_cover_training_noise_that_test_cases_alone_do_not():
    """One unlucky training run (seed 0 of ``a`` has a planted gap) makes ``a``'s seed mean differ from ``b``'s: over
    test cases alone the difference excludes zero; once the seeds are drawn too, a third of the resamples leave that
    run out and the interval reaches zero."""
    task = ClassificationTask()
    a = [_model(1500, s, p)[0] for s, p in ((0, 0.35), (1, 0.05), (2, 0.05))]
    b = [_model(1500, s, 0.05)[0] for s in (3, 4, 5)]
    _, groups = _model(1500, 0, 0.0)
    cases_only = StudyStatistics(task, {"a": a, "b": b}, groups, ["auc_gap"], 400, seed=1)
    with_seeds = StudyStatistics(task, {"a": a, "b": b}, groups, ["auc_gap"], 400, seed=1, resample_seeds=True)
    assert cases_only.value("a", "auc_gap") == with_seeds.value("a", "auc_gap")  # the point values are the same
    low, _ = cases_only.difference("a", "b", "auc_gap")["difference_ci"]
    assert low > 0
    low, high = with_seeds.difference("a", "b", "auc_gap")["difference_ci"]
    assert low <= 0.01 < high  # the run without the gap: a resample that draws only seeds 1 and 2 of a


def test_resampled_seeds_keep_methods_paired_and_equal_seeds_unchanged():
    task = ClassificationTask()
    runs = [_model(300, s, p)[0] for s, p in ((0, 0.35), (1, 0.0), (2, 0.2))]
    _, groups = _model(300, 0, 0.0)
    stats = StudyStatistics(task, {"a": runs, "b": list(runs)}, groups, ["auc_gap"], 200, resample_seeds=True)
    assert stats.difference("a", "b", "auc_gap")["difference_ci"] == [0.0, 0.0]  # same seed positions for both
    same = [runs[0]] * 3  # three identical runs: drawing seeds changes nothing
    plain = StudyStatistics(task, {"a": same}, groups, ["auc_gap"], 200, seed=3)
    drawn = StudyStatistics(task, {"a": same}, groups, ["auc_gap"], 200, seed=3, resample_seeds=True)
    np.testing.assert_allclose(drawn.interval("a", "auc_gap"), plain.interval("a", "auc_gap"), rtol=1e-12)


def test_resampled_seeds_need_the_same_seed_count_for_every_method():
    task = ClassificationTask()
    a, groups = _model(90, 0, 0.3)
    with pytest.raises(ValueError, match=r"resample_seeds expected the same number of seeds.*'a': 2, 'b': 1"):
        StudyStatistics(task, {"a": [a, a], "b": [a]}, groups, ["auc"], 10, resample_seeds=True)
