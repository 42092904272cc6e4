# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The datalist contract (``docs/data_contract.md``): load, validate and count a fairness datalist.

A datalist is one JSON file with ``name``, ``description``, ``task`` (``classification`` | ``segmentation``),
``sensitive_attribute``, ``groups`` (group id string -> name), ``labels`` (class id string -> name), ``synthetic`` and
the item lists ``training``, ``validation``, ``test``. Each item has ``image`` (path relative to the datalist's
folder, an image file or a DICOM series folder), ``label`` (int class id, or relative mask path for segmentation),
``group`` (int, a key of ``groups``) and optional raw attributes and ``id``. Inference never needs ``group``.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from monai.data import load_decathlon_datalist

from monai_fairness.tasks import TASKS, get_task
from monai_fairness.utils.enums import FairnessKeys

__all__ = [
    "DatalistError",
    "SPLITS",
    "TASKS",
    "read_datalist",
    "validate_datalist",
    "load_fairness_datalist",
    "count_by_group_class",
    "num_groups",
    "group_ids",
    "default_id",
]

SPLITS = ("training", "validation", "test")
REQUIRED_TOP_LEVEL = ("task", "groups", "labels")


class DatalistError(ValueError):
    """A datalist breaks the contract; the message names the item, the field, the expected and the actual value."""


def _item_name(split: str, index: int, item: Mapping) -> str:
    ident = item.get(FairnessKeys.ID)
    return f"{split}[{index}]" + (f" (id={ident!r})" if ident is not None else "")


def read_datalist(path: str | os.PathLike) -> dict[str, Any]:
    """Read a datalist JSON file.

    Raises:
        DatalistError: When the file does not exist or is not a JSON object.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DatalistError(f"datalist: expected an existing JSON file but got {path!r} (not found).")
    with open(path) as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as e:
            raise DatalistError(f"datalist {path!r}: expected valid JSON but parsing failed: {e}.") from e
    if not isinstance(data, dict):
        raise DatalistError(f"datalist {path!r}: expected a JSON object at top level but got {type(data).__name__}.")
    return data


def validate_datalist(
    datalist: Mapping[str, Any],
    base_dir: str | os.PathLike | None = None,
    *,
    splits: Sequence[str] = SPLITS,
    require_group: bool = False,
    stage: str | None = None,
    check_files: bool = True,
    require_all_groups: bool = False,
) -> None:
    """Check a datalist against the contract.

    Args:
        datalist: the parsed datalist JSON.
        base_dir: folder that relative ``image``/``label`` paths are joined to (the datalist's folder); needed when
            ``check_files`` is True.
        splits: the item lists to check; a split absent from the datalist is skipped.
        require_group: every item must carry ``group`` (fairness stages); inference passes False.
        stage: name of the stage asking (used in the error message, e.g. ``"train_teacher"``).
        check_files: every ``image`` (and segmentation ``label``) must exist on disk.
        require_all_groups: every group of ``groups`` must have at least one item in every checked split.

    Raises:
        DatalistError: When any part breaks the contract; the message names the item, the field, the expected and
            the actual value.
    """
    for key in REQUIRED_TOP_LEVEL:
        if key not in datalist:
            raise DatalistError(
                f"datalist: missing top-level field {key!r}; expected the keys {list(REQUIRED_TOP_LEVEL)}."
            )
    task = datalist["task"]
    if task not in TASKS:
        raise DatalistError(f"datalist field 'task': expected one of {list(TASKS)} but got {task!r}.")
    groups = datalist["groups"]
    labels = datalist["labels"]
    for field, mapping in (("groups", groups), ("labels", labels)):
        if not isinstance(mapping, Mapping) or not mapping:
            raise DatalistError(
                f"datalist field {field!r}: expected a non-empty map of id string -> name but got {mapping!r}."
            )
        bad = [k for k in mapping if not str(k).lstrip("-").isdigit()]
        if bad:
            raise DatalistError(f"datalist field {field!r}: expected integer id strings as keys but got {bad}.")
    group_ids = sorted(int(k) for k in groups)
    class_ids = sorted(int(k) for k in labels)
    for split in splits:
        if split not in datalist:
            continue
        items = datalist[split]
        if not isinstance(items, list):
            raise DatalistError(f"datalist field {split!r}: expected a list of items but got {type(items).__name__}.")
        seen_groups: set[int] = set()
        for i, item in enumerate(items):
            name = _item_name(split, i, item)
            if not isinstance(item, Mapping):
                raise DatalistError(f"datalist item {split}[{i}]: expected an object but got {type(item).__name__}.")
            if FairnessKeys.IMAGE not in item:
                raise DatalistError(f"datalist item {name}: missing field 'image' (expected a relative path).")
            if check_files:
                _check_path(base_dir, item[FairnessKeys.IMAGE], name, "image")
            if FairnessKeys.LABEL in item:
                label = item[FairnessKeys.LABEL]
                if not get_task(task).label_is_path:
                    if isinstance(label, bool) or not isinstance(label, int) or label not in class_ids:
                        raise DatalistError(
                            f"datalist item {name}: field 'label' expected an int in {class_ids} (keys of 'labels') "
                            f"but got {label!r}."
                        )
                elif check_files:
                    _check_path(base_dir, label, name, "label")
            if FairnessKeys.GROUP not in item:
                if require_group:
                    who = f"stage {stage!r}" if stage else "this stage"
                    raise DatalistError(
                        f"{who} needs field 'group' on every item, but datalist item {name} has none "
                        f"(expected an int in {group_ids}); add 'group' to the datalist, or run a stage that does "
                        "not need it (e.g. inference)."
                    )
                continue
            group = item[FairnessKeys.GROUP]
            if isinstance(group, bool) or not isinstance(group, int) or group not in group_ids:
                raise DatalistError(
                    f"datalist item {name}: field 'group' expected an int in {group_ids} (keys of 'groups') "
                    f"but got {group!r}."
                )
            seen_groups.add(group)
        if require_all_groups:
            missing = [g for g in group_ids if g not in seen_groups]
            if missing:
                names = [f"{g} ({groups[str(g)]})" for g in missing]
                raise DatalistError(
                    f"datalist split {split!r}: expected at least one item in every group {group_ids} but group(s) "
                    f"{', '.join(names)} have none."
                )


def _check_path(base_dir: str | os.PathLike | None, rel: Any, name: str, field: str) -> None:
    if not isinstance(rel, str):
        raise DatalistError(f"datalist item {name}: field {field!r} expected a relative path string but got {rel!r}.")
    full = os.path.join(os.fspath(base_dir) if base_dir is not None else "", rel)
    if not os.path.exists(full):
        raise DatalistError(
            f"datalist item {name}: field {field!r} expected an existing file or folder but {full!r} does not exist."
        )


def load_fairness_datalist(
    path: str | os.PathLike,
    split: str = "training",
    *,
    require_group: bool = False,
    stage: str | None = None,
    check_files: bool = True,
    require_all_groups: bool = False,
    base_dir: str | os.PathLike | None = None,
) -> list[dict[str, Any]]:
    """Validate a datalist and return one split with absolute paths (through ``monai.data.load_decathlon_datalist``).

    This is what bundle configs call: ``"$monai_fairness.data.load_fairness_datalist(@datalist, 'training')"``.

    Args:
        path: the datalist JSON.
        split: ``training``, ``validation`` or ``test``.
        require_group, stage, check_files, require_all_groups: see :func:`validate_datalist`.
        base_dir: folder for relative paths; defaults to the datalist's folder.

    Raises:
        DatalistError: When the datalist breaks the contract or lacks ``split``.
    """
    path = os.fspath(path)
    data = read_datalist(path)
    if split not in data:
        present = [s for s in SPLITS if s in data]
        raise DatalistError(f"datalist {path!r}: expected a list named {split!r} but found only {present}.")
    base_dir = os.fspath(base_dir) if base_dir is not None else os.path.dirname(os.path.abspath(path))
    validate_datalist(
        data,
        base_dir,
        splits=(split,),
        require_group=require_group,
        stage=stage,
        check_files=check_files,
        require_all_groups=require_all_groups,
    )
    if not data[split]:
        return []
    items = load_decathlon_datalist(
        path, is_segmentation=get_task(data["task"]).label_is_path, data_list_key=split, base_dir=base_dir
    )
    without_id = 0
    for raw, item in zip(data[split], items, strict=True):
        if raw.get(FairnessKeys.ID) in (None, ""):
            item[FairnessKeys.ID] = default_id(raw[FairnessKeys.IMAGE])
            without_id += 1
    if without_id:
        warnings.warn(
            f"datalist {os.path.basename(path)!r} split {split!r}: {without_id} of {len(items)} item(s) have no 'id'; "
            "using the first 12 hex digits of the SHA-1 of the image path instead (rows of the predictions CSV and "
            "output file names are named by id, never by file or folder names). Give every item an 'id'.",
            stacklevel=2,
        )
    return items


def default_id(image: Any) -> str:
    """The contract's default ``id``: the first 12 hex digits of the SHA-1 of the (relative) image path, so that no
    file or folder name (often a patient's name in PACS exports) reaches an output."""
    return hashlib.sha1(str(image).encode()).hexdigest()[:12]


def count_by_group_class(
    items: Sequence[Mapping[str, Any]], groups: Mapping[str, str], labels: Mapping[str, str] | None = None
) -> Any:
    """Count items per group x class (classification) or per group (segmentation, ``labels=None``).

    Returns:
        a ``pandas.DataFrame`` indexed by group name, one column per class name (or a single ``n`` column), with
        zero counts kept so that an empty cell is visible.
    """
    import pandas as pd

    group_names = {int(k): v for k, v in groups.items()}
    if labels is None:
        counts = {name: 0 for name in group_names.values()}
        for item in items:
            counts[group_names[int(item[FairnessKeys.GROUP])]] += 1
        return pd.DataFrame({"n": counts})
    class_names = {int(k): v for k, v in labels.items()}
    table = {c: {g: 0 for g in group_names.values()} for c in class_names.values()}
    for item in items:
        table[class_names[int(item[FairnessKeys.LABEL])]][group_names[int(item[FairnessKeys.GROUP])]] += 1
    return pd.DataFrame(table)


def num_groups(path: str | os.PathLike, default: int = 2) -> int:
    """One past the largest group id declared in a datalist's ``groups``: the size of a table indexed by group id,
    e.g. an attribute head's outputs (``default`` when the file does not exist, e.g. when MONAI Label passes the items
    directly). Equal to the number of groups only when the ids are ``0..K-1``; see :func:`group_ids`."""
    if not os.path.isfile(os.fspath(path)):
        return default
    groups = read_datalist(path).get("groups") or {}
    return max((int(k) for k in groups), default=default - 1) + 1


def group_ids(path: str | os.PathLike) -> list[int] | None:
    """The group ids a datalist declares (its ``groups`` keys as sorted ints): the groups every per-group metric,
    teacher and report is keyed by. None when the file does not exist (MONAI Label passes the items directly)."""
    if not os.path.isfile(os.fspath(path)):
        return None
    return sorted(int(k) for k in (read_datalist(path).get("groups") or {}))
