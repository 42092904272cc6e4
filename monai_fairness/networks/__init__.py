# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Networks and network wrappers: FairDi's frozen per-group teacher set; APPLE's perturber, discriminator and the
frozen-segmentor wrapper; gradient reversal and a feature tap for adversarial debiasing."""

from __future__ import annotations

from .apple_segmentor import APPLESegmentor
from .attribute_discriminator import AttributeDiscriminator
from .encoder_decoder_perturber import EncoderDecoderPerturber
from .frozen import adopt_segmentor_checkpoint, freeze, load_frozen_segmentor, state_checksum
from .gradient_reversal import FeatureTap, GradientReversal, feature_channels
from .head_only import train_head_only
from .latent_layers import LatentSpec, candidate_layers, default_latent_spec, get_latent_module, resolve_latent_spec
from .latent_perturber import LatentPerturber
from .pretrained import load_pretrained_weights, map_pretrained_keys
from .teacher_set import FrozenTeacherSet, TeacherRouting

__all__ = [
    "APPLESegmentor",
    "AttributeDiscriminator",
    "EncoderDecoderPerturber",
    "FeatureTap",
    "FrozenTeacherSet",
    "GradientReversal",
    "LatentPerturber",
    "LatentSpec",
    "TeacherRouting",
    "candidate_layers",
    "default_latent_spec",
    "feature_channels",
    "freeze",
    "get_latent_module",
    "load_pretrained_weights",
    "map_pretrained_keys",
    "adopt_segmentor_checkpoint",
    "load_frozen_segmentor",
    "resolve_latent_spec",
    "state_checksum",
    "train_head_only",
]
