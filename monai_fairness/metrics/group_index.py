# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Group ids are labels, not positions: map whatever ids a dataset uses (sex coded 1/2, ids {0, 5}) to positions.

Every per-group computation in the package runs over positions ``0..K-1`` of the groups **present** in the data, and
every result is reported under the original ids. A group that the datalist declares but that has no sample in a split
is *absent*: it is listed as such (n = 0, values null) and never enters a gap as an empty group with rate 0. Written
here because neither MONAI nor fairlearn maps ids this way for tensors (fairlearn's ``MetricFrame`` does it for
pandas, one Python call per group).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch

__all__ = ["GroupIndex"]


class GroupIndex:
    """The present groups of a split, in ascending id order, and the declared groups that are absent from it.

    Args:
        present: the group ids that occur in the data (any order, repeats allowed).
        declared: the ids the datalist declares (``groups`` keys, as ints or strings); ``None`` when unknown. Every
            present id must be declared.

    Raises:
        ValueError: When a present id is not declared (the message lists both).

    Example::

        index = GroupIndex(torch.tensor([2, 1, 2]), declared=[1, 2, 3])
        index.ids  # [1, 2]
        index.absent  # [3]
        index.encode(torch.tensor([2, 1, 2]))  # tensor([1, 0, 1])
    """

    def __init__(self, present: Iterable[int] | torch.Tensor, declared: Iterable[int | str] | None = None) -> None:
        values = present.tolist() if isinstance(present, torch.Tensor) else list(present)
        self.ids: list[int] = sorted({int(v) for v in values})
        self.declared: list[int] | None = None if declared is None else sorted({int(d) for d in declared})
        if self.declared is not None:
            undeclared = [g for g in self.ids if g not in self.declared]
            if undeclared:
                raise ValueError(f"group ids expected among the declared groups {self.declared} but got {undeclared}.")
        self.absent: list[int] = [] if self.declared is None else [g for g in self.declared if g not in self.ids]
        self._lookup = {g: i for i, g in enumerate(self.ids)}

    @property
    def num_groups(self) -> int:
        """``K``: the number of present groups."""
        return len(self.ids)

    def encode(self, groups: torch.Tensor) -> torch.Tensor:
        """Group ids ``[N]`` -> positions ``[N]`` in ``[0, K)``.

        Raises:
            ValueError: When an id is not one of the present groups.
        """
        groups = torch.as_tensor(groups).long()
        table = torch.tensor(self.ids, dtype=torch.long, device=groups.device)
        pos = torch.searchsorted(table, groups)
        bad = (pos >= len(self.ids)) | (table[pos.clamp_max(max(len(self.ids) - 1, 0))] != groups)
        if bool(bad.any()):
            raise ValueError(f"group ids expected among {self.ids} but got {sorted(set(groups[bad].tolist()))}.")
        return pos

    def position(self, group_id: int) -> int:
        return self._lookup[int(group_id)]

    def names(self, group_names: Mapping[str, str] | None) -> dict[str, str]:
        """``{id string: name}`` for the present and the absent groups (the id itself when no name is given)."""
        ids = sorted(set(self.ids) | set(self.absent))
        return {str(g): (group_names or {}).get(str(g), str(g)) for g in ids}
