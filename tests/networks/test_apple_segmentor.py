# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""APPLE's wrapper on every supported segmentor family: output shape, frozen weights, hook behaviour, errors."""

from __future__ import annotations

import copy

import pytest
import torch
from monai.networks.nets import UNet

from monai_fairness.networks import (
    APPLESegmentor,
    AttributeDiscriminator,
    LatentPerturber,
    load_frozen_segmentor,
    state_checksum,
)
from tests.networks.segmentors import SEGMENTORS


def _attach(name: str) -> tuple[torch.nn.Module, APPLESegmentor, torch.Tensor, dict]:
    factory, shape, kwargs, _ = SEGMENTORS[name]
    torch.manual_seed(0)
    segmentor = factory().eval()
    probe = APPLESegmentor(copy.deepcopy(segmentor), torch.nn.Identity())
    x = torch.rand(shape)
    with torch.no_grad(), probe.bypass():
        probe(x, **kwargs)
    latent = probe.latent_original
    perturber = LatentPerturber(latent.ndim - 2, latent.shape[1], epsilon=0.5)
    return segmentor, APPLESegmentor(copy.deepcopy(segmentor), perturber), x, kwargs


@pytest.mark.parametrize("name", sorted(SEGMENTORS))
def test_attach_keeps_output_shape_and_starts_as_identity(name):
    segmentor, apple, x, kwargs = _attach(name)
    assert apple.spec.layer == SEGMENTORS[name][3]
    with torch.no_grad():
        expected = segmentor(x, **kwargs)
        out = apple(x, **kwargs)
    assert out.shape == expected.shape
    # the last conv is zero-initialised: before training f_p == f_o and the output is the segmentor's
    torch.testing.assert_close(out, expected)
    assert apple.latent_perturbed is not None and apple.latent_perturbed.shape == apple.latent_original.shape
    # a non-zero perturbation changes the output and stays bounded by epsilon
    torch.nn.init.normal_(apple.perturber.out.weight, std=1.0)
    with torch.no_grad():
        changed = apple(x, **kwargs)
    delta = apple.latent_perturbed - apple.latent_original
    assert 0 < float(delta.abs().max()) <= 0.5 + 1e-5  # f + d - f rounds
    assert not torch.allclose(changed, expected)


@pytest.mark.parametrize("name", ["unet_3d", "unetr_3d", "vista3d"])
def test_segmentor_state_is_untouched_by_training_steps(name):
    _, apple, x, kwargs = _attach(name)
    before = state_checksum(apple.segmentor)
    keys = list(apple.segmentor.state_dict())
    disc = AttributeDiscriminator(apple.perturber.channels, 2)
    opt = torch.optim.Adam([*apple.trainable_parameters(), *disc.parameters()], lr=1e-2)
    apple.train()
    assert not apple.segmentor.training and all(not m.training for m in apple.segmentor.modules())
    groups = torch.arange(x.shape[0]) % 2
    for _ in range(3):
        opt.zero_grad()
        out = apple(x, **kwargs)
        loss = out.float().pow(2).mean() + torch.nn.functional.cross_entropy(disc(apple.latent_perturbed), groups)
        loss.backward()
        opt.step()
    assert all(p.grad is None for p in apple.segmentor.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in apple.perturber.parameters())
    assert state_checksum(apple.segmentor) == before
    assert list(apple.segmentor.state_dict()) == keys


def test_wrapper_state_dict_loads_into_the_original_network_def(tmp_path):
    segmentor, apple, x, _ = _attach("unet_3d")
    state = apple.state_dict()
    seg_state = {k[len("segmentor.") :]: v for k, v in state.items() if k.startswith("segmentor.")}
    assert set(seg_state) == set(segmentor.state_dict())
    assert {k.split(".")[0] for k in state} == {"segmentor", "perturber"}
    fresh = UNet(3, 1, 2, (4, 8, 16), (2, 2), num_res_units=1, norm="batch")
    fresh.load_state_dict(seg_state)  # strict
    assert state_checksum(fresh) == state_checksum(segmentor)


def test_bypass_runs_the_plain_segmentor():
    segmentor, apple, x, _ = _attach("unet_2d")
    torch.nn.init.normal_(apple.perturber.out.weight, std=1.0)
    with torch.no_grad(), apple.bypass():
        out = apple(x)
    torch.testing.assert_close(out, segmentor(x))
    assert apple.enabled


def test_record_pooled_collects_every_call():
    _, apple, x, _ = _attach("unet_2d")
    with torch.no_grad(), apple.record_pooled() as records:
        apple(x)
        apple(x[:1])
    assert [r[0].shape for r in records] == [(2, 16), (1, 16)]
    assert apple._records is None


def test_traced_export_holds_the_perturber():
    _, apple, x, _ = _attach("unet_2d")
    torch.nn.init.normal_(apple.perturber.out.weight, std=1.0)
    apple.eval()
    traced = torch.jit.trace(apple, x)
    with torch.no_grad():
        torch.testing.assert_close(traced(torch.flip(x, [0])), apple(torch.flip(x, [0])))


def test_unknown_latent_layer_lists_candidates():
    net = UNet(2, 1, 2, (4, 8, 16), (2, 2))
    with pytest.raises(
        ValueError, match=r"latent_layer .*'encoder'.*candidate layers: model\.1\.submodule\.1\.submodule"
    ):
        APPLESegmentor(net, torch.nn.Identity(), latent_layer="encoder")


def test_unknown_architecture_needs_a_latent_layer():
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.Sequential(torch.nn.Conv2d(4, 2, 1)))
    with pytest.raises(ValueError, match=r"no default latent layer; candidate layers: 1"):
        APPLESegmentor(net, torch.nn.Identity())
    apple = APPLESegmentor(net, torch.nn.Identity(), latent_layer="0")
    assert apple.spec.layer == "0"


def test_perturber_channel_mismatch_names_the_shapes():
    net = UNet(2, 1, 2, (4, 8, 16), (2, 2))
    apple = APPLESegmentor(net, LatentPerturber(2, 32))
    with pytest.raises(ValueError, match=r"latent expected shape \(B, 32, \*, \*\) but got \(1, 16, 8, 8\)"):
        apple(torch.rand(1, 1, 32, 32))


def test_mismatched_checkpoint_names_missing_and_unexpected_keys(tmp_path):
    small = UNet(2, 1, 2, (4, 8, 16), (2, 2))
    deeper = UNet(2, 1, 2, (4, 8, 16, 32), (2, 2, 2))
    torch.save(deeper.state_dict(), tmp_path / "deployed.pt")
    with pytest.raises(
        ValueError, match=r"does not match network_def \(UNet\): missing keys \d+ .*unexpected keys \d+ \["
    ):
        load_frozen_segmentor(small, str(tmp_path / "deployed.pt"))
    torch.save({"model": small.state_dict()}, tmp_path / "ok.pt")
    loaded = load_frozen_segmentor(UNet(2, 1, 2, (4, 8, 16), (2, 2)), str(tmp_path / "ok.pt"))
    assert state_checksum(loaded) == state_checksum(small)
    assert not loaded.training and not any(p.requires_grad for p in loaded.parameters())
    with pytest.raises(FileNotFoundError, match="pretrain_segmentor"):
        load_frozen_segmentor(small, str(tmp_path / "missing.pt"))


def test_discriminator_standardises_and_handles_a_single_sample():
    disc = AttributeDiscriminator(4, 2, hidden_channels=8)
    f = torch.randn(6, 4, 3, 3) * torch.tensor([100.0, 1.0, 1.0, 0.01])[None, :, None, None]
    assert disc(f).shape == (6, 2)
    assert disc(f[:1]).shape == (1, 2)  # train mode, batch of one: running statistics
    disc.eval()
    assert disc(f).shape == (6, 2)
    with pytest.raises(ValueError, match="latent expected 4 channels but got 3"):
        disc(torch.randn(2, 3, 2, 2))
