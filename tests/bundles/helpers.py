# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Run bundle commands the way a user does (``python -m monai.bundle ...``) and check the bundle tooling."""

from __future__ import annotations

import json
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


def config_stack(bundle: str, configs: list[str] | tuple[str, ...], demo: bool = True) -> list[str]:
    """The paths of ``bundle/configs/<c>`` for ``configs``, with the bundle's ``demo.json`` last unless ``demo`` is
    false: the stack :func:`run_bundle` runs, so a test that builds a network beside it builds the same one."""
    return [os.path.join(bundle, "configs", c) for c in [*configs, *(["demo.json"] if demo else [])]]


def run_bundle(
    bundle: str, configs: list[str], overrides: dict, extra_files: list[str] | None = None, demo: bool = True, **kw
):
    """Run a bundle command on the test data: ``configs`` with the bundle's ``demo.json`` stacked after them (unless
    ``demo`` is false: the real recipe), then ``extra_files``."""
    files = config_stack(bundle, configs, demo) + list(extra_files or [])
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


def verify_bundle_tooling(bundle: str, example_shape: tuple[int, ...], tmp_path) -> None:
    """``verify_metadata`` (vendored schema), ``verify_net_in_out`` and ``ckpt_export`` of ``network_def``; the exported
    TorchScript module must reproduce the network's output on ``torch.rand(example_shape)``."""
    import torch
    from monai.bundle import ConfigParser, ckpt_export, verify_metadata, verify_net_in_out

    meta = os.path.join(bundle, "configs", "metadata.json")
    infer = os.path.join(bundle, "configs", "inference.json")
    verify_metadata(meta_file=meta, filepath=SCHEMA)
    verify_net_in_out(net_id="network_def", meta_file=meta, config_file=infer)
    parser = ConfigParser()
    parser.read_config(infer)
    net = parser.get_parsed_content("network_def")
    torch.save(net.state_dict(), tmp_path / "model.pt")
    ts = tmp_path / "model.ts"
    ckpt_export(
        net_id="network_def", filepath=str(ts), ckpt_file=str(tmp_path / "model.pt"), meta_file=meta, config_file=infer
    )
    exported = torch.jit.load(str(ts))
    x = torch.rand(*example_shape)
    net.eval()
    with torch.no_grad():
        torch.testing.assert_close(exported(x), net(x), rtol=1e-4, atol=1e-5)


def without_groups(datalist: str, out_dir) -> str:
    """A copy of ``datalist`` in ``out_dir`` with every ``group`` removed (absolute image paths); returns the folder."""
    with open(datalist) as f:
        data = json.load(f)
    for split in ("training", "validation", "test"):
        for item in data[split]:
            item.pop("group", None)
            item["image"] = os.path.join(os.path.dirname(datalist), item["image"])
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "datalist.json"), "w") as f:
        json.dump(data, f)
    return str(out_dir)
