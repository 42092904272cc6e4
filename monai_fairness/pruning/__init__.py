# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""SCP: sensitive-channel pruning (Kong et al., MICCAI 2024, arXiv 2405.08681).

- :mod:`~monai_fairness.pruning.snnl`: Soft Nearest Neighbour Loss, official and Frosst variants, all channels at once.
- :mod:`~monai_fairness.pruning.importance`: per-channel scores over a calibration loader (forward hook, eval mode).
- :mod:`~monai_fairness.pruning.coupling` / :mod:`~monai_fairness.pruning.masks`: reversible masks silencing every
  coupled slice of a channel (Torch-Pruning's dependency graph).
- :mod:`~monai_fairness.pruning.pruner`: choose and mask the lowest-scoring channels; export a physically pruned copy.
- :mod:`~monai_fairness.pruning.plan`: pruning plan JSON and the ``network_def`` factory that replays it.
- :mod:`~monai_fairness.pruning.iterative`: prune -> fine-tune iterations with a stop rule.
"""

from __future__ import annotations

from .coupling import ChannelCoupling, ParamSlice, build_dependency_graph
from .importance import SNNLImportance, capture_output, score_channels
from .iterative import IterativeChannelPruning, StopRule, selected_iteration
from .layers import conv_layer_names, default_target_layer, is_residual_block, look_up_target_layer
from .masks import ChannelMask
from .plan import PLAN_FORMAT, apply_pruning_plan, load_pruning_plan, prune_physically, save_pruning_plan
from .pruner import SNNLChannelPruner, select_lowest
from .scores_io import plot_channel_scores, write_channel_scores
from .snnl import SNNLDistance, SNNLVariant, channel_snnl, channel_snnl_loop, soft_nearest_neighbour_loss

__all__ = [
    "ChannelCoupling",
    "ChannelMask",
    "IterativeChannelPruning",
    "PLAN_FORMAT",
    "ParamSlice",
    "SNNLChannelPruner",
    "SNNLDistance",
    "SNNLImportance",
    "SNNLVariant",
    "StopRule",
    "apply_pruning_plan",
    "build_dependency_graph",
    "capture_output",
    "channel_snnl",
    "channel_snnl_loop",
    "conv_layer_names",
    "default_target_layer",
    "is_residual_block",
    "load_pruning_plan",
    "plot_channel_scores",
    "look_up_target_layer",
    "prune_physically",
    "save_pruning_plan",
    "score_channels",
    "select_lowest",
    "selected_iteration",
    "soft_nearest_neighbour_loss",
    "write_channel_scores",
]
