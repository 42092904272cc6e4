# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Pruning plan JSON: how to rebuild a physically pruned network from ``network_def`` and a plain state_dict.

Torch-Pruning saves whole pickled modules, which ``weights_only=True`` loading (MONAI's ``CheckpointLoader``) refuses.
A bundle instead ships ``models/pruning_plan.json`` (the example input shape and Torch-Pruning's own pruning history:
``[module name, is out-channel pruning, channel indices]`` entries, replayed in order) next to a plain pruned
state_dict in ``models/model.pt``; ``network_def`` is :func:`apply_pruning_plan` around the base MONAI network, so
``CheckpointLoader``, ``verify_net_in_out``, ``ckpt_export`` and MONAI Label keep working.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn as nn

from monai_fairness.pruning.coupling import ChannelCoupling, build_dependency_graph, require_torch_pruning

__all__ = ["PLAN_FORMAT", "prune_physically", "apply_pruning_plan", "save_pruning_plan", "load_pruning_plan"]

PLAN_FORMAT = "monai_fairness.pruning_plan/1"


def prune_physically(
    network: nn.Module, target_layer: str | None, channels: Sequence[int], example_inputs: torch.Tensor
) -> dict[str, Any]:
    """Remove ``channels`` of ``target_layer`` from ``network`` in place; return the plan that replays it.

    Every coupled slice goes (the producers' filters, biases and norm affines, the consumers' input columns), so the
    result computes what the :class:`~monai_fairness.pruning.masks.ChannelMask`-ed network computes.
    """
    coupling = ChannelCoupling(network, target_layer, example_inputs)
    group = coupling.group(channels)
    if not coupling.graph.check_pruning_group(group):
        raise ValueError(
            f"channels: pruning {len(channels)} of {coupling.num_channels} channels of {coupling.target_layer!r} "
            "would leave a layer without channels."
        )
    group.prune()
    return {
        "format": PLAN_FORMAT,
        "target_layer": coupling.target_layer,
        "channels": sorted(int(c) for c in channels),
        "num_channels_before": coupling.num_channels,
        "input_shape": list(example_inputs.shape),
        "history": [[str(n), bool(o), [int(i) for i in idxs]] for n, o, idxs in coupling.graph.pruning_history()],
    }


def save_pruning_plan(plan: Mapping[str, Any], path: str) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(dict(plan), f, indent=1)
    return path


def load_pruning_plan(plan: Mapping[str, Any] | str) -> dict[str, Any]:
    """Read and check a plan (dict or JSON path)."""
    if isinstance(plan, str):
        if not os.path.exists(plan):
            raise FileNotFoundError(
                f"pruning plan {plan!r} does not exist; it is written by the bundle's prune_finetune stage."
            )
        with open(plan) as f:
            plan = json.load(f)
    if plan.get("format") != PLAN_FORMAT:
        raise ValueError(f"pruning plan: format expected {PLAN_FORMAT!r} but got {plan.get('format')!r}.")
    return dict(plan)


def apply_pruning_plan(network: nn.Module, plan: Mapping[str, Any] | str | None) -> nn.Module:
    """``network`` (the un-pruned ``network_def``) with the plan's channels removed, in place; ``None``: unchanged.

    Use as ``network_def``: ``{"_target_": "monai_fairness.pruning.apply_pruning_plan", "network": {...base...},
    "plan": "$@bundle_root + '/models/pruning_plan.json'"}``, then load the plain pruned state_dict into it.
    """
    if plan is None:
        return network
    require_torch_pruning()
    plan = load_pruning_plan(plan)
    device = next(network.parameters()).device
    example = torch.zeros(plan["input_shape"], device=device)
    graph = build_dependency_graph(network, example)
    graph.load_pruning_history([[n, o, list(idxs)] for n, o, idxs in plan["history"]])
    return network
