# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Train only a network's head on a frozen backbone (FairDi's per-group teacher heads, paper-shaped variant)."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

__all__ = ["train_head_only"]


def train_head_only(network: nn.Module, head_layers: Sequence[str]) -> list[nn.Parameter]:
    """Freeze every part of ``network`` but the modules named in ``head_layers``; return the head's parameters.

    The frozen backbone gets no gradient (``requires_grad`` False) and stays in eval mode even while the trainer
    puts the network in train mode (a forward pre-hook switches it back before every forward), so its BatchNorm
    statistics never move and the head trains on the features the backbone will give at inference. The network's
    ``state_dict`` keys are unchanged, so the checkpoint loads into ``network_def`` like any other.

    FairDi teachers "as per-group heads fine-tuned on a frozen FIS backbone" is how a public third-party
    reimplementation reads Masroor et al., arXiv 2411.11939 (not the authors' code; ``docs/methods.md``). Neither
    MONAI nor ignite has a head-only fine-tuning switch, hence this helper.

    Args:
        network: the network, e.g. MONAI's ResNet (head ``fc``) or UNet (last up block ``model.2``).
        head_layers: names of the submodules to train, as in ``network.named_modules()``.

    Returns:
        The trainable parameters, for the optimizer's ``params``.

    Raises:
        ValueError: When ``head_layers`` is empty, names a module that does not exist (the error lists the top-level
            and second-level module names), or covers the whole network.
    """
    if isinstance(head_layers, str) or not head_layers:
        raise ValueError(f"head_layers expected a non-empty list of module names but got {head_layers!r}.")
    modules = dict(network.named_modules())
    missing = [name for name in head_layers if name not in modules or not name]
    if missing:
        valid = [n for n in modules if n and n.count(".") <= 1]
        raise ValueError(
            f"head_layers expected names of modules of {type(network).__name__} but {missing} do not exist; valid "
            f"names include: {', '.join(valid[:40])}{' ...' if len(valid) > 40 else ''}."
        )
    head_modules = [modules[name] for name in head_layers]
    head_params = {id(p) for m in head_modules for p in m.parameters()}
    for p in network.parameters():
        p.requires_grad_(id(p) in head_params)
    head_module_ids = {id(sub) for m in head_modules for sub in m.modules()}
    frozen = [m for m in network.modules() if id(m) not in head_module_ids and not any(True for _ in m.children())]
    if not head_params or len(head_params) == sum(1 for _ in network.parameters()):
        raise ValueError(
            f"head_layers {list(head_layers)} expected to name a part of the network with parameters, not all or none "
            "of it."
        )

    def _keep_backbone_in_eval(module: nn.Module, args: tuple) -> None:
        for m in frozen:
            m.train(False)

    network.register_forward_pre_hook(_keep_backbone_in_eval)
    return [p for p in network.parameters() if p.requires_grad]
