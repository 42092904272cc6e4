# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""A failed command ends with one 'error: ...' line carrying the project's message, even when wrapped by MONAI."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT

WRAPPED = """
import monai_fairness
from monai_fairness.data import DatalistError
try:
    raise DatalistError("datalist item training[3] (id='x'): field 'image' 'a.png' cannot be decoded:\\n  truncated")
except DatalistError as e:
    raise RuntimeError("Failed to evaluate ConfigExpression: $monai_fairness.data.preflight(...)") from e
"""


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT)


def test_the_last_line_is_the_project_message():
    proc = _run(WRAPPED)
    assert proc.returncode == 1 and "Traceback" in proc.stderr  # the full traceback is still there
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: datalist item training[3] (id='x'): field 'image' 'a.png' cannot be decoded: truncated"
    )


def test_other_errors_are_left_alone():
    proc = _run("import monai_fairness\nraise KeyError('not ours')")
    assert proc.stderr.strip().splitlines()[-1] == "KeyError: 'not ours'"
