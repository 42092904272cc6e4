# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""APPLE stage 1: train the latent perturber against an attribute discriminator; the segmentor stays frozen."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from monai.engines.utils import IterationEvents
from monai.utils import CommonKeys as Keys
from torch import nn

from monai_fairness.engines.group_trainer import GroupAwareTrainer
from monai_fairness.losses.apple import APPLEDiscriminatorLoss, APPLEPerturberLoss

__all__ = ["APPLETrainer"]


class APPLETrainer(GroupAwareTrainer):
    """Alternating adversarial training of APPLE's perturber G_p and discriminator D_p, GanTrainer style.

    APPLE (Xu et al., "Adversarial Privacy-aware Perturbations on Latent Embedding for Unfairness Mitigation", arXiv
    2403.05114). ``network`` is an :class:`~monai_fairness.networks.APPLESegmentor` (frozen segmentor + G_p) and
    ``optimizer`` holds only G_p's parameters. The perturber's step is MONAI's own training step (AMP, ``compile``,
    gradient accumulation); each iteration runs one forward (segmentation and latents together), then

    1. at ``FORWARD_COMPLETED``, ``d_steps`` updates of the **second optimiser** ``d_optimizer`` on
       :class:`~monai_fairness.losses.APPLEDiscriminatorLoss` of the detached perturbed latent (as MONAI's
       ``GanTrainer`` runs its discriminator steps next to the generator's);
    2. MONAI's step on :class:`~monai_fairness.losses.APPLEPerturberLoss`, ``beta L_seg + alpha L_adv + gamma
       mean(G_p(f_o)^2) + delta L_align``; the segmentor's parameters get no gradient, the gradient flows through its
       activations.

    ``loss_function`` is ``L_seg`` (DiceCE by default; for deep supervision the first output only).
    ``engine.state.output`` holds ``loss`` (L_G), ``loss_seg``, ``loss_adv``, ``loss_mag``, ``loss_align``,
    ``loss_disc`` (L_D) and ``disc_accuracy`` (the discriminator's batch accuracy before its update) next to
    ``image``, ``label``, ``pred`` and ``group``. With ``amp`` the discriminator has its own gradient scaler.

    Args:
        discriminator: D_p (may be DDP-wrapped); put into train mode every iteration (eval mode when ``d_steps`` is 0).
        d_optimizer: optimizer of D_p's parameters.
        adversarial_loss: L_adv; default ``AttributeAdversarialLoss("uniform")``.
        d_steps: discriminator updates per perturber update (0 freezes D_p and keeps it in eval mode).
        balanced_discriminator: weight L_D by the inverse group frequency of the batch.
        alignment_loss: L_align(latent ``(B, C, *spatial)``, groups ``(B,)``) -> scalar, or ``None`` (no term).
        alpha, beta, gamma, delta: weights of L_adv, L_seg, the magnitude penalty and L_align.
        args, kwargs: :class:`GroupAwareTrainer` arguments (``stage`` defaults to ``"train_apple"``).
    """

    def __init__(
        self,
        *args: Any,
        discriminator: nn.Module,
        d_optimizer: torch.optim.Optimizer,
        adversarial_loss: nn.Module | None = None,
        d_steps: int = 1,
        balanced_discriminator: bool = True,
        alpha: float = 1.0,
        beta: float = 1.0,
        gamma: float = 0.0,
        alignment_loss: nn.Module | None = None,
        delta: float = 1.0,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("stage", "train_apple")
        super().__init__(*args, **kwargs)
        if int(d_steps) < 0:
            raise ValueError(f"d_steps expected a count >= 0 but got {d_steps!r}.")
        self.objective = APPLEPerturberLoss(self.objective, adversarial_loss, alpha, beta, gamma, alignment_loss, delta)
        self.discriminator_loss = APPLEDiscriminatorLoss(balanced_discriminator)
        self.discriminator, self.d_optimizer, self.d_steps = discriminator, d_optimizer, int(d_steps)
        self.d_scaler = torch.GradScaler("cuda") if self.amp else None
        self._d_parts: dict[str, torch.Tensor] = {}
        self.add_event_handler(IterationEvents.FORWARD_COMPLETED, self._discriminator_steps)

    def _latents(self) -> tuple[torch.Tensor, torch.Tensor]:
        net = self.network.module if isinstance(self.network, nn.parallel.DistributedDataParallel) else self.network
        f_o, f_p = getattr(net, "latent_original", None), getattr(net, "latent_perturbed", None)
        if f_o is None or f_p is None:
            raise RuntimeError(
                f"stage '{self.stage}' expected network to be an APPLESegmentor that captured the latent in its "
                f"forward but got {type(net).__name__} without latents."
            )
        return f_o, f_p

    def _discriminator_steps(self, engine: APPLETrainer) -> None:
        """The second optimiser's steps, on the latent of the forward that just completed."""
        pred = engine.state.output[Keys.PRED]
        if isinstance(pred, (list, tuple)):  # deep supervision: the main output only
            engine.state.output[Keys.PRED] = pred[0]
        groups = self._groups
        _, f_p = self._latents()
        self.discriminator.train(self.d_steps > 0)  # d_steps 0: D_p fixed, BatchNorm statistics included
        loss_disc, disc_acc = torch.zeros((), device=f_p.device), torch.zeros((), device=f_p.device)
        for step in range(self.d_steps):
            self.d_optimizer.zero_grad(set_to_none=True)
            logits = self.discriminator(f_p.detach())
            loss_disc = self.discriminator_loss(logits, groups)
            if step == 0:
                disc_acc = (logits.argmax(1) == groups).float().mean()
            if self.d_scaler is not None:
                self.d_scaler.scale(loss_disc).backward()
                self.d_scaler.step(self.d_optimizer)
                self.d_scaler.update()
            else:
                loss_disc.backward()
                self.d_optimizer.step()
        self._d_parts = {"loss_disc": loss_disc.detach(), "disc_accuracy": disc_acc.detach()}

    def compute_losses(
        self, inputs: torch.Tensor, targets: torch.Tensor, groups: torch.Tensor, pred: torch.Tensor
    ) -> Mapping[str, torch.Tensor]:
        f_o, f_p = self._latents()
        logits = self.discriminator(f_p) if self.objective.alpha > 0 else None  # alpha 0: no adversary at all
        return self.objective(pred, targets, groups, f_o, f_p, logits)

    def _put_parts(self, engine: GroupAwareTrainer) -> None:
        super()._put_parts(engine)
        engine.state.output.update(self._d_parts)
