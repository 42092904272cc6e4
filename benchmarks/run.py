# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Run the benchmarks and print one JSON document of side-by-side ratios.

python -m benchmarks.run                      # all
python -m benchmarks.run --only cache_dataset --data-dir data/demo
python -m benchmarks.run --only data_pipeline          # the real-size data pipeline, about 5 minutes
python -m benchmarks.run --only fairdi_step
python -m benchmarks.run --only scp_snnl --only scp_pruned_vs_masked
python -m benchmarks.run --only apple_latency
python -m benchmarks.run --only study_bootstrap

Efficacy runs that train every method are separate: python -m benchmarks.efficacy_study --help (the study command on
the demo data, evaluated on a large fresh draw, 3 seeds); so is the GPU check: python -m benchmarks.gpu_check
(bash benchmarks/gpu_check.sh on a GPU machine without internet).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys

import torch

from benchmarks import (
    apple_latency,
    cache_dataset,
    data_pipeline,
    fairdi_step,
    report_metrics,
    scp_scores,
    study_bootstrap,
)
from monai_fairness.utils.environment import environment_summary

BENCHMARKS = {
    "apple_latency": lambda data_dir: apple_latency.run(),
    "cache_dataset": lambda data_dir: cache_dataset.run(data_dir),
    "data_pipeline": lambda data_dir: data_pipeline.run(),
    "report_metrics": lambda data_dir: report_metrics.run(),
    "fairdi_step": lambda data_dir: fairdi_step.run(),
    "scp_snnl": lambda data_dir: scp_scores.run_snnl(),
    "scp_pruned_vs_masked": lambda data_dir: scp_scores.run_pruned_vs_masked(),
    "study_bootstrap": lambda data_dir: study_bootstrap.run(),
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=os.path.join(cache_dataset.REPO_ROOT, "data", "demo"))
    p.add_argument("--only", choices=sorted(BENCHMARKS), action="append")
    args = p.parse_args(argv)
    names = args.only or sorted(BENCHMARKS)
    if "cache_dataset" in names and not os.path.isfile(os.path.join(args.data_dir, "derm", "datalist.json")):
        from monai_fairness.data.synthetic import make_skin_lesion_dataset

        make_skin_lesion_dataset(os.path.join(args.data_dir, "derm"), seed=0)
    results = {
        "machine": {
            "cpu_threads": torch.get_num_threads(),
            "python": platform.python_version(),
            "torch": torch.__version__,
        },
        "environment": environment_summary(),
        "results": [BENCHMARKS[name](args.data_dir) for name in names],
    }
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
