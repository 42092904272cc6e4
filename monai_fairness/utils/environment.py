# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The software environment an efficacy number was measured in: key package versions and the lock they came from.

Efficacy numbers moved between two environments that ran the same code and seeds (only torch was pinned then), so
every study and benchmark records :func:`environment_summary` next to its numbers. The lock is
``requirements-lock.txt`` at the repository root (``make lock`` writes it; ``make demo``/``make test`` install it).
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
from importlib import metadata

__all__ = ["KEY_PACKAGES", "LOCK_FILE", "read_lock", "lock_mismatches", "environment_summary"]

KEY_PACKAGES = ("torch", "numpy", "pillow", "scipy", "monai", "pytorch-ignite")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOCK_FILE = os.path.join(REPO_ROOT, "requirements-lock.txt")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)\s*$")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _public(version: str) -> str:
    """``2.13.0+cpu`` -> ``2.13.0`` (a local build label does not change the release)."""
    return version.split("+", 1)[0]


def read_lock(path: str = LOCK_FILE) -> dict[str, str]:
    """``{canonical name: version}`` of a lock file.

    Raises:
        ValueError: When a non-comment line is not an exact ``name==version`` pin (the line is named).
    """
    pins: dict[str, str] = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            match = _PIN.match(text)
            if match is None:
                raise ValueError(f"lock {path!r} line {number}: expected 'name==version' but got {text!r}.")
            pins[_canonical(match.group(1))] = match.group(2)
    return pins


def lock_mismatches(path: str = LOCK_FILE) -> dict[str, tuple[str, str | None]]:
    """Locked packages whose installed version differs: ``{name: (locked, installed or None)}``."""
    out: dict[str, tuple[str, str | None]] = {}
    for name, version in read_lock(path).items():
        try:
            installed: str | None = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed is None or _public(installed) != _public(version):
            out[name] = (version, installed)
    return out


def _torch_threads() -> int | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.get_num_threads()


def environment_summary(path: str = LOCK_FILE) -> dict[str, object]:
    """Versions of the packages that decide the numbers, the lock's SHA-256 and whether this environment matches it.

    Returns:
        ``{"python", "machine", "cpu_count", "torch_threads", "packages": {name: version}, "lock": file name or
        None, "lock_sha256", "matches_lock": bool or None, "mismatches": {name: [locked, installed]}}``.
        ``torch_threads`` (torch's intra-op threads here, which the bundle commands this process starts inherit)
        belongs to the numbers too: the same code, seeds and packages give slightly different weights with another
        thread count on CPU (the order of parallel reductions changes).
    """
    packages = {}
    for name in KEY_PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    summary: dict[str, object] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": _torch_threads(),
        "packages": packages,
        "lock": None,
        "lock_sha256": None,
        "matches_lock": None,
        "mismatches": {},
    }
    if os.path.isfile(path):
        with open(path, "rb") as f:
            summary["lock_sha256"] = hashlib.sha256(f.read()).hexdigest()
        mismatches = lock_mismatches(path)
        summary.update(
            lock=os.path.basename(path),
            matches_lock=not mismatches,
            mismatches={k: list(v) for k, v in mismatches.items()},
        )
    return summary
