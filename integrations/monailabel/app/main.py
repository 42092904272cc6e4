# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""A MONAI Label 0.8.5 app that serves monai-fairness bundles for inference.

Runs in the separate MONAI Label environment (``integrations/monailabel/build_env.sh``), never in the project's own.
Every folder under ``--conf bundles <dir>`` (default: ``<app>/model``) that has ``configs/inference.json`` and
``models/model.pt`` (or ``model.ts``) becomes one infer task named after the folder; ``--conf models a,b`` keeps a
subset. The task type follows the folder name (``*_segmentation``, ``*_classification``), as in MONAI Label itself.

Differences from MONAI Label's stock ``monaibundle`` sample app:

- classification bundles get ``add_post_restore=False`` (the stock app appends ``Restored``, which cannot restore a
  vector of class scores to the image's shape and answers HTTP 500);
- the bundles' ``SelectItemsd`` (it keeps image/label/group/id so that datalist items with extra raw attributes
  collate in bundle runs) is filtered out of the pre-transforms: MONAI Label carries its own request keys
  (``model_filename``, ``image_path``, ...) through the pre-transforms and fails without them;
- around the CT bundles' ``Spacingd`` the request's ``image_path`` (a string) is set aside and put back: MONAI 1.6's
  ``Spacingd`` updates every ``image_*`` item of a NIfTI input as if it were a meta dictionary and fails on a string;
- no model-zoo lookup, no SAM2 and nothing downloaded: only local bundles are served;
- no training tasks (MONAI Label's training passes image and label only; our fairness stages need groups, see the
  repository README, "Serving a bundle through MONAI Label").
"""

from __future__ import annotations

import logging
import os

import monailabel
from monai.transforms import SaveImaged, SelectItemsd, Spacingd
from monailabel.interfaces.app import MONAILabelApp
from monailabel.tasks.activelearning.first import First
from monailabel.tasks.activelearning.random import Random
from monailabel.tasks.infer.bundle import BundleInferTask

logger = logging.getLogger(__name__)


_STASH = "_monai_fairness_stashed_"


class _SetAsideStrings:
    """Move the string items named ``<key>_*`` out of the way of a ``Spacingd`` on ``keys`` (module docstring)."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.prefixes = tuple(f"{k}_" for k in keys)

    def __call__(self, data: dict) -> dict:
        d = dict(data)
        for k in [k for k in d if isinstance(k, str) and k.startswith(self.prefixes) and isinstance(d[k], str)]:
            d[_STASH + k] = d.pop(k)
        return d


def _put_back_strings(data: dict) -> dict:
    d = dict(data)
    for k in [k for k in d if isinstance(k, str) and k.startswith(_STASH)]:
        d[k[len(_STASH) :]] = d.pop(k)
    return d


class FairnessBundleInferTask(BundleInferTask):
    """MONAI Label's bundle infer task, with request strings set aside around ``Spacingd``."""

    def pre_transforms(self, data: dict | None = None) -> list:
        pre: list = []
        for t in super().pre_transforms(data):
            if isinstance(t, Spacingd):
                pre += [_SetAsideStrings(t.keys), t, _put_back_strings]
            else:
                pre.append(t)
        return pre


def find_bundles(bundles_dir: str, names: str | None) -> dict[str, str]:
    """``{name: path}`` of the bundle folders to serve (``names``: comma-separated subset; unknown names raise)."""
    if not os.path.isdir(bundles_dir):
        raise FileNotFoundError(f"conf 'bundles' expected a folder of MONAI bundles but got {bundles_dir!r}.")
    available = sorted(n for n in os.listdir(bundles_dir) if os.path.isdir(os.path.join(bundles_dir, n)))
    wanted = [n.strip() for n in names.split(",") if n.strip()] if names else available
    unknown = [n for n in wanted if n not in available]
    if unknown:
        raise ValueError(f"conf 'models' expected names among {available} but got unknown {unknown}.")
    return {n: os.path.join(bundles_dir, n) for n in wanted}


class FairBundleApp(MONAILabelApp):
    """Infer tasks for the local monai-fairness bundles (segmentation and classification)."""

    def __init__(self, app_dir: str, studies: str, conf: dict[str, str]) -> None:
        bundles_dir = conf.get("bundles") or os.path.join(app_dir, "model")
        self.bundles = find_bundles(os.path.abspath(bundles_dir), conf.get("models"))
        super().__init__(
            app_dir=app_dir,
            studies=studies,
            conf=conf,
            name="monai-fairness",
            description="monai-fairness bundles (FairDi, APPLE, SCP and ERM baselines) served from local folders",
            version=monailabel.__version__,
        )

    def init_infers(self) -> dict[str, BundleInferTask]:
        infers = {}
        for name, path in self.bundles.items():
            task = FairnessBundleInferTask(
                path,
                self.conf,
                pre_filter=[SelectItemsd],
                post_filter=[SaveImaged],
                add_post_restore=not name.endswith("_classification"),
            )
            if task.is_valid():
                if os.path.exists(os.path.join(path, "models", "UNTRAINED")):  # prepare.py --untrained
                    task.description = f"[UNTRAINED weights: plumbing check only] {task.description}"
                    logger.warning(f"bundle {name} is served with UNTRAINED weights: its answers are meaningless")
                infers[name] = task
            else:
                logger.warning(f"bundle {name} not served: it needs configs/inference.json and models/model.pt")
        return infers

    def init_strategies(self) -> dict:
        return {"random": Random(), "first": First()}
