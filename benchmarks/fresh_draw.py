# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""A larger fresh draw of a demo-data generator, every case in its test split, for efficacy benchmarks whose default
test split is too small to tell a method's effect from noise."""

from __future__ import annotations

import json
import os
from collections.abc import Callable


def fresh_eval_set(path: str, make: Callable[..., object], n_cases: int, seed: int = 1000) -> str:
    """Draw ``n_cases`` with ``make(path, n_cases=n_cases, seed=seed)`` once and put every case into the test split
    (the training split stays as drawn, e.g. for a leakage probe; nothing trains on it). Returns ``path``."""
    datalist = os.path.join(path, "datalist.json")
    if not os.path.isfile(datalist):
        make(path, n_cases=n_cases, seed=seed)
        with open(datalist) as f:
            data = json.load(f)
        data["test"] = data["training"] + data["validation"] + data["test"]  # only the test split is evaluated
        with open(datalist, "w") as f:
            json.dump(data, f)
    return path
