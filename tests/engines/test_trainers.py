# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""FairDi trainers on a tiny linear model: loss parts in the output, teachers untouched, group errors name the stage."""

from __future__ import annotations

import copy
import hashlib

import pytest
import torch
from monai.data import DataLoader, Dataset
from torch import nn

from monai_fairness.data import DatalistError, group_loaders
from monai_fairness.engines import DistillationTrainer, FISTrainer, GroupAwareTrainer
from monai_fairness.losses import FairDistillationLoss, FairIdentityScalingObjective, GroupReweightedLoss
from monai_fairness.networks import FrozenTeacherSet


def _items(n: int = 24, with_group: bool = True) -> list[dict]:
    g = torch.Generator().manual_seed(0)
    items = []
    for i in range(n):
        label = i % 2
        item = {"image": torch.randn(4, generator=g) + label, "label": torch.tensor(label)}
        if with_group:
            item["group"] = int(i % 3 == 0)
        items.append(item)
    return items


def _net() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))


def _digest(module: nn.Module) -> str:
    h = hashlib.sha256()
    for k, v in module.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().numpy().tobytes())
    return h.hexdigest()


def _student_trainer(items, teachers, loss_function=None, **kw):
    net = _net()
    return DistillationTrainer(
        device=torch.device("cpu"),
        max_epochs=1,
        train_data_loader=DataLoader(Dataset(items), batch_size=8, shuffle=True),
        network=net,
        optimizer=torch.optim.SGD(net.parameters(), lr=0.1),
        loss_function=loss_function or nn.CrossEntropyLoss(),
        teachers=teachers,
        **kw,
    )


def test_student_epoch_leaves_teachers_unchanged_and_logs_loss_parts():
    teachers = FrozenTeacherSet([_net(), _net()])
    before = _digest(teachers)
    trainer = _student_trainer(_items(), teachers, kd_weight=0.5)
    student_before = _digest(trainer.network)
    trainer.run()
    assert _digest(teachers) == before  # weights and BatchNorm running statistics
    assert _digest(trainer.network) != student_before
    out = trainer.state.output[0]  # decollated per sample; scalars repeat
    assert {"loss", "loss_task", "loss_kd", "group"} <= set(out)
    assert float(out["loss"]) == pytest.approx(float(out["loss_task"] + 0.5 * out["loss_kd"]), rel=1e-5)


def test_teachers_inside_the_optimizer_are_refused():
    teachers = FrozenTeacherSet([_net(), _net()])
    net = _net()
    params = list(net.parameters()) + list(teachers.parameters())
    with pytest.raises(ValueError, match="teachers expected outside the student's optimizer"):
        DistillationTrainer(
            device=torch.device("cpu"),
            max_epochs=1,
            train_data_loader=DataLoader(Dataset(_items()), batch_size=8),
            network=net,
            optimizer=torch.optim.SGD(params, lr=0.1),
            loss_function=nn.CrossEntropyLoss(),
            teachers=teachers,
        )


def test_student_without_group_fails_naming_the_stage():
    trainer = _student_trainer(_items(with_group=False), FrozenTeacherSet([_net(), _net()]))
    with pytest.raises(DatalistError, match="stage 'train_student' needs 'group' in every training batch"):
        trainer.run()


def test_fis_trainer_runs_with_group_batches_and_reports_task_loss():
    items = _items(30)
    dataset = Dataset(items)
    net = _net()
    trainer = FISTrainer(
        device=torch.device("cpu"),
        max_epochs=2,
        train_data_loader=DataLoader(dataset, batch_size=8, shuffle=True),
        network=net,
        optimizer=torch.optim.SGD(net.parameters(), lr=0.1),
        loss_function=nn.CrossEntropyLoss(reduction="none"),
        group_loaders=group_loaders(dataset, batch_size=5),
    )
    before = copy.deepcopy(net.state_dict())
    trainer.run()
    out = trainer.state.output[0]  # decollated per sample; scalars repeat
    assert {"loss", "loss_task"} <= set(out) and torch.isfinite(torch.as_tensor(out["loss"]))
    assert any(not torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_fis_trainer_needs_a_per_sample_loss():
    dataset = Dataset(_items())
    net = _net()
    trainer = FISTrainer(
        device=torch.device("cpu"),
        max_epochs=1,
        train_data_loader=DataLoader(dataset, batch_size=8),
        network=net,
        optimizer=torch.optim.SGD(net.parameters(), lr=0.1),
        loss_function=nn.CrossEntropyLoss(),  # mean-reduced: wrong
        group_loaders=group_loaders(dataset, batch_size=4),
    )
    with pytest.raises(ValueError, match="reduction='none'"):
        trainer.run()


def test_reweighting_trainer_passes_groups_to_the_loss():
    """The trainer's loss is the group-weighted CE of the batch, recomputed by hand from its own output (it fails when
    the groups are not passed, or passed shuffled: every weight then lands on the wrong sample)."""
    net = _net()
    weights = torch.tensor([1.0, 3.0])
    trainer = GroupAwareTrainer(
        device=torch.device("cpu"),
        max_epochs=1,
        train_data_loader=DataLoader(Dataset(_items()), batch_size=24),  # one batch: the output is that batch's
        network=net,
        optimizer=torch.optim.SGD(net.parameters(), lr=0.1),
        loss_function=GroupReweightedLoss(nn.CrossEntropyLoss(reduction="none"), weights.tolist()),
        stage="train_reweighting",
        decollate=False,
    )
    trainer.run()
    out = trainer.state.output
    ce = nn.functional.cross_entropy(out["pred"], out["label"].long(), reduction="none")
    w = weights[out["group"]]
    assert int(out["group"].sum()) == 8  # i % 3 == 0: 8 of 24 items are in group 1
    assert float(out["loss"]) == pytest.approx(float((w * ce).sum() / w.sum()), rel=1e-5)
    assert float(out["loss"]) != pytest.approx(float(ce.mean()), rel=1e-3)  # it is not the plain mean


def test_a_group_aware_trainer_runs_compiled_on_monai_own_step():
    """compile=True goes through MONAI's own step (its MetaTensor handling included): a trainer that copied the
    step dropped it."""
    from monai.data import MetaTensor

    items = [{**item, "image": MetaTensor(item["image"])} for item in _items()]
    net = _net()
    trainer = GroupAwareTrainer(
        device=torch.device("cpu"),
        max_epochs=2,
        train_data_loader=DataLoader(Dataset(items), batch_size=8),
        network=net,
        optimizer=torch.optim.SGD(net.parameters(), lr=0.1),
        loss_function=GroupReweightedLoss(nn.CrossEntropyLoss(reduction="none"), [1.0, 2.0]),
        compile=True,
        compile_kwargs={"backend": "eager"},  # the compile path without a C++ toolchain or minutes of inductor
    )
    before = copy.deepcopy(net.state_dict())
    with pytest.warns(UserWarning, match="Will convert to PyTorch Tensor if using compile"):
        trainer.run()
    assert trainer.compile and any(not torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert {"loss", "group"} <= set(trainer.state.output[0])


def test_gradient_accumulation_steps_once_per_two_batches():
    net = _net()
    trainer = GroupAwareTrainer(
        device=torch.device("cpu"),
        max_epochs=1,
        train_data_loader=DataLoader(Dataset(_items()), batch_size=6),  # 4 batches
        network=net,
        optimizer=torch.optim.SGD(net.parameters(), lr=0.1),
        loss_function=GroupReweightedLoss(nn.CrossEntropyLoss(reduction="none"), [1.0, 1.0]),
        accumulation_steps=2,
    )
    steps = []
    original = trainer.optimizer.step
    trainer.optimizer.step = lambda *a, **k: (steps.append(1), original(*a, **k))[1]
    trainer.run()
    assert len(steps) == 2


def test_the_no_kd_control_needs_no_teachers_and_trains_on_the_task_loss():
    trainer = _student_trainer(_items(), None, kd_weight=0.0)
    trainer.run()
    out = trainer.state.output[0]
    assert float(out["loss_kd"]) == 0.0 and float(out["loss"]) == pytest.approx(float(out["loss_task"]), rel=1e-6)
    with pytest.raises(TypeError, match="None only with kd_weight 0"):
        _student_trainer(_items(), None, kd_weight=0.5)


def test_paper_shaped_student_mixes_fis_and_distillation_with_lambda():
    """lambda * KL + (1 - lambda) * FIS: the task part is the FIS-weighted loss, not the plain mean."""
    items = _items(30)
    trainer = _student_trainer(
        items,
        FrozenTeacherSet([_net(), _net()]),
        loss_function=nn.CrossEntropyLoss(reduction="none"),
        kd_weight=0.95,
        task_weight=0.05,
        group_loaders=group_loaders(Dataset(items), batch_size=5),
    )
    assert isinstance(trainer.objective.task_loss, FairIdentityScalingObjective)
    trainer.run()
    out = trainer.state.output[0]
    assert float(out["loss"]) == pytest.approx(0.05 * float(out["loss_task"]) + 0.95 * float(out["loss_kd"]), rel=1e-5)


def test_fis_task_term_is_the_fis_loss_and_needs_group_losses():
    torch.manual_seed(0)
    fis = FairIdentityScalingObjective(nn.CrossEntropyLoss(reduction="none"))
    loss = FairDistillationLoss(fis, None, kd_weight=0.0, task_weight=1.0)
    logits, target = torch.randn(6, 2), torch.tensor([0, 1, 0, 1, 1, 0])
    groups = torch.tensor([0, 0, 0, 1, 1, 1])
    group_losses = {0: torch.rand(5), 1: torch.rand(5) + 2.0}
    expected = fis(logits, target, groups, group_losses)["loss"]
    assert float(loss(logits, target, groups, logits, group_losses)["task"]) == pytest.approx(float(expected))
    assert float(expected) != pytest.approx(float(nn.functional.cross_entropy(logits, target)))
    with pytest.raises(ValueError, match="group_losses expected"):
        loss(logits, target, groups, logits)
