# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Name outputs by the item's ``id``, never by the input's file or folder name.

``SaveImaged`` names a file after the input's ``filename_or_obj``; in PACS exports a DICOM series folder is often named
after the patient (``DOE_JOHN_MRN12345678``), so the segmentation would be written as
``DOE_JOHN_MRN12345678_seg.nii.gz``. Put :class:`NameByIdd` right before ``SaveImaged``: it replaces the name in the
output's metadata with the item's non-identifying ``id``, or, when the item has none (e.g. an image sent by MONAI
Label), with the first 12 hex digits of the SHA-1 of the path.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from monai.config import KeysCollection
from monai.transforms import MapTransform

from monai_fairness.data.datalist import default_id
from monai_fairness.utils.enums import FairnessKeys

__all__ = ["NameByIdd", "NameByIdD", "NameByIdDict"]


class NameByIdd(MapTransform):
    """Set ``filename_or_obj`` in the metadata of ``keys`` (MetaTensors) to the item's ``id`` (or a hash of the
    original path), so that writers name their files by it.

    Args:
        keys: the outputs to rename (e.g. ``"pred"``).
        id_key: the item's id key.
        allow_missing_keys: skip absent keys.
    """

    def __init__(self, keys: KeysCollection, id_key: str = FairnessKeys.ID, allow_missing_keys: bool = False) -> None:
        super().__init__(keys, allow_missing_keys)
        self.id_key = id_key

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        for key in self.key_iterator(d):
            meta = getattr(d[key], "meta", None)
            if meta is None:
                continue
            ident = d.get(self.id_key)
            if ident is None or str(ident) == "":
                ident = default_id(meta.get("filename_or_obj", ""))
            meta["filename_or_obj"] = str(ident)
        return d


NameByIdD = NameByIdDict = NameByIdd
