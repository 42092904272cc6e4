# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Debiased Sinkhorn divergence between two uniform point clouds (the distance FIS puts between loss sets)."""

from __future__ import annotations

import math

import torch

__all__ = ["sinkhorn_divergence"]


def _as_points(x: torch.Tensor, name: str) -> torch.Tensor:
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name} expected a non-empty tensor of shape (N,) or (N, D) but got shape {tuple(x.shape)}.")
    return x.to(torch.float64)


def _cost(x: torch.Tensor, y: torch.Tensor, p: int) -> torch.Tensor:
    """geomloss's ground cost: ``|x - y|^p / p`` (so ``p = 2`` is half the squared distance)."""
    return torch.cdist(x, y, p=2) ** p / p


def _softmin(eps: float, cost: torch.Tensor, log_w: torch.Tensor, pot: torch.Tensor) -> torch.Tensor:
    """``-eps * logsumexp_j(log w_j + (pot_j - C_ij) / eps)``, row-wise."""
    return -eps * torch.logsumexp(log_w[None, :] + (pot[None, :] - cost) / eps, dim=1)


def sinkhorn_divergence(
    x: torch.Tensor, y: torch.Tensor, p: int = 2, blur: float = 0.1, scaling: float = 0.9, n_final_iters: int = 50
) -> torch.Tensor:
    """Debiased entropic OT divergence ``S_eps(a, b) = OT_eps(a, b) - OT_eps(a, a) / 2 - OT_eps(b, b) / 2``.

    The same quantity as geomloss ``SamplesLoss("sinkhorn", p=p, blur=blur, debias=True)`` with uniform weights:
    entropic regularisation ``eps = blur ** p``, ground cost ``|x - y|^p / p``. The Sinkhorn iterations run in the log
    domain with eps-annealing from the point clouds' diameter down to ``blur ** p`` (factor ``scaling`` per step), then
    ``n_final_iters`` more at the final eps, so the value is converged rather than geomloss's few-step estimate.
    Computed in float64 without gradient tracking of the potentials (FIS uses it only for weights).

    Used by :class:`~monai_fairness.losses.FairIdentityScalingLoss` (Luo et al., "FairVision", ICLR 2024, via FairDi,
    Masroor et al., arXiv 2411.11939).

    Args:
        x: samples of the first distribution, shape ``(N,)`` or ``(N, D)``.
        y: samples of the second distribution, shape ``(M,)`` or ``(M, D)``.
        p: exponent of the ground cost (1 or 2).
        blur: target blur; ``eps = blur ** p``.
        scaling: eps-annealing factor in (0, 1).
        n_final_iters: Sinkhorn iterations at the final eps.

    Returns:
        0-dim float64 tensor, non-negative up to rounding.

    Raises:
        ValueError: When a sample set is empty or badly shaped, or an option is out of range.
    """
    if p not in (1, 2):
        raise ValueError(f"p expected 1 or 2 but got {p!r}.")
    if blur <= 0 or not 0 < scaling < 1:
        raise ValueError(f"blur expected > 0 and scaling in (0, 1) but got blur={blur!r}, scaling={scaling!r}.")
    with torch.no_grad():
        xs, ys = _as_points(x, "x"), _as_points(y, "y")
        if xs.shape[1] != ys.shape[1]:
            raise ValueError(f"x and y expected the same feature size but got {xs.shape[1]} and {ys.shape[1]}.")
        log_a = torch.full((xs.shape[0],), -math.log(xs.shape[0]), dtype=torch.float64, device=xs.device)
        log_b = torch.full((ys.shape[0],), -math.log(ys.shape[0]), dtype=torch.float64, device=ys.device)
        c_xy = _cost(xs, ys, p)
        c_yx = c_xy.T  # the cost is symmetric: no second distance matrix
        c_xx, c_yy = _cost(xs, xs, p), _cost(ys, ys, p)
        both = torch.cat([xs, ys])
        diameter = float((both.max(0).values - both.min(0).values).norm())
        eps_final = blur**p
        eps_list = []
        eps = max(diameter**p, eps_final)
        while eps > eps_final:
            eps_list.append(eps)
            eps *= scaling
        eps_list += [eps_final] * n_final_iters
        f = torch.zeros_like(log_a)  # potential on x (x -> y)
        g = torch.zeros_like(log_b)  # potential on y (y -> x)
        fa = torch.zeros_like(log_a)  # symmetric potential of OT(a, a)
        gb = torch.zeros_like(log_b)  # symmetric potential of OT(b, b)
        for eps in eps_list:  # symmetric (averaged) updates, as geomloss does
            f_new = _softmin(eps, c_xy, log_b, g)
            g_new = _softmin(eps, c_yx, log_a, f)
            fa_new = _softmin(eps, c_xx, log_a, fa)
            gb_new = _softmin(eps, c_yy, log_b, gb)
            f, g = 0.5 * (f + f_new), 0.5 * (g + g_new)
            fa, gb = 0.5 * (fa + fa_new), 0.5 * (gb + gb_new)
        # final extrapolation (one full, unaveraged step)
        f, g = _softmin(eps_final, c_xy, log_b, g), _softmin(eps_final, c_yx, log_a, f)
        fa, gb = _softmin(eps_final, c_xx, log_a, fa), _softmin(eps_final, c_yy, log_b, gb)
        return (log_a.exp() * (f - fa)).sum() + (log_b.exp() * (g - gb)).sum()
