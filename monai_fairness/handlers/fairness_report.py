# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Write ``report.json`` and ``report.html`` from the predictions CSV when an evaluation completes."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from monai.utils import IgniteInfo, min_version, optional_import

from monai_fairness.report.build import build_report, write_report_json
from monai_fairness.report.render import format_text_summary, render_html

Events, _ = optional_import("ignite.engine", IgniteInfo.OPT_IMPORT_VERSION, min_version, "Events")
if TYPE_CHECKING:
    from ignite.engine import Engine
else:
    Engine, _ = optional_import("ignite.engine", IgniteInfo.OPT_IMPORT_VERSION, min_version, "Engine")

__all__ = ["FairnessReportSaver"]


class FairnessReportSaver:
    """At the end of an evaluation, build the fairness report from the predictions CSV and write JSON + HTML.

    Attach it after :class:`~monai_fairness.handlers.PredictionsSaver` (handlers run in list order). Under DDP only
    rank 0 writes. The fairness entries are also put into ``engine.state.metrics`` with ``prefix`` so that the
    MLFlowHandler added by ``--tracking mlflow`` logs them.

    Args:
        predictions: path of the predictions CSV written by PredictionsSaver.
        output_dir: folder for ``report.json`` and ``report.html``.
        task: ``classification`` or ``segmentation`` (inferred from the CSV when None).
        datalist: optional datalist JSON for group names.
        baseline: optional baseline report JSON for FATE; ignored when the file does not exist.
        n_bootstrap, seed, threshold: see :func:`monai_fairness.report.build_report`.
        title: heading of the HTML report.
        prefix: key prefix for ``engine.state.metrics``.
        selection_file: the model's selection record (``BestModelSelector``: chosen epoch and why); copied into the
            report's ``settings["model_selection"]`` when the file exists.
    """

    def __init__(
        self,
        predictions: str,
        output_dir: str,
        task: str | None = None,
        datalist: str | None = None,
        baseline: str | None = None,
        n_bootstrap: int = 1000,
        seed: int = 0,
        threshold: float = 0.5,
        title: str = "Fairness report",
        prefix: str = "test_",
        selection_file: str | None = None,
    ) -> None:
        self.predictions, self.output_dir, self.task = predictions, output_dir, task
        self.datalist, self.baseline = datalist, baseline
        self.n_bootstrap, self.seed, self.threshold, self.title, self.prefix = (
            n_bootstrap,
            seed,
            threshold,
            title,
            prefix,
        )
        self.selection_file = selection_file
        self.logger = logging.getLogger(__name__)
        self.report: dict[str, Any] | None = None

    def attach(self, engine: Engine) -> None:
        engine.add_event_handler(Events.EPOCH_COMPLETED, self)

    def _group_names(self) -> Mapping[str, str] | None:
        if self.datalist and os.path.isfile(self.datalist):
            with open(self.datalist) as f:
                return json.load(f).get("groups")
        return None

    def __call__(self, engine: Engine | None = None) -> dict[str, Any] | None:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized() and dist.get_rank() != 0:
            return None
        baseline = self.baseline if self.baseline and os.path.isfile(self.baseline) else None
        report = build_report(
            self.predictions,
            task=self.task,
            group_names=self._group_names(),
            baseline=baseline,
            n_bootstrap=self.n_bootstrap,
            seed=self.seed,
            threshold=self.threshold,
        )
        if self.selection_file and os.path.isfile(self.selection_file):
            with open(self.selection_file) as f:
                report["settings"]["model_selection"] = json.load(f)
        write_report_json(report, os.path.join(self.output_dir, "report.json"))
        html = render_html(report, self.predictions, title=self.title)
        with open(os.path.join(self.output_dir, "report.html"), "w") as f:
            f.write(html)
        self.logger.info("fairness report:\n" + format_text_summary(report))
        self.logger.info(f"wrote {os.path.join(self.output_dir, 'report.html')}")
        if engine is not None:
            for section in ("overall", "fairness"):
                for key, value in report[section].items():
                    if isinstance(value, (int, float)):
                        engine.state.metrics[f"{self.prefix}{key}"] = value
            for gid, values in report["by_group"].items():
                for key, value in values.items():
                    if isinstance(value, (int, float)):
                        engine.state.metrics[f"{self.prefix}{key}_g{gid}"] = value
        self.report = report
        return report
