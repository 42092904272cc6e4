# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Sensitive attributes from DICOM headers, without patient identifiers.

Only two derived values ever leave this module: ``sex`` (``"M"``, ``"F"``, ``"O"`` or ``None``) and ``age`` in years
(float or ``None``). PatientName, PatientID and every date are read only to compute the age and are never returned,
logged or put into an error message (``docs/data_contract.md``, patient identifiers).
"""

from __future__ import annotations

import datetime
import os
import re
from typing import Any

__all__ = ["parse_dicom_age", "age_from_dates", "read_dicom_attributes", "first_dicom_file", "IDENTIFYING_KEYWORDS"]

# DICOM keywords that identify a patient or a visit; never copied into outputs (``docs/data_contract.md``).
IDENTIFYING_KEYWORDS = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientBirthTime",
    "OtherPatientIDs",
    "OtherPatientNames",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "StudyDate",
    "SeriesDate",
    "AcquisitionDate",
    "ContentDate",
    "StudyTime",
    "SeriesTime",
    "AcquisitionTime",
    "ContentTime",
    "AccessionNumber",
    "InstitutionName",
    "InstitutionAddress",
    "ReferringPhysicianName",
    "PerformingPhysicianName",
    "OperatorsName",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "StudyID",
)

MIN_PLAUSIBLE_YEAR = 1850
_AGE_RE = re.compile(r"^\s*(\d{1,3})\s*([DWMY])\s*$")
_DAYS_PER = {"D": 1.0, "W": 7.0, "M": 365.25 / 12.0, "Y": 365.25}


def parse_dicom_age(value: Any) -> float | None:
    """Parse a DICOM Age String (VR AS, ``nnnD|W|M|Y``) into years.

    ``"060Y"`` -> 60.0, ``"045M"`` -> 3.75, ``"003W"`` -> 0.0575..., ``"010D"`` -> 0.0274...; an empty or malformed
    value gives ``None`` (unknown), never a guess.
    """
    if value is None:
        return None
    match = _AGE_RE.match(str(value))
    if match is None:
        return None
    number, unit = int(match.group(1)), match.group(2)
    if unit == "Y":
        return float(number)
    return number * _DAYS_PER[unit] / 365.25


def _parse_date(value: Any) -> datetime.date | None:
    text = str(value or "").strip()
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        date = datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:  # e.g. "20231340"
        return None
    # placeholder dates such as "11111111" parse but are not real: treat years before 1850 as unknown (our choice)
    return date if date.year >= MIN_PLAUSIBLE_YEAR else None


def age_from_dates(birth: Any, study: Any) -> float | None:
    """Whole years between two DICOM dates (``YYYYMMDD``); ``None`` when either is missing or invalid, or the
    study precedes the birth."""
    b, s = _parse_date(birth), _parse_date(study)
    if b is None or s is None or s < b:
        return None
    years = s.year - b.year - ((s.month, s.day) < (b.month, b.day))
    return float(years)


def _normalise_sex(value: Any) -> str | None:
    text = str(value or "").strip().upper()
    return text if text in ("M", "F", "O") else None


def first_dicom_file(path: str | os.PathLike) -> str:
    """A DICOM file path itself, or the first file (sorted by name) of a series folder.

    Raises:
        ValueError: When ``path`` does not exist or is an empty folder.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        files = sorted(f for f in os.listdir(path) if os.path.isfile(os.path.join(path, f)) and not f.startswith("."))
        if not files:
            raise ValueError(
                f"read_dicom_attributes: expected a DICOM file or a non-empty series folder but {path!r} is empty."
            )
        return os.path.join(path, files[0])
    if not os.path.isfile(path):
        raise ValueError(f"read_dicom_attributes: expected a DICOM file or series folder but {path!r} does not exist.")
    return path


def read_dicom_attributes(source: Any) -> dict[str, Any]:
    """Read ``sex`` and ``age`` (years) from a DICOM file, a series folder or a ``pydicom.Dataset``.

    ``age`` comes from PatientAge when valid, otherwise from PatientBirthDate and StudyDate (then SeriesDate,
    AcquisitionDate); invalid or placeholder dates (``11111111``) give ``None``. ``sex`` is ``"M"``, ``"F"``, ``"O"`` or
    ``None`` (empty). No identifier is returned.
    """
    import pydicom

    if isinstance(source, pydicom.Dataset):
        ds = source
    else:
        ds = pydicom.dcmread(first_dicom_file(source), stop_before_pixels=True)
    age = parse_dicom_age(ds.get("PatientAge"))
    if age is None:
        birth = ds.get("PatientBirthDate")
        for key in ("StudyDate", "SeriesDate", "AcquisitionDate"):
            age = age_from_dates(birth, ds.get(key))
            if age is not None:
                break
    return {"sex": _normalise_sex(ds.get("PatientSex")), "age": age}
