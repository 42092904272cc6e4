# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Intervals for a study: every model and seed on the same test cases, one group-stratified bootstrap for all.

Each resample draws, within every group, as many test cases as the group has (with replacement), **the same indices
for every model and seed**, so a comparison between two methods is paired: the noise of which cases happened to be in
the test set cancels out of their difference. For each resample a method's value is the mean over its seeds; the 95 %
interval of a method's value, of its difference to another method and of the relative change are percentiles over
the resamples. Every resample of a chunk is computed in one vectorised call per model and seed
(:meth:`monai_fairness.tasks.FairnessTask.resample`); there is no Python loop over resamples.

Those intervals cover which test cases were drawn, given the trained models. With ``resample_seeds`` each resample also
draws the training seeds (as many as there are, with replacement, **the same seed positions for every method**, so a
method that starts from the seed's ERM model stays paired with it): a method's value is then the mean over the drawn
seeds, and the interval covers the spread over training runs too (test cases and seeds are crossed factors, each
resampled on its own, as in Owen's pigeonhole bootstrap, Ann. Appl. Stat. 1(2), 2007). With few seeds this stage
underestimates the spread (by a factor (S - 1) / S of the variance) but no longer ignores it: at the efficacy matrix's
small sizes, re-sampling against ERM on rows where both groups are equally large (where re-sampling only changes the
sampler's draw) excluded zero in 4 of 7 rows without it.

Written here because no library offers a paired, group-stratified, multi-seed bootstrap of fairness gaps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from monai_fairness.metrics.bootstrap import iterate_bootstrap, percentile_interval
from monai_fairness.metrics.group_index import GroupIndex
from monai_fairness.tasks import FairnessTask

__all__ = ["StudyStatistics", "paired_bootstrap"]

Values = Mapping[str, torch.Tensor]


class StudyStatistics:
    """Resampled metrics of several methods (each over several seeds) on one test set.

    Args:
        task: the task object.
        values: ``{method: [per-sample values of each seed]}``, every entry over the same test rows in the same order.
        groups: ``[N]`` group ids of those rows.
        metrics: the metric names to keep (utility, worst-group, gaps...); default the task's utility and fairness.
        n_resamples: bootstrap resamples.
        seed: bootstrap seed.
        max_elements: memory bound of one chunk of resample indices.
        resample_seeds: also resample the training seeds in every resample (see the module docstring); every method
            must then have the same number of seeds. The point values stay the plain means over seeds.

    Raises:
        ValueError: When ``n_resamples`` is below 1, or ``resample_seeds`` with methods of different seed counts.
    """

    def __init__(
        self,
        task: FairnessTask,
        values: Mapping[str, Sequence[Values]],
        groups: torch.Tensor,
        metrics: Sequence[str] | None = None,
        n_resamples: int = 1000,
        seed: int = 0,
        max_elements: int = 20_000_000,
        resample_seeds: bool = False,
    ) -> None:
        if n_resamples < 1:
            raise ValueError(f"n_resamples expected a count >= 1 but got {n_resamples}.")
        counts = {m: len(seeds) for m, seeds in values.items()}
        if resample_seeds and len(set(counts.values())) > 1:
            raise ValueError(f"resample_seeds expected the same number of seeds for every method but got {counts}.")
        self.task = task
        self.metrics = list(metrics or [*task.utility, *task.fairness_metrics])
        groups = torch.as_tensor(groups).long().reshape(-1)
        self.index = GroupIndex(groups)
        self.positions = self.index.encode(groups)
        n = groups.numel()
        k = self.index.num_groups
        values = {m: [task.prepare(v, groups) for v in seeds] for m, seeds in values.items()}
        contexts = {m: [task.context(v) for v in seeds] for m, seeds in values.items()}
        identity = torch.arange(n)[None]
        self.seed_point = {m: self._per_seed(values[m], contexts[m], identity, k) for m in values}
        self.point = {m: self._seed_mean(per_seed) for m, per_seed in self.seed_point.items()}
        weights = None  # [n_resamples, S]: how often each seed is drawn in each resample, / S
        if resample_seeds:
            n_seeds = next(iter(counts.values()))
            generator = torch.Generator().manual_seed(int(seed) + 1)  # its own stream: the case indices are unchanged
            drawn = torch.randint(n_seeds, (n_resamples, n_seeds), generator=generator)
            weights = torch.nn.functional.one_hot(drawn, n_seeds).sum(1).double() / n_seeds
        chunks: dict[str, list[dict[str, torch.Tensor]]] = {m: [] for m in values}
        done = 0
        for idx in iterate_bootstrap(self.positions, n_resamples, seed, max_elements):
            w = None if weights is None else weights[done : done + idx.shape[0]]
            for m in values:
                chunks[m].append(self._seed_mean(self._per_seed(values[m], contexts[m], idx, k), w))
            done += idx.shape[0]
        self.resampled = {
            m: {name: torch.cat([c[name] for c in parts]) for name in parts[0]} for m, parts in chunks.items()
        }
        self.n_resamples = n_resamples

    def _per_seed(self, seeds: Sequence[Values], contexts: Sequence[Any], idx: torch.Tensor, k: int) -> list[dict]:
        """``[{metric: [B]}]``, each seed's value on each resample."""
        return [self.task.resample(v, self.positions, k, idx, c) for v, c in zip(seeds, contexts, strict=True)]

    def _seed_mean(self, per_seed: Sequence[Mapping[str, torch.Tensor]], weights: torch.Tensor | None = None) -> dict:
        """``{metric: [B]}``, the mean over seeds of each resample's value; ``weights [B, S]`` (rows summing to 1):
        the weighted mean of the drawn seeds instead. A seed drawn zero times does not count, even when undefined."""
        out = {}
        for name in self.metrics:
            stacked = torch.stack([s[name].double() for s in per_seed])  # [S, B]
            if weights is None:
                out[name] = stacked.mean(0)
            else:
                w = weights.T.to(stacked)
                out[name] = torch.where(w > 0, stacked * w, torch.zeros_like(stacked)).sum(0)
        return out

    def value(self, method: str, metric: str) -> float:
        return float(self.point[method][metric][0])

    def seed_values(self, method: str, metric: str) -> list[float | None]:
        """The metric of each seed's model on the whole test set (the spread over training runs, which the interval,
        a resampling of test cases, does not cover); ``None`` where undefined."""
        out = [float(s[metric].double()[0]) for s in self.seed_point[method]]
        return [x if math.isfinite(x) else None for x in out]

    def interval(self, method: str, metric: str, alpha: float = 0.05) -> list[float] | None:
        ci = percentile_interval(self.resampled[method][metric], alpha)
        return None if ci is None else ci.tolist()

    def difference(self, method: str, reference: str, metric: str, alpha: float = 0.05) -> dict[str, Any]:
        """``method - reference`` of one metric: point value, interval of the difference, relative change and its
        interval (``(m - r) / r``; null where the reference is 0 or undefined)."""
        m, r = self.resampled[method][metric], self.resampled[reference][metric]
        pm, pr = self.value(method, metric), self.value(reference, metric)
        diff_ci = percentile_interval(m - r, alpha)
        rel = (m - r) / r
        rel_ci = percentile_interval(rel, alpha)
        return {
            "method": pm,
            "reference": pr,
            "difference": pm - pr,
            "difference_ci": None if diff_ci is None else diff_ci.tolist(),
            "relative": (pm - pr) / pr if math.isfinite(pr) and pr != 0 else None,
            "relative_ci": None if rel_ci is None else rel_ci.tolist(),
        }


def paired_bootstrap(
    task: FairnessTask,
    values_a: Values,
    values_b: Values,
    groups: torch.Tensor,
    metric: str,
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """The paired interval of ``metric(b) - metric(a)`` for two models on the same test rows (one seed each)."""
    stats = StudyStatistics(task, {"a": [values_a], "b": [values_b]}, groups, [metric], n_resamples, seed)
    return stats.difference("b", "a", metric)
