# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Generate the planted-bias demo data (deterministic from ``--seed``).

    python data_prep/make_demo_data.py --out data/demo
    python -m data_prep.make_demo_data --out data/demo --bias-strength 0.5 --seed 1

Writes ``<out>/derm/datalist.json`` (2D RGB skin-lesion classification, group = skin tone) and
``<out>/ct/datalist.json`` + ``<out>/ct/datalist_dicom.json`` (3D segmentation as NIfTI and as DICOM series, group =
sex). The planted bias is documented in ``monai_fairness.data.synthetic``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from monai_fairness.data.synthetic import make_ct_segmentation_dataset, make_skin_lesion_dataset


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="data/demo", help="output folder (default: data/demo)")
    p.add_argument("--what", choices=("all", "derm", "ct"), default="all", help="which set(s) to generate")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bias-strength", type=float, default=1.0, help="0 (rarity only) .. 1 (full planted bias)")
    p.add_argument("--derm-cases", type=int, default=1200)
    p.add_argument("--derm-size", type=int, default=64, help="image side in pixels")
    p.add_argument("--derm-minority-fraction", type=float, default=0.2, help="fraction of dark-skin cases")
    p.add_argument("--ct-cases", type=int, default=150)
    p.add_argument("--ct-size", type=int, default=32, help="volume side in voxels")
    p.add_argument("--ct-minority-fraction", type=float, default=0.3, help="fraction of female cases")
    p.add_argument("--no-dicom", action="store_true", help="skip writing the CT set as DICOM series")
    args = p.parse_args(argv)
    start = time.time()
    if args.what in ("all", "derm"):
        path = make_skin_lesion_dataset(
            os.path.join(args.out, "derm"),
            n_cases=args.derm_cases,
            image_size=args.derm_size,
            minority_fraction=args.derm_minority_fraction,
            bias_strength=args.bias_strength,
            seed=args.seed,
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
        )
        for kind, path in paths.items():
            print(f"CT datalist ({kind}): {path}")
    print(f"generated in {time.time() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
