# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Reversible channel masks for SCP fine-tuning: the network keeps its shape and state_dict keys.

The SCP code masks filter rows with ``torch.nn.utils.prune.custom_from_mask`` but leaves the conv bias (and any
following norm) alive, so a "pruned" channel still outputs ``ReLU(bias)`` and the state_dict keys change to
``weight_orig``/``weight_mask``. Here a mask zeroes every producer slice of the channel found by
:class:`~monai_fairness.pruning.coupling.ChannelCoupling` (filters, biases, norm affines, every producer of a residual
stream), so the channel is truly silent and the masked network equals the physically pruned one. The original values
are kept, so :meth:`ChannelMask.remove` can restore them. ``mask_bias=False`` reproduces the official weights-only mask
(the target convolution's filters only).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import torch
import torch.nn as nn

from monai_fairness.pruning.coupling import ChannelCoupling, ParamSlice

__all__ = ["ChannelMask"]


class ChannelMask:
    """Zero the producer slices of the masked channels before every forward pass and zero their gradients.

    Args:
        coupling: the dependency graph around the target layer of the network to mask.
        mask_bias: ``True`` (default): silence the channel (filters, bias, norm affine, residual producers);
            ``False``: official SCP behaviour, only the target convolution's filter rows.
    """

    def __init__(self, coupling: ChannelCoupling, mask_bias: bool = True):
        self.coupling = coupling
        self.mask_bias = mask_bias
        self.channels: list[int] = []
        self._slices: list[ParamSlice] = []
        self._saved: dict[tuple[str, str, int], torch.Tensor] = {}  # original value of each masked row
        self._handles: list = []
        self._indices: dict[ParamSlice, torch.Tensor] = {}

    @property
    def network(self) -> nn.Module:
        return self.coupling.network

    def _slices_for(self, channels: Sequence[int]) -> list[ParamSlice]:
        if self.mask_bias:
            return self.coupling.producer_slices(channels)
        root = self.coupling.root
        if not isinstance(root, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            raise ValueError(
                f"mask_bias=False (official weights-only mask) expected a convolution target but "
                f"{self.coupling.target_layer!r} resolves to {type(root).__name__}."
            )
        return [ParamSlice(self.coupling.names[root], "weight", tuple(channels))] if channels else []

    def _param(self, s: ParamSlice) -> nn.Parameter:
        return getattr(self.network.get_submodule(s.module), s.param)

    def set(self, channels: Sequence[int]) -> None:
        """Mask exactly ``channels`` (indices of the target layer's output); channels no longer listed are restored."""
        channels = self.coupling.check_channels(channels)
        slices = self._slices_for(channels)
        keep = {(s.module, s.param, i) for s in slices for i in s.idxs}
        self._detach_hooks()
        self._restore(lambda key: key not in keep)
        for s in slices:
            p = self._param(s)
            for i in s.idxs:
                if (s.module, s.param, i) not in self._saved:
                    self._saved[(s.module, s.param, i)] = p.detach()[i].clone()
        self.channels, self._slices = channels, slices
        by_module: dict[str, list[ParamSlice]] = defaultdict(list)
        for s in slices:
            by_module[s.module].append(s)
        for name, module_slices in by_module.items():
            module = self.network.get_submodule(name)
            self._handles.append(module.register_forward_pre_hook(lambda m, args, sl=module_slices: self._zero(sl)))
            for s in module_slices:
                hook = self._param(s).register_hook(lambda g, sl=s: g.index_fill(0, self._index(sl, g.device), 0))
                self._handles.append(hook)
        self._zero(slices)

    def add(self, channels: Sequence[int]) -> None:
        """Mask ``channels`` in addition to those already masked."""
        self.set(list(self.channels) + list(channels))

    def _index(self, s: ParamSlice, device: torch.device) -> torch.Tensor:
        """The slice's indices as a tensor on ``device``, built once (the zeroing runs before every forward)."""
        idx = self._indices.get(s)
        if idx is None or idx.device != device:
            idx = self._indices[s] = torch.tensor(s.idxs, dtype=torch.long, device=device)
        return idx

    @torch.no_grad()
    def _zero(self, slices: Sequence[ParamSlice]) -> None:
        for s in slices:
            p = self._param(s)
            p.index_fill_(0, self._index(s, p.device), 0)

    def apply(self) -> None:
        """Zero the masked slices now (e.g. after loading a state_dict into the masked network)."""
        self._zero(self._slices)

    def _detach_hooks(self) -> None:
        """Remove the hooks and keep the masked values (``set`` re-attaches them)."""
        for h in self._handles:
            h.remove()
        self._handles = []

    @torch.no_grad()
    def _restore(self, which) -> None:
        for key in [k for k in self._saved if which(k)]:
            module, pname, i = key
            getattr(self.network.get_submodule(module), pname)[i] = self._saved.pop(key)

    def remove(self, restore: bool = True) -> None:
        """Detach the hooks; ``restore=True`` puts the values the masked slices had before masking back."""
        self._detach_hooks()
        if restore:
            self._restore(lambda key: True)
        self._saved.clear()
        self._slices, self.channels = [], []
