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


class ESVariant(StrEnum):
    """Equity-scaled metric variants (``docs/metrics.md``).

    - ``SUM_ABS``: ``M / (1 + alpha * sum_g |M - M_g|)`` (Harvard-GF/FairVision/FairSeg).
    - ``STD``: ``M / (1 + std_g(M_g))``, population std (FairMedFM).
    """

    SUM_ABS = "sum_abs"
    STD = "std"


class PSDVariant(StrEnum):
    """Percentage-style spread: ``STD`` = ``std_g(M_g) / M``; ``MAXMIN`` = ``(max_g M_g - min_g M_g) / M``."""

    STD = "std"
    MAXMIN = "maxmin"
