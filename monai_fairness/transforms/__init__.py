# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

from .array import BinAge, DicomSensitiveAttributes, EncodeSex, FitzpatrickToGroup, StripIdentifyingMeta
from .dictionary import (
    BinAgeD,
    BinAged,
    BinAgeDict,
    DicomSensitiveAttributesD,
    DicomSensitiveAttributesd,
    DicomSensitiveAttributesDict,
    EncodeSexD,
    EncodeSexd,
    EncodeSexDict,
    FitzpatrickToGroupD,
    FitzpatrickToGroupd,
    FitzpatrickToGroupDict,
    StripIdentifyingMetaD,
    StripIdentifyingMetad,
    StripIdentifyingMetaDict,
)
from .ita import ITA_CATEGORIES, SkinToneITA, ita_category, ita_degrees, ita_to_fitzpatrick, srgb_to_lab
from .output_name import NameByIdD, NameByIdd, NameByIdDict

__all__ = [
    "ITA_CATEGORIES",
    "SkinToneITA",
    "ita_category",
    "ita_degrees",
    "ita_to_fitzpatrick",
    "srgb_to_lab",
    "BinAge",
    "DicomSensitiveAttributes",
    "EncodeSex",
    "FitzpatrickToGroup",
    "StripIdentifyingMeta",
    "BinAged",
    "BinAgeD",
    "BinAgeDict",
    "DicomSensitiveAttributesd",
    "DicomSensitiveAttributesD",
    "DicomSensitiveAttributesDict",
    "EncodeSexd",
    "EncodeSexD",
    "EncodeSexDict",
    "FitzpatrickToGroupd",
    "FitzpatrickToGroupD",
    "FitzpatrickToGroupDict",
    "StripIdentifyingMetad",
    "StripIdentifyingMetaD",
    "StripIdentifyingMetaDict",
    "NameByIdd",
    "NameByIdD",
    "NameByIdDict",
]
