# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""PredictionsSaver and FairnessReportSaver in a real SupervisedEvaluator."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch
from monai.data import DataLoader, Dataset
from monai.engines import SupervisedEvaluator
from monai.transforms import Activationsd, AsDiscreted, Compose

from monai_fairness.handlers import FairnessReportSaver, PredictionsSaver


class _FirstTwo(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x[:, :2] + 0 * self.w


def _items(n: int = 40) -> list[dict]:
    g = torch.Generator().manual_seed(0)
    return [
        {
            "image": torch.randn(2, generator=g) + torch.tensor([0.0, 2.0 * (i % 2) - 1.0]),
            "label": i % 2,
            "group": 1 + int(i % 5 == 0),  # sex coded 1/2
            "id": f"case{i:03d}",
        }
        for i in range(n)
    ]


def _evaluate(items, handlers, post=None):
    ev = SupervisedEvaluator(
        device=torch.device("cpu"),
        val_data_loader=DataLoader(Dataset(items), batch_size=7),
        network=_FirstTwo(),
        postprocessing=post or Compose([Activationsd("pred", softmax=True)]),
        val_handlers=handlers,
    )
    ev.run()
    return ev


def test_classification_rows_match_the_network_and_the_report_follows(tmp_path):
    items = _items()
    (tmp_path / "model.selection.json").write_text(json.dumps({"epoch": 5, "reason": "epoch 5: tie, lower loss"}))
    (tmp_path / "datalist.json").write_text(json.dumps({"groups": {"1": "M", "2": "F", "3": "X"}}))
    saver = PredictionsSaver(str(tmp_path), task="classification")
    report = FairnessReportSaver(
        str(tmp_path / "predictions.csv"),
        str(tmp_path),
        datalist=str(tmp_path / "datalist.json"),
        n_bootstrap=50,
        selection_file=str(tmp_path / "model.selection.json"),
    )
    with pytest.warns(UserWarning, match=r"declared group\(s\) 3 \(X\) have no rows"):
        ev = _evaluate(items, [saver, report])
    df = pd.read_csv(tmp_path / "predictions.csv")
    assert list(df.columns) == ["id", "group", "y_true", "y_score"] and len(df) == len(items)
    expected = torch.softmax(torch.stack([i["image"] for i in items]), 1)[:, 1]
    assert df["y_score"].to_numpy() == pytest.approx(expected.numpy(), abs=1e-6)
    assert df["id"].tolist() == [i["id"] for i in items] and set(df["group"]) == {1, 2}
    written = json.loads((tmp_path / "report.json").read_text())
    assert written["groups"] == {"1": "M", "2": "F", "3": "X"} and written["absent"] == ["3"]
    assert written["settings"]["model_selection"]["epoch"] == 5
    assert ev.state.metrics["test_auc_g2"] == written["by_group"]["2"]["auc"]
    assert ev.state.metrics["test_accuracy_gap"] == written["fairness"]["accuracy_gap"]
    assert (tmp_path / "report.html").stat().st_size > 10_000


def test_segmentation_rows_hold_per_case_dice(tmp_path):
    label = torch.zeros(1, 4, 4)
    label[0, :2] = 1
    items = [{"image": torch.stack([1 - label[0], label[0]]) * 5, "label": label, "group": i % 2} for i in range(4)]
    items[3]["image"] = torch.stack([torch.ones(4, 4), torch.zeros(4, 4)]) * 5  # predicts background only
    post = Compose(
        [Activationsd("pred", softmax=True), AsDiscreted(["pred", "label"], argmax=[True, False], to_onehot=2)]
    )
    saver = PredictionsSaver(str(tmp_path), task="segmentation")

    class _Identity(torch.nn.Module):
        def forward(self, x):
            return x

    ev = SupervisedEvaluator(
        device=torch.device("cpu"),
        val_data_loader=DataLoader(Dataset(items), batch_size=2),
        network=_Identity(),
        postprocessing=post,
        val_handlers=[saver],
    )
    ev.run()
    df = pd.read_csv(tmp_path / "predictions.csv")
    assert list(df.columns) == ["id", "group", "dice", "iou"]
    assert df["dice"].tolist() == pytest.approx([1.0, 1.0, 1.0, 0.0])
    assert df["id"].isna().all()  # no id in these items: the column is empty, never a file name
