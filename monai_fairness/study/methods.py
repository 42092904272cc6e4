# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The methods a study can compare, as ordinary bundle commands: which bundle, which stages, which model to evaluate.

A method that starts from ERM (SCP's "vanilla" model, APPLE's deployed segmentor) reuses the study's ERM model of the
same seed instead of training another one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["MethodSpec", "METHODS", "CONTROLS", "SIMPLE_BASELINES", "methods_for", "check_methods", "run_order"]

BUNDLES = {
    "classification": {
        "erm": "erm_skin_lesion_classification",
        "fairdi": "fairdi_skin_lesion_classification",
        "scp": "scp_skin_lesion_classification",
    },
    "segmentation": {
        "erm": "erm_ct_segmentation",
        "fairdi": "fairdi_ct_segmentation",
        "apple": "apple_ct_segmentation",
    },
}


@dataclass(frozen=True)
class MethodSpec:
    """How one method trains and is evaluated.

    Attributes:
        name: the study's name of the method.
        description: one line for the report.
        family: the bundle family (``erm``, ``fairdi``, ``scp``, ``apple``); the bundle is ``BUNDLES[task][family]``.
        stages: ``(stage name, config files, overrides)`` in order; ``{group}`` in a stage name is expanded once per
            group id of the datalist (``--group_id``).
        eval_configs: the config stack of its evaluation.
        eval_model: ``--eval_model`` of its evaluation.
        erm_checkpoint: the file name inside the method's ``models/`` that receives a copy of the seed's ERM model.
        erm_override: the config id that receives the path of the seed's ERM model (APPLE's
            ``segmentor_checkpoint``, checked against its ``network_def`` before it is copied).
        simple: a simple baseline (re-sampling, re-weighting): the comparison "against the best simple baseline".
        control_of: the method this one is a control of (same budget, the mechanism switched off); the study also
            compares that method with it.
        shares: the method whose folder (models, eval) this one trains in, after it (a control that starts from its
            backbone, segmentor or SCP history).
        eval_name: the folder of its evaluation (``eval/<eval_name>/``); default ``eval_model``.
        eval_overrides: more overrides of its evaluation command.
        tasks: the tasks it applies to; None: every task its bundle family has a bundle for.
        fit_datalist: the config id of its evaluation that receives the training datalist when the study evaluates
            on another one (APPLE's leakage probe fits on that datalist's training split, never on scored cases).
    """

    name: str
    description: str
    family: str
    stages: tuple[tuple[str, tuple[str, ...], dict], ...]
    eval_configs: tuple[str, ...] = ("train.json", "evaluate.json")
    eval_model: str = "model"
    erm_checkpoint: str | None = None
    erm_override: str | None = None
    simple: bool = False
    control_of: str | None = None
    shares: str | None = None
    eval_name: str | None = None
    eval_overrides: tuple[tuple[str, str], ...] = ()
    tasks: tuple[str, ...] | None = None
    fit_datalist: str | None = None

    @property
    def uses_erm(self) -> bool:
        return self.erm_checkpoint is not None or self.erm_override is not None


# APPLE on the seed's ERM segmentor: that segmentor was "trained elsewhere", so the perturber learns from the whole
# training split; APPLE, its paper-shaped variant and its control share it
_PERTURBER_ON_ERM = {"segmentor_share": 0.0}

METHODS: dict[str, MethodSpec] = {
    "erm": MethodSpec("erm", "ERM: the task's plain recipe (the reference)", "erm", (("erm", ("train.json",), {}),)),
    "resampling": MethodSpec(
        "resampling",
        "group-balanced re-sampling",
        "fairdi",
        (("resampling", ("train.json", "train_resampling.json"), {}),),
        eval_model="resampling",
        simple=True,
    ),
    "reweighting": MethodSpec(
        "reweighting",
        "loss re-weighting by inverse group frequency",
        "fairdi",
        (("reweighting", ("train.json", "train_reweighting.json"), {}),),
        eval_model="reweighting",
        simple=True,
    ),
    "groupdro": MethodSpec(
        "groupdro",
        "GroupDRO: online weights towards the worst group's loss",
        "fairdi",
        (("groupdro", ("train.json", "train_groupdro.json"), {}),),
        eval_model="groupdro",
        simple=True,
    ),
    "adversarial": MethodSpec(
        "adversarial",
        "adversarial debiasing: an attribute head through gradient reversal",
        "fairdi",
        (("adversarial", ("train.json", "train_adversarial.json"), {}),),
        eval_model="adversarial",
    ),
    "fairdi": MethodSpec(
        "fairdi",
        "FairDi: FIS backbone, one teacher per group, distilled student",
        "fairdi",
        (
            ("backbone", ("train.json", "train_backbone.json"), {}),
            ("teacher_g{group}", ("train.json", "train_teacher.json"), {}),
            ("student", ("train.json", "train_student.json"), {}),
        ),
    ),
    "fairdi_paper": MethodSpec(
        "fairdi_paper",
        "FairDi, paper-shaped (a third-party reading): head-only teachers, student lambda KL + (1 - lambda) FIS",
        "fairdi",
        (
            ("backbone", ("train.json", "train_backbone.json"), {}),
            ("teacher_g{group}", ("train.json", "train_teacher.json", "train_teacher_head.json"), {}),
            ("student", ("train.json", "train_student.json", "train_student_fis_kd.json"), {}),
        ),
    ),
    "scp": MethodSpec(
        "scp",
        "SCP: the ERM model's skin-tone channels pruned, fine-tuned",
        "scp",
        (
            ("score", ("train.json", "score.json"), {}),
            ("prune_finetune", ("train.json", "score.json", "prune_finetune.json"), {}),
        ),
        erm_checkpoint="erm.pt",
    ),
    "apple": MethodSpec(
        "apple",
        "APPLE: a latent perturber on the frozen ERM segmentor",
        "apple",
        (
            ("pretrain_segmentor", ("train.json", "pretrain_segmentor.json"), {}),
            ("train_apple", ("train.json", "train_apple.json"), _PERTURBER_ON_ERM),
        ),
        eval_configs=("train.json", "train_apple.json", "evaluate.json"),
        erm_override="segmentor_checkpoint",
        fit_datalist="leakage_datalist",
    ),
    "apple_paper": MethodSpec(
        "apple_paper",
        "APPLE, paper-shaped (a review's reading): encoder-decoder G_p at the bottleneck, Linear-BN D_p",
        "apple",
        (
            ("pretrain_segmentor", ("train.json", "pretrain_segmentor.json"), {}),
            ("train_apple", ("train.json", "train_apple.json", "train_apple_paper.json"), _PERTURBER_ON_ERM),
        ),
        eval_configs=("train.json", "train_apple.json", "train_apple_paper.json", "evaluate.json"),
        erm_override="segmentor_checkpoint",
        fit_datalist="leakage_datalist",
    ),
}
METHODS["thresholds"] = MethodSpec(
    "thresholds",
    "group-specific thresholds for the ERM model, chosen on validation (balanced accuracy per group)",
    "erm",
    (("thresholds", ("train.json", "thresholds.json"), {"threshold_model": "model"}),),
    eval_name="model_thresholds",
    eval_overrides=(
        ("eval_dir", "$@output_dir + '/model_thresholds'"),
        ("thresholds_file", "$@ckpt_dir + '/model.thresholds.json'"),
    ),
    simple=True,
    shares="erm",
    tasks=("classification",),  # a decision threshold exists for binary scores only
)

CONTROLS: dict[str, MethodSpec] = {
    "erm_matched": MethodSpec(
        "erm_matched",
        "control of FairDi: ERM with the student's epoch budget and sampling",
        "fairdi",
        (("erm_matched", ("train.json", "train_erm_matched.json"), {}),),
        eval_model="erm_matched",
        control_of="fairdi",
    ),
    "student_no_kd": MethodSpec(
        "student_no_kd",
        "control of FairDi: the student stage without distillation",
        "fairdi",
        (("student_no_kd", ("train.json", "train_student.json", "train_student_no_kd.json"), {}),),
        eval_model="student_no_kd",
        control_of="fairdi",
        shares="fairdi",
    ),
    "finetune_only": MethodSpec(
        "finetune_only",
        "control of SCP: the ERM model fine-tuned as long as SCP, no channel pruned",
        "scp",
        (("finetune_only", ("train.json", "finetune_only.json"), {}),),
        eval_model="finetune_only",
        control_of="scp",
        shares="scp",
    ),
    "perturber_no_adversary": MethodSpec(
        "perturber_no_adversary",
        "control of APPLE: the perturber trained without the adversary (alpha 0)",
        "apple",
        (
            (
                "perturber_no_adversary",
                ("train.json", "train_apple.json", "train_perturber_no_adversary.json"),
                _PERTURBER_ON_ERM,  # the same training cases as the study's APPLE
            ),
        ),
        eval_configs=("train.json", "train_apple.json", "train_perturber_no_adversary.json", "evaluate.json"),
        eval_model="perturber_no_adversary",
        control_of="apple",
        shares="apple",
        fit_datalist="leakage_datalist",
    ),
}
METHODS.update(CONTROLS)
SIMPLE_BASELINES = tuple(name for name, spec in METHODS.items() if spec.simple)


def methods_for(task: str) -> list[str]:
    """The methods that apply to a task (their bundle family has a bundle for it)."""
    return [
        name
        for name, spec in METHODS.items()
        if spec.family in BUNDLES.get(task, {}) and (spec.tasks is None or task in spec.tasks)
    ]


def check_methods(methods: Sequence[str], task: str) -> None:
    """Raise before anything trains when a method is unknown, given twice, or does not apply to the task.

    Raises:
        ValueError: naming the method, the task and the methods available for it.
    """
    available = methods_for(task)
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"--methods: unknown method(s) {unknown}; expected names from {sorted(METHODS)}.")
    wrong = [m for m in methods if m not in available]
    if wrong:
        raise ValueError(
            f"--methods: {wrong} do not apply to a {task} datalist; the methods for {task} are {available}."
        )
    repeated = sorted({m for m in methods if list(methods).count(m) > 1})
    if repeated:
        raise ValueError(f"--methods: {repeated} given more than once.")
    orphans = [m for m in methods if METHODS[m].shares and METHODS[m].shares not in methods]
    if orphans:
        raise ValueError(
            f"--methods: {orphans} train in the folder of {[METHODS[m].shares for m in orphans]} (a control starts "
            "from that method's models); add them to --methods."
        )


def run_order(methods: Sequence[str]) -> list[str]:
    """ERM first (when a method starts from it), then each method, a control after the method whose folder it uses."""
    needs_erm = "erm" in methods or any(METHODS[m].uses_erm for m in methods)
    first = [m for m in methods if m != "erm" and not METHODS[m].shares]
    later = [m for m in methods if METHODS[m].shares]
    return (["erm"] if needs_erm else []) + first + later
