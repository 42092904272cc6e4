# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Named bias mechanisms of the demo-data generator, each with one knob, combinable into a scenario.

Each mitigation here targets a different mechanism (re-sampling under-representation, FairDi group-specific knowledge
a joint model underfits, SCP channels that encode the attribute, APPLE attribute information in the latent), so the
generator plants them one at a time or together. A scenario is a mapping ``mechanism -> knob``; a mechanism it does not
name is off. Strings are parsed by :func:`parse_scenario`: ``"default"`` (a preset), ``"appearance=0.5,shortcut"`` (a
name alone takes its default knob), ``"default,label_noise=0.1"`` (a preset plus changes).

Dermatology (group = skin tone, 1 = dark is the minority):

- ``representation``: the minority's share of all cases, in (0, 1); off = 0.5 (equal groups).
- ``prevalence``: the fraction of the minority's malignant *training* cases left out, in [0, 1): malignancy is rarer in
  the minority during training only (validation and test keep the base rate).
- ``appearance``: strength in [0, 1]: lesion-to-skin contrast on dark skin times ``1 - 0.8 * strength``.
- ``shortcut``: strength in [0, 1]: on light skin a purple marker appears with probability ``0.5 + 0.45 * strength``
  on malignant and ``0.5 - 0.45 * strength`` on benign lesions; on dark skin with probability 0.5 whatever the class.
- ``group_cue``: strength in [0, 1]: malignancy shows through a different cue in each group; light-skin malignant
  lesions lose their colour variegation (times ``1 - strength``), dark-skin malignant lesions their irregular border
  (times ``1 - strength``), so a model fitted to the majority's cue underfits the minority.
- ``label_noise``: the probability in [0, 0.5) that a minority label is flipped, in the training and validation splits
  (test labels stay true; each item keeps ``label_clean``).
- ``subtlety``: strength in [0, 1], not a bias: in *every* group the malignant cues (irregular border, colour
  variegation) are weaker, times ``1 - 0.85 * strength``, and benign borders more irregular (their harmonics' upper
  bound times ``1 + 2 * strength``), so that the task is not trivially easy (real dermatology classifiers are far from
  AUC 1). It is part of the ``default`` preset, and no row of its own in the efficacy matrix.

CT (group = sex, 1 = F is the minority):

- ``representation``: the minority's share, in (0, 1); off = 0.5.
- ``appearance``: strength in [0, 1]: organ-to-tissue contrast in women times ``1 - 0.6 * strength`` and a denser
  distractor next to the organ.
- ``anatomy``: strength in [0, 1]: sex visible outside the target: women's body outline is smaller (transverse radii
  times ``1 - 0.12 * strength``) and a pelvis-like bone ring below the organ is wider (times ``1 + 0.25 * strength``);
  with strength > 0 every case has the ring and a random body scale, so only their proportions tell the sexes apart.
- ``shape``: strength in [0, 1]: women's target organ radii times ``1 - 0.3 * strength``.

Presets: ``default`` is the demo's data (``make demo``, the efficacy matrix): dermatology ``representation=0.2,
appearance=1, shortcut=1, group_cue=0.5, subtlety=1`` (its difficulty calibrated on generator seed 1, never reported:
docs/scenarios.md); CT ``representation=0.3, appearance=1``. ``v1`` is the data of the efficacy study and the model
cards (the generator's ``default`` before the harder one): dermatology ``representation=0.2, appearance=1, shortcut=1``;
CT the same as ``default``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "Mechanism", "MECHANISMS", "PRESETS", "parse_scenario", "describe_scenario", "evaluation_knobs", "written_with",
]  # fmt: skip


@dataclass(frozen=True)
class Mechanism:
    """One bias mechanism and its knob.

    Attributes:
        name: the mechanism's name in a scenario.
        knob: what the number means, for messages and the datalist description.
        default: the knob when the name is given alone.
        off: the knob value at which the mechanism does nothing (a scenario that omits the name gets it).
        low, high: the knob's range; ``open_low`` / ``open_high`` exclude the bound.
        training_only: the mechanism acts on the training (and validation) split only; the test split keeps the
            base distribution (``prevalence``, ``label_noise``).
        planted_bias: a bias mechanism (a row of the efficacy matrix); False for ``subtlety``, which acts on every
            group alike.
    """

    name: str
    knob: str
    default: float
    off: float
    low: float = 0.0
    high: float = 1.0
    open_low: bool = False
    open_high: bool = False
    training_only: bool = False
    planted_bias: bool = True

    def check(self, value: float) -> float:
        """The knob as a float; ValueError naming the mechanism, its range and the value when outside."""
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"scenario {self.name}: expected a number ({self.knob}) but got {value!r}.") from None
        below = v <= self.low if self.open_low else v < self.low
        above = v >= self.high if self.open_high else v > self.high
        if below or above:
            lo, hi = "(" if self.open_low else "[", ")" if self.open_high else "]"
            raise ValueError(
                f"scenario {self.name}: expected {self.knob} in {lo}{self.low:g}, {self.high:g}{hi} but got {value!r}."
            )
        return v


def _share(default: float) -> Mechanism:
    return Mechanism("representation", "the minority's share of all cases", default, 0.5, open_low=True, open_high=True)


MECHANISMS: dict[str, dict[str, Mechanism]] = {
    "classification": {
        m.name: m
        for m in (
            _share(0.2),
            Mechanism("prevalence", "the fraction of minority malignant training cases left out", 0.5, 0.0,
                      open_high=True, training_only=True),
            Mechanism("appearance", "a strength", 1.0, 0.0),
            Mechanism("shortcut", "a strength", 1.0, 0.0),
            Mechanism("group_cue", "a strength", 1.0, 0.0),
            Mechanism("label_noise", "a flip probability", 0.2, 0.0, high=0.5, open_high=True, training_only=True),
            Mechanism("subtlety", "a strength", 1.0, 0.0, planted_bias=False),
        )
    },
    "segmentation": {
        m.name: m
        for m in (
            _share(0.3),
            Mechanism("appearance", "a strength", 1.0, 0.0),
            Mechanism("anatomy", "a strength", 1.0, 0.0),
            Mechanism("shape", "a strength", 1.0, 0.0),
        )
    },
}  # fmt: skip
PRESETS: dict[str, dict[str, dict[str, float]]] = {
    "classification": {
        "default": {"representation": 0.2, "appearance": 1.0, "shortcut": 1.0, "group_cue": 0.5, "subtlety": 1.0},
        "v1": {"representation": 0.2, "appearance": 1.0, "shortcut": 1.0},
    },
    "segmentation": {
        "default": {"representation": 0.3, "appearance": 1.0},
        "v1": {"representation": 0.3, "appearance": 1.0},
    },
}


def parse_scenario(scenario: str | Mapping[str, float] | None, task: str) -> dict[str, float]:
    """Resolve a scenario to every mechanism's knob of the task (off where it is not named).

    Args:
        scenario: a preset name, ``"name[=knob],..."`` (presets may be part of the list and are applied first), a
            mapping ``{name: knob}``, or ``None`` for the ``default`` preset.
        task: ``"classification"`` or ``"segmentation"``.

    Raises:
        ValueError: an unknown task, preset or mechanism (a mechanism of the other task says so), a knob outside its
            range, or one mechanism given twice with different knobs.
    """
    if task not in MECHANISMS:
        raise ValueError(f"scenario: expected task one of {sorted(MECHANISMS)} but got {task!r}.")
    mechanisms, presets = MECHANISMS[task], PRESETS[task]
    if scenario is None:
        scenario = "default"
    pairs: list[tuple[str, object, bool]] = []  # (name, knob or None, explicit)
    if isinstance(scenario, Mapping):
        pairs = [(str(k), v, True) for k, v in scenario.items()]
    else:
        for part in (p.strip() for p in str(scenario).split(",")):
            name, _, value = part.partition("=")
            name = name.strip()
            if not name:
                continue
            if name in presets and not value:
                pairs.extend((k, v, False) for k, v in presets[name].items())
            else:
                pairs.append((name, value.strip() if value else None, True))
    knobs: dict[str, float] = {}
    explicit: set[str] = set()
    for name, value, is_explicit in sorted(pairs, key=lambda p: p[2]):  # presets first, explicit knobs change them
        if name not in mechanisms:
            other = [t for t in MECHANISMS if t != task and name in MECHANISMS[t]]
            hint = f"; {name} is a {other[0]} mechanism" if other else ""
            raise ValueError(
                f"scenario: expected a {task} mechanism or preset, one of {sorted(mechanisms)} or {sorted(presets)}, "
                f"but got {name!r}{hint}."
            )
        knob = mechanisms[name].check(mechanisms[name].default if value is None else value)
        if is_explicit and name in explicit and knobs[name] != knob:
            raise ValueError(f"scenario: {name} given twice with different knobs ({knobs[name]:g} and {knob:g}).")
        knobs[name] = knob
        if is_explicit:
            explicit.add(name)
    return {name: knobs.get(name, m.off) for name, m in mechanisms.items()}


def describe_scenario(knobs: Mapping[str, float], task: str) -> str:
    """One line for the datalist: the mechanisms that act, with their knobs (``"none"`` when none does)."""
    acting = [f"{n}={v:g}" for n, v in knobs.items() if v != MECHANISMS[task][n].off]
    return ", ".join(acting) if acting else "none"


def evaluation_knobs(knobs: Mapping[str, float], task: str) -> dict[str, float]:
    """The knobs of the scenario's test split: every training-only mechanism (``prevalence``, ``label_noise``) off.

    A fresh evaluation draw that puts every case into its test split is drawn with these, so it follows the test
    distribution of the scenario rather than its training one.
    """
    mechanisms = MECHANISMS[task]
    return {n: (mechanisms[n].off if mechanisms[n].training_only else v) for n, v in knobs.items()}


def written_with(written: Mapping[str, float] | None, scenario: str, task: str) -> bool:
    """Whether a datalist's recorded ``"scenario"`` knobs are those of ``scenario``; a mechanism added after the
    datalist was written counts as off in it, and a datalist without knobs (older than scenarios) never matches."""
    return written is not None and parse_scenario(written, task) == parse_scenario(scenario, task)
