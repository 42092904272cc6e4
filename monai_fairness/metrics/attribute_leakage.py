# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""How much of the sensitive attribute a segmentor's latent still carries (APPLE's leakage measure)."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from monai_fairness.utils.enums import FairnessKeys

__all__ = [
    "collect_pooled_latents",
    "fit_attribute_probe",
    "fit_attribute_discriminator",
    "attribute_accuracy",
    "measure_attribute_leakage",
]


def collect_pooled_latents(
    network: nn.Module,
    loader: Iterable[Mapping[str, Any]],
    device: torch.device | str,
    inferer: Callable[..., Any] | None = None,
    group_key: str = FairnessKeys.GROUP,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pooled original and perturbed latents of every image, and its group.

    ``network`` is an :class:`~monai_fairness.networks.APPLESegmentor`; it runs in eval mode under ``no_grad``
    through ``inferer`` (default: a plain call). With a sliding-window inferer the loader must yield one image per
    batch; the image's latent is the mean of its windows' pooled latents.

    Returns:
        ``(f_o, f_p, groups)``: ``(N, C)``, ``(N, C)``, ``(N,)`` on the CPU.
    """
    was_training = network.training
    network.eval()
    originals, perturbed, groups = [], [], []
    try:
        with torch.no_grad(), network.record_pooled() as records:  # type: ignore[operator]
            for batch in loader:
                if batch.get(group_key) is None:
                    raise ValueError(
                        f"attribute leakage expected '{group_key}' in every batch but got keys {sorted(batch)}."
                    )
                images = batch[FairnessKeys.IMAGE].to(device)
                records.clear()
                (inferer or (lambda x, net: net(x)))(images, network)
                rows_o = torch.cat([r[0] for r in records])
                rows_p = torch.cat([r[1] for r in records])
                if images.shape[0] == 1:
                    rows_o, rows_p = rows_o.mean(0, keepdim=True), rows_p.mean(0, keepdim=True)
                elif rows_o.shape[0] != images.shape[0]:
                    raise ValueError(
                        f"loader expected batch size 1 with a windowed inferer but got {images.shape[0]} images and "
                        f"{rows_o.shape[0]} latents."
                    )
                originals.append(rows_o.cpu())
                perturbed.append(rows_p.cpu())
                groups.append(torch.as_tensor(batch[group_key]).long().reshape(-1).cpu())
    finally:
        network.train(was_training)
    return torch.cat(originals), torch.cat(perturbed), torch.cat(groups)


def fit_attribute_probe(
    features: torch.Tensor, groups: torch.Tensor, num_groups: int, steps: int = 500, lr: float = 0.05, seed: int = 0
) -> Callable[[torch.Tensor], torch.Tensor]:
    """A fresh linear probe (standardised features, class-balanced cross-entropy, L2 1e-3, full-batch Adam).

    Args: features ``(N, C)``, groups ``(N,)``. Returns ``predict(features (M, C)) -> logits (M, K)``.
    """
    x = features.double()
    mean, std = x.mean(0), x.std(0).clamp_min(1e-8)
    z = (x - mean) / std
    counts = torch.bincount(groups, minlength=num_groups).double().clamp_min(1)
    weight = counts.sum() / (num_groups * counts)
    generator = torch.Generator().manual_seed(seed)
    linear = nn.Linear(z.shape[1], num_groups).double()
    with torch.no_grad():
        linear.weight.copy_(torch.randn(linear.weight.shape, generator=generator, dtype=torch.double) * 0.01)
        linear.bias.zero_()
    optimizer = torch.optim.Adam(linear.parameters(), lr=lr, weight_decay=1e-3)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(linear(z), groups, weight=weight).backward()
        optimizer.step()
    linear.requires_grad_(False)
    return lambda f: linear((f.double() - mean) / std)


def fit_attribute_discriminator(
    template: nn.Module,
    features: torch.Tensor,
    groups: torch.Tensor,
    num_groups: int,
    steps: int = 500,
    lr: float = 1e-3,
    seed: int = 0,
) -> nn.Module:
    """A fresh copy of ``template`` (e.g. APPLE's discriminator), re-initialised and fitted to frozen pooled latents.

    The honest "how much does this architecture read" measure: APPLE's own D_p was trained against a moving perturber
    (which can fool it) and never on ``f_o``; this one is fitted to convergence on fixed latents (class-balanced
    cross-entropy, full-batch Adam), on the CPU.

    Args: template: a module mapping ``(N, C)`` to ``(N, K)`` logits; features ``(N, C)``; groups ``(N,)``.
    Returns the fitted copy in eval mode.
    """
    model = copy.deepcopy(template).cpu().float()
    with torch.random.fork_rng(devices=[]):  # seeded re-initialisation without touching the caller's RNG state
        torch.manual_seed(seed)
        for module in model.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
    counts = torch.bincount(groups, minlength=num_groups).float().clamp_min(1)
    weight = counts.sum() / (num_groups * counts)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    x = features.float()
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), groups, weight=weight).backward()
        optimizer.step()
    return model.eval().requires_grad_(False)


def attribute_accuracy(logits: torch.Tensor, groups: torch.Tensor, num_groups: int) -> dict[str, float]:
    """``accuracy`` and ``balanced_accuracy`` (mean per-group recall; chance = 1/K) of attribute predictions."""
    pred = logits.argmax(1)
    recalls = [float((pred[groups == k] == k).double().mean()) for k in range(num_groups) if (groups == k).any()]
    return {"accuracy": float((pred == groups).double().mean()), "balanced_accuracy": float(np.mean(recalls))}


def measure_attribute_leakage(
    network: nn.Module,
    train_loader: Iterable[Mapping[str, Any]],
    eval_loader: Iterable[Mapping[str, Any]],
    device: torch.device | str,
    num_groups: int,
    discriminator: nn.Module | None = None,
    inferer: Callable[..., Any] | None = None,
    output_path: str | None = None,
    seed: int = 0,
    discriminator_path: str | None = None,
) -> dict[str, Any]:
    """Attribute recoverability from the latent before (``f_o``) and after (``f_p``) APPLE's perturbation.

    - ``probe``: a fresh linear probe fitted on the training split's pooled latents, scored on ``eval_loader``
      (the honest measure: the perturber never saw it);
    - ``discriminator`` (when given): the trained D_p scored on the same latents: ``after`` is what APPLE reports
      (the adversary the perturber was trained against, which it may have fooled); ``before`` applies that same D_p,
      never fitted to ``f_o``, to ``f_o``, so it is no measure of the unperturbed latent;
    - ``refitted_discriminator`` (when given): a fresh copy of D_p's architecture fitted on the training split's
      ``f_o`` (``before``) and another on its ``f_p`` (``after``), each scored on ``eval_loader``: the like-for-like
      comparison of what that architecture reads (:func:`fit_attribute_discriminator`).

    Balanced accuracy has chance ``1/K``; plain accuracy has chance = the majority group's share (reported).
    ``discriminator_path``: a state_dict loaded into ``discriminator`` first (``weights_only=True``).
    Writes JSON to ``output_path`` when given; returns the dictionary.
    """
    if discriminator is not None and discriminator_path is not None:
        if not os.path.isfile(discriminator_path):
            raise FileNotFoundError(
                f"discriminator expected at {discriminator_path!r} but the file does not exist; run train_apple first."
            )
        discriminator.load_state_dict(torch.load(discriminator_path, map_location="cpu", weights_only=True))
    train_o, train_p, train_g = collect_pooled_latents(network, train_loader, device, inferer)
    eval_o, eval_p, eval_g = collect_pooled_latents(network, eval_loader, device, inferer)
    counts = torch.bincount(eval_g, minlength=num_groups)
    probe_before = fit_attribute_probe(train_o, train_g, num_groups, seed=seed)
    probe_after = fit_attribute_probe(train_p, train_g, num_groups, seed=seed)
    norm_ratio = (eval_p - eval_o).norm(dim=1) / eval_o.norm(dim=1).clamp_min(1e-8)
    result: dict[str, Any] = {
        "num_eval": int(eval_g.numel()),
        "num_train": int(train_g.numel()),
        "chance_balanced_accuracy": 1.0 / num_groups,
        "majority_share": float(counts.max() / counts.sum()),
        "probe": {
            "before": attribute_accuracy(probe_before(eval_o), eval_g, num_groups),
            "after": attribute_accuracy(probe_after(eval_p), eval_g, num_groups),
        },
        "mean_perturbation_norm_ratio": float(norm_ratio.mean()),
    }
    if discriminator is not None:
        was_training = discriminator.training
        discriminator.eval()
        with torch.no_grad():
            d = discriminator.to("cpu")  # the pooled latents were collected on the CPU
            result["discriminator"] = {
                "before": attribute_accuracy(d(eval_o), eval_g, num_groups),
                "after": attribute_accuracy(d(eval_p), eval_g, num_groups),
            }
        discriminator.train(was_training)
        refit_before = fit_attribute_discriminator(discriminator, train_o, train_g, num_groups, seed=seed)
        refit_after = fit_attribute_discriminator(discriminator, train_p, train_g, num_groups, seed=seed)
        with torch.no_grad():
            result["refitted_discriminator"] = {
                "before": attribute_accuracy(refit_before(eval_o), eval_g, num_groups),
                "after": attribute_accuracy(refit_after(eval_p), eval_g, num_groups),
            }
    if output_path:
        os.makedirs(os.path.dirname(os.path.abspath(output_path)), exist_ok=True)
        with open(output_path, "w") as f:
            json.dump(result, f, indent=2)
    return result
