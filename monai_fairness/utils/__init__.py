# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

from .enums import FairnessKeys, UnknownPolicy

__all__ = ["FairnessKeys", "UnknownPolicy"]
