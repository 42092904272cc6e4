# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Where the latent embedding of a MONAI segmentor lives: per-architecture defaults plus a manual override."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

__all__ = ["LatentSpec", "default_latent_spec", "resolve_latent_spec", "get_latent_module", "candidate_layers"]


@dataclass(frozen=True)
class LatentSpec:
    """A latent layer: the module ``layer``'s output, element ``index`` of it when it is a tuple/list.

    ``channel_dim`` is 1 for ``(B, C, *spatial)`` feature maps and -1 for channel-last tokens ``(B, N, C)`` (ViT).
    """

    layer: str
    index: int | None = None
    channel_dim: int = 1


def _deepest_submodule(network: nn.Module) -> str | None:
    """Name of the innermost ``...submodule`` (MONAI ``UNet``'s ``SkipConnection`` nesting, ``AttentionUnet``)."""
    names = [n for n, _ in network.named_modules() if n.endswith("submodule")]
    return max(names, key=lambda n: n.count("."), default=None)


def default_latent_spec(network: nn.Module) -> LatentSpec | None:
    """The bottleneck of a known MONAI segmentor, or ``None`` when the architecture is not known.

    - ``UNet``, ``AttentionUnet``: the innermost ``submodule`` (the bottom block, before its skip concatenation).
    - ``BasicUNet``: ``down_4``. ``SegResNet``: the last of ``down_layers`` (the ``z`` of ``encode``).
    - ``SwinUNETR``: ``encoder10`` (the bottleneck conv on the deepest Swin stage).
    - ``UNETR``: ``vit.norm``, the transformer's output tokens ``(B, N, hidden)`` (``channel_dim=-1``).
    - ``VISTA3D``: ``image_encoder.encoder`` element -1, the deepest encoder feature, which feeds both the automatic
      (class prompt) and the interactive (point prompt) branch. ``SegResNetDS``/``SegResNetDS2``: ``encoder``
      element -1.
    - Any other model with an ``image_encoder`` (a SAM-style image-encoder / mask-decoder pair): ``image_encoder``,
      the image embedding before the mask decoder.
    """
    kind = type(network).__name__
    if kind == "VISTA3D":
        return LatentSpec("image_encoder.encoder", index=-1)
    if kind in ("SegResNetDS", "SegResNetDS2"):
        return LatentSpec("encoder", index=-1)
    if kind == "SegResNet":
        return LatentSpec(f"down_layers.{len(network.down_layers) - 1}")  # type: ignore[arg-type]
    if kind == "BasicUNet":
        return LatentSpec("down_4")
    if kind == "SwinUNETR":
        return LatentSpec("encoder10")
    if kind == "UNETR":
        return LatentSpec("vit.norm", channel_dim=-1)
    if kind in ("UNet", "AttentionUnet", "AttentionUNet"):
        name = _deepest_submodule(network)
        return LatentSpec(name) if name else None
    if isinstance(getattr(network, "image_encoder", None), nn.Module):
        return LatentSpec("image_encoder")
    return None


def candidate_layers(network: nn.Module, limit: int = 40) -> list[str]:
    """Names worth trying as a latent layer: the default first, then every module that has children (blocks)."""
    default = default_latent_spec(network)
    names = [default.layer] if default else []
    names += [n for n, m in network.named_modules() if n and any(True for _ in m.children()) and n not in names]
    return names[:limit]


def get_latent_module(network: nn.Module, layer: str) -> nn.Module:
    """``network.get_submodule(layer)`` with an error that lists candidate layers."""
    try:
        return network.get_submodule(layer)
    except AttributeError:
        candidates = candidate_layers(network)
        raise ValueError(
            f"latent_layer expected the name of a module of {type(network).__name__} but got {layer!r}; candidate "
            f"layers: {', '.join(candidates)}{' ...' if len(candidates) == 40 else ''}."
        ) from None


def resolve_latent_spec(
    network: nn.Module, layer: str | None = None, index: int | None = None, channel_dim: int | None = None
) -> LatentSpec:
    """The manual ``layer`` (plus ``index``/``channel_dim``) or the architecture default; checks that it exists."""
    if layer is None:
        spec = default_latent_spec(network)
        if spec is None:
            raise ValueError(
                f"latent_layer expected a module name: {type(network).__name__} has no default latent layer; "
                f"candidate layers: {', '.join(candidate_layers(network))}."
            )
        if index is not None or channel_dim is not None:
            spec = LatentSpec(spec.layer, spec.index if index is None else index, channel_dim or spec.channel_dim)
    else:
        spec = LatentSpec(layer, index, 1 if channel_dim is None else channel_dim)
    if spec.channel_dim not in (1, -1):
        raise ValueError(f"channel_dim expected 1 (feature maps) or -1 (tokens) but got {spec.channel_dim!r}.")
    get_latent_module(network, spec.layer)
    return spec
