# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""APPLE's inference cost: segmentor + perturber vs the segmentor alone, and the perturber's share of parameters.

Targets (issue): latency at most 1.05x, perturber at most 5 % of the segmentor's parameters. Uses the bundle's own
``network_def`` (``bundles/apple_ct_segmentation/configs/inference.json``) with a non-zero perturber, eval mode,
no grad, sliding-window inference over a whole volume as the bundle runs it; both are timed alternately in one run
(best of ``rounds``; also the median of the per-round ratios, the steadier of the two, since 2-core CPU timings vary
by several percent from round to round), on CUDA when present.
"""

from __future__ import annotations

import os
import time
from typing import Any

import torch
from monai.bundle import ConfigParser
from monai.inferers import SlidingWindowInferer

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(REPO_ROOT, "bundles", "apple_ct_segmentation", "configs", "inference.json")


def run(volume: int = 96, rounds: int = 100, roi_size: list[int] | None = None) -> dict[str, Any]:
    parser = ConfigParser()
    parser.read_config(CONFIG)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    apple = parser.get_parsed_content("network_def").to(device).eval()
    torch.nn.init.normal_(apple.perturber.out.weight, std=0.1)  # a trained perturber is not the zero start
    roi = roi_size or parser.get_parsed_content("roi_size")
    inferer = SlidingWindowInferer(roi_size=roi, sw_batch_size=4, overlap=0.25)
    x = torch.rand(1, 1, volume, volume, volume, device=device)

    def plain() -> torch.Tensor:
        with apple.bypass():
            return inferer(x, apple)

    def with_apple() -> torch.Tensor:
        return inferer(x, apple)

    best = {"segmentor": float("inf"), "segmentor_apple": float("inf")}
    pair_ratios = []
    with torch.no_grad():
        plain(), with_apple()  # warm-up
        for _ in range(rounds):
            for name, fn in (("segmentor", plain), ("segmentor_apple", with_apple)):
                if device.type == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
                fn()
                if device.type == "cuda":
                    torch.cuda.synchronize()
                elapsed = time.perf_counter() - start
                best[name] = min(best[name], elapsed)
                if name == "segmentor":
                    plain_time = elapsed
                else:
                    pair_ratios.append(elapsed / plain_time)
    seg_params = sum(p.numel() for p in apple.segmentor.parameters())
    pert_params = sum(p.numel() for p in apple.perturber.parameters())
    ratio = best["segmentor_apple"] / best["segmentor"]
    share = pert_params / seg_params
    median_ratio = float(torch.tensor(pair_ratios).median())
    return {
        "benchmark": "apple_latency",
        "device": str(device),
        "input": [1, 1, volume, volume, volume],
        "roi_size": roi,
        "seconds": {k: round(v, 4) for k, v in best.items()},
        "latency_ratio": round(ratio, 3),
        "median_pair_ratio": round(median_ratio, 3),
        "params": {"segmentor": seg_params, "perturber": pert_params, "share": round(share, 4)},
        "targets": {
            "latency_ratio_at_most_1.05": ratio <= 1.05,
            "median_pair_ratio_at_most_1.05": median_ratio <= 1.05,
            "perturber_share_at_most_0.05": share <= 0.05,
        },
    }
