# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""SCP benchmarks: (a) all-channel SNNL in one batched computation vs the official per-channel loop (target: at least
50x faster, scores equal to 1e-5) at B = 128, C = 512, 14x14 (VGG-11's last conv at 224 px); (b) the physically
pruned ResNet-18 vs the full-size masked one: parameters and inference latency (64x64, batch 32, eval, no grad).

Both sides run in the same process, interleaved over several rounds; the best round of each is kept.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import torch
from monai.networks.nets import resnet18

from monai_fairness.pruning import SNNLChannelPruner, channel_snnl, channel_snnl_loop


def _best(fn, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run_snnl(batch: int = 128, channels: int = 512, size: int = 14, rounds: int = 3) -> dict[str, Any]:
    g = torch.Generator().manual_seed(0)
    act = torch.relu(torch.randn(batch, channels, size, size, generator=g))
    groups = (torch.rand(batch, generator=g) < 0.2).long()
    batched = channel_snnl(act, groups)
    loop = channel_snnl_loop(act, groups)
    t_batched = _best(lambda: channel_snnl(act, groups), rounds)
    t_loop = _best(lambda: channel_snnl_loop(act, groups), rounds)
    return {
        "benchmark": "scp_snnl_all_channels",
        "shape": [batch, channels, size, size],
        "batched_s": round(t_batched, 4),
        "per_channel_loop_s": round(t_loop, 4),
        "speedup": round(t_loop / t_batched, 1),
        "target_speedup": 50,
        "max_abs_score_difference": float((batched - loop).abs().max()),
        "scores_equal_to_1e-5": bool(torch.allclose(batched, loop, rtol=0, atol=1e-5)),
    }


def run_pruned_vs_masked(n_pruned: int = 128, batch: int = 32, size: int = 64, rounds: int = 20) -> dict[str, Any]:
    torch.manual_seed(0)
    net = resnet18(spatial_dims=2, n_input_channels=3, num_classes=2).eval()
    x = torch.randn(batch, 3, size, size)
    pruner = SNNLChannelPruner(net, x[:1])
    pruner.mask.set(list(range(0, 2 * n_pruned, 2)))
    pruned, _ = pruner.export()
    pruned.eval()
    masked = net
    with torch.no_grad():
        diff = float((pruned(x) - masked(x)).abs().max())
        for _ in range(3):
            masked(x), pruned(x)
        t_masked = t_pruned = float("inf")
        for _ in range(rounds):  # interleaved, best of each
            t_masked = min(t_masked, _best(lambda: masked(x), 1))
            t_pruned = min(t_pruned, _best(lambda: pruned(x), 1))
    n_masked = sum(p.numel() for p in masked.parameters())
    n_after = sum(p.numel() for p in pruned.parameters())
    scripted = torch.jit.script(copy.deepcopy(pruned))
    with torch.no_grad():
        ts_diff = float((scripted(x) - pruned(x)).abs().max())
    return {
        "benchmark": "scp_pruned_vs_masked",
        "network": "MONAI resnet18 2D, target layer4 (post-addition residual stream, 512 channels)",
        "channels_pruned": n_pruned,
        "input": [batch, 3, size, size],
        "params_masked": n_masked,
        "params_pruned": n_after,
        "params_ratio": round(n_after / n_masked, 4),
        "latency_masked_ms": round(1000 * t_masked, 2),
        "latency_pruned_ms": round(1000 * t_pruned, 2),
        "latency_ratio": round(t_pruned / t_masked, 3),
        "max_abs_logit_difference": diff,
        "torchscript_max_abs_difference": ts_diff,
    }
