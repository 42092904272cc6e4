# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""``python -m monai_fairness.report --predictions P.csv --out DIR [--baseline B.json] [--task ...]``."""

from __future__ import annotations

import sys

from monai_fairness.report.cli import main

if __name__ == "__main__":
    sys.exit(main())
