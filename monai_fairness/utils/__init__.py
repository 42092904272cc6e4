# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

from .enums import ESVariant, FairnessKeys, PSDVariant, UnknownPolicy
from .environment import KEY_PACKAGES, LOCK_FILE, environment_summary, lock_mismatches, read_lock

__all__ = [
    "ESVariant",
    "FairnessKeys",
    "PSDVariant",
    "UnknownPolicy",
    "KEY_PACKAGES",
    "LOCK_FILE",
    "environment_summary",
    "lock_mismatches",
    "read_lock",
]
