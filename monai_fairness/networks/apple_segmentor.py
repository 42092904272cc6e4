# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""A frozen segmentor with APPLE's latent perturber attached by a forward hook (the segmentor is never modified)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from monai_fairness.networks.attribute_discriminator import AttributeDiscriminator
from monai_fairness.networks.frozen import freeze
from monai_fairness.networks.latent_layers import LatentSpec, get_latent_module, resolve_latent_spec

__all__ = ["APPLESegmentor"]


class APPLESegmentor(nn.Module):
    """``x -> E_s -> f_o + G_p(f_o) -> D_s``: APPLE inference with a frozen segmentor ``phi = D_s o E_s``.

    APPLE (Xu et al., "Adversarial Privacy-aware Perturbations on Latent Embedding for Unfairness Mitigation", arXiv
    2403.05114). A forward hook on the latent module (``latent_layer``, default per architecture:
    :func:`~monai_fairness.networks.default_latent_spec`) replaces its output ``f_o`` by ``f_o + perturber(f_o)`` and
    keeps ``f_o`` and ``f_p`` (channel-first, ``(B, C, *spatial)``) of the last call for the discriminator, so one
    forward gives the segmentation and the latents. Skip connections are left as they are (bottleneck only).

    The segmentor is untouched: same modules, ``requires_grad=False``, and :meth:`train` keeps it in eval mode, so
    BatchNorm statistics never move; its parameters get no gradient but gradients flow through its activations to the
    perturber. ``state_dict`` = the segmentor's entries under ``segmentor.`` (identical values; they load into the
    original ``network_def``) plus ``perturber.``. Any inferer (``SlidingWindowInferer`` included) that calls this
    module calls the perturber too. TorchScript: export by tracing (the hook is recorded in the trace).

    Args:
        segmentor: the deployed segmentor (e.g. from :func:`~monai_fairness.networks.load_frozen_segmentor`).
        perturber: G_p, e.g. :class:`~monai_fairness.networks.LatentPerturber`; returns the residual.
        latent_layer: dotted module name; ``None`` uses the architecture default.
        latent_index: element of the layer's output when it is a tuple/list (e.g. -1 for a list of encoder features).
        channel_dim: 1 for feature maps, -1 for channel-last tokens ``(B, N, C)``.
    """

    def __init__(
        self,
        segmentor: nn.Module,
        perturber: nn.Module,
        latent_layer: str | None = None,
        latent_index: int | None = None,
        channel_dim: int | None = None,
    ) -> None:
        super().__init__()
        self.spec: LatentSpec = resolve_latent_spec(segmentor, latent_layer, latent_index, channel_dim)
        self.segmentor = freeze(segmentor)
        self.perturber = perturber
        self.enabled = True
        self.latent_original: torch.Tensor | None = None
        self.latent_perturbed: torch.Tensor | None = None
        self._records: list[tuple[torch.Tensor, torch.Tensor]] | None = None
        object.__setattr__(self, "_perturber_call", None)
        self._handle = get_latent_module(segmentor, self.spec.layer).register_forward_hook(self._perturb_hook)

    def train(self, mode: bool = True) -> APPLESegmentor:
        """Set the perturber's mode; the segmentor always stays in eval mode."""
        super().train(mode)
        self.segmentor.eval()
        return self

    def trainable_parameters(self) -> Iterator[nn.Parameter]:
        """The perturber's parameters (what an optimizer may update)."""
        return self.perturber.parameters()

    def distribute(self, **ddp_kwargs: Any) -> APPLESegmentor:
        """Wrap only the perturber in ``DistributedDataParallel`` (the frozen segmentor stays out of DDP).

        The DDP wrapper is called by the hook but is not a registered child, so ``state_dict`` keys do not change.
        """
        object.__setattr__(self, "_perturber_call", nn.parallel.DistributedDataParallel(self.perturber, **ddp_kwargs))
        return self

    @contextmanager
    def bypass(self) -> Iterator[None]:
        """Run the plain segmentor (no perturbation; ``f_p = f_o`` is still captured) inside the block."""
        previous, self.enabled = self.enabled, False
        try:
            yield
        finally:
            self.enabled = previous

    @contextmanager
    def record_pooled(self) -> Iterator[list[tuple[torch.Tensor, torch.Tensor]]]:
        """Collect ``(pool(f_o), pool(f_p))``, each ``(B, C)``, of every call in the block (e.g. sliding windows)."""
        self._records = []
        try:
            yield self._records
        finally:
            self._records = None

    def _perturb_hook(self, module: nn.Module, inputs: Any, output: Any) -> Any:
        index = self.spec.index
        if index is None:
            latent = output
        elif isinstance(output, (tuple, list)):
            latent = output[index]
        else:
            raise TypeError(
                f"latent_index {index} expected a tuple/list output of '{self.spec.layer}' but got "
                f"{type(output).__name__}."
            )
        if not isinstance(latent, torch.Tensor):
            raise TypeError(
                f"latent layer '{self.spec.layer}' expected to output a tensor (or latent_index into a tuple/list) but "
                f"got {type(latent).__name__}; choose another latent_layer/latent_index."
            )
        f_o = latent if self.spec.channel_dim == 1 else latent.movedim(-1, 1)
        if self.enabled:
            perturber = self._perturber_call if self._perturber_call is not None else self.perturber
            f_p = f_o + perturber(f_o).to(f_o.dtype)
        else:
            f_p = f_o
        self.latent_original, self.latent_perturbed = f_o, f_p
        if self._records is not None:
            pool = AttributeDiscriminator.pool
            self._records.append((pool(f_o).detach().float(), pool(f_p).detach().float()))
        if not self.enabled:
            return None
        new = f_p if self.spec.channel_dim == 1 else f_p.movedim(1, -1)
        if index is None:
            return new
        items = list(output)
        items[index] = new
        return type(output)(items) if isinstance(output, tuple) else items

    def forward(self, x: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        """Args: the segmentor's input, e.g. ``(B, C_in, *spatial)`` (plus its prompts). Returns its output."""
        return self.segmentor(x, *args, **kwargs)
