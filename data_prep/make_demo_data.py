# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Generate the planted-bias demo data (deterministic from ``--seed``).

    python data_prep/make_demo_data.py --out data/demo
    python -m data_prep.make_demo_data --out data/demo --bias-strength 0.5 --seed 1
    python -m data_prep.make_demo_data --out data/cue --what derm --derm-scenario "representation=0.2,group_cue=1"
    python -m data_prep.make_demo_data --out data/anatomy --what ct --ct-scenario "default,anatomy=1"
    python -m data_prep.make_demo_data --list-scenarios

Writes ``<out>/derm/datalist.json`` (2D RGB skin-lesion classification, group = skin tone) and
``<out>/ct/datalist.json`` + ``<out>/ct/datalist_dicom.json`` (3D segmentation as NIfTI and as DICOM series, group =
sex). The planted bias is a scenario of named mechanisms, each with a knob (``--list-scenarios``; documented in
``monai_fairness.data.scenarios``); without one, the ``default`` scenario of ``make demo`` and the efficacy matrix;
``v1`` is the easier data of the efficacy study and the model cards (``--derm-scenario v1``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from monai_fairness.data.scenarios import MECHANISMS, PRESETS
from monai_fairness.data.synthetic import make_ct_segmentation_dataset, make_skin_lesion_dataset


def _list_scenarios() -> str:
    lines = []
    for task, mechanisms in MECHANISMS.items():
        lines.append(f"{task}:")
        for m in mechanisms.values():
            lines.append(f"  {m.name}: {m.knob} (alone: {m.default:g}; off: {m.off:g})")
        for name, knobs in PRESETS[task].items():
            lines.append(f"  preset {name}: " + ",".join(f"{k}={v:g}" for k, v in knobs.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="data/demo", help="output folder (default: data/demo)")
    p.add_argument("--what", choices=("all", "derm", "ct"), default="all", help="which set(s) to generate")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--bias-strength", type=float, default=None, help="the v1 scenario's older knob: 0 (rarity only) .. 1 (v1)"
    )
    p.add_argument("--derm-cases", type=int, default=1200)
    p.add_argument("--derm-size", type=int, default=64, help="image side in pixels")
    p.add_argument(
        "--derm-minority-fraction", type=float, default=None, help="the v1 scenario's older knob: dark-skin share (0.2)"
    )
    p.add_argument("--derm-scenario", default=None, help='dermatology mechanisms, e.g. "default,label_noise=0.1"')
    p.add_argument("--ct-cases", type=int, default=150)
    p.add_argument("--ct-size", type=int, default=32, help="volume side in voxels")
    p.add_argument(
        "--ct-minority-fraction", type=float, default=None, help="the v1 scenario's older knob: female share (0.3)"
    )
    p.add_argument("--ct-scenario", default=None, help='CT mechanisms, e.g. "representation=0.3,anatomy=1"')
    p.add_argument("--no-dicom", action="store_true", help="skip writing the CT set as DICOM series")
    p.add_argument("--list-scenarios", action="store_true", help="print every mechanism and its knob, and exit")
    args = p.parse_args(argv)
    if args.list_scenarios:
        print(_list_scenarios())
        return 0
    start = time.time()
    if args.what in ("all", "derm"):
        path = make_skin_lesion_dataset(
            os.path.join(args.out, "derm"),
            n_cases=args.derm_cases,
            image_size=args.derm_size,
            minority_fraction=args.derm_minority_fraction,
            bias_strength=args.bias_strength,
            seed=args.seed,
            scenario=args.derm_scenario,
        )
        print(f"dermatology datalist: {path}")
    if args.what in ("all", "ct"):
        paths = make_ct_segmentation_dataset(
            os.path.join(args.out, "ct"),
            n_cases=args.ct_cases,
            size=args.ct_size,
            minority_fraction=args.ct_minority_fraction,
            bias_strength=args.bias_strength,
            write_dicom=not args.no_dicom,
            seed=args.seed,
            scenario=args.ct_scenario,
        )
        for kind, path in paths.items():
            print(f"CT datalist ({kind}): {path}")
    print(f"generated in {time.time() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
