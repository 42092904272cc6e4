# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

from .summary import format_summary, summarize_predictions

__all__ = ["format_summary", "summarize_predictions"]
