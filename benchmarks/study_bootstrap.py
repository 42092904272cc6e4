# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Time of the study's paired bootstrap: 1,000 resamples x 3 seeds x 10,000 test cases, two methods, every metric.

python -m benchmarks.run --only study_bootstrap
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from monai_fairness.study import StudyStatistics
from monai_fairness.tasks import ClassificationTask


def run(n: int = 10_000, seeds: int = 3, n_resamples: int = 1000, methods: int = 2) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    groups = torch.tensor((np.arange(n) % 5 == 0).astype(np.int64))
    y = torch.tensor(rng.integers(0, 2, n))
    values = {
        f"m{m}": [
            {"y_score": torch.tensor(np.clip(rng.normal(0.3 + 0.4 * y.numpy(), 0.2), 0, 1)), "y_true": y}
            for _ in range(seeds)
        ]
        for m in range(methods)
    }
    task = ClassificationTask()
    start = time.perf_counter()
    stats = StudyStatistics(task, values, groups, n_resamples=n_resamples)
    resampled_s = time.perf_counter() - start
    start = time.perf_counter()
    for metric in stats.metrics:
        stats.difference("m1", "m0", metric)
    return {
        "name": "study_paired_bootstrap",
        "test_cases": n,
        "seeds": seeds,
        "resamples": n_resamples,
        "methods": methods,
        "metrics": len(stats.metrics),
        "resampling_s": resampled_s,
        "intervals_s": time.perf_counter() - start,
        "note": "every metric of the classification report for every method, seed and resample; vectorised over "
        "resamples (chunks of at most 20M indices)",
    }
