# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Tiny configurations of every segmentor family APPLE must attach to (test helper)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from monai.networks.nets import UNETR, AttentionUnet, SegResNet, SegResNetDS2, SwinUNETR, UNet
from monai.networks.nets.vista3d import VISTA3D, ClassMappingClassify, PointMappingSAM
from torch import nn


class TinySAM(nn.Module):
    """A SAM-style promptable model: ``image_encoder`` (patch embedding + conv) and a mask decoder fed a box prompt."""

    def __init__(self, dim: int = 16) -> None:
        super().__init__()
        self.image_encoder = nn.Sequential(nn.Conv2d(1, dim, 4, stride=4), nn.GELU(), nn.Conv2d(dim, dim, 3, padding=1))
        self.prompt_encoder = nn.Linear(4, dim)
        self.mask_decoder = nn.Sequential(nn.ConvTranspose2d(dim, dim, 4, stride=4), nn.GELU(), nn.Conv2d(dim, 1, 1))

    def forward(self, x: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        embedding = self.image_encoder(x)
        prompt = self.prompt_encoder(boxes)[:, :, None, None]
        return self.mask_decoder(embedding + prompt)


def _vista3d() -> VISTA3D:
    encoder = SegResNetDS2(
        in_channels=1, blocks_down=(1, 1, 1), norm="instance", out_channels=8, init_filters=8, dsdepth=1
    )
    return VISTA3D(
        encoder,
        ClassMappingClassify(n_classes=4, feature_size=8, use_mlp=True),
        PointMappingSAM(feature_size=8, n_classes=4, last_supported=3),
    )


# name -> (factory, input shape, extra forward kwargs, expected default latent layer)
SEGMENTORS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...], dict[str, Any], str]] = {
    "unet_2d": (
        lambda: UNet(2, 1, 2, (4, 8, 16), (2, 2), num_res_units=1),
        (2, 1, 32, 32),
        {},
        "model.1.submodule.1.submodule",
    ),
    "unet_3d": (
        lambda: UNet(3, 1, 2, (4, 8, 16), (2, 2), num_res_units=1, norm="batch"),
        (2, 1, 16, 16, 16),
        {},
        "model.1.submodule.1.submodule",
    ),
    "attention_unet_3d": (
        lambda: AttentionUnet(3, 1, 2, (4, 8, 16), (2, 2)),
        (2, 1, 16, 16, 16),
        {},
        "model.1.submodule.1.submodule",
    ),
    "segresnet_3d": (
        lambda: SegResNet(3, init_filters=8, in_channels=1, out_channels=2, blocks_down=(1, 1, 1), blocks_up=(1, 1)),
        (2, 1, 16, 16, 16),
        {},
        "down_layers.2",
    ),
    "swinunetr_2d": (
        lambda: SwinUNETR(
            in_channels=1, out_channels=2, feature_size=12, spatial_dims=2, depths=(1, 1, 1, 1), num_heads=(1, 1, 1, 1)
        ),
        (1, 1, 64, 64),
        {},
        "encoder10",
    ),
    "unetr_3d": (
        lambda: UNETR(1, 2, (32, 32, 32), feature_size=4, hidden_size=48, mlp_dim=96, num_heads=2),
        (1, 1, 32, 32, 32),
        {},
        "vit.norm",
    ),
    "vista3d": (_vista3d, (1, 1, 16, 16, 16), {"class_vector": torch.tensor([[1]])}, "image_encoder.encoder"),
    "sam_style_2d": (TinySAM, (2, 1, 32, 32), {"boxes": torch.rand(2, 4)}, "image_encoder"),
}
