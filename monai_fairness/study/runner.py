# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Train and evaluate every method of a study, per seed, as ordinary bundle commands (printed before they run).

Layout: ``<workdir>/seed<s>/<method>/models`` and ``.../eval/<eval_model>/predictions.csv`` (a control trains in the
folder of the method it controls). A finished stage leaves
``<stage>.done`` and a finished evaluation its predictions CSV: both are reused on a rerun; an interrupted stage
resumes from its last epoch checkpoint (the bundles' ``TrainingResume``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence

from monai_fairness.pipelines.bundle_runner import overlays_for, run_bundle, run_stages, workdir_layout
from monai_fairness.study.methods import BUNDLES, METHODS, MethodSpec

__all__ = ["run_method", "predictions_path"]


def _bundle(spec: MethodSpec, task: str, bundles_dir: str) -> str:
    return os.path.join(bundles_dir, BUNDLES[task][spec.family])


def _folder(method: str) -> str:
    return METHODS[method].shares or method


def predictions_path(workdir: str, seed: int, method: str) -> str:
    """Where a method's test predictions of one seed are written."""
    spec = METHODS[method]
    folder = spec.eval_name or spec.eval_model
    return os.path.join(workdir, f"seed{seed}", _folder(method), "eval", folder, "predictions.csv")


def run_method(
    method: str,
    task: str,
    seed: int,
    *,
    dataset_dir: str,
    workdir: str,
    bundles_dir: str,
    group_ids: Sequence[int],
    overrides: Mapping[str, object] | None = None,
    test_datalist: str | None = None,
    force: bool = False,
    demo: bool = False,
) -> str:
    """Train (unless finished) and evaluate one method for one seed; return its predictions CSV.

    ``demo`` stacks the bundle's ``configs/demo.json`` (demo sizes) on every command.

    The seed's ERM model (``<workdir>/seed<s>/erm/models/model.pt``) must exist for methods that start from ERM.

    Raises:
        FileNotFoundError: When the ERM model a method reuses is missing.
        subprocess.CalledProcessError: When a command fails (its output says why).
    """
    spec = METHODS[method]
    root = os.path.join(os.path.abspath(workdir), f"seed{seed}", _folder(method))
    bundle, ckpt_dir, out_dir, common = workdir_layout(
        _bundle(spec, task, bundles_dir), dataset_dir, root, seed, overrides
    )
    extra: dict[str, object] = {}
    if spec.uses_erm:
        erm = os.path.join(os.path.abspath(workdir), f"seed{seed}", "erm", "models", "model.pt")
        if not os.path.isfile(erm):
            raise FileNotFoundError(f"method {method!r} starts from the seed's ERM model but {erm!r} does not exist.")
        if spec.erm_checkpoint:
            shutil.copyfile(erm, os.path.join(ckpt_dir, spec.erm_checkpoint))
        if spec.erm_override:
            extra[spec.erm_override] = erm
    stages = []
    for name, configs, stage_overrides in spec.stages:
        if "{group}" in name:
            stages += [(name.format(group=g), list(configs), {**stage_overrides, "group_id": g}) for g in group_ids]
        else:
            stages.append((name, list(configs), {**stage_overrides, **extra}))
    overlays = overlays_for(demo)
    run_stages(bundle, stages, common, ckpt_dir, force, overlays)
    predictions = predictions_path(workdir, seed, method)
    if force or not os.path.isfile(predictions):
        evaluate = {**common, "eval_model": spec.eval_model, "n_bootstrap": 0, **dict(spec.eval_overrides)}
        if test_datalist is not None:
            if spec.fit_datalist:
                training = common.get("datalist") or os.path.join(os.path.abspath(dataset_dir), "datalist.json")
                evaluate[spec.fit_datalist] = training
            evaluate.update(datalist=os.path.abspath(test_datalist), eval_split="test")
        run_bundle(bundle, list(spec.eval_configs), evaluate, overlays=overlays)
    return predictions
