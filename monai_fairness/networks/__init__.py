# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Networks and network wrappers: FairDi's frozen per-group teacher set."""

from __future__ import annotations

from .teacher_set import FrozenTeacherSet, TeacherRouting

__all__ = ["FrozenTeacherSet", "TeacherRouting"]
