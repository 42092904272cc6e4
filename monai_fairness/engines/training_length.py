# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""A training stage must validate at least once: validation is what selects and saves its model."""

from __future__ import annotations

__all__ = ["check_reaches_validation"]


def check_reaches_validation(max_epochs: int, val_interval: int) -> int:
    """Return ``max_epochs`` when the trainer reaches its first validation, else raise.

    Every training stage of these bundles saves its model from the validation handlers (``BestModelSelector`` and
    ``CheckpointSaver`` on the evaluator, which ``ValidationHandler`` runs every ``val_interval`` epochs). A stage with
    fewer epochs than ``val_interval`` would train, finish without an error and leave no model, and the next stage
    (e.g. FairDi's student, which loads every teacher) would fail on a missing file. MONAI's ``ValidationHandler`` has
    no option to validate at the last epoch, hence this check, called where the trainer is built
    (``train#trainer#max_epochs``).

    Args:
        max_epochs: the stage's epochs (``epochs``, ``teacher_epochs``, ``student_epochs``, ``perturber_epochs``, ...).
        val_interval: epochs between validations.

    Raises:
        ValueError: When ``max_epochs`` or ``val_interval`` is below 1, or ``max_epochs < val_interval``.
    """
    if int(val_interval) < 1:
        raise ValueError(f"val_interval expected at least 1 but got {val_interval!r}.")
    if int(max_epochs) < int(val_interval):
        raise ValueError(
            f"max_epochs expected at least val_interval ({val_interval}) so that a validation selects and saves the "
            f"model, but got {max_epochs!r} (the stage's epochs, e.g. epochs, teacher_epochs, student_epochs or "
            "perturber_epochs): raise it or lower val_interval."
        )
    return int(max_epochs)
