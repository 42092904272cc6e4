# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Soft Nearest Neighbour Loss (SNNL) against the sensitive attribute, for one or all channels of a layer at once.

SCP (Kong et al., "Achieving Fairness Through Channel Pruning for Dermatological Disease Diagnosis", MICCAI 2024,
arXiv 2405.08681) scores each channel of a layer by the SNNL of its flattened activation maps with respect to the
sensitive group: a *low* score means samples of the same group are each other's nearest neighbours in that channel,
i.e. the channel encodes the attribute, and the lowest-scoring channels are pruned (``docs/methods.md``, SCP).

Two variants:

- ``official`` (SCP code, the default): cosine distance ``1 - cos``, temperature 1, **the sample's own term counted in
  the numerator** (it adds ``exp(0) = 1``), the denominator without it, ``-mean_i log((num_i + eps) / den_i)``;
- ``frosst`` (Frosst, Papernot & Hinton, ICML 2019): the same without the self term in the numerator,
  ``-mean_i log((num_i + eps) / (den_i + eps))``; the original paper uses squared Euclidean distance.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from monai.utils import StrEnum, look_up_option

__all__ = ["SNNLVariant", "SNNLDistance", "soft_nearest_neighbour_loss", "channel_snnl", "channel_snnl_loop"]


class SNNLVariant(StrEnum):
    OFFICIAL = "official"
    FROSST = "frosst"


class SNNLDistance(StrEnum):
    COSINE = "cosine"
    SQUARED_EUCLIDEAN = "squared_euclidean"
    EUCLIDEAN = "euclidean"


def _kernel(x: torch.Tensor, distance: str, temperature: float, normalized: bool = False) -> torch.Tensor:
    """``exp(-d(x_i, x_j) / T)``: ``(..., B, D) -> (..., B, B)``; a zero vector has cosine 0 (distance 1), never NaN.

    ``normalized``: ``x`` already has unit rows (cosine only), skip the normalisation.
    """
    if distance == SNNLDistance.COSINE:
        xn = x if normalized else F.normalize(x, dim=-1, eps=1e-12)
        sim = xn @ xn.transpose(-1, -2)
        return sim.sub_(1.0).div_(temperature).exp_()  # exp(-(1 - cos) / T), fused in place
    sq = (x * x).sum(-1)
    d2 = (sq.unsqueeze(-1) + sq.unsqueeze(-2) - 2.0 * (x @ x.transpose(-1, -2))).clamp_min(0.0)
    d = d2 if distance == SNNLDistance.SQUARED_EUCLIDEAN else d2.sqrt()
    return d.div(-temperature).exp_()


def _check(
    n_samples: int, labels: torch.Tensor, temperature: float, variant: str, distance: str, device: torch.device
) -> tuple[str, str, torch.Tensor]:
    """Validated ``(variant, distance, labels (B,))``; errors name the argument, the expected and the actual value."""
    variant = look_up_option(variant, SNNLVariant)
    distance = look_up_option(distance, SNNLDistance)
    if temperature <= 0:
        raise ValueError(f"temperature expected > 0 but got {temperature!r}.")
    labels = torch.as_tensor(labels, device=device).reshape(-1)
    if labels.numel() != n_samples:
        raise ValueError(f"labels expected {n_samples} entries (one per sample) but got {labels.numel()}.")
    if n_samples < 2:
        raise ValueError(f"soft_nearest_neighbour_loss needs at least 2 samples but got {n_samples}.")
    return variant, distance, labels


def soft_nearest_neighbour_loss(
    features: torch.Tensor,
    labels: torch.Tensor,
    temperature: float = 1.0,
    distance: str = SNNLDistance.COSINE,
    variant: str = SNNLVariant.OFFICIAL,
    eps: float = 1e-9,
) -> torch.Tensor:
    """SNNL of ``features`` with respect to ``labels``, batched over any leading dimensions.

    Args:
        features: ``(..., B, D)``: B samples of dimension D; every leading index (e.g. a channel) is scored separately.
        labels: ``(B,)`` integer labels (here the sensitive group).
        temperature: ``T > 0`` in ``exp(-d / T)``.
        distance: ``cosine`` (``1 - cos``), ``squared_euclidean`` or ``euclidean``.
        variant: ``official`` (self term in the numerator) or ``frosst`` (self term excluded); see the module docstring.
        eps: added inside the logarithm.

    Returns:
        ``(...)``: the loss per leading index (a 0-dim tensor for ``(B, D)`` input), in the dtype of ``features``.
    """
    if features.ndim < 2:
        raise ValueError(f"features expected shape (..., B, D) but got {tuple(features.shape)}.")
    variant, distance, labels = _check(features.shape[-2], labels, temperature, variant, distance, features.device)
    return _snnl(_kernel(features, distance, temperature), labels, variant, eps)


def _snnl(kernel: torch.Tensor, labels: torch.Tensor, variant: str, eps: float) -> torch.Tensor:
    """SNNL from the ``(..., B, B)`` kernel matrix."""
    self_term = kernel.diagonal(dim1=-2, dim2=-1)  # (..., B)
    # same-group sums by one matmul with the one-hot labels instead of a (..., B, B) mask
    _, idx = torch.unique(labels, return_inverse=True)
    onehot = F.one_hot(idx).to(kernel.dtype)  # (B, K)
    own = idx.expand(*kernel.shape[:-1]).unsqueeze(-1)  # (..., B, 1)
    same = (kernel @ onehot).gather(-1, own).squeeze(-1)  # (..., B), own term included
    den = kernel.sum(-1) - self_term
    if variant == SNNLVariant.OFFICIAL:
        ratio = (same + eps) / den
    else:
        ratio = (same - self_term + eps) / (den + eps)
    return -torch.log(ratio).mean(-1)


def channel_snnl(
    activations: torch.Tensor,
    labels: torch.Tensor,
    temperature: float = 1.0,
    distance: str = SNNLDistance.COSINE,
    variant: str = SNNLVariant.OFFICIAL,
    eps: float = 1e-9,
) -> torch.Tensor:
    """SNNL of every channel at once: ``(B, C, *spatial) -> (C,)``, one batched computation (C distance matrices).

    Each channel's map is flattened per sample (``(B, prod(spatial))``), as the SCP code does with ``split`` on dim 1,
    but all C matrices of ``B x B`` distances are computed together instead of in a Python loop over channels.
    """
    if activations.ndim < 2:
        raise ValueError(f"activations expected shape (B, C, *spatial) but got {tuple(activations.shape)}.")
    variant, distance, labels = _check(activations.shape[0], labels, temperature, variant, distance, activations.device)
    flat = activations.flatten(2)
    cosine = distance == SNNLDistance.COSINE
    if cosine:  # normalising (B, C, D) before the transpose is much faster than on the strided (C, B, D) view
        flat = F.normalize(flat, dim=-1, eps=1e-12)
    kernel = _kernel(flat.transpose(0, 1), distance, temperature, normalized=cosine)  # (C, B, B)
    return _snnl(kernel, labels, variant, eps)


def _snnl_masked(
    x: torch.Tensor, labels: torch.Tensor, temperature: float, distance: str, variant: str, eps: float
) -> torch.Tensor:
    """The plain masked formulation of the SCP code for one ``(B, D)`` matrix (reference for the batched one)."""
    if distance == SNNLDistance.COSINE:
        xn = F.normalize(x, dim=-1, eps=1e-12)
        d = 1.0 - xn @ xn.t()
    else:
        d = torch.cdist(x, x).pow(2) if distance == SNNLDistance.SQUARED_EUCLIDEAN else torch.cdist(x, x)
    kernel = torch.exp(-d / temperature)
    eye = torch.eye(x.shape[0], dtype=torch.bool, device=x.device)
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    num = (kernel * (same if variant == SNNLVariant.OFFICIAL else same & ~eye)).sum(1)
    den = (kernel * ~eye).sum(1)
    ratio = (num + eps) / den if variant == SNNLVariant.OFFICIAL else (num + eps) / (den + eps)
    return -torch.log(ratio).mean()


def channel_snnl_loop(
    activations: torch.Tensor,
    labels: torch.Tensor,
    temperature: float = 1.0,
    distance: str = SNNLDistance.COSINE,
    variant: str = SNNLVariant.OFFICIAL,
    eps: float = 1e-9,
) -> torch.Tensor:
    """Reference: the official per-channel loop (split on dim 1, one plain masked SNNL per channel).

    An independent implementation of the same score; :func:`channel_snnl` must equal it (tested to 1e-5).
    """
    variant = look_up_option(variant, SNNLVariant)
    distance = look_up_option(distance, SNNLDistance)
    labels = torch.as_tensor(labels, device=activations.device).reshape(-1)
    return torch.stack(
        [
            _snnl_masked(chunk.flatten(1), labels, temperature, distance, variant, eps)
            for chunk in torch.split(activations, 1, dim=1)
        ]
    )
