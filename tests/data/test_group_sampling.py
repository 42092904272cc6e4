# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

import pytest
import torch

from monai_fairness.data import (
    DatalistError,
    check_group_id,
    group_balanced_sample_weights,
    group_frequency_weights,
    select_group,
)

ITEMS = [{"label": i % 2, "group": int(i < 2), "id": f"x{i}"} for i in range(8)]  # group 1: 2 items, group 0: 6


def test_frequency_weights_by_hand():
    # N / (K n_k): 8 / (2 * 6), 8 / (2 * 2)
    assert group_frequency_weights(ITEMS) == pytest.approx([8 / 12, 2.0])
    with pytest.raises(DatalistError, match="groups \\[2\\] have none"):
        group_frequency_weights(ITEMS, 3)
    sex_1_2 = [{**item, "group": item["group"] + 1} for item in ITEMS]  # ids are labels: weights[id] is the weight
    assert group_frequency_weights(sex_1_2, [1, 2]) == pytest.approx([0.0, 8 / 12, 2.0])


def test_balanced_weights_draw_groups_equally():
    w = group_balanced_sample_weights(ITEMS)
    assert float(w[:2].sum()) == pytest.approx(float(w[2:].sum()))
    wc = group_balanced_sample_weights(ITEMS, by_class=True)
    assert torch.allclose(wc[:2], torch.ones(2, dtype=torch.double))  # group 1 has one item per class


def test_select_group_and_errors_name_the_stage():
    assert [it["id"] for it in select_group(ITEMS, 1)] == ["x0", "x1"]
    with pytest.raises(DatalistError, match="stage 'train_teacher' expected items of group_id 5"):
        select_group(ITEMS, 5)
    with pytest.raises(DatalistError, match="stage 'train_student' needs a 'group' on every training item"):
        group_frequency_weights([{"label": 0}], stage="train_student")
    assert check_group_id("1", 2) == 1
    with pytest.raises(ValueError, match="pass --group_id k.*None"):
        check_group_id(None, 2)
    with pytest.raises(ValueError, match="group_id one of the declared groups \\[0, 1\\] but got 3"):
        check_group_id(3, 2)
    assert check_group_id("2", [1, 2]) == 2
    with pytest.raises(ValueError, match="declared groups \\[1, 2\\] but got 0"):
        check_group_id(0, [1, 2])
