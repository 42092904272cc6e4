# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Frozen (deployed) segmentors: load a checkpoint with a clear mismatch error, and fingerprint the weights."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping

import torch
from torch import nn

__all__ = ["load_frozen_segmentor", "adopt_segmentor_checkpoint", "state_checksum", "freeze"]


def state_checksum(module: nn.Module | Mapping[str, torch.Tensor]) -> str:
    """SHA-256 over every ``state_dict`` entry (names, dtypes, shapes and bytes; parameters and buffers).

    Args:
        module: a module, or a state_dict as loaded from a weights file.
    """
    digest = hashlib.sha256()
    state = module.state_dict() if isinstance(module, nn.Module) else module
    for name, tensor in state.items():
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()


def freeze(module: nn.Module) -> nn.Module:
    """``requires_grad_(False)`` and eval mode; returns ``module``."""
    module.requires_grad_(False)
    return module.eval()


def load_frozen_segmentor(
    network: nn.Module, path: str, map_location: str | torch.device | None = "cpu", key: str | None = None
) -> nn.Module:
    """Load a segmentor's weights into ``network`` (the bundle's ``network_def``) and freeze it.

    The file is a plain state_dict or a dict holding one under ``key`` (or ``"model"``); a DDP ``module.`` prefix is
    removed. Loaded with ``weights_only=True``.

    Raises:
        FileNotFoundError: When ``path`` does not exist.
        ValueError: When the checkpoint does not match ``network``: names the missing and unexpected keys and the
            shape mismatches.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"segmentor checkpoint expected at {path!r} but the file does not exist; run the pretrain_segmentor stage "
            "or pass the deployed model's checkpoint."
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, Mapping):
        for k in (key, "model", "state_dict"):
            if k is not None and isinstance(state.get(k), Mapping):
                state = state[k]
                break
    if not isinstance(state, Mapping):
        raise ValueError(f"segmentor checkpoint {path!r} expected a state_dict but holds a {type(state).__name__}.")
    state = {(k[len("module.") :] if k.startswith("module.") else k): v for k, v in state.items()}
    expected = network.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [
        f"{k}: expected {tuple(expected[k].shape)} got {tuple(state[k].shape)}"
        for k in expected
        if k in state and tuple(expected[k].shape) != tuple(state[k].shape)
    ]
    if missing or unexpected or shapes:

        def _few(keys: list[str]) -> str:
            return f"{len(keys)} {keys[:8]}{' ...' if len(keys) > 8 else ''}"

        raise ValueError(
            f"segmentor checkpoint {path!r} does not match network_def ({type(network).__name__}): missing keys "
            f"{_few(missing)}, unexpected keys {_few(unexpected)}, shape mismatches {_few(shapes)}."
        )
    network.load_state_dict(state)
    if map_location is not None:
        network.to(map_location)
    return freeze(network)


def adopt_segmentor_checkpoint(network: nn.Module, source: str, destination: str, key: str | None = None) -> str:
    """Check a user's (deployed) segmentor checkpoint against ``network`` and save it as a plain state_dict.

    The bundle's ``pretrain_segmentor`` stage calls this instead of training when a checkpoint is given, so the rest
    of the pipeline reads ``models/segmentor.pt`` either way. (Not named ``import_...``: MONAI's config parser treats
    any expression containing "import" as an import statement.) Raises the errors of :func:`load_frozen_segmentor`.
    Returns ``destination``.
    """
    load_frozen_segmentor(network, source, map_location="cpu", key=key)
    os.makedirs(os.path.dirname(os.path.abspath(destination)), exist_ok=True)
    torch.save(network.state_dict(), destination)
    return destination
