# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Checkpoint loading that names the file: corrupt or truncated files, and missing or unexpected keys.

MONAI's ``CheckpointLoader`` surfaces ``torch.load``'s own errors (a truncated ``model.pt`` ends in ``OSError: [Errno
22] Invalid argument``, without the file name) and ``load_state_dict``'s long key lists.
:class:`CheckedCheckpointLoader` is that loader with one clear :class:`CheckpointError` instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import torch
from monai.handlers import CheckpointLoader

__all__ = ["CheckpointError", "load_checkpoint", "CheckedCheckpointLoader"]


class CheckpointError(RuntimeError):
    """A checkpoint cannot be used; the message names the file and what is wrong with it."""


def load_checkpoint(path: str, map_location: Any = None) -> Any:
    """``torch.load(path, weights_only=True)`` with errors that name the file.

    Raises:
        CheckpointError: When the file is missing, or corrupt or truncated (any error while unpickling it).
    """
    if not os.path.isfile(path):
        raise CheckpointError(f"checkpoint {path!r}: expected an existing file but it does not exist.")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # truncated zip, bad pickle, non-tensor payload: all mean "this file is unusable"
        size = os.path.getsize(path)
        raise CheckpointError(
            f"checkpoint {path!r} ({size} bytes) is corrupt or truncated, or not a weights-only torch checkpoint: "
            f"{type(e).__name__}: {e}"
        ) from e


def _check_keys(path: str, name: str, module: torch.nn.Module, state: Mapping[str, Any]) -> None:
    expected, got = set(module.state_dict()), set(state)
    missing, unexpected = sorted(expected - got), sorted(got - expected)
    if missing or unexpected:
        raise CheckpointError(
            f"checkpoint {path!r} does not fit {name!r} ({type(module).__name__}): missing keys "
            f"{missing[:10]}{' ...' if len(missing) > 10 else ''} ({len(missing)}), unexpected keys "
            f"{unexpected[:10]}{' ...' if len(unexpected) > 10 else ''} ({len(unexpected)}); is it the checkpoint "
            "of another network or stage?"
        )
    for key, value in module.state_dict().items():
        if torch.is_tensor(state[key]) and state[key].shape != value.shape:
            raise CheckpointError(
                f"checkpoint {path!r} does not fit {name!r}: {key} has shape {tuple(state[key].shape)} in the file "
                f"but {tuple(value.shape)} in the network."
            )


class CheckedCheckpointLoader(CheckpointLoader):
    """MONAI's ``CheckpointLoader`` (same arguments) whose failures name the file: corrupt or truncated files, and,
    for strict loading of a network, the missing and unexpected keys (and the first shape mismatch).

    Raises:
        CheckpointError: When the file is missing, unreadable or does not fit a network of ``load_dict``.
    """

    def __call__(self, engine: Any) -> None:
        checkpoint = load_checkpoint(self.load_path, self.map_location)
        if self.strict and self.strict_shape:
            single = len(self.load_dict) == 1 and next(iter(self.load_dict)) not in checkpoint
            for name, obj in self.load_dict.items():
                state = checkpoint if single else checkpoint.get(name)
                if state is None:
                    raise CheckpointError(
                        f"checkpoint {self.load_path!r}: expected an entry {name!r} but it holds {sorted(checkpoint)}."
                    )
                if isinstance(obj, torch.nn.Module):
                    module = obj.module if isinstance(obj, torch.nn.parallel.DistributedDataParallel) else obj
                    _check_keys(self.load_path, name, module, state)
        super().__call__(engine)  # reads the file again: a second read of a checked file, not worth a copied loader
