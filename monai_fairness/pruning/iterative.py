# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Iterative SCP: score -> prune (mask) -> fine-tune -> validate, until a stop rule fires; then export the best.

SCP repeats steps 2-4 "until the stopping criteria are met" without saying which (``docs/methods.md``, SCP).
Our rule (§4): the first of a maximum number of iterations, validation FATE not improving, or validation accuracy
more than ``max_accuracy_drop`` (absolute) below the vanilla model's. The model kept is the iteration with the best
validation FATE among those within the accuracy bound (never selected on test). Every iteration is checkpointed, so an
interrupted run resumes after its last finished iteration.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import torch
from ignite.engine import Engine

from monai_fairness.metrics.tradeoff import compute_fate
from monai_fairness.pruning.plan import save_pruning_plan
from monai_fairness.pruning.pruner import SNNLChannelPruner
from monai_fairness.pruning.scores_io import plot_channel_scores, write_channel_scores

__all__ = ["StopRule", "IterativeChannelPruning"]

logger = logging.getLogger(__name__)


@dataclass
class StopRule:
    """When to stop pruning; any criterion set to ``None`` is off.

    Args:
        max_iterations: prune -> fine-tune rounds at most.
        fate_patience: stop after this many rounds in a row without a better validation FATE; ``None`` or 0: off (a
            bundle CLI cannot pass ``None``, so ``--fate_patience 0``).
        max_accuracy_drop: stop once validation accuracy is more than this (absolute) below the vanilla model's
            (``None`` or ``1.0``: off).
    """

    max_iterations: int = 4
    fate_patience: int | None = 1
    max_accuracy_drop: float | None = 0.02

    def __post_init__(self):
        if self.max_iterations < 1:
            raise ValueError(f"max_iterations expected >= 1 but got {self.max_iterations}.")

    def reason(self, history: list[dict[str, Any]]) -> str | None:
        """Why to stop after the last entry of ``history`` (entry 0 is the vanilla model), or ``None``."""
        rounds = history[1:]
        last = rounds[-1]
        if self.max_accuracy_drop is not None and last["accuracy_drop"] > self.max_accuracy_drop:
            return (
                f"validation accuracy dropped {last['accuracy_drop']:.4f} > max_accuracy_drop {self.max_accuracy_drop}"
            )
        if self.fate_patience:
            best = -math.inf
            since = 0
            for r in rounds:
                since = 0 if r["fate"] > best else since + 1
                best = max(best, r["fate"])
            if since >= self.fate_patience:
                return f"validation FATE did not improve for {since} iteration(s)"
        if len(rounds) >= self.max_iterations:
            return f"reached max_iterations {self.max_iterations}"
        return None


class IterativeChannelPruning:
    """Run SCP's prune -> fine-tune loop on a trained classifier, as a bundle's ``prune_finetune`` workflow.

    Args:
        pruner: the :class:`SNNLChannelPruner` around the network that ``trainer`` and ``evaluator`` use.
        calibration_loader: un-augmented training data in a fixed order, with ``group`` (the scores' input).
        trainer: fine-tunes the (masked) network for its ``max_epochs`` each iteration.
        evaluator: validation; its ``state.metrics`` must hold ``accuracy_key``, ``fate_acc_key``, ``fate_fc_key``
            (``monai_fairness.handlers.GroupMetricHandler`` with ``prefix="val_"`` writes them).
        ckpt_dir: where the pruned ``model_file`` (plain state_dict of the physically pruned network), ``plan_file``,
            ``masked_file`` (full-size masked state_dict) and per-iteration checkpoints go.
        output_dir: where the per-iteration scores (CSV + PNG) and ``scp_history.json`` go.
        vanilla_file: state_dict of the trained vanilla network, loaded with ``weights_only=True`` before pruning.
        stop_rule: see :class:`StopRule`.
    """

    def __init__(
        self,
        pruner: SNNLChannelPruner,
        calibration_loader: Iterable[Mapping[str, Any]],
        trainer: Engine,
        evaluator: Engine,
        ckpt_dir: str,
        output_dir: str,
        vanilla_file: str | None = None,
        stop_rule: StopRule | None = None,
        accuracy_key: str = "val_accuracy",
        fate_acc_key: str = "val_f1_macro",
        fate_fc_key: str = "val_eodd",
        model_file: str = "model.pt",
        plan_file: str = "pruning_plan.json",
        masked_file: str = "model_masked.pt",
    ):
        self.pruner = pruner
        self.calibration_loader = calibration_loader
        self.trainer, self.evaluator = trainer, evaluator
        self.ckpt_dir, self.output_dir = ckpt_dir, output_dir
        self.vanilla_file = vanilla_file
        self.stop_rule = stop_rule or StopRule()
        self.keys = {"accuracy": accuracy_key, "fate_acc": fate_acc_key, "fate_fc": fate_fc_key}
        self.model_file, self.plan_file, self.masked_file = model_file, plan_file, masked_file
        self.history_path = os.path.join(output_dir, "scp_history.json")

    @property
    def network(self) -> torch.nn.Module:
        return self.pruner.network

    def _iter_ckpt(self, k: int) -> str:
        return os.path.join(self.ckpt_dir, f"scp_iter{k}.pt")

    def _validate(self) -> dict[str, float]:
        self.evaluator.run()
        metrics = self.evaluator.state.metrics
        missing = [v for v in self.keys.values() if v not in metrics]
        if missing:
            raise KeyError(
                f"IterativeChannelPruning: evaluator metrics expected keys {missing} but has {sorted(metrics)}; add "
                "monai_fairness.handlers.GroupMetricHandler(prefix='val_') to validate#additional_metrics."
            )
        return {name: float(metrics[key]) for name, key in self.keys.items()}

    def _save_history(self, history: list[dict[str, Any]], **extra: Any) -> None:
        os.makedirs(self.output_dir, exist_ok=True)
        with open(self.history_path, "w") as f:
            json.dump({"stop_rule": asdict(self.stop_rule), "history": history, **extra}, f, indent=1)

    def _load(self, path: str) -> None:
        self.network.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))

    def _resume(self) -> list[dict[str, Any]]:
        if not os.path.exists(self.history_path):
            return []
        with open(self.history_path) as f:
            history = json.load(f)["history"]
        done = [h for h in history[1:] if os.path.exists(self._iter_ckpt(h["iteration"]))]
        history = history[:1] + done
        if done:
            last = done[-1]
            self._load(self._iter_ckpt(last["iteration"]))
            self.pruner.mask.set(last["pruned"])
            logger.info(f"SCP: resuming after iteration {last['iteration']} ({len(last['pruned'])} channels pruned).")
        elif self.vanilla_file is not None:  # interrupted during the first iteration: start it again from vanilla
            self._load(self.vanilla_file)
            logger.info("SCP: resuming before iteration 1 from the vanilla model.")
        return history

    def _entry(self, k: int, metrics: dict[str, float], base: dict[str, float], pruned_now: list[int]) -> dict:
        return {
            "iteration": k,
            "pruned_now": pruned_now,
            "pruned": self.pruner.pruned,
            **metrics,
            "accuracy_drop": base["accuracy"] - metrics["accuracy"],
            "fate": compute_fate(metrics["fate_acc"], base["fate_acc"], metrics["fate_fc"], base["fate_fc"]),
        }

    def run(self) -> dict[str, Any]:
        """Run (or resume) the loop; write the best iteration's pruned model, plan and history; return the history."""
        os.makedirs(self.ckpt_dir, exist_ok=True)
        history = self._resume()
        if not history:
            if self.vanilla_file is not None:
                self._load(self.vanilla_file)
            history = [
                {"iteration": 0, "pruned_now": [], "pruned": [], **self._validate(), "accuracy_drop": 0.0, "fate": 0.0}
            ]
            self._save_history(history)
        base = {k: history[0][k] for k in self.keys}
        reason = self.stop_rule.reason(history) if len(history) > 1 else None
        while reason is None:
            k = len(history)
            before = self.pruner.pruned
            step = self.pruner.step(self.calibration_loader)
            stem = os.path.join(self.output_dir, f"scores_iter{k}")
            write_channel_scores(step["scores"], stem + ".csv", before, step["pruned_now"])
            plot_channel_scores(
                step["scores"],
                stem + ".png",
                step["pruned_now"],
                title=f"SCP iteration {k}: {self.pruner.target_layer}",
            )
            logger.info(f"SCP iteration {k}: pruning channels {step['pruned_now']} of {self.pruner.target_layer}.")
            self.trainer.run()
            entry = self._entry(k, self._validate(), base, step["pruned_now"])
            torch.save(self.network.state_dict(), self._iter_ckpt(k))
            history.append(entry)
            self._save_history(history)
            logger.info(
                f"SCP iteration {k}: val accuracy {entry['accuracy']:.4f} (drop {entry['accuracy_drop']:+.4f}), "
                f"{self.keys['fate_fc']} {entry['fate_fc']:.4f} (vanilla {base['fate_fc']:.4f}), "
                f"FATE {entry['fate']:.4f}"
            )
            reason = self.stop_rule.reason(history)
        best = self._select(history[1:])
        self._load(self._iter_ckpt(best["iteration"]))
        self.pruner.mask.set(best["pruned"])
        torch.save(self.network.state_dict(), os.path.join(self.ckpt_dir, self.masked_file))
        pruned, plan = self.pruner.export()
        torch.save(pruned.state_dict(), os.path.join(self.ckpt_dir, self.model_file))
        save_pruning_plan(
            {**plan, "selected_iteration": best["iteration"]}, os.path.join(self.ckpt_dir, self.plan_file)
        )
        n_before = sum(p.numel() for p in self.network.parameters())
        n_after = sum(p.numel() for p in pruned.parameters())
        summary = {
            "stop_reason": reason,
            "selected_iteration": best["iteration"],
            "params_masked": n_before,
            "params_pruned": n_after,
        }
        self._save_history(history, **summary)
        logger.info(
            f"SCP stopped: {reason}; kept iteration {best['iteration']} ({len(best['pruned'])} channels, "
            f"{n_before} -> {n_after} parameters)."
        )
        return {"history": history, **summary}

    def _select(self, rounds: list[dict[str, Any]]) -> dict[str, Any]:
        bound = self.stop_rule.max_accuracy_drop
        ok = [r for r in rounds if bound is None or r["accuracy_drop"] <= bound]
        if not ok:
            logger.warning(f"SCP: every iteration lost more than {bound} validation accuracy; keeping iteration 1.")
            ok = rounds[:1]
        best = max(ok, key=lambda r: (r["fate"], -r["iteration"]))
        if not best["fate"] > 0:
            logger.warning(
                f"SCP: no iteration improved the validation trade-off (best FATE {best['fate']}); the vanilla model "
                "may serve this data better than the pruned one."
            )
        return best


def selected_iteration(history_path: str) -> int:
    """The iteration SCP kept (``selected_iteration`` of its ``scp_history.json``): the fine-tuning budget that the
    ``finetune_only`` control matches.

    Raises:
        FileNotFoundError: When SCP has not finished (no history, or no selected iteration yet).
    """
    if not os.path.isfile(history_path):
        raise FileNotFoundError(f"finetune_only expected SCP's history at {history_path!r}; run prune_finetune first.")
    with open(history_path) as f:
        history = json.load(f)
    if "selected_iteration" not in history:
        raise FileNotFoundError(f"{history_path!r} holds no selected_iteration: prune_finetune has not finished.")
    return int(history["selected_iteration"])
