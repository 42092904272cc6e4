# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Shared pieces of the dataset converters: attribute -> group options, unknown handling, splits, datalist writing.

Every converter maps raw columns to ``label``, ``group`` and the raw attributes, logs counts per group, and never
folds an unknown value into a real group (``data_prep/README.md``). ``--unknown`` chooses what happens to
an item whose attribute is missing or unknown: ``drop`` (default: left out of the datalist, counted and reported with
file and row), ``separate`` (its own group), or ``error`` (stop, naming the file and row).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from monai_fairness.data.splits import stratified_split
from monai_fairness.data.synthetic import item_id
from monai_fairness.transforms import BinAge, EncodeSex, FitzpatrickToGroup

LOG = logging.getLogger("data_prep")
UNKNOWN_CHOICES = ("drop", "separate", "error")


class ConversionError(ValueError):
    """Bad or missing source data; the message names the file, the row, the field and the value."""


def add_common_args(p: argparse.ArgumentParser, attributes: Sequence[str], default: str) -> None:
    p.add_argument("--out", required=True, help="output folder; the datalist and any converted images go there")
    p.add_argument(
        "--attribute", choices=list(attributes), default=default, help=f"sensitive attribute (default {default})"
    )
    p.add_argument("--age-bins", type=float, nargs="+", default=[60.0], help="age bin edges in years (default: 60)")
    p.add_argument("--fitzpatrick-cut", type=int, default=3, help="last 'light' Fitzpatrick type (default 3: I-III)")
    p.add_argument("--unknown", choices=UNKNOWN_CHOICES, default="drop", help="unknown/missing attribute values")
    p.add_argument("--ratios", type=float, nargs=3, default=[0.7, 0.15, 0.15], help="train/validation/test ratios")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--datalist-name", default="datalist.json")


class GroupEncoder:
    """Raw attribute value -> group id per the command-line options; ``None`` means "drop this item"."""

    def __init__(
        self, attribute: str, age_bins: Sequence[float] = (60.0,), fitzpatrick_cut: int = 3, unknown: str = "drop"
    ):
        if unknown not in UNKNOWN_CHOICES:
            raise ValueError(f"unknown expected one of {UNKNOWN_CHOICES} but got {unknown!r}.")
        self.attribute, self.unknown = attribute, unknown
        policy = "separate" if unknown == "separate" else "error"
        if attribute == "sex":
            self.encoder: Any = EncodeSex(unknown=policy)
            self.names = {"0": "M", "1": "F"}
        elif attribute == "age":
            self.encoder = BinAge(age_bins, unknown=policy)
            edges = [f"{e:g}" for e in age_bins]
            self.names = {
                str(i): n
                for i, n in enumerate(
                    [f"<{edges[0]}"] + [f"{a}-{b}" for a, b in zip(edges, edges[1:], strict=False)] + [f">={edges[-1]}"]
                )
            }
        elif attribute in ("skin_tone", "ita"):
            self.encoder = FitzpatrickToGroup(fitzpatrick_cut, unknown=policy)
            self.names = {"0": "light", "1": "dark"}
        else:
            raise ValueError(f"attribute expected one of sex, age, skin_tone but got {attribute!r}.")
        if unknown == "separate":
            self.names[str(len(self.names))] = "unknown"
        self.dropped: list[str] = []

    def __call__(self, value: Any, where: str) -> int | None:
        try:
            return int(self.encoder(value, field=self.attribute))
        except ValueError as e:
            if "unknown value" in str(e) and self.unknown == "drop":
                self.dropped.append(where)
                return None
            raise ConversionError(f"{where}: {e}") from None

    def log_report(self) -> None:
        """Log the dropped-item summary, if any."""
        if self.dropped:
            LOG.info(self.report())

    def report(self) -> str:
        if not self.dropped:
            return ""
        shown = ", ".join(self.dropped[:5]) + (" ..." if len(self.dropped) > 5 else "")
        return f"dropped {len(self.dropped)} item(s) with an unknown or missing {self.attribute!r}: {shown}"


def official_splits(
    items: list[dict[str, Any]],
    key: str,
    list_files: Sequence[str] | None,
    ratios: Sequence[float],
    seed: int,
    by_class: bool = True,
) -> dict[str, list[dict[str, Any]]] | None:
    """Splits from a dataset's official ``(train_list, test_list)`` files (NIH, FairSeg): test is the second list,
    validation is carved out of the first (clustered by ``_cluster``). ``key`` names the item field holding the file
    name; it is removed from every item. Returns None (a fresh split) when ``list_files`` is None."""
    splits = None
    if list_files:
        train_ids, test_ids = (set(open(f).read().split()) for f in list_files)
        train = [i for i in items if i[key] in train_ids]
        parts = stratified_split(
            train,
            (ratios[0], ratios[1]),
            ("training", "validation"),
            by_class=by_class,
            seed=seed,
            cluster_key="_cluster",
        )
        splits = {**parts, "test": [i for i in items if i[key] in test_ids]}
    for item in items:
        item.pop(key)
    return splits


def write_datalist(
    out_dir: str,
    items: list[dict[str, Any]],
    *,
    name: str,
    description: str,
    task: str,
    attribute: str,
    groups: Mapping[str, str],
    labels: Mapping[str, str],
    ratios: Sequence[float],
    seed: int,
    cluster_key: str | None = None,
    splits: Mapping[str, list[dict[str, Any]]] | None = None,
    filename: str = "datalist.json",
) -> str:
    """Split (group x class stratified, clustered by ``cluster_key``), drop the cluster key, log the counts, write."""
    if not items:
        raise ConversionError("no item left to write: check the input paths and the --unknown policy.")
    if splits is None:
        splits = stratified_split(items, ratios, by_class=task == "classification", seed=seed, cluster_key=cluster_key)
    clean = {k: [{f: v for f, v in i.items() if f != "_cluster"} for i in part] for k, part in splits.items()}
    datalist = {
        "name": name,
        "description": description,
        "task": task,
        "sensitive_attribute": attribute,
        "groups": dict(groups),
        "labels": dict(labels),
        "synthetic": False,
        **clean,
    }
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, filename)
    with open(path, "w") as f:
        json.dump(datalist, f, indent=1)
    for split, part in clean.items():
        counts = Counter(groups.get(str(i.get("group")), "?") for i in part)
        LOG.info(f"{split}: {len(part)} items, per group {dict(sorted(counts.items()))}")
    return path


def relative_image(out_dir: str, path: str) -> str:
    """Image path relative to the datalist folder (the contract keeps paths relative)."""
    return os.path.relpath(os.path.abspath(path), os.path.abspath(out_dir))


def new_item(out_dir: str, image_path: str, **fields: Any) -> dict[str, Any]:
    """A datalist item; raw attributes that are unknown (None) are left out rather than written as null, which MONAI's
    collation cannot batch."""
    rel = relative_image(out_dir, image_path)
    return {"image": rel, **{k: v for k, v in fields.items() if v is not None}, "id": item_id(rel)}


def ita_attributes(image_path: str) -> dict[str, Any]:
    """Derived skin tone of a dermatology image: ``ita`` (degrees, median over the outer skin ring),
    ``ita_category`` (Del Bino) and ``fitzpatrick_ita`` (Fitzpatrick-like type 1-6). Never self-reported or rated."""
    import numpy as np
    from PIL import Image

    from monai_fairness.transforms import SkinToneITA, ita_category, ita_to_fitzpatrick

    ita = SkinToneITA()(np.asarray(Image.open(image_path).convert("RGB")))
    return {"ita": round(ita, 2), "ita_category": ita_category(ita), "fitzpatrick_ita": ita_to_fitzpatrick(ita)}
