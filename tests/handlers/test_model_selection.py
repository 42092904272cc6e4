# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Model selection with a saturated key metric keeps a later, better-calibrated epoch, not the first tie."""

from __future__ import annotations

import json

import pytest
import torch
from monai.data import DataLoader, Dataset
from monai.engines import SupervisedEvaluator, SupervisedTrainer
from monai.handlers import CheckpointSaver, ValidationHandler
from monai.transforms import Activationsd, AsDiscreted, Compose

from monai_fairness.handlers import BestModelSelector, GroupMetricHandler


def _data(n: int = 16) -> list[dict]:
    """Perfectly separable: any increasing score ranks every case right, so validation AUC is 1.0 at every epoch."""
    return [
        {"image": torch.tensor([1.0 if i % 2 else -1.0]), "label": torch.tensor(i % 2), "group": i % 4 // 2}
        for i in range(n)
    ]


def _train(tmp_path, key_metric_name: str, selector: BestModelSelector | None, epochs: int = 5) -> dict:
    torch.manual_seed(0)
    net = torch.nn.Linear(1, 2)
    with torch.no_grad():  # a small positive margin: AUC 1.0 from the start, calibration poor
        net.weight.copy_(torch.tensor([[-0.05], [0.05]]))
        net.bias.zero_()
    losses = {}

    def record(engine):
        losses[engine.state.epoch] = engine.state.metrics["val_loss"]

    saver = CheckpointSaver(
        str(tmp_path), {"model": net}, save_key_metric=True, key_metric_name=key_metric_name,
        key_metric_filename="model.pt",
    )  # fmt: skip
    handlers = ([selector] if selector else []) + [saver]
    evaluator = SupervisedEvaluator(
        device=torch.device("cpu"),
        val_data_loader=DataLoader(Dataset(_data()), batch_size=8),
        network=net,
        postprocessing=Compose([Activationsd("pred", softmax=True), AsDiscreted("label", to_onehot=2)]),
        key_val_metric={"val_fairness": GroupMetricHandler("classification", prefix="val_")},
        val_handlers=handlers,
    )
    from ignite.engine import Events

    evaluator.add_event_handler(Events.EPOCH_COMPLETED, record)
    trainer = SupervisedTrainer(
        device=torch.device("cpu"),
        max_epochs=epochs,
        train_data_loader=DataLoader(Dataset(_data()), batch_size=8),
        network=net,
        optimizer=torch.optim.SGD(net.parameters(), lr=0.5),
        loss_function=torch.nn.CrossEntropyLoss(),
        train_handlers=[ValidationHandler(1, evaluator, epoch_level=True)],
    )
    trainer.run()
    kept = torch.load(tmp_path / "model.pt", weights_only=True)
    return {"kept": kept, "final": {k: v.clone() for k, v in net.state_dict().items()}, "losses": losses}


def test_a_saturated_key_metric_keeps_a_later_better_calibrated_epoch(tmp_path):
    selector = BestModelSelector("val_auc", "val_loss", selection_file=str(tmp_path / "sel" / "model.selection.json"))
    new = _train(tmp_path / "new", "val_selection", selector)
    losses = new["losses"]
    assert losses[5] < losses[1]  # training keeps improving the calibration while AUC stays 1.0
    assert all(torch.equal(new["kept"][k], new["final"][k]) for k in new["kept"])  # the last epoch is kept
    chosen = json.loads((tmp_path / "sel" / "model.selection.json").read_text())
    assert chosen["epoch"] == 5 and chosen["key"] == 1.0 and "val_loss" in chosen["reason"]
    assert chosen["tie"] == pytest.approx(losses[5])


def test_the_key_metric_alone_kept_the_first_epoch(tmp_path):
    """What bundles did before: a CheckpointSaver on val_auc keeps epoch 1 (the first tie), not the final model."""
    old = _train(tmp_path / "old", "val_auc", None)
    assert not all(torch.equal(old["kept"][k], old["final"][k]) for k in old["kept"])


def test_near_ties_within_the_tolerance_and_drift():
    selector = BestModelSelector("val_auc", "val_loss", tolerance=0.01)

    class _Engine:
        class state:  # noqa: N801
            metrics: dict = {}
            epoch = 0

    engine = _Engine()
    chosen = []
    for epoch, (auc, loss) in enumerate([(0.95, 0.5), (0.955, 0.4), (0.947, 0.3), (0.949, 0.2), (0.97, 0.9)], 1):
        engine.state.metrics, engine.state.epoch = {"val_auc": auc, "val_loss": loss}, epoch
        selector(engine)
        chosen.append(selector.chosen["epoch"])
    # 2: near-tie with a lower loss; 3 and 4: within 0.01 of the best seen (0.955), lower loss;
    # 5: beats the choice by more than the tolerance, although its loss is higher
    assert chosen == [1, 2, 3, 4, 5]
    engine.state.metrics, engine.state.epoch = {"val_auc": 0.9, "val_loss": 0.01}, 6
    selector(engine)
    assert selector.chosen["epoch"] == 5  # far below the best seen: a low loss does not buy it back
    restored = BestModelSelector("val_auc", "val_loss", tolerance=0.01)
    restored.load_state_dict(selector.state_dict())
    assert restored.chosen == selector.chosen and restored.count == selector.count == 5
    with pytest.raises(ValueError, match="tolerance expected a value >= 0"):
        BestModelSelector("val_auc", tolerance=-1)
