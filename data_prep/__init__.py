# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Dataset converters and the planted-bias demo-data generator (run from the repository root with ``python -m``)."""
