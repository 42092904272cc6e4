# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Side-by-side performance comparisons; ``python -m benchmarks.run`` prints their ratios as JSON."""
