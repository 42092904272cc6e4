# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Channel scores over a calibration loader: hook capture, eval mode, skipped one-group batches, excluded channels."""

from __future__ import annotations

import warnings

import pytest
import torch

from monai_fairness.pruning import SNNLImportance, channel_snnl, score_channels
from tests.pruning.nets import make_net


def _batches(n_batches: int = 3, b: int = 16, single_group_at: int | None = None):
    torch.manual_seed(2)
    out = []
    for i in range(n_batches):
        groups = torch.zeros(b, dtype=torch.long) if i == single_group_at else torch.arange(b) % 2
        out.append({"image": torch.randn(b, 3, 32, 32), "group": groups})
    return out


def test_scores_equal_mean_of_batch_snnl_on_the_layer_output():
    net = make_net("vgg").train()  # score_channels must switch to eval mode and back
    batches = _batches()
    result = score_channels(net, "net.layer_1.conv", batches, progress=False)
    assert net.training
    net.eval()
    expected = []
    with torch.no_grad():
        for batch in batches:
            feats = net.net.layer_1.conv(net.net.layer_0(batch["image"]))
            expected.append(channel_snnl(feats.double(), batch["group"]))
    torch.testing.assert_close(result["scores"], torch.stack(expected).mean(0), rtol=0, atol=1e-8)
    assert result["n_batches"] == 3 and result["n_skipped"] == 0


def test_single_group_batch_warns_and_is_skipped_and_excluded_channels_are_nan():
    net = make_net("vgg")
    with pytest.warns(UserWarning, match="calibration batch 1 holds one group only"):
        result = score_channels(net, None, _batches(single_group_at=1), exclude=[2, 5], progress=False)
    assert result["n_batches"] == 2 and result["n_skipped"] == 1
    assert torch.isnan(result["scores"][[2, 5]]).all()
    assert torch.isfinite(result["scores"][[0, 1, 3, 4]]).all()


def test_only_single_group_batches_fail_clearly():
    net = make_net("vgg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="no calibration batch held two or more groups"):
            score_channels(net, None, _batches(n_batches=1, single_group_at=0), progress=False)


def test_missing_group_key_names_it():
    net = make_net("vgg")
    with pytest.raises(KeyError, match="'group'"):
        score_channels(net, None, [{"image": torch.randn(4, 3, 32, 32)}], progress=False)


def test_frosst_importance_is_configurable():
    imp = SNNLImportance(temperature=0.5, distance="squared_euclidean", variant="frosst")
    act, groups = torch.randn(8, 4, 3, 3), torch.arange(8) % 2
    expected = channel_snnl(act.double(), groups, 0.5, "squared_euclidean", "frosst")
    torch.testing.assert_close(imp(act, groups), expected)
