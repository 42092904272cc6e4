# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Frozen per-group teachers for FairDi's student stage."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence

import torch
from monai.utils import StrEnum, look_up_option
from torch import nn

__all__ = ["FrozenTeacherSet", "TeacherRouting"]


class TeacherRouting(StrEnum):
    OWN_GROUP = "own_group"  # T_{a_i}(x_i): FairDi
    MEAN = "mean"  # mean of all teachers' logits (ablation; ignores the group)


class FrozenTeacherSet(nn.Module):
    """One frozen teacher per group; ``forward(x, groups)`` returns each sample's own group's teacher output.

    FairDi stage 2 (Masroor et al., arXiv 2411.11939): every sample is taught by the teacher fine-tuned on its group.

    - The teachers never train: parameters have ``requires_grad=False``, ``train()`` keeps them in eval mode (so
      BatchNorm statistics and dropout stay fixed even when a trainer calls ``train()`` on a parent), and the forward
      runs under ``torch.no_grad()``. Keep the set out of every optimizer and out of DDP (it is not part of
      ``network``).
    - Routing: each teacher runs only on its own group's samples (one forward per group present in the batch).
      ``routing="mean"`` (ablation) runs every teacher on every sample and averages the logits.

    Args:
        teachers: ``{group_id: module}`` or a sequence indexed by group id.
        routing: ``"own_group"`` (default) or ``"mean"``.
    """

    def __init__(
        self, teachers: Mapping[int, nn.Module] | Sequence[nn.Module], routing: str = TeacherRouting.OWN_GROUP
    ):
        super().__init__()
        table = dict(teachers) if isinstance(teachers, Mapping) else dict(enumerate(teachers))
        if not table:
            raise ValueError("teachers expected at least one teacher but got none.")
        self.group_ids = sorted(int(k) for k in table)
        self.teachers = nn.ModuleDict({str(k): table[k] for k in self.group_ids})
        self.routing = look_up_option(routing, TeacherRouting)
        self.requires_grad_(False)
        self.train(False)

    @classmethod
    def from_checkpoints(
        cls,
        network: nn.Module,
        checkpoints: Mapping[int, str] | Sequence[str],
        device: str | torch.device | None = None,
        routing: str = TeacherRouting.OWN_GROUP,
        key: str | None = None,
    ) -> FrozenTeacherSet:
        """Copy ``network`` (the architecture, e.g. the bundle's ``network_def``) once per group and load its weights.

        Args:
            network: template module; it is deep-copied, never modified.
            checkpoints: ``{group_id: path}`` or a sequence of paths indexed by group id. Each file is a state_dict
                (or a dict holding one under ``key``), loaded with ``weights_only=True``.
            device: where the teachers live.
            routing: see the class.
            key: optional key of the state_dict inside the checkpoint (e.g. ``"model"``).

        Raises:
            FileNotFoundError: When a teacher file is missing (names the group and the path).
        """
        paths = dict(checkpoints) if isinstance(checkpoints, Mapping) else dict(enumerate(checkpoints))
        teachers = {}
        for k, path in sorted(paths.items()):
            if not os.path.isfile(path):
                raise FileNotFoundError(
                    f"teacher of group {k} expected at {path!r} but the file does not exist; train it first "
                    f"(train_teacher stage with group_id={k})."
                )
            state = torch.load(path, map_location="cpu", weights_only=True)
            if key is not None and isinstance(state, Mapping) and key in state:
                state = state[key]
            teacher = copy.deepcopy(network)
            teacher.load_state_dict(state)
            teachers[int(k)] = teacher.to(device) if device is not None else teacher
        return cls(teachers, routing=routing)

    def train(self, mode: bool = True) -> FrozenTeacherSet:
        """Teachers stay in eval mode whatever ``mode`` is."""
        return super().train(False)

    def forward(self, x: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
        """Args: input ``(B, C_in, ...)``, group ids ``(B,)``. Returns teacher logits ``(B, C, ...)`` (no grad)."""
        g = torch.as_tensor(groups, device=x.device).long().reshape(-1)
        if g.shape[0] != x.shape[0]:
            raise ValueError(f"groups expected {x.shape[0]} ids (one per sample) but got {g.shape[0]}.")
        with torch.no_grad():
            if self.routing == TeacherRouting.MEAN:
                return torch.stack([t(x) for t in self.teachers.values()]).mean(0)
            present = sorted(int(k) for k in g.unique())
            unknown = [k for k in present if k not in self.group_ids]
            if unknown:
                raise ValueError(f"groups expected ids with a teacher {self.group_ids} but got ids {unknown}.")
            out: torch.Tensor | None = None
            for k in present:
                idx = (g == k).nonzero(as_tuple=True)[0]
                y = self.teachers[str(k)](x[idx])
                if out is None:
                    out = y.new_empty((x.shape[0], *y.shape[1:]))
                out[idx] = y
            assert out is not None
            return out
