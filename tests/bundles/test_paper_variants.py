# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The paper-shaped APPLE switch builds the stated networks, and its overlay gives inference the network training
saved (same keys and shapes), so a model trained with it can be evaluated and served."""

from __future__ import annotations

import os

import torch
from monai.bundle import ConfigParser

from monai_fairness.networks import EncoderDecoderPerturber
from tests.bundles.helpers import bundle_path

APPLE = bundle_path("apple_ct_segmentation")


def _parsed(files: list[str], key: str):
    parser = ConfigParser()
    parser.read_config([os.path.join(APPLE, "configs", f) for f in files])
    # the frozen segmentor's weights are not needed to compare the architectures
    parser.update({"device": "$torch.device('cpu')", "segmentor": "@segmentor_def", "num_groups": 2})
    return parser.get_parsed_content(key)


def test_paper_overlay_builds_the_encoder_decoder_at_the_bottleneck_and_a_linear_bn_discriminator():
    train = ["train.json", "train_apple.json", "train_apple_paper.json"]
    network = _parsed(train, "network_def")
    assert isinstance(network.perturber, EncoderDecoderPerturber)
    # the architecture's default latent: the UNet's innermost block, not the default's first block
    assert network.spec.layer.endswith("submodule") and network.spec.layer != "model.0"
    disc = _parsed(train, "discriminator_def")
    assert disc.head == "linear_bn" and disc.channels == network.perturber.channels
    x = torch.randn(1, 1, 32, 32, 32)
    network.eval()
    assert network(x).shape[2:] == x.shape[2:]


def test_inference_with_the_overlay_loads_what_training_saved():
    trained = _parsed(["train.json", "train_apple.json", "train_apple_paper.json"], "network_def").state_dict()
    served = _parsed(["inference.json", "train_apple_paper.json"], "network_def")
    assert {k: v.shape for k, v in served.state_dict().items()} == {k: v.shape for k, v in trained.items()}
    served.load_state_dict(trained)
    default = _parsed(["inference.json"], "network_def")
    assert set(default.state_dict()) != set(trained)  # without the overlay inference would not load it
