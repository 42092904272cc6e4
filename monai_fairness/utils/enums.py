# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Option strings shared across the package, MONAI style (``StrEnum`` checked with ``look_up_option``)."""

from __future__ import annotations

from monai.utils import StrEnum


class FairnessKeys(StrEnum):
    """Keys of the data dictionary used across monai-fairness.

    ``GROUP`` holds the integer sensitive-group id of a sample (``int`` per item, a ``[B]`` tensor per batch).
    """

    IMAGE = "image"
    LABEL = "label"
    GROUP = "group"
    ID = "id"
    PRED = "pred"


class UnknownPolicy(StrEnum):
    """What to do with an attribute value that is missing or unknown (e.g. Fitzpatrick ``-1``, PatientSex ``O``).

    - ``ERROR``: raise a ``ValueError`` naming the value (default; nothing is silently merged into a group).
    - ``SEPARATE``: give unknown values their own group id, one past the last known group.
    """

    ERROR = "error"
    SEPARATE = "separate"
