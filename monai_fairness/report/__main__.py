# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""``python -m monai_fairness.report --predictions P.csv``: per-group summary of a predictions CSV."""

from __future__ import annotations

import sys

from monai_fairness.report.summary import main

if __name__ == "__main__":
    sys.exit(main())
