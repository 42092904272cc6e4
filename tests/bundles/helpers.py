# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Run bundle commands the way a user does (``python -m monai.bundle ...``) and check the bundle tooling."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO_ROOT

SCHEMA = os.path.join(REPO_ROOT, "configs", "schema", "meta_schema_20240725.json")
CPU_DDP = os.path.join(REPO_ROOT, "configs", "cpu_ddp.json")


def bundle_path(name: str) -> str:
    return os.path.join(REPO_ROOT, "bundles", name)


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("OMP_NUM_THREADS", "2")
    return env


def run_cli(args: list[str], timeout: int = 900, launcher: list[str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m monai.bundle <args>`` (or under ``launcher``); fail with the output tail when it fails."""
    cmd = (launcher or [sys.executable]) + ["-m", "monai.bundle"] + args
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env())
    if proc.returncode != 0:
        raise AssertionError(
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n{(proc.stdout + proc.stderr)[-6000:]}"
        )
    return proc


def run_bundle(bundle: str, configs: list[str], overrides: dict, extra_files: list[str] | None = None, **kw):
    files = [os.path.join(bundle, "configs", c) for c in configs] + list(extra_files or [])
    args = ["run", "--config_file", repr(files), "--meta_file", os.path.join(bundle, "configs", "metadata.json")]
    args += ["--bundle_root", bundle]
    for key, value in overrides.items():
        args += [f"--{key}", repr(value) if not isinstance(value, str) else value]
    return run_cli(args, **kw)


def torchrun_bundle(bundle: str, configs: list[str], overrides: dict, nproc: int = 2):
    launcher = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nnodes=1",
        f"--nproc_per_node={nproc}",
    ]
    return run_bundle(bundle, configs, overrides, extra_files=[CPU_DDP], launcher=launcher)
