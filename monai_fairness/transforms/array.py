# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Array transforms that turn a raw sensitive attribute into an integer group id, and strip identifiers.

Unknown values (PatientSex ``O`` or empty, Fitzpatrick ``-1``, a missing age) are rejected by default, or given their
own group id one past the known groups (``unknown="separate"``); they are never silently merged into a real group.
Values that are not even unknown-but-valid (Fitzpatrick ``7``, sex ``"X"``) always raise.
"""

from __future__ import annotations

import bisect
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

from monai.transforms import Transform
from monai.utils import look_up_option

from monai_fairness.data.dicom import IDENTIFYING_KEYWORDS, parse_dicom_age, read_dicom_attributes
from monai_fairness.utils.enums import UnknownPolicy

__all__ = [
    "EncodeSex",
    "BinAge",
    "FitzpatrickToGroup",
    "DicomSensitiveAttributes",
    "StripIdentifyingMeta",
    "SEX_SPELLINGS",
    "FITZPATRICK_UNKNOWN",
]

# common spellings -> canonical sex code; numbers are deliberately absent (datasets disagree: ISIC gender 1 = male,
# FairSeg gender 0 = female), pass an explicit ``mapping`` for numeric encodings.
SEX_SPELLINGS: dict[str, str] = {
    "m": "M",
    "male": "M",
    "man": "M",
    "f": "F",
    "female": "F",
    "woman": "F",
    "o": "O",
    "other": "O",
    "u": "O",
    "unknown": "O",
    "unk": "O",
    "": "O",
    "nan": "O",
    "none": "O",
}
FITZPATRICK_UNKNOWN = (-1, "-1", "", "nan", "none", "unknown")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6}


def _unknown(policy: UnknownPolicy, n_known: int, name: str, field: str, value: Any, expected: str) -> int:
    if policy == UnknownPolicy.SEPARATE:
        return n_known
    raise ValueError(
        f"{name}: field {field!r} expected {expected} but got the unknown value {value!r}; pass "
        f"unknown='separate' to keep unknown values as their own group (id {n_known})."
    )


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


class EncodeSex(Transform):
    """Sex (``M``/``F``/``O`` and common spellings such as ``male``, ``Female``) -> group id.

    Args:
        order: canonical codes in group-id order; default ``("M", "F")`` gives M -> 0, F -> 1.
        mapping: optional explicit raw value -> canonical code map (e.g. ``{1: "M", 0: "F"}`` for ISIC's gender),
            checked before the spellings table.
        unknown: ``"error"`` (default) or ``"separate"`` (``O``/empty/unknown -> ``len(order)``).
    """

    def __init__(
        self,
        order: Sequence[str] = ("M", "F"),
        mapping: Mapping[Any, str] | None = None,
        unknown: UnknownPolicy | str = UnknownPolicy.ERROR,
    ) -> None:
        self.order = [str(o).upper() for o in order]
        self.mapping = dict(mapping or {})
        self.unknown = look_up_option(unknown, UnknownPolicy)

    def __call__(self, value: Any, field: str = "sex") -> int:
        if value in self.mapping:
            code = str(self.mapping[value]).upper()
        elif _is_missing(value):
            code = "O"
        else:
            code = SEX_SPELLINGS.get(str(value).strip().lower(), None)
            if code is None:
                raise ValueError(
                    f"EncodeSex: field {field!r} expected one of {self.order} or a common spelling "
                    f"(male/female/other/unknown) but got {value!r}."
                )
        if code in self.order:
            return self.order.index(code)
        return _unknown(self.unknown, len(self.order), "EncodeSex", field, value, f"one of {self.order}")


class BinAge(Transform):
    """Age in years (number, numeric string, or DICOM AS string such as ``"060Y"``) -> bin index.

    Bins are half-open: with ``edges=(60,)``, age < 60 -> 0 and age >= 60 -> 1 (the FairSeg/FairMedFM convention);
    ``edges=(40, 60)`` gives three bins.

    Args:
        edges: increasing bin edges in years.
        unknown: ``"error"`` (default) or ``"separate"`` (missing age -> ``len(edges) + 1``).
    """

    def __init__(self, edges: Sequence[float] = (60.0,), unknown: UnknownPolicy | str = UnknownPolicy.ERROR) -> None:
        edges = [float(e) for e in edges]
        if not edges or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
            raise ValueError(f"BinAge: 'edges' expected a non-empty increasing sequence but got {edges}.")
        self.edges = edges
        self.unknown = look_up_option(unknown, UnknownPolicy)

    def __call__(self, value: Any, field: str = "age") -> int:
        age: float | None
        if _is_missing(value) or (isinstance(value, str) and not value.strip()):
            age = None
        elif isinstance(value, str):
            age = parse_dicom_age(value)
            if age is None:
                try:
                    age = float(value)
                except ValueError:
                    raise ValueError(
                        f"BinAge: field {field!r} expected a number of years or a DICOM age string like '060Y' "
                        f"but got {value!r}."
                    ) from None
        else:
            age = float(value)
        if age is None:
            return _unknown(self.unknown, len(self.edges) + 1, "BinAge", field, value, "an age in years")
        if age < 0 or age > 130:
            raise ValueError(f"BinAge: field {field!r} expected an age in [0, 130] years but got {value!r}.")
        return bisect.bisect_right(self.edges, age)


class FitzpatrickToGroup(Transform):
    """Fitzpatrick skin type (1-6, ``"I"``-``"VI"``, ``"type III"``) -> light (0) / dark (1).

    Types ``1..cut`` are light and ``cut+1..6`` dark (default ``cut=3``: I-III light, IV-VI dark). ``-1`` (the
    Fitzpatrick17k code for unknown) and empty values are unknown: rejected, or their own group 2 with
    ``unknown="separate"``; they never become "dark" (the official SCP code's mistake).

    Args:
        cut: last light type, in 1..5.
        unknown: ``"error"`` (default) or ``"separate"``.
    """

    def __init__(self, cut: int = 3, unknown: UnknownPolicy | str = UnknownPolicy.ERROR) -> None:
        if not 1 <= int(cut) <= 5:
            raise ValueError(f"FitzpatrickToGroup: 'cut' expected an int in 1..5 but got {cut!r}.")
        self.cut = int(cut)
        self.unknown = look_up_option(unknown, UnknownPolicy)

    def __call__(self, value: Any, field: str = "fitzpatrick") -> int:
        if _is_missing(value) or value in FITZPATRICK_UNKNOWN or str(value).strip().lower() in FITZPATRICK_UNKNOWN:
            return _unknown(self.unknown, 2, "FitzpatrickToGroup", field, value, "a skin type 1-6")
        text = str(value).strip().lower().removeprefix("type").strip()
        skin_type = _ROMAN.get(text)
        if skin_type is None:
            try:
                number = float(text)
                skin_type = int(number) if number.is_integer() else None
            except ValueError:
                skin_type = None
        if skin_type is None or not 1 <= skin_type <= 6:
            raise ValueError(
                f"FitzpatrickToGroup: field {field!r} expected a skin type 1-6 (or I-VI; -1 = unknown) "
                f"but got {value!r}."
            )
        return 0 if skin_type <= self.cut else 1


class DicomSensitiveAttributes(Transform):
    """DICOM file or series folder -> ``{"sex": "M"|"F"|"O"|None, "age": years|None}``; no identifier is returned."""

    def __call__(self, path: str | os.PathLike) -> dict[str, Any]:
        return read_dicom_attributes(path)


def _identifying_meta_keys() -> set[str]:
    """Meta-dict keys under which MONAI readers store identifying DICOM tags (keyword, ITK ``gggg|eeee``, pydicom
    ``ggggeeee``)."""
    from pydicom.datadict import tag_for_keyword

    keys: set[str] = set()
    for keyword in IDENTIFYING_KEYWORDS:
        keys.add(keyword)
        tag = tag_for_keyword(keyword)
        if tag is None:
            continue
        group, element = tag >> 16, tag & 0xFFFF
        keys.update({f"{group:04x}|{element:04x}", f"{group:04X}|{element:04X}", f"{group:04X}{element:04X}"})
    return keys


class StripIdentifyingMeta(Transform):
    """Remove identifying DICOM header entries (PatientName, PatientID, dates, UIDs...) from an image's metadata.

    MONAI's DICOM readers can copy header tags into ``MetaTensor.meta``; this transform deletes them so that no
    later handler, writer or logger can see them. Works on a ``MetaTensor`` or a plain meta dict.
    """

    def __init__(self) -> None:
        self._keys = _identifying_meta_keys()

    def __call__(self, img: Any) -> Any:
        meta = getattr(img, "meta", img)
        if isinstance(meta, dict):
            for key in [k for k in meta if str(k) in self._keys]:
                del meta[key]
        return img
