# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The efficacy matrix: which mitigation narrows which planted bias mechanism.

    python -m benchmarks.efficacy_matrix                              # both tasks, every scenario, seeds 0 1 2
    python -m benchmarks.efficacy_matrix --task classification --scenarios default shortcut --seeds 0
    python -m benchmarks.efficacy_matrix --tables benchmarks/results/efficacy_matrix.json   # the stored tables

Each row is one scenario of the demo-data generator (:mod:`monai_fairness.data.scenarios`): the ``default`` preset and
each bias mechanism alone at its default knob. For every row, every method of ``METHODS`` trains on a small draw of
that scenario (generator seed 0), once per training seed, through the study (:func:`monai_fairness.study.run_study`:
the same bundle commands, demo overlays and paired bootstrap as ``benchmarks.efficacy_study``), and is evaluated on a
fresh draw of the scenario's *test* distribution (generator seed 2000; training-only mechanisms switched off by
:func:`~monai_fairness.data.scenarios.evaluation_knobs`; at least ``MIN_TEST`` test cases in every group). A cell is
the primary gap's change against ERM [95 % interval of the paired difference] and the headline metric's change in
points; bold where the interval excludes zero.

The matrix is sized (``SIZES``: smaller images, fewer epochs than the study, each stated in the result) to run on a
CPU; ``--jobs N`` trains N rows at once, each bundle command with ``cores // N`` threads (recorded in the result:
another thread count gives slightly different weights; whether two single-threaded rows beat one two-threaded row on 2
cores is not measured yet). The study's numbers (``benchmarks.efficacy_study``) remain the ones the model cards
quote. Finished runs in ``--workdir`` are reused, as in the study.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from benchmarks.efficacy_study import SETUPS as STUDY_SETUPS
from benchmarks.efficacy_tables import _bold, _ci, _v
from benchmarks.fresh_draw import fresh_eval_set
from monai_fairness.data.scenarios import MECHANISMS, describe_scenario, evaluation_knobs, parse_scenario
from monai_fairness.study import run_study
from monai_fairness.utils.environment import environment_summary

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULT = os.path.join(REPO_ROOT, "benchmarks", "results", "efficacy_matrix.json")
FRESH_SEED = 2000
# the scenarios of each task: the default preset, then every mechanism alone at its default knob
SCENARIOS = {task: ["default", *mechanisms] for task, mechanisms in MECHANISMS.items()}
METHODS = {
    "classification": ["erm", "resampling", "reweighting", "groupdro", "adversarial", "thresholds", "fairdi", "scp"],
    "segmentation": ["erm", "resampling", "reweighting", "groupdro", "adversarial", "fairdi", "apple"],
}
MIN_TEST = {"classification": 600, "segmentation": 60}  # test cases of the smallest group in the fresh draw
SIZES: dict[str, dict[str, Any]] = {
    "classification": {
        "generator": {"n_cases": 1000, "image_size": 32},
        "overrides": {
            "image_size": [32, 32], "epochs": 3,
            "teacher_epochs": 3, "teacher_patience": 1, "student_epochs": 3,  # FairDi
            "scp_finetune_epochs": 1, "max_iterations": 1,  # SCP
        },
    },
    "segmentation": {
        "generator": {"n_cases": 150, "size": 32},
        "overrides": {"epochs": 10, "teacher_epochs": 5, "student_epochs": 10, "perturber_epochs": 30},
    },
}  # fmt: skip


def plan_for(task: str) -> dict[str, Any]:
    """What a row of the task trains (``methods``), at which sizes and with how many test cases per group; passed to
    :func:`run_row` explicitly so that worker processes get it as the caller has it."""
    return {"methods": list(METHODS[task]), "sizes": SIZES[task], "min_test": MIN_TEST[task]}


def fresh_cases(knobs: Mapping[str, float], min_test: int) -> int:
    """How many cases the fresh draw needs so that its smallest group has ``min_test`` of them."""
    share = knobs["representation"]
    return math.ceil(min_test / min(share, 1.0 - share))


def run_row(
    task: str, scenario: str, plan: Mapping[str, Any], seeds: Sequence[int], workdir: str, n_bootstrap: int = 1000
) -> dict[str, Any]:
    """Train and evaluate every method of ``plan`` on one scenario; return the row (ERM's values and each cell)."""
    knobs = parse_scenario(scenario, task)
    make, sizes = STUDY_SETUPS[task]["make"], plan["sizes"]  # the efficacy study's generator call for the task
    root = os.path.join(workdir, task, scenario)
    data = os.path.join(root, "data")
    if not os.path.isfile(os.path.join(data, "datalist.json")):
        make(data, seed=0, scenario=knobs, **sizes["generator"])
    test_knobs = evaluation_knobs(knobs, task)
    n_fresh = fresh_cases(test_knobs, plan["min_test"])
    fresh = fresh_eval_set(
        os.path.join(root, "fresh"),
        lambda out, n_cases, seed: make(out, n_cases=n_cases, seed=seed, scenario=test_knobs,
                                        **{k: v for k, v in sizes["generator"].items() if k != "n_cases"}),
        n_fresh,
        seed=FRESH_SEED,
    )  # fmt: skip
    study = run_study(
        data,
        plan["methods"],
        seeds,
        os.path.join(root, "study"),
        test_datalist=os.path.join(fresh, "datalist.json"),
        n_bootstrap=n_bootstrap,
        overrides=sizes["overrides"],
        demo=True,
    )
    return row_from_study(study, scenario, knobs, task, n_fresh)


def command_threads(jobs: int) -> int:
    """torch's threads in each bundle command: cores // jobs with several jobs, else torch's default here. The
    result records it: another thread count gives slightly different weights on CPU."""
    if jobs > 1:
        return max(1, (os.cpu_count() or 1) // jobs)
    import torch

    return torch.get_num_threads()


def run_rows(
    task: str, scenarios: Sequence[str], seeds: Sequence[int], workdir: str, n_bootstrap: int, jobs: int = 1
) -> list[dict[str, Any]]:
    """:func:`run_row` for each scenario, in order; ``jobs`` > 1 runs that many rows at once in worker processes whose
    bundle commands each get ``cores // jobs`` threads (``OMP_NUM_THREADS``)."""
    row = functools.partial(run_row, task, plan=plan_for(task), seeds=seeds, workdir=workdir, n_bootstrap=n_bootstrap)
    if jobs == 1:
        return [row(s) for s in scenarios]
    threads = str(command_threads(jobs))
    saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    os.environ.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)  # inherited by every bundle command
    try:
        # spawn, not fork: a forked copy of a process that has run torch's thread pool can hang in its first op
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            return list(pool.map(row, scenarios))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def row_from_study(
    study: Mapping[str, Any], scenario: str, knobs: Mapping[str, float], task: str, n_fresh: int
) -> dict[str, Any]:
    """The matrix row of one scenario's study: the reference's primary gap and headline, and per method the paired
    changes against the reference."""
    gap, headline, ref = study["primary_gap"], study["headline"], study["reference"]
    cells = {}
    for method, against in study["comparisons"].items():
        g, h = against[ref][gap], against[ref][headline]
        cells[method] = {
            "gap": study["methods"][method]["metrics"][gap]["value"],
            "relative": g["relative"],
            "relative_ci": g["relative_ci"],
            "difference_ci": g["difference_ci"],
            "headline_difference": h["difference"],
            "headline_difference_ci": h["difference_ci"],
        }
    return {
        "scenario": scenario,
        "mechanisms": describe_scenario(knobs, task),
        "test_cases": n_fresh,
        "n_by_group": study["n_by_group"],
        "reference": {
            "method": ref,
            gap: study["methods"][ref]["metrics"][gap]["value"],
            headline: study["methods"][ref]["metrics"][headline]["value"],
        },
        "primary_gap": gap,
        "headline": headline,
        "cells": cells,
    }


def matrix_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Markdown: rows = scenarios, columns = methods; a cell is the gap change vs the reference [95 % CI] and the
    headline change in points, bold where the paired difference's interval excludes zero."""
    if not rows:
        return ""
    methods = list(dict.fromkeys(m for row in rows for m in row["cells"]))
    gap, headline = rows[0]["primary_gap"], rows[0]["headline"]
    ref = rows[0]["reference"]["method"]
    lines = [
        f"| scenario (mechanisms) | {ref}: {gap}, {headline} | " + " | ".join(methods) + " |",
        "|---" * (len(methods) + 2) + "|",
    ]
    for row in rows:
        r = row["reference"]
        cells = []
        for m in methods:
            c = row["cells"].get(m)
            if c is None:
                cells.append("")
                continue
            gap_text = _bold(f"{_v(c['relative'], True)} [{_ci(c['relative_ci'], True)}]", c["difference_ci"])
            h = c["headline_difference"]
            head = "n/a" if h is None else _bold(f"{100 * h:+.1f} pt", c["headline_difference_ci"])
            cells.append(f"{gap_text}; {head}")
        lines.append(
            f"| {row['scenario']} ({row['mechanisms']}) | {_v(r[gap])}, {_v(r[headline])} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


def format_matrix(result: Mapping[str, Any]) -> str:
    """Every task's table with its settings line."""
    parts = []
    for task, block in result["tasks"].items():
        parts.append(
            f"### {task} (seeds {block['seeds']}; {block['wall_time_s']} s; sizes {json.dumps(block['sizes'])})\n\n"
            + matrix_table(block["rows"])
        )
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=sorted(SCENARIOS), nargs="+", default=sorted(SCENARIOS))
    p.add_argument("--scenarios", nargs="+", default=None, help="rows to run (default: every scenario of the task)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--workdir", default=os.path.join(REPO_ROOT, "runs", "matrix"))
    p.add_argument("--n_bootstrap", type=int, default=1000)
    p.add_argument("--jobs", type=int, default=1, help="rows trained at once (each with cores / jobs threads)")
    p.add_argument("--out", default=RESULT, help="the result JSON (default: benchmarks/results/efficacy_matrix.json)")
    p.add_argument("--tables", metavar="JSON", default=None, help="print the tables of a stored result and exit")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error(f"--jobs expected at least 1 but got {args.jobs}.")
    if args.tables:
        with open(args.tables) as f:
            print(format_matrix(json.load(f)))
        return 0
    result: dict[str, Any] = {"tasks": {}}
    for task in args.task:
        scenarios = args.scenarios or SCENARIOS[task]
        for s in scenarios:
            parse_scenario(s, task)  # every row's name is checked before anything trains
        start = time.time()
        rows = run_rows(task, scenarios, args.seeds, args.workdir, args.n_bootstrap, args.jobs)
        result["tasks"][task] = {
            "seeds": list(args.seeds),
            **plan_for(task),
            "fresh_draw": f"generator seed {FRESH_SEED}, the scenario's test distribution, at least "
            f"{MIN_TEST[task]} test cases in every group",
            "wall_time_s": round(time.time() - start),
            "jobs": args.jobs,
            "torch_threads_per_command": command_threads(args.jobs),
            "rows": rows,
        }
    result["environment"] = environment_summary()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(format_matrix(result))
    print(f"\nmatrix: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
