# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Task objects: what a predictions CSV holds, how a task's metrics, gaps and intervals are computed.

``get_task("classification", threshold=0.5)`` / ``get_task("segmentation")``; ``TASKS`` lists the names (the
datalist's ``task`` field must be one of them). Add a task by subclassing :class:`FairnessTask` in one new file and
registering it in ``_REGISTRY``.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from .base import FairnessTask, PredictionsError, TaskResult
from .classification import ClassificationTask, score_columns
from .segmentation import SegmentationTask

__all__ = [
    "TASKS",
    "FairnessTask",
    "ClassificationTask",
    "SegmentationTask",
    "PredictionsError",
    "TaskResult",
    "get_task",
    "task_from_columns",
    "score_columns",
]

_REGISTRY: dict[str, type[FairnessTask]] = {"classification": ClassificationTask, "segmentation": SegmentationTask}
TASKS: tuple[str, ...] = tuple(_REGISTRY)


def get_task(task: str | FairnessTask, **kwargs: Any) -> FairnessTask:
    """The task object for a name (keyword arguments go to its constructor); a task object is returned as is.

    Raises:
        ValueError: When the name is not a known task (the message lists them).
    """
    if isinstance(task, FairnessTask):
        return task
    if task not in _REGISTRY:
        raise ValueError(f"'task' expected one of {list(TASKS)} but got {task!r}.")
    cls = _REGISTRY[task]
    accepted = inspect.signature(cls).parameters  # settings of other tasks (e.g. threshold) are ignored
    return cls(**{k: v for k, v in kwargs.items() if k in accepted})


def task_from_columns(columns: Sequence[str]) -> str:
    """The task a predictions CSV's columns belong to (segmentation when there is a ``dice`` column)."""
    for name, cls in reversed(_REGISTRY.items()):
        if cls.matches_columns(columns):
            return name
    return "classification"
