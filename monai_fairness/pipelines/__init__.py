# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Pipelines: run a method's bundle stages in order as ordinary ``python -m monai.bundle run`` commands."""

from __future__ import annotations

from .bundle_runner import bundle_command, run_bundle

__all__ = ["bundle_command", "run_bundle"]
