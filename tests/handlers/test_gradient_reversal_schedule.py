# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Ganin's ramp of the gradient-reversal strength: 0 at the first step, the stated formula in between, near the full
weight at the end, continued after a resume; the adversarial overlay attaches it."""

from __future__ import annotations

import math
import os

import pytest
from ignite.engine import Engine, Events
from monai.bundle import ConfigParser

from monai_fairness.handlers import GradientReversalSchedule
from monai_fairness.networks import GradientReversal
from tests.bundles.helpers import bundle_path


def _run(schedule: GradientReversalSchedule, epochs: int = 2, length: int = 5, start: dict | None = None) -> list:
    seen: list[float] = []
    engine = Engine(lambda e, b: seen.append(schedule.reversal.weight))
    schedule.attach(engine)
    if start:
        engine.add_event_handler(Events.STARTED, lambda e: e.state.__dict__.update(start))
    engine.run(range(length), max_epochs=epochs)
    return seen


def test_the_weight_ramps_from_zero_to_near_the_maximum_by_ganins_formula():
    schedule = GradientReversalSchedule(GradientReversal(), max_weight=0.5, gamma=10.0)
    seen = _run(schedule)
    assert seen[0] == 0.0
    assert all(b > a for a, b in zip(seen, seen[1:], strict=False))
    p = 4 / 10  # the fifth of ten steps
    assert seen[4] == pytest.approx(0.5 * (2 / (1 + math.exp(-10 * p)) - 1))
    assert 0.49 < seen[-1] < 0.5


def test_without_gamma_the_weight_is_constant_and_a_resume_continues_the_ramp():
    assert set(_run(GradientReversalSchedule(GradientReversal(), 2.0, None))) == {2.0}
    full = _run(GradientReversalSchedule(GradientReversal(), 1.0, 10.0))
    resumed = _run(GradientReversalSchedule(GradientReversal(), 1.0, 10.0), start={"epoch": 1, "iteration": 5})
    assert resumed == pytest.approx(full[5:])


@pytest.mark.parametrize("kwargs, message", [({"max_weight": -1}, "max_weight expected"), ({"gamma": 0}, "gamma")])
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GradientReversalSchedule(GradientReversal(), **kwargs)


def test_the_adversarial_overlay_ramps_its_own_reversal_layer(tiny_derm):
    bundle = bundle_path("fairdi_skin_lesion_classification")
    parser = ConfigParser()
    parser.read_config([os.path.join(bundle, "configs", f) for f in ("train.json", "train_adversarial.json")])
    parser.update({"dataset_dir": os.path.dirname(tiny_derm), "image_size": [32, 32], "device": "$torch.device('cpu')"})
    handlers = parser.get_parsed_content("train#handlers")
    schedules = [h for h in handlers if isinstance(h, GradientReversalSchedule)]
    assert len(schedules) == 1 and schedules[0].gamma == 10.0
    assert schedules[0].reversal is parser.get_parsed_content("loss").reverse
