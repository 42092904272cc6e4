# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Save the whole training state every epoch; resume from the newest intact one, never going backwards.

MONAI's ``CheckpointSaver`` + ``CheckpointLoader`` pair, as bundles used them, chose the newest checkpoint by file
modification time (a ``touch`` or a copy without ``-p`` made a rerun restart at epoch 1 and retrain over ``model.pt``),
left older checkpoints of earlier processes behind, and did not carry the best-model tracker, so the first validation
after a resume overwrote ``model.pt`` even with a worse value. :class:`TrainingResume` picks by the epoch in the
trainer state, keeps the best-model trackers and any other stateful handler (early stopping) in the checkpoint,
deletes superseded checkpoints after each successful save, writes atomically, and falls back to the previous intact
checkpoint with a warning when the newest cannot be read.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from monai.handlers import CheckpointSaver
from monai.utils import IgniteInfo, min_version, optional_import

from monai_fairness.handlers.checkpoint_loader import CheckpointError, load_checkpoint

Events, _ = optional_import("ignite.engine", IgniteInfo.OPT_IMPORT_VERSION, min_version, "Events")
Checkpoint, _ = optional_import("ignite.handlers", IgniteInfo.OPT_IMPORT_VERSION, min_version, "Checkpoint")

__all__ = ["TrainingResume", "BestModelTracker"]

_FILE = re.compile(r"checkpoint_epoch=(\d+)\.pt$")


class BestModelTracker:
    """The state of a key-metric ``CheckpointSaver`` (which values it saved under which file), so that a resumed
    run saves ``model.pt`` again only for a better validation value."""

    def __init__(self, saver: CheckpointSaver) -> None:
        if getattr(saver, "_key_metric_checkpoint", None) is None:
            raise ValueError("BestModelTracker expected a CheckpointSaver with save_key_metric=True.")
        self.saver = saver

    def state_dict(self) -> dict[str, Any]:
        state = self.saver._key_metric_checkpoint.state_dict()  # ignite's own serialisable state: [(priority, file)]
        return {"saved": [[float(priority), str(name)] for priority, name in state["_saved"]]}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.saver.load_state_dict({"_saved": [tuple(item) for item in state["saved"]]})


class _EvaluatorBest:
    """``best_metric`` and ``best_metric_epoch`` of a MONAI evaluator (what its logs and early stopping compare to)."""

    def __init__(self, evaluator: Any) -> None:
        self.evaluator = evaluator

    def state_dict(self) -> dict[str, Any]:
        state = self.evaluator.state
        return {"best_metric": float(state.best_metric), "best_metric_epoch": int(state.best_metric_epoch)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.evaluator.state.best_metric = float(state["best_metric"])
        self.evaluator.state.best_metric_epoch = int(state["best_metric_epoch"])


def _plain(value: Any) -> Any:
    """NumPy scalars (e.g. an early-stopping best score computed by a NumPy metric) as Python numbers, recursively:
    ``torch.load(weights_only=True)`` refuses NumPy objects, so a checkpoint holding one could not be resumed.
    Containers without NumPy scalars are returned as they are (a module's ``state_dict`` keeps its metadata)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        items = {k: _plain(v) for k, v in value.items()}
        if all(items[k] is v for k, v in value.items()):
            return value
        return type(value)(items) if isinstance(value, dict) else items
    if isinstance(value, (list, tuple)):
        converted = [_plain(v) for v in value]
        if all(a is b for a, b in zip(converted, value, strict=True)):
            return value
        if hasattr(value, "_fields"):  # a namedtuple
            return type(value)(*converted)
        return type(value)(converted)
    return value


def _epoch_of(trainer_state: Mapping[str, Any]) -> int:
    """The epoch an ignite ``Engine.state_dict()`` is at (it stores ``iteration`` and ``epoch_length``)."""
    if "epoch" in trainer_state:
        return int(trainer_state["epoch"])
    return int(trainer_state["iteration"]) // max(1, int(trainer_state["epoch_length"]))


class _EarlyStopState:
    """The counter and best score of a MONAI ``EarlyStopHandler`` (its ignite handler exists once a trainer is set)."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler

    def _ignite(self) -> Any:
        inner = getattr(self.handler, "_handler", None)
        if inner is None:
            raise ValueError("EarlyStopHandler expected set_trainer() before the resume state is saved or loaded.")
        return inner

    def state_dict(self) -> dict[str, Any]:
        return dict(self._ignite().state_dict())

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._ignite().load_state_dict(state)


class TrainingResume:
    """Every epoch, save ``save_dict`` (network, optimizer, scheduler, trainer, ...) plus the best-model trackers to
    ``save_dir/checkpoint_epoch=N.pt``; when training starts, restore the newest intact one.

    Attach it to the trainer after the handlers whose state it saves (the ``ValidationHandler`` runs the evaluator
    first, so the saved tracker already holds this epoch's validation). A finished run resumes at its last epoch and
    does not train again.

    Args:
        save_dir: folder of the ``checkpoint_epoch=N.pt`` files (created).
        save_dict: ``{name: object with state_dict/load_state_dict}``, e.g. model, optimizer, trainer, lr_scheduler.
        handlers: the evaluator's handlers; the trackers of its key-metric ``CheckpointSaver``s (``model.pt``) and
            every handler with a ``state_dict`` (e.g. :class:`~monai_fairness.handlers.BestModelSelector`) are saved.
        evaluator: the validation evaluator; its ``best_metric``/``best_metric_epoch`` are saved.
        stateful: more ``{name: object}`` to save and restore (e.g. an ``EarlyStopHandler``).
        map_location: where to load tensors.
        save: False restores but never writes (ranks > 0 under DDP).

    Raises:
        CheckpointError: When no checkpoint can be read although some exist (all corrupt).
    """

    def __init__(
        self,
        save_dir: str,
        save_dict: Mapping[str, Any],
        handlers: Sequence[Any] | None = None,
        evaluator: Any = None,
        stateful: Mapping[str, Any] | None = None,
        map_location: Any = None,
        save: bool = True,
    ) -> None:
        self.save_dir = save_dir
        self.objects: dict[str, Any] = dict(save_dict)
        savers = [h for h in handlers or () if isinstance(h, CheckpointSaver) and h._key_metric_checkpoint is not None]
        for i, saver in enumerate(savers):
            self.objects[f"best_model_{i}"] = BestModelTracker(saver)
        stateful_handlers = [h for h in handlers or () if hasattr(h, "state_dict") and hasattr(h, "load_state_dict")]
        for i, handler in enumerate(stateful_handlers):  # e.g. the BestModelSelector's current choice
            self.objects[f"validation_handler_{i}"] = handler
        if evaluator is not None:
            self.objects["evaluator_best"] = _EvaluatorBest(evaluator)
        for name, obj in (stateful or {}).items():
            self.objects[name] = _EarlyStopState(obj) if hasattr(obj, "set_trainer") else obj
        self.map_location = map_location
        self.write = bool(save)
        self.logger = logging.getLogger(__name__)
        self.resumed_from: str | None = None

    def checkpoints(self) -> list[tuple[int, str]]:
        """``[(epoch, path)]`` in ``save_dir``, oldest first, by the epoch in the file name (never by mtime)."""
        found = []
        for path in glob.glob(os.path.join(glob.escape(self.save_dir), "checkpoint_epoch=*.pt")):
            match = _FILE.search(os.path.basename(path))
            if match:
                found.append((int(match.group(1)), path))
        return sorted(found)

    def attach(self, engine: Any) -> None:
        engine.add_event_handler(Events.STARTED, self.load)
        if self.write:
            engine.add_event_handler(Events.EPOCH_COMPLETED, self.save)

    def load(self, engine: Any) -> None:
        candidates = self.checkpoints()
        for epoch, path in reversed(candidates):
            try:
                checkpoint = load_checkpoint(path, self.map_location)
                trainer_epoch = _epoch_of(checkpoint["trainer"]) if "trainer" in checkpoint else epoch
            except (CheckpointError, KeyError, TypeError) as e:
                warnings.warn(f"resume: skipping {path!r}: {e}; trying the previous checkpoint.", stacklevel=2)
                continue
            if trainer_epoch != epoch:
                warnings.warn(f"resume: {path!r} holds epoch {trainer_epoch}, not {epoch}; skipped.", stacklevel=2)
                continue
            prior_max_epochs = engine.state.max_epochs
            present = {name: obj for name, obj in self.objects.items() if name in checkpoint}
            Checkpoint.load_objects(to_load=present, checkpoint=checkpoint)
            if prior_max_epochs is not None and engine.state.epoch > prior_max_epochs:
                raise ValueError(
                    f"resume: {path!r} is at epoch {engine.state.epoch} but max_epochs is {prior_max_epochs}; raise "
                    "max_epochs to train on, or delete the folder to start over."
                )
            engine.state.max_epochs = prior_max_epochs
            self.resumed_from = path
            self.logger.info(f"resumed from {path} (epoch {engine.state.epoch})")
            return
        if candidates:
            raise CheckpointError(
                f"resume: none of the {len(candidates)} checkpoint(s) in {self.save_dir!r} can be read; delete the "
                "folder to start over."
            )

    def save(self, engine: Any) -> None:
        os.makedirs(self.save_dir, exist_ok=True)
        epoch = int(engine.state.epoch)
        path = os.path.join(self.save_dir, f"checkpoint_epoch={epoch}.pt")
        tmp = path + ".tmp"
        torch.save({name: _plain(obj.state_dict()) for name, obj in self.objects.items()}, tmp)
        os.replace(tmp, path)  # atomic: a kill leaves the previous checkpoint or this one, never half a file
        for other_epoch, other in self.checkpoints():
            if other_epoch != epoch:
                os.remove(other)
