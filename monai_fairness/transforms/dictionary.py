# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Dictionary versions of :mod:`monai_fairness.transforms.array`: read a raw attribute key, write ``group``.

Example (config)::

    {"_target_": "monai_fairness.transforms.FitzpatrickToGroupd", "keys": "fitzpatrick", "cut": 3}
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from monai.config import KeysCollection
from monai.transforms import MapTransform

from monai_fairness.transforms.array import (
    BinAge,
    DicomSensitiveAttributes,
    EncodeSex,
    FitzpatrickToGroup,
    StripIdentifyingMeta,
)
from monai_fairness.utils.enums import FairnessKeys, UnknownPolicy

__all__ = [
    "EncodeSexd",
    "EncodeSexD",
    "EncodeSexDict",
    "BinAged",
    "BinAgeD",
    "BinAgeDict",
    "FitzpatrickToGroupd",
    "FitzpatrickToGroupD",
    "FitzpatrickToGroupDict",
    "DicomSensitiveAttributesd",
    "DicomSensitiveAttributesD",
    "DicomSensitiveAttributesDict",
    "StripIdentifyingMetad",
    "StripIdentifyingMetaD",
    "StripIdentifyingMetaDict",
]


class _AttributeToGroupd(MapTransform):
    """Shared loop: one raw attribute key in, ``group_key`` out."""

    converter: Any

    def __init__(self, keys: KeysCollection, group_key: str, allow_missing_keys: bool) -> None:
        super().__init__(keys, allow_missing_keys)
        if len(self.keys) != 1:
            raise ValueError(
                f"{type(self).__name__}: 'keys' expected exactly one attribute key but got {list(self.keys)}."
            )
        self.group_key = group_key

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        for key in self.key_iterator(d):
            d[self.group_key] = self.converter(d[key], field=str(key))
        return d


class EncodeSexd(_AttributeToGroupd):
    """Dictionary version of :class:`EncodeSex`: ``d[group_key] = EncodeSex(...)(d[keys])``."""

    def __init__(
        self,
        keys: KeysCollection = "sex",
        group_key: str = FairnessKeys.GROUP,
        order: Sequence[str] = ("M", "F"),
        mapping: Mapping[Any, str] | None = None,
        unknown: UnknownPolicy | str = UnknownPolicy.ERROR,
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, group_key, allow_missing_keys)
        self.converter = EncodeSex(order=order, mapping=mapping, unknown=unknown)


class BinAged(_AttributeToGroupd):
    """Dictionary version of :class:`BinAge`."""

    def __init__(
        self,
        keys: KeysCollection = "age",
        group_key: str = FairnessKeys.GROUP,
        edges: Sequence[float] = (60.0,),
        unknown: UnknownPolicy | str = UnknownPolicy.ERROR,
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, group_key, allow_missing_keys)
        self.converter = BinAge(edges=edges, unknown=unknown)


class FitzpatrickToGroupd(_AttributeToGroupd):
    """Dictionary version of :class:`FitzpatrickToGroup`."""

    def __init__(
        self,
        keys: KeysCollection = "fitzpatrick",
        group_key: str = FairnessKeys.GROUP,
        cut: int = 3,
        unknown: UnknownPolicy | str = UnknownPolicy.ERROR,
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, group_key, allow_missing_keys)
        self.converter = FitzpatrickToGroup(cut=cut, unknown=unknown)


class DicomSensitiveAttributesd(MapTransform):
    """Read ``sex`` and ``age`` from the DICOM file or series folder at ``d[keys]`` (a path, before ``LoadImaged``).

    Only the derived ``sex_key``/``age_key`` values are written; no identifier enters the dictionary.
    """

    def __init__(
        self,
        keys: KeysCollection = FairnessKeys.IMAGE,
        sex_key: str = "sex",
        age_key: str = "age",
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        self.sex_key, self.age_key = sex_key, age_key
        self.reader = DicomSensitiveAttributes()

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        for key in self.key_iterator(d):
            attributes = self.reader(d[key])
            d[self.sex_key], d[self.age_key] = attributes["sex"], attributes["age"]
        return d


class StripIdentifyingMetad(MapTransform):
    """Dictionary version of :class:`StripIdentifyingMeta`; also strips ``{key}_meta_dict`` entries if present."""

    def __init__(self, keys: KeysCollection = FairnessKeys.IMAGE, allow_missing_keys: bool = False) -> None:
        super().__init__(keys, allow_missing_keys)
        self.stripper = StripIdentifyingMeta()

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        for key in self.key_iterator(d):
            self.stripper(d[key])
            meta_key = f"{key}_meta_dict"
            if isinstance(d.get(meta_key), dict):
                self.stripper(d[meta_key])
        return d


EncodeSexD = EncodeSexDict = EncodeSexd
BinAgeD = BinAgeDict = BinAged
FitzpatrickToGroupD = FitzpatrickToGroupDict = FitzpatrickToGroupd
DicomSensitiveAttributesD = DicomSensitiveAttributesDict = DicomSensitiveAttributesd
StripIdentifyingMetaD = StripIdentifyingMetaDict = StripIdentifyingMetad
