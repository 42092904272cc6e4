# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Put together what a MONAI Label server serves: bundle folders with weights, and a folder of studies.

``bundles``: copy each repository bundle's ``configs/``, ``docs/`` and ``LICENSE`` into ``<out>/<name>/`` and its
deployable weights into ``<out>/<name>/models/``: ``model.pt`` (plus ``pruning_plan.json`` for SCP) from
``--weights <dir>/<name>/models/`` (the layout ``make demo`` and the pipelines write, e.g. ``runs/demo``), else from
the bundle's own ``models/``. A bundle with no weights is left out (printed), unless ``--untrained`` writes freshly
initialised ones (marked by ``models/UNTRAINED``; answers are then meaningless, only the plumbing is checked).
``--demo``: the weights were trained at demo size (``make demo``, the pipelines' ``--demo``), so each served bundle's
``inference.json`` and ``train.json`` get its ``configs/demo.json`` merged in (MONAI's merge rules, as when it is
stacked last): the served network and preprocessing are the ones the weights were trained with, not the real
recipe's (a ResNet-18 at 224 px would load the demo's ResNet-10 weights only in part, silently, since MONAI Label
loads non-strictly).

``studies``: a few synthetic demo studies (3D CT NIfTI and 2D skin-lesion PNG) for a local MONAI Label datastore.

Runs in either environment (it needs monai and monai_fairness only). Examples::

    python integrations/monailabel/prepare.py bundles --out runs/monailabel/bundles --weights runs/demo --demo
    python integrations/monailabel/prepare.py studies --out runs/monailabel/studies
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOYABLE = ("model.pt", "model.ts", "pruning_plan.json")


def _served_weights(name: str, weights_dirs: list[str]) -> str | None:
    """The first ``models`` folder holding ``model.pt`` or ``model.ts`` for bundle ``name``."""
    for root in weights_dirs:
        folder = os.path.join(root, name, "models") if root else None
        if folder and any(os.path.isfile(os.path.join(folder, f)) for f in ("model.pt", "model.ts")):
            return folder
    return None


def merge_demo_overlay(bundle: str) -> bool:
    """Merge ``bundle/configs/demo.json`` into its ``inference.json`` and ``train.json`` (as ``monai.bundle run``
    merges a stack of files); True when the bundle has a demo overlay."""
    from monai.bundle import ConfigParser

    configs = os.path.join(bundle, "configs")
    overlay = os.path.join(configs, "demo.json")
    if not os.path.isfile(overlay):
        return False
    for name in ("inference.json", "train.json"):
        path = os.path.join(configs, name)
        if os.path.isfile(path):
            merged = ConfigParser.load_config_files([path, overlay])
            merged["_served_"] = "configs/demo.json merged in by integrations/monailabel/prepare.py --demo"
            with open(path, "w") as f:
                json.dump(merged, f, indent=4)
    return True


def write_untrained_weights(bundle: str) -> None:
    """Save the freshly initialised ``network_def`` of ``bundle``'s inference.json as ``models/model.pt``."""
    import torch
    from monai.bundle import ConfigParser

    parser = ConfigParser()
    parser.read_config(os.path.join(bundle, "configs", "inference.json"))
    parser["bundle_root"] = bundle
    parser["device"] = "$torch.device('cpu')"
    models = os.path.join(bundle, "models")
    os.makedirs(models, exist_ok=True)
    if "plan_file" in parser and not os.path.exists(parser.get_parsed_content("plan_file")):
        with open(os.path.join(bundle, "configs", "metadata.json")) as f:
            image = json.load(f)["network_data_format"]["inputs"]["image"]
        from monai_fairness.pruning import PLAN_FORMAT

        plan = {"format": PLAN_FORMAT, "target_layer": None, "channels": [], "history": []}
        plan["input_shape"] = [1, image["num_channels"], *image["spatial_shape"]]
        with open(parser.get_parsed_content("plan_file"), "w") as f:
            json.dump(plan, f, indent=1)
    torch.manual_seed(0)
    torch.save(parser.get_parsed_content("network_def").state_dict(), os.path.join(models, "model.pt"))
    with open(os.path.join(models, "UNTRAINED"), "w") as f:
        f.write("freshly initialised weights written by integrations/monailabel/prepare.py --untrained\n")


def prepare_bundles(
    out: str,
    weights: list[str],
    untrained: bool = False,
    names: list[str] | None = None,
    source: str | None = None,
    bundle_models: bool = True,
    demo: bool = False,
) -> dict[str, str]:
    """Write the served bundle folders; returns ``{name: "trained weights from <dir>" | "UNTRAINED ..." | "skipped:
    ..."}``. Weights come from ``weights`` folders in order, then (``bundle_models``) the bundle's own ``models/``.
    ``demo``: the weights are demo-sized; each served bundle gets its ``demo.json`` merged in
    (:func:`merge_demo_overlay`)."""
    source = source or os.path.join(REPO_ROOT, "bundles")
    available = sorted(
        n for n in os.listdir(source) if os.path.isfile(os.path.join(source, n, "configs", "inference.json"))
    )
    unknown = sorted(set(names or []) - set(available))
    if unknown:
        raise ValueError(f"--only expected bundle names among {available} but got unknown {unknown}.")
    status: dict[str, str] = {}
    for name in names or available:
        src, dst = os.path.join(source, name), os.path.join(out, name)
        shutil.rmtree(dst, ignore_errors=True)
        found = _served_weights(name, [*weights, source] if bundle_models else weights)
        if found is None and not untrained:
            status[name] = "skipped: no models/model.pt (run its pipeline or train.json, or pass --untrained)"
            continue
        shutil.copytree(os.path.join(src, "configs"), os.path.join(dst, "configs"))
        sizes = " (demo sizes: configs/demo.json merged in)" if demo and merge_demo_overlay(dst) else ""
        for extra in ("docs", "LICENSE"):
            path = os.path.join(src, extra)
            if os.path.isdir(path):
                shutil.copytree(path, os.path.join(dst, extra))
            elif os.path.isfile(path):
                shutil.copy2(path, dst)
        os.makedirs(os.path.join(dst, "models"), exist_ok=True)
        if found is not None:
            for f in DEPLOYABLE:
                if os.path.isfile(os.path.join(found, f)):
                    shutil.copy2(os.path.join(found, f), os.path.join(dst, "models", f))
            status[name] = f"trained weights from {found}{sizes}"
        else:
            write_untrained_weights(dst)
            status[name] = f"UNTRAINED weights (plumbing check only){sizes}"
    return status


def prepare_studies(out: str, n_cases: int = 3, seed: int = 0) -> list[str]:
    """Synthetic demo studies in ``out``: ``ct_case_*.nii.gz`` (32^3 CT) and ``skin_case_*.png`` (64x64 RGB)."""
    import tempfile

    from monai_fairness.data.synthetic import make_ct_segmentation_dataset, make_skin_lesion_dataset

    os.makedirs(out, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        make_ct_segmentation_dataset(os.path.join(tmp, "ct"), n_cases=n_cases, write_dicom=False, seed=seed)
        make_skin_lesion_dataset(os.path.join(tmp, "derm"), n_cases=n_cases, seed=seed)
        for prefix, pattern in (("ct_", "ct/images/*.nii.gz"), ("skin_", "derm/images/**/*.png")):
            for path in sorted(glob.glob(os.path.join(tmp, pattern), recursive=True))[:n_cases]:
                dst = os.path.join(out, prefix + os.path.basename(path))
                shutil.copy2(path, dst)
                written.append(dst)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bundles", help="served bundle folders with weights")
    b.add_argument("--out", required=True)
    b.add_argument("--weights", action="append", default=[], help="a folder of <bundle>/models/ (repeatable)")
    b.add_argument("--untrained", action="store_true", help="initialise the weights of bundles that have none")
    b.add_argument("--only", default="", help="comma-separated bundle names")
    b.add_argument("--demo", action="store_true", help="the weights are demo-sized (make demo): merge demo.json in")
    s = sub.add_parser("studies", help="synthetic demo studies")
    s.add_argument("--out", required=True)
    s.add_argument("--n-cases", type=int, default=3)
    args = parser.parse_args(argv)
    if args.command == "bundles":
        names = [n.strip() for n in args.only.split(",") if n.strip()] or None
        weights = [os.path.abspath(w) for w in args.weights]
        status = prepare_bundles(os.path.abspath(args.out), weights, args.untrained, names, demo=args.demo)
        for name, line in status.items():
            print(f"  {name:36s} {line}")
        if not any(not line.startswith("skipped") for line in status.values()):
            print("no bundle has weights to serve: run `make demo` first, or pass --untrained", file=sys.stderr)
            return 1
    else:
        for path in prepare_studies(os.path.abspath(args.out), args.n_cases):
            print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
