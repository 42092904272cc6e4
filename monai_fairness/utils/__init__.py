# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

from .enums import ESVariant, FairnessKeys, PSDVariant, UnknownPolicy

__all__ = ["ESVariant", "FairnessKeys", "PSDVariant", "UnknownPolicy"]
