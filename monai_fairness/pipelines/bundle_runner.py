# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Run bundle commands exactly as a user types them (``python -m monai.bundle run ...``), printing each one."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence

__all__ = [
    "DEMO_OVERLAY",
    "bundle_command",
    "run_bundle",
    "parse_sets",
    "run_stages",
    "pipeline_parser",
    "workdir_layout",
    "overlays_for",
]

DEMO_OVERLAY = "demo.json"


def overlays_for(demo: bool) -> tuple[str, ...]:
    """The config files stacked after every command: ``configs/demo.json`` (demo sizes) when ``demo``."""
    return (DEMO_OVERLAY,) if demo else ()


def bundle_command(
    bundle: str, configs: Sequence[str], overrides: Mapping[str, object], overlays: Sequence[str] = ()
) -> list[str]:
    """``python -m monai.bundle run`` on ``bundle/configs/<c>`` (several files as a list literal), ``overlays`` (e.g.
    ``demo.json``) stacked last."""
    files = [os.path.join(bundle, "configs", c) for c in [*configs, *overlays]]
    cmd = [sys.executable, "-m", "monai.bundle", "run", "--config_file", repr(files)]
    cmd += ["--meta_file", os.path.join(bundle, "configs", "metadata.json")]
    cmd += ["--logging_file", os.path.join(bundle, "configs", "logging.conf")]
    cmd += ["--bundle_root", bundle]
    for key, value in overrides.items():
        cmd += [f"--{key}", str(value)]
    return cmd


def run_bundle(
    bundle: str,
    configs: Sequence[str],
    overrides: Mapping[str, object],
    quiet: bool = False,
    overlays: Sequence[str] = (),
) -> float:
    """Run one bundle command (printed first, as a user would type it); return its wall time in seconds.

    Raises:
        subprocess.CalledProcessError: When the command fails.
    """
    cmd = bundle_command(bundle, configs, overrides, overlays)
    shown = [f'"{c}"' if c.startswith("[") else shlex.quote(c) for c in cmd]
    print("\n$ " + " ".join(shown), flush=True)
    start = time.time()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL if quiet else None)
    return time.time() - start


def parse_sets(sets: Sequence[str]) -> dict[str, str]:
    """``["k=v", ...]`` (a pipeline's ``--set`` options) -> ``{"k": "v"}``."""
    out = {}
    for s in sets:
        if "=" not in s:
            raise ValueError(f"--set expected KEY=VALUE but got {s!r}.")
        k, v = s.split("=", 1)
        out[k] = v
    return out


def workdir_layout(
    bundle: str, dataset_dir: str, workdir: str, seed: int, overrides: Mapping[str, object] | None
) -> tuple[str, str, str, dict[str, object]]:
    """``(bundle, ckpt_dir, out_dir, common)``: absolute bundle path, ``workdir/models`` (created) and
    ``workdir/eval``, and the overrides every stage of a pipeline gets (data, folders, seed, the user's ``--set``)."""
    workdir = os.path.abspath(workdir)
    ckpt_dir, out_dir = os.path.join(workdir, "models"), os.path.join(workdir, "eval")
    os.makedirs(ckpt_dir, exist_ok=True)
    common: dict[str, object] = {
        "dataset_dir": os.path.abspath(dataset_dir),
        "ckpt_dir": ckpt_dir,
        "output_dir": out_dir,
        "seed": seed,
        **(overrides or {}),
    }
    return os.path.abspath(bundle), ckpt_dir, out_dir, common


def run_stages(
    bundle: str,
    stages: Sequence[tuple[str, Sequence[str], Mapping[str, object]]],
    common: Mapping[str, object],
    ckpt_dir: str,
    force: bool = False,
    overlays: Sequence[str] = (),
) -> dict[str, float]:
    """Run ``(name, configs, overrides)`` stages in order (``overlays`` stacked last on each); a finished one leaves
    ``ckpt_dir/<name>.done`` and is skipped on a rerun (unless ``force``). Returns the wall time of each stage that
    ran."""
    timings = {}
    for name, configs, extra in stages:
        marker = os.path.join(ckpt_dir, f"{name}.done")
        if os.path.exists(marker) and not force:
            print(f"\n[{name}] finished earlier ({marker}); skipped", flush=True)
            continue
        timings[name] = run_bundle(bundle, configs, {**common, **extra}, overlays=overlays)
        open(marker, "w").close()
    return timings


def pipeline_parser(doc: str | None, method: str) -> argparse.ArgumentParser:
    """The options every method pipeline takes: --bundle, --dataset_dir, --workdir, --seed, --demo, --set,
    --n_bootstrap, --force."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", required=True, help=f"a {method} bundle folder")
    p.add_argument("--dataset_dir", required=True, help="folder holding the datalist")
    p.add_argument("--workdir", required=True, help="models/ and eval/ go here")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--demo",
        action="store_true",
        help="stack the bundle's configs/demo.json on every command (demo sizes, for the embedded demo data); "
        "without it the bundle's real recipe runs (224 px / 96^3 patches)",
    )
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override for every stage")
    p.add_argument("--n_bootstrap", type=int, default=1000)
    p.add_argument("--force", action="store_true", help="rerun finished stages")
    return p


def print_pipeline_result(title: str, text: str, workdir: str, start: float) -> None:
    """What every pipeline CLI prints at the end: the titled comparison, where its HTML is, the total time."""
    print(f"\n=== {title} ===")
    print(text)
    print(f"\ncomparison: {os.path.join(os.path.abspath(workdir), 'eval', 'comparison.html')}")
    print(f"total {time.time() - start:.0f} s")
