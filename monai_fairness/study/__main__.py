# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

import sys

from monai_fairness.study.cli import main

sys.exit(main())
