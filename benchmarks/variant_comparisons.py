# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Each paper-shaped variant against its default method and against re-sampling, paired, from a stored efficacy study.

    python -m benchmarks.variant_comparisons benchmarks/results/efficacy_segmentation.json

The study compares every method with ERM, the best simple baseline and its own controls. Whether a variant should
replace a bundle's default needs the variant against that default itself, and a reviewer asks for each against
re-sampling too. This re-summarises the stored study's predictions (``settings.predictions``: the CSVs under
``runs/`` that the study wrote; run the study first) with the default as the reference and re-sampling as the simple
baseline, with the study's paired bootstrap (its resample count and seed, so the same resampled test cases): a value
that both tables hold is the same number. Writes ``benchmarks/results/variants_<task>.json`` and prints its table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping
from typing import Any

from benchmarks.efficacy_tables import comparison_table
from monai_fairness.study.summary import summarize

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO_ROOT, "benchmarks", "results")
VARIANTS = {"fairdi_paper": "fairdi", "apple_paper": "apple"}  # variant -> the bundle default it is a switch of


def _bootstrap_settings(study: Mapping[str, Any]) -> tuple[int, int]:
    """The study's resample count and bootstrap seed, read from its ``settings.bootstrap`` sentence."""
    text = study["settings"]["bootstrap"]
    n, seed = re.match(r"(\d+) resamples", text), re.search(r"seed (\d+)", text)
    if n is None or seed is None:
        raise ValueError(f"settings.bootstrap: expected '<n> resamples ... seed <s>' but got {text!r}.")
    return int(n.group(1)), int(seed.group(1))


def compare_variants(
    study: Mapping[str, Any], variants: Mapping[str, str] = VARIANTS, root: str = REPO_ROOT
) -> dict[str, dict[str, Any]]:
    """``{variant: summary}`` for every variant whose default is in the study too: the variant, its default and
    re-sampling (when present), summarised with the default as the reference.

    Raises:
        FileNotFoundError: naming a prediction file the study lists but this checkout does not hold.
    """
    predictions = study["settings"]["predictions"]
    n_bootstrap, bootstrap_seed = _bootstrap_settings(study)
    out = {}
    for variant, default in variants.items():
        if variant not in predictions or default not in predictions:
            continue
        methods = list(dict.fromkeys([default, variant] + (["resampling"] if "resampling" in predictions else [])))
        paths = {m: [os.path.join(root, p) for p in predictions[m]] for m in methods}
        missing = [p for files in paths.values() for p in files if not os.path.isfile(p)]
        if missing:
            raise FileNotFoundError(
                f"{len(missing)} prediction files of the study are missing, e.g. {missing[0]!r}: rerun its command "
                f"({study['settings'].get('benchmark', {}).get('command', 'the study')}) in this checkout first."
            )
        out[variant] = summarize(
            study["task"],
            paths,
            seeds=study["seeds"],
            reference=default,
            n_bootstrap=n_bootstrap,
            bootstrap_seed=bootstrap_seed,
            group_names=study["groups"],
        )
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("study", help="a stored study JSON (benchmarks/results/efficacy_<task>.json)")
    args = p.parse_args(argv)
    with open(args.study) as f:
        study = json.load(f)
    result = compare_variants(study)
    if not result:
        print(f"no variant of {sorted(VARIANTS)} is in {args.study} together with its default")
        return 1
    out = os.path.join(RESULTS, f"variants_{study['task']}.json")
    with open(out, "w") as f:
        json.dump({"study": os.path.relpath(os.path.abspath(args.study), REPO_ROOT), "variants": result}, f, indent=1)
    for variant, summary in result.items():
        print(f"\n{variant} (reference: {summary['reference']})\n")
        print(comparison_table(summary, [variant]))
    print(f"\n{out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
