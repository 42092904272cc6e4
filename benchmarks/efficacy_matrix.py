# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The efficacy matrix: which mitigation narrows which planted bias mechanism.

    python -m benchmarks.efficacy_matrix                              # both tasks, every scenario, seeds 0 1 2
    python -m benchmarks.efficacy_matrix --task classification --scenarios default shortcut --seeds 0
    python -m benchmarks.efficacy_matrix --tables benchmarks/results/efficacy_matrix.json   # the stored tables
    python -m benchmarks.efficacy_matrix --tables benchmarks/results/efficacy_matrix.json --short   # README's

Each row is one scenario of the demo-data generator (:mod:`monai_fairness.data.scenarios`): the ``default`` preset and
each bias mechanism alone at its default knob. For every row, every method of ``METHODS`` trains on a small draw of
that scenario (generator seed 0), once per training seed, through the study (:func:`monai_fairness.study.run_study`:
the same bundle commands, demo overlays and paired bootstrap as ``benchmarks.efficacy_study``), and is evaluated on a
fresh draw of the scenario's *test* distribution (generator seed 2000; training-only mechanisms switched off by
:func:`~monai_fairness.data.scenarios.evaluation_knobs`; at least ``MIN_TEST`` test cases in every group). A cell is
the primary gap's change against ERM [95 % interval of the paired difference] and the headline metric's change in
points; bold where the interval excludes zero. The intervals resample the training seeds as well as the test cases
(``resample_seeds`` of :class:`~monai_fairness.study.statistics.StudyStatistics`): at these sizes two trainings of
the same recipe differ far more than the test cases make a metric move, and intervals over test cases alone
excluded zero for re-sampling against ERM in 4 of the 7 rows where both groups are equally large, where re-sampling
only changes how the images are drawn.

The matrix is sized (``SIZES``: smaller images and volumes, fewer epochs than the study, each stated in the result) to
run within 90 minutes on 2 CPU cores (measured: 62 minutes from an empty work folder, both tasks): every ``(scenario,
seed)`` cell is one unit of work, ``--jobs`` (default 2) of them train at once in worker processes, and every bundle
command runs with ``--threads`` torch threads (default 1; the thread count changes CPU weights slightly, so it is fixed
rather than derived from the core count, and recorded). A bundle command spends several seconds starting and loading
before it trains, mostly on one core: one classification cell at a time with 2 threads used about 1.2 of the 2 cores
(455 s of CPU in 385 s), hence two one-thread cells at once. The skin rows keep the demo's ImageNet stem at 32 px (a
stride-1 stem learns the subtle ``default`` better but took about three times as long per epoch, which the budget does
not hold). Methods: ERM, re-sampling, re-weighting, FairDi and SCP on skin; ERM, re-sampling, FairDi and APPLE on CT
(the issue's lists plus the cheapest baselines). Group-specific thresholds are left out: the skin rows' primary gap (AUC
gap) and headline (AUC) do not depend on a decision threshold, so their cell is zero by construction (+0 % in every row
of a run that had them); their effect on the accuracy gap is in the study. GroupDRO, adversarial debiasing and the
controls are in the study, on ``v1``, and out of this budget. The study's numbers (``benchmarks.efficacy_study``, on the
``v1`` scenario) remain the ones the model cards quote. Finished runs in ``--workdir`` are reused, as in the study.
"""

from __future__ import annotations

import argparse
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
from monai_fairness.study.methods import run_order
from monai_fairness.study.runner import predictions_path, run_method
from monai_fairness.study.study import BUNDLES_DIR
from monai_fairness.utils.environment import environment_summary

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULT = os.path.join(REPO_ROOT, "benchmarks", "results", "efficacy_matrix.json")
FRESH_SEED = 2000
# the scenarios of each task: the default preset, then every mechanism alone at its default knob
SCENARIOS = {task: ["default", *(n for n, m in ms.items() if m.planted_bias)] for task, ms in MECHANISMS.items()}
METHODS = {
    "classification": ["erm", "resampling", "reweighting", "fairdi", "scp"],
    "segmentation": ["erm", "resampling", "fairdi", "apple"],
}
MIN_TEST = {"classification": 600, "segmentation": 60}  # test cases of the smallest group in the fresh draw
SIZES: dict[str, dict[str, Any]] = {
    "classification": {
        "generator": {"n_cases": 600, "image_size": 32},
        "overrides": {
            "image_size": [32, 32], "epochs": 3,
            "teacher_epochs": 3, "teacher_patience": 1, "student_epochs": 3,  # FairDi
            "scp_finetune_epochs": 1, "max_iterations": 1,  # SCP
        },
    },
    "segmentation": {
        "generator": {"n_cases": 100, "size": 32},
        # teachers: at least one validation (val_interval 5), which writes the teacher's checkpoint
        "overrides": {"epochs": 6, "teacher_epochs": 5, "student_epochs": 6, "perturber_epochs": 15},
    },
}  # fmt: skip


def plan_for(task: str) -> dict[str, Any]:
    """What a row of the task trains (``methods``), at which sizes and with how many test cases per group; passed to
    the workers explicitly so that they get it as the caller has it."""
    return {"methods": list(METHODS[task]), "sizes": SIZES[task], "min_test": MIN_TEST[task]}


def fresh_cases(knobs: Mapping[str, float], min_test: int) -> int:
    """How many cases the fresh draw needs so that its smallest group has ``min_test`` of them."""
    share = knobs["representation"]
    return math.ceil(min_test / min(share, 1.0 - share))


def prepare_row(task: str, scenario: str, plan: Mapping[str, Any], workdir: str) -> dict[str, Any]:
    """Draw one scenario's training data (generator seed 0) and its fresh evaluation draw (generator seed
    ``FRESH_SEED``, the scenario's test distribution) unless they exist; return where they are."""
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
    return {
        "knobs": knobs,
        "data": data,
        "test_datalist": os.path.join(fresh, "datalist.json"),
        "n_fresh": n_fresh,
        "study": os.path.join(root, "study"),
    }


def train_cell(task: str, scenario: str, seed: int, plan: Mapping[str, Any], workdir: str) -> str:
    """Train and evaluate every method of ``plan`` for one scenario and one training seed (the unit of work that
    ``--jobs`` spreads over processes); the data must be prepared (:func:`prepare_row`)."""
    row = prepare_row(task, scenario, plan, workdir)
    with open(os.path.join(row["data"], "datalist.json")) as f:
        group_ids = sorted(int(k) for k in json.load(f)["groups"])
    for method in run_order(plan["methods"]):
        run_method(
            method,
            task,
            seed,
            dataset_dir=row["data"],
            workdir=row["study"],
            bundles_dir=BUNDLES_DIR,
            group_ids=group_ids,
            overrides=plan["sizes"]["overrides"],
            test_datalist=row["test_datalist"],
            demo=True,
        )
    return f"{task} {scenario} seed {seed}"


def cell_finished(task: str, scenario: str, seed: int, plan: Mapping[str, Any], workdir: str) -> bool:
    """Whether every method of the cell has its test predictions (a rerun then trains nothing for it)."""
    study = os.path.join(workdir, task, scenario, "study")
    return all(os.path.isfile(predictions_path(study, seed, m)) for m in plan["methods"])


def run_row(
    task: str,
    scenario: str,
    plan: Mapping[str, Any],
    seeds: Sequence[int],
    workdir: str,
    n_bootstrap: int = 1000,
    resample_seeds: bool = True,
) -> dict[str, Any]:
    """Train (what is not finished) and evaluate every method of ``plan`` on one scenario; return the row (ERM's
    values and each cell) from the study's paired comparisons over ``seeds``; ``resample_seeds``: intervals over
    test cases *and* training seeds (the matrix's default, see the module docstring)."""
    row = prepare_row(task, scenario, plan, workdir)
    study = run_study(
        row["data"],
        plan["methods"],
        seeds,
        row["study"],
        test_datalist=row["test_datalist"],
        n_bootstrap=n_bootstrap,
        overrides=plan["sizes"]["overrides"],
        demo=True,
        resample_seeds=resample_seeds,
    )
    return row_from_study(study, scenario, row["knobs"], task, row["n_fresh"])


def train_cells(
    cells: Sequence[tuple[str, str, int]], plans: Mapping[str, Mapping[str, Any]], workdir: str, jobs: int
) -> None:
    """:func:`train_cell` for every ``(task, scenario, seed)``, ``jobs`` at a time in spawned worker processes."""
    if jobs == 1:
        for task, scenario, seed in cells:
            train_cell(task, scenario, seed, plans[task], workdir)
        return
    # spawn, not fork: a forked copy of a process that has run torch's thread pool can hang in its first op
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(train_cell, t, s, seed, plans[t], workdir) for t, s, seed in cells]
        for future in futures:
            print(f"matrix: finished {future.result()}", flush=True)


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


def matrix_table(rows: Sequence[Mapping[str, Any]], short: bool = False) -> str:
    """Markdown: rows = scenarios, columns = methods; a cell is the gap change vs the reference [95 % CI] and the
    headline change in points, bold where the paired difference's interval excludes zero. ``short``: the gap change
    alone (bold as above), for the README."""
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
            if short:
                cells.append(_bold(_v(c["relative"], True), c["difference_ci"]))
                continue
            gap_text = _bold(f"{_v(c['relative'], True)} [{_ci(c['relative_ci'], True)}]", c["difference_ci"])
            h = c["headline_difference"]
            head = "n/a" if h is None else _bold(f"{100 * h:+.1f} pt", c["headline_difference_ci"])
            cells.append(f"{gap_text}; {head}")
        lines.append(
            f"| {row['scenario']} ({row['mechanisms']}) | {_v(r[gap])}, {_v(r[headline])} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


def format_matrix(result: Mapping[str, Any], short: bool = False) -> str:
    """Every task's table with its settings line (``short``: gap changes only)."""
    run = result.get("run", {})
    n = run.get("cells_reused")
    reused = f" ({n} of {run['cells']} cells trained earlier, reused)" if n else ""
    parts = [
        f"Run: {run.get('wall_time_s')} s{reused}, {run.get('jobs')} cells at once, "
        f"{run.get('torch_threads_per_command')} torch thread(s) per bundle command."
    ]
    for task, block in result["tasks"].items():
        parts.append(
            f"### {task} (seeds {block['seeds']}; sizes {json.dumps(block['sizes'])})\n\n"
            + matrix_table(block["rows"], short)
        )
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=sorted(SCENARIOS), nargs="+", default=sorted(SCENARIOS))
    p.add_argument("--scenarios", nargs="+", default=None, help="rows to run (default: every scenario of the task)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--workdir", default=os.path.join(REPO_ROOT, "runs", "matrix"))
    p.add_argument("--n_bootstrap", type=int, default=1000)
    p.add_argument("--jobs", type=int, default=2, help="(scenario, seed) cells trained at once (default 2)")
    p.add_argument("--threads", type=int, default=1, help="torch threads of each bundle command (default 1)")
    p.add_argument("--out", default=RESULT, help="the result JSON (default: benchmarks/results/efficacy_matrix.json)")
    p.add_argument("--tables", metavar="JSON", default=None, help="print the tables of a stored result and exit")
    p.add_argument("--short", action="store_true", help="with --tables: the gap changes only (the README's table)")
    args = p.parse_args(argv)
    for name in ("jobs", "threads"):
        if getattr(args, name) < 1:
            p.error(f"--{name} expected at least 1 but got {getattr(args, name)}.")
    if args.tables:
        with open(args.tables) as f:
            print(format_matrix(json.load(f), args.short))
        return 0
    scenarios = {task: args.scenarios or SCENARIOS[task] for task in args.task}
    for task, names in scenarios.items():
        for s in names:
            parse_scenario(s, task)  # every row's name is checked before anything trains
    plans = {task: plan_for(task) for task in args.task}
    start = time.time()
    saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    # inherited by the workers and every bundle command: the thread count changes CPU weights slightly, so it is
    # fixed (and recorded) rather than cores // jobs
    os.environ.update(OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    try:
        for task, names in scenarios.items():
            for s in names:
                prepare_row(task, s, plans[task], args.workdir)  # every draw once, before the workers start
        cells = [(task, s, seed) for task, names in scenarios.items() for s in names for seed in args.seeds]
        reused = sum(cell_finished(*cell, plans[cell[0]], args.workdir) for cell in cells)
        train_cells(cells, plans, args.workdir, args.jobs)
        result: dict[str, Any] = {"tasks": {}}
        for task, names in scenarios.items():
            rows = [run_row(task, s, plans[task], args.seeds, args.workdir, args.n_bootstrap) for s in names]
            result["tasks"][task] = {
                "seeds": list(args.seeds),
                **plans[task],
                "fresh_draw": f"generator seed {FRESH_SEED}, the scenario's test distribution, at least "
                f"{MIN_TEST[task]} test cases in every group",
                "intervals": f"95 % percentile intervals of {args.n_bootstrap} paired resamples of the test cases "
                "(within each group) and of the training seeds (with replacement, the same positions for every "
                "method)",
                "rows": rows,
            }
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    result["run"] = {
        "command": "python -m benchmarks.efficacy_matrix" + ("" if argv is None else " " + " ".join(argv)),
        "wall_time_s": round(time.time() - start),
        "wall_time_note": "this invocation, data generation and every training included; cells finished earlier "
        "in the workdir are reused, not timed again",
        "cells": len(cells),
        "cells_reused": reused,
        "jobs": args.jobs,
        "torch_threads_per_command": args.threads,
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
