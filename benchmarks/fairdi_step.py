# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""FairDi student training step vs a plain supervised step of the same network (target: at most 1.3x).

Both use the classification bundle's network (MONAI ``resnet18``, 2D, 3 channels, 2 classes) at the bundle's image
size and batch (64x64, 32), SGD, cross-entropy; the student step adds the routed forward of two frozen teachers
(about 80 % / 20 % of the batch, as in the demo data) and the KD loss. Steps run through the real engines
(``SupervisedTrainer`` vs :class:`~monai_fairness.engines.DistillationTrainer`) on in-memory batches, interleaved
over several rounds; the best round of each is kept.
"""

from __future__ import annotations

import time
from typing import Any

import torch
from monai.engines import SupervisedTrainer
from monai.networks.nets import resnet18
from torch import nn

from monai_fairness.engines import DistillationTrainer
from monai_fairness.networks import FrozenTeacherSet


def _batches(n: int, batch: int, size: int, seed: int) -> list[dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [
        {
            "image": torch.randn(batch, 3, size, size, generator=g),
            "label": torch.randint(0, 2, (batch,), generator=g),
            "group": (torch.rand(batch, generator=g) < 0.2).long(),
        }
        for _ in range(n)
    ]


def _net() -> nn.Module:
    return resnet18(spatial_dims=2, n_input_channels=3, num_classes=2)


def _time(trainer: SupervisedTrainer) -> float:
    start = time.perf_counter()
    trainer.run()
    return (time.perf_counter() - start) / trainer.state.iteration


def run(steps: int = 12, batch: int = 32, size: int = 64, rounds: int = 5, seed: int = 0) -> dict[str, Any]:
    torch.manual_seed(seed)
    data = _batches(steps, batch, size, seed)
    teachers = FrozenTeacherSet([_net(), _net()])
    best = {"plain": float("inf"), "student": float("inf")}
    for _ in range(rounds):
        for kind in ("plain", "student"):
            net = _net()
            kw: dict[str, Any] = dict(
                device=torch.device("cpu"),
                max_epochs=1,
                train_data_loader=data,
                network=net,
                optimizer=torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9),
                loss_function=nn.CrossEntropyLoss(),
                decollate=False,
            )
            trainer = SupervisedTrainer(**kw) if kind == "plain" else DistillationTrainer(teachers=teachers, **kw)
            best[kind] = min(best[kind], _time(trainer))  # the first round doubles as warm-up
    ratio = best["student"] / best["plain"]
    return {
        "benchmark": "fairdi_student_step",
        "setting": f"resnet18 2D, batch {batch}, {size}x{size}, 2 teachers routed by group, {steps} steps x {rounds}",
        "plain_step_s": round(best["plain"], 4),
        "student_step_s": round(best["student"], 4),
        "student_over_plain": round(ratio, 3),
        "target": "<= 1.3",
        "meets_target": ratio <= 1.3,
    }
