# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""APPLE stage 1: train the latent perturber against an attribute discriminator; the segmentor stays frozen."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from monai.engines.utils import IterationEvents
from monai.utils import CommonKeys as Keys
from torch import nn

from monai_fairness.engines.group_trainer import GroupAwareTrainer
from monai_fairness.losses.attribute_adversarial import AttributeAdversarialLoss

__all__ = ["APPLETrainer"]


class APPLETrainer(GroupAwareTrainer):
    """Alternating adversarial training of APPLE's perturber G_p and discriminator D_p.

    APPLE (Xu et al., "Adversarial Privacy-aware Perturbations on Latent Embedding for Unfairness Mitigation", arXiv
    2403.05114). ``network`` is an :class:`~monai_fairness.networks.APPLESegmentor` (frozen segmentor + G_p) and
    ``optimizer`` holds only G_p's parameters. Each iteration runs one forward (segmentation and latents together),
    then

    1. ``d_steps`` discriminator updates on the detached perturbed latent:
       ``L_D = CE(D_p(stopgrad(f_p)), a)`` (``d_optimizer``);
    2. one perturber update: ``L_G = beta * L_seg(D_s(f_p), y) + alpha * L_adv(D_p(f_p), a) + gamma * mean(G_p(f_o)^2)
       + delta * L_align(f_p, a)`` (``optimizer``); the segmentor's parameters get no gradient, the gradient flows
       through its activations.

    ``L_seg`` is ``loss_function`` (DiceCE by default; for deep supervision the first output only). ``L_adv`` is
    :class:`~monai_fairness.losses.AttributeAdversarialLoss` (CE to uniform by default). ``L_align`` is
    ``alignment_loss`` (e.g. :class:`~monai_fairness.losses.GroupMeanAlignmentLoss`; term left out when ``None``).
    ``engine.state.output`` holds ``loss`` (L_G), ``loss_seg``, ``loss_adv``, ``loss_mag``, ``loss_align``,
    ``loss_disc`` (L_D) and ``disc_accuracy`` (the discriminator's batch accuracy before its update) next to
    ``image``, ``label``, ``pred`` and ``group``.
    With ``amp`` each optimizer has its own gradient scaler.

    Args:
        discriminator: D_p (may be DDP-wrapped); put into train mode every iteration (eval mode when ``d_steps`` is 0).
        d_optimizer: optimizer of D_p's parameters.
        adversarial_loss: L_adv; default ``AttributeAdversarialLoss("uniform")``.
        d_steps: discriminator updates per perturber update (0 freezes D_p and keeps it in eval mode).
        balanced_discriminator: weight L_D by the inverse group frequency of the batch, so that a minority group
            (30 % of the demo data) does not let D_p settle on always predicting the majority, an adversary that the
            perturber then trivially "fools" while the attribute stays in the latent.
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
        for name, value in (("alpha", alpha), ("beta", beta), ("gamma", gamma), ("delta", delta)):
            if float(value) < 0:
                raise ValueError(f"{name} expected a weight >= 0 but got {value!r}.")
        self.discriminator, self.d_optimizer = discriminator, d_optimizer
        self.adversarial_loss = adversarial_loss if adversarial_loss is not None else AttributeAdversarialLoss()
        self.d_steps, self.alpha, self.beta, self.gamma = int(d_steps), float(alpha), float(beta), float(gamma)
        self.balanced_discriminator = bool(balanced_discriminator)
        self.alignment_loss, self.delta = alignment_loss, float(delta)
        self.d_scaler = torch.GradScaler("cuda") if self.amp else None

    def _latents(self) -> tuple[torch.Tensor, torch.Tensor]:
        net = self.network.module if isinstance(self.network, nn.parallel.DistributedDataParallel) else self.network
        f_o, f_p = getattr(net, "latent_original", None), getattr(net, "latent_perturbed", None)
        if f_o is None or f_p is None:
            raise RuntimeError(
                f"stage '{self.stage}' expected network to be an APPLESegmentor that captured the latent in its "
                f"forward but got {type(net).__name__} without latents."
            )
        return f_o, f_p

    def _step(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer, scaler: Any) -> None:
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()

    def _iteration(self, engine: APPLETrainer, batchdata: dict[str, torch.Tensor]) -> dict:  # type: ignore[override]
        inputs, targets, groups, args, kwargs = engine.prepare_group_batch(batchdata)
        engine.network.train()
        self.discriminator.train(self.d_steps > 0)  # d_steps 0: D_p fixed, BatchNorm statistics included
        autocast = torch.autocast("cuda", **engine.amp_kwargs) if engine.amp else torch.autocast("cpu", enabled=False)

        with autocast:
            pred = engine.inferer(inputs, engine.network, *args, **kwargs)
        main = pred[0] if isinstance(pred, (list, tuple)) else pred
        engine.state.output[Keys.PRED] = main
        engine.fire_event(IterationEvents.FORWARD_COMPLETED)
        f_o, f_p = self._latents()

        loss_disc, disc_acc = torch.zeros((), device=inputs.device), torch.zeros((), device=inputs.device)
        weight = None
        if self.balanced_discriminator:
            disc = getattr(self.discriminator, "module", self.discriminator)  # DDP
            num_groups = getattr(disc, "num_groups", None) or int(groups.max()) + 1
            counts = torch.bincount(groups, minlength=num_groups).float()
            weight = torch.where(counts > 0, counts.sum() / (counts.clamp_min(1) * (counts > 0).sum()), 0.0)
        for step in range(self.d_steps):
            self.d_optimizer.zero_grad(set_to_none=True)
            with autocast:
                logits = self.discriminator(f_p.detach())
                loss_disc = F.cross_entropy(logits.float(), groups, weight=weight)
            if step == 0:
                disc_acc = (logits.argmax(1) == groups).float().mean()
            self._step(loss_disc, self.d_optimizer, self.d_scaler)

        engine.optimizer.zero_grad(set_to_none=engine.optim_set_to_none)
        with autocast:
            loss_seg = self.loss_function(main, targets).mean()
            loss_adv = self.adversarial_loss(self.discriminator(f_p), groups)
            loss_mag = (f_p.float() - f_o.float()).pow(2).mean()
            loss = self.beta * loss_seg + self.alpha * loss_adv + self.gamma * loss_mag
            loss_align = torch.zeros((), device=inputs.device)
            if self.alignment_loss is not None:
                loss_align = self.alignment_loss(f_p, groups)
                loss = loss + self.delta * loss_align
        engine.state.output[Keys.LOSS] = loss
        engine.state.output.update(
            {
                "loss_seg": loss_seg.detach(),
                "loss_adv": loss_adv.detach(),
                "loss_mag": loss_mag.detach(),
                "loss_align": loss_align.detach(),
                "loss_disc": loss_disc.detach(),
                "disc_accuracy": disc_acc.detach(),
            }
        )
        engine.fire_event(IterationEvents.LOSS_COMPLETED)
        self._step(loss, engine.optimizer, engine.scaler if engine.amp else None)
        engine.fire_event(IterationEvents.BACKWARD_COMPLETED)
        engine.fire_event(IterationEvents.MODEL_COMPLETED)
        return engine.state.output
