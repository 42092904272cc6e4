# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""APPLETrainer with real MONAI engines: loss parts, frozen segmentor, discriminator learning, missing group."""

from __future__ import annotations

import pytest
import torch
from monai.losses import DiceCELoss
from monai.networks.nets import UNet

from monai_fairness.data.datalist import DatalistError
from monai_fairness.engines import APPLETrainer
from monai_fairness.losses import GroupMeanAlignmentLoss
from monai_fairness.metrics import measure_attribute_leakage
from monai_fairness.networks import APPLESegmentor, AttributeDiscriminator, LatentPerturber, state_checksum


def _data(n: int = 16, with_group: bool = True) -> list[dict]:
    """Group 1 images are brighter (the attribute is visible); the label is a square in every image."""
    g = torch.Generator().manual_seed(0)
    items = []
    for i in range(n):
        group = i % 2
        label = torch.zeros(1, 16, 16)
        label[:, 4:12, 4:12] = 1
        image = label * 0.5 + 0.3 * group + 0.1 * torch.rand(1, 16, 16, generator=g)
        item = {"image": image, "label": label}
        if with_group:
            item["group"] = group
        items.append(item)
    return items


def _setup(d_steps: int = 1):
    torch.manual_seed(0)
    segmentor = UNet(2, 1, 2, (4, 8, 16), (2, 2), num_res_units=1, norm="batch").eval()
    apple = APPLESegmentor(segmentor, LatentPerturber(2, 16, epsilon=1.0))
    disc = AttributeDiscriminator(16, 2, hidden_channels=32)
    return apple, disc


def _trainer(apple, disc, data, max_epochs=2, **kwargs) -> APPLETrainer:
    loader = torch.utils.data.DataLoader(data, batch_size=4, shuffle=False)
    return APPLETrainer(
        device=torch.device("cpu"),
        max_epochs=max_epochs,
        train_data_loader=loader,
        network=apple,
        optimizer=torch.optim.Adam(apple.trainable_parameters(), lr=1e-2),
        loss_function=DiceCELoss(to_onehot_y=True, softmax=True),
        discriminator=disc,
        d_optimizer=torch.optim.Adam(disc.parameters(), lr=1e-2),
        **kwargs,
    )


def test_loss_parts_and_frozen_segmentor():
    apple, disc = _setup()
    checksum = state_checksum(apple.segmentor)
    disc_before = {k: v.clone() for k, v in disc.state_dict().items()}
    trainer = _trainer(apple, disc, _data(), alpha=0.7, beta=1.3, gamma=0.5)  # distinct: swapped weights fail
    trainer.run()
    out = trainer.state.output[0]  # decollated: every item holds the batch losses
    for key in ("loss", "loss_seg", "loss_adv", "loss_mag", "loss_disc", "disc_accuracy", "pred", "group"):
        assert key in out, key
    expected = 1.3 * float(out["loss_seg"]) + 0.7 * float(out["loss_adv"]) + 0.5 * float(out["loss_mag"])
    assert float(out["loss"]) == pytest.approx(expected, rel=1e-5)
    assert float(out["loss_mag"]) > 0  # the perturber moved away from its zero start
    assert state_checksum(apple.segmentor) == checksum
    assert not apple.segmentor.training
    assert any(not torch.equal(disc_before[k], v) for k, v in disc.state_dict().items())


def test_alignment_term_is_in_the_loss():
    apple, disc = _setup()
    trainer = _trainer(apple, disc, _data(), alignment_loss=GroupMeanAlignmentLoss(16), delta=2.0)
    trainer.run()
    out = trainer.state.output[0]
    expected = float(out["loss_seg"]) + float(out["loss_adv"]) + 2.0 * float(out["loss_align"])
    assert float(out["loss_align"]) > 0
    assert float(out["loss"]) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="delta expected a weight >= 0"):
        _trainer(apple, disc, _data(), delta=-1.0)


def test_zero_d_steps_freezes_the_discriminator():
    apple, disc = _setup()
    disc_before = {k: v.clone() for k, v in disc.state_dict().items()}
    _trainer(apple, disc, _data(), max_epochs=1, d_steps=0).run()
    assert all(torch.equal(disc_before[k], v) for k, v in disc.state_dict().items())


def test_missing_group_names_the_stage():
    apple, disc = _setup()
    with pytest.raises(DatalistError, match="stage 'train_apple' needs 'group'"):
        _trainer(apple, disc, _data(with_group=False), max_epochs=1).run()


def test_bad_weights_are_rejected():
    apple, disc = _setup()
    with pytest.raises(ValueError, match="alpha expected a weight >= 0 but got -1"):
        _trainer(apple, disc, _data(), alpha=-1)


def test_leakage_probe_sees_a_visible_attribute():
    apple, disc = _setup()
    loader = torch.utils.data.DataLoader(_data(24), batch_size=4)
    result = measure_attribute_leakage(apple, loader, loader, "cpu", 2, discriminator=disc)
    # the attribute (brightness) is plainly in the latent and the perturber is still zero: before == after, high
    assert result["probe"]["before"]["balanced_accuracy"] > 0.9
    assert result["probe"]["after"] == result["probe"]["before"]
    assert result["mean_perturbation_norm_ratio"] == pytest.approx(0.0, abs=1e-6)
    assert set(result["discriminator"]) == {"before", "after"}
    # a discriminator of the same architecture refitted on the frozen latents reads it too, equally before and after
    assert result["refitted_discriminator"]["before"]["balanced_accuracy"] > 0.9
    assert result["refitted_discriminator"]["after"] == result["refitted_discriminator"]["before"]
    assert result["chance_balanced_accuracy"] == 0.5 and result["num_eval"] == 24


def test_the_no_adversary_control_never_runs_or_steps_the_discriminator():
    apple, disc = _setup()
    disc_before = {k: v.clone() for k, v in disc.state_dict().items()}
    calls = []
    disc.register_forward_hook(lambda *a: calls.append(1))
    trainer = _trainer(apple, disc, _data(), max_epochs=1, alpha=0.0, d_steps=0)
    trainer.run()
    out = trainer.state.output[0]
    assert calls == [] and float(out["loss_adv"]) == 0.0
    assert float(out["loss"]) == pytest.approx(float(out["loss_seg"]), rel=1e-6)  # the segmentation term alone
    assert all(torch.equal(disc_before[k], v) for k, v in disc.state_dict().items())
