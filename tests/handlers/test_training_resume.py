# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""TrainingResume: resume by the epoch in the state (not mtime), keep the best-model tracker, fall back past a corrupt
checkpoint, delete superseded ones."""

from __future__ import annotations

import os
import time

import pytest
import torch
from ignite.metrics import Metric
from monai.data import DataLoader, Dataset
from monai.engines import SupervisedEvaluator, SupervisedTrainer
from monai.handlers import CheckpointSaver, ValidationHandler

from monai_fairness.handlers import CheckedCheckpointLoader, CheckpointError, TrainingResume

VALUES = [0.9, 0.5, 0.6, 0.95]  # validation value after epoch 1, 2, 3, 4


class _Scripted(Metric):
    """The validation value of the trainer's current epoch, from VALUES."""

    def __init__(self, trainer_ref: list) -> None:
        self.trainer_ref = trainer_ref
        super().__init__(output_transform=lambda x: x)

    def reset(self) -> None:
        pass

    def update(self, output) -> None:
        pass

    def compute(self) -> float:
        return VALUES[self.trainer_ref[0].state.epoch - 1]


def _run(ckpt_dir: str, max_epochs: int, torch_seed: int = 0) -> tuple[TrainingResume, torch.nn.Module]:
    """One 'process': fresh network, optimizer, trainer, evaluator and savers, as a bundle command builds them."""
    torch.manual_seed(torch_seed)
    net = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    data = [{"image": torch.randn(2), "label": torch.tensor(i % 2)} for i in range(8)]
    ref: list = []
    best = CheckpointSaver(ckpt_dir, {"model": net}, save_key_metric=True, key_metric_filename="model.pt")
    evaluator = SupervisedEvaluator(
        device=torch.device("cpu"),
        val_data_loader=DataLoader(Dataset(data), batch_size=4),
        network=net,
        key_val_metric={"val_score": _Scripted(ref)},
        val_handlers=[best],
    )
    trainer = SupervisedTrainer(
        device=torch.device("cpu"),
        max_epochs=max_epochs,
        train_data_loader=DataLoader(Dataset(data), batch_size=4),
        network=net,
        optimizer=opt,
        loss_function=torch.nn.CrossEntropyLoss(),
        train_handlers=[ValidationHandler(1, evaluator, epoch_level=True)],
    )
    ref.append(trainer)
    resume = TrainingResume(
        os.path.join(ckpt_dir, "resume_erm"),
        {"model": net, "optimizer": opt, "trainer": trainer},
        handlers=[best],
        evaluator=evaluator,
    )
    resume.attach(trainer)
    trainer.run()
    return resume, net


def _state(path: str) -> dict:
    return torch.load(path, weights_only=True)


def test_a_worse_validation_after_a_resume_keeps_model_pt(tmp_path):
    _run(str(tmp_path), max_epochs=2)  # killed after epoch 2; the best (0.9) is epoch 1
    best_before = _state(tmp_path / "model.pt")
    assert sorted(os.listdir(tmp_path / "resume_erm")) == ["checkpoint_epoch=2.pt"]  # epoch 1 was superseded
    resume, _ = _run(str(tmp_path), max_epochs=3, torch_seed=1)  # epoch 3 scores 0.6 < 0.9
    assert resume.resumed_from.endswith("checkpoint_epoch=2.pt")
    after = _state(tmp_path / "model.pt")
    assert all(torch.equal(best_before[k], after[k]) for k in best_before)  # not overwritten by a worse epoch
    _run(str(tmp_path), max_epochs=4, torch_seed=2)  # epoch 4 scores 0.95: now it is replaced
    assert not all(torch.equal(best_before[k], v) for k, v in _state(tmp_path / "model.pt").items())


def test_the_newest_epoch_wins_whatever_the_file_times(tmp_path):
    folder = tmp_path / "resume_erm"
    _run(str(tmp_path), max_epochs=1)
    stale = (folder / "checkpoint_epoch=1.pt").read_bytes()
    _run(str(tmp_path), max_epochs=2)
    newest = folder / "checkpoint_epoch=2.pt"
    (folder / "checkpoint_epoch=1.pt").write_bytes(stale)  # an old checkpoint copied back without -p: newest mtime
    os.utime(newest, (time.time() - 3600, time.time() - 3600))
    resume, _ = _run(str(tmp_path), max_epochs=2)
    assert resume.resumed_from == str(newest)  # by mtime it would restart from epoch 1 and retrain over model.pt


def test_a_corrupt_newest_checkpoint_falls_back_to_the_previous_one(tmp_path):
    _run(str(tmp_path), max_epochs=2)
    folder = tmp_path / "resume_erm"
    good = folder / "checkpoint_epoch=1.pt"
    good.write_bytes((folder / "checkpoint_epoch=2.pt").read_bytes())
    state = torch.load(good, weights_only=True)
    state["trainer"]["iteration"] = state["trainer"]["epoch_length"]  # epoch 1
    torch.save(state, good)
    data = (folder / "checkpoint_epoch=2.pt").read_bytes()
    (folder / "checkpoint_epoch=2.pt").write_bytes(data[: len(data) // 2])  # killed while copying: truncated
    with pytest.warns(UserWarning, match=r"checkpoint_epoch=2.pt.*corrupt or truncated"):
        resume, _ = _run(str(tmp_path), max_epochs=3)
    assert resume.resumed_from == str(good)
    assert sorted(os.listdir(folder)) == ["checkpoint_epoch=3.pt"]


def test_a_finished_run_is_not_trained_again(tmp_path):
    _run(str(tmp_path), max_epochs=2)
    stamp = os.path.getmtime(tmp_path / "resume_erm" / "checkpoint_epoch=2.pt")
    resume, _ = _run(str(tmp_path), max_epochs=2)
    assert resume.resumed_from.endswith("checkpoint_epoch=2.pt")
    assert os.path.getmtime(tmp_path / "resume_erm" / "checkpoint_epoch=2.pt") == stamp


def test_the_checked_loader_names_a_truncated_file_and_wrong_keys(tmp_path):
    net = torch.nn.Linear(2, 2)
    torch.save(net.state_dict(), tmp_path / "model.pt")
    data = (tmp_path / "model.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"cut.pt' \(\d+ bytes\) is corrupt or truncated"):
        CheckedCheckpointLoader(str(tmp_path / "cut.pt"), {"model": net})(None)
    with pytest.raises(CheckpointError, match=r"missing keys \['0.bias', '0.weight'\] \(2\), unexpected keys"):
        CheckedCheckpointLoader(str(tmp_path / "model.pt"), {"model": torch.nn.Sequential(torch.nn.Linear(2, 2))})(None)
    with pytest.raises(CheckpointError, match=r"weight has shape \(2, 2\) in the file but \(3, 2\)"):
        CheckedCheckpointLoader(str(tmp_path / "model.pt"), {"model": torch.nn.Linear(2, 3)})(None)
