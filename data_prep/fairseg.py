# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Harvard-FairSeg (SLO fundus, optic disc/cup) -> PNG images and masks plus a segmentation datalist.

    python -m data_prep.fairseg --npz-dir FairSeg/data --out data/fairseg --attribute race \\
        --split-lists lists/FairSeg_final/train.txt lists/FairSeg_final/test.txt

Each ``data_NNNNNN.npz`` holds (as read by the official loader, ``TransUNet/datasets/dataset_fairseg.py``): the image
``fundus_slo`` (grayscale), the mask ``disc_cup`` with 0 background, -1 rim and -2 cup (written as 0/1/2), and the
attributes ``race`` (raw codes 2 Asian, 3 Black, 7 White; already-mapped 0/1/2 also accepted), ``gender`` (0 F, 1 M),
``ethnicity`` or ``hispanic`` (0 non-Hispanic, 1 Hispanic, -1 unknown), ``language`` (0 English, 1 Spanish, 2 other,
-1 unknown), ``maritalstatus`` and ``age`` (in days; the official loader bins < 60 vs >= 60 years). ``pid`` only keeps
a patient's files in one split and is never written. With ``--split-lists`` (the official 8,000/2,000 lists)
validation is carved out of the training list.
"""

from __future__ import annotations

import argparse
import glob
import logging
import os
import sys

import numpy as np

from data_prep.common import LOG, ConversionError, GroupEncoder, new_item, official_splits, write_datalist

RACE_RAW = {2: 0, 3: 1, 7: 2}
RACE_NAMES = {"0": "Asian", "1": "Black", "2": "White"}
CATEGORICAL = {
    "race": RACE_NAMES,
    "gender": {"0": "F", "1": "M"},
    "ethnicity": {"0": "non-Hispanic", "1": "Hispanic"},
    "language": {"0": "English", "1": "Spanish", "2": "other"},
}
MASK_VALUES = {0: 0, -1: 1, -2: 2}


def _scalar(data, *keys):
    for key in keys:
        if key in data.files:
            return np.asarray(data[key]).item()
    return None


def _refuse_object_arrays(data, path: str) -> None:
    for key in data.files:
        try:
            data[key]
        except ValueError as e:  # numpy: "Object arrays cannot be loaded when allow_pickle=False"
            raise ConversionError(
                f"{path}: array {key!r} is a pickled Python object; FairSeg files hold plain arrays, and unpickling an "
                "untrusted file can run code, so it is refused. Re-save the array as a plain numeric or string array."
            ) from e


def convert(
    npz_dir: str,
    out: str,
    attribute: str = "race",
    age_bins=(60.0,),
    unknown: str = "drop",
    split_lists: list[str] | None = None,
    ratios=(0.7, 0.15, 0.15),
    seed: int = 0,
    filename: str = "datalist.json",
) -> str:
    from PIL import Image

    files = sorted(glob.glob(os.path.join(npz_dir, "*.npz")))
    if not files:
        raise ConversionError(f"--npz-dir: expected .npz files in {npz_dir!r} but found none.")
    age_encoder = GroupEncoder("age", age_bins=age_bins, unknown=unknown) if attribute == "age" else None
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    os.makedirs(os.path.join(out, "labels"), exist_ok=True)
    items, dropped = [], []
    for path in files:
        name = os.path.splitext(os.path.basename(path))[0]
        with np.load(path, allow_pickle=False) as data:  # never unpickle a user's file: a crafted one runs code
            _refuse_object_arrays(data, path)
            for key in ("fundus_slo", "disc_cup"):
                if key not in data.files:
                    raise ConversionError(f"{path}: missing array {key!r}; got {list(data.files)}.")
            mask = np.asarray(data["disc_cup"]).astype(int)
            bad = sorted(set(np.unique(mask).tolist()) - set(MASK_VALUES))
            if bad:
                raise ConversionError(f"{path}: 'disc_cup' expected values 0, -1, -2 but got {bad}.")
            raw = {
                "race": _scalar(data, "race"),
                "gender": _scalar(data, "gender", "male"),
                "ethnicity": _scalar(data, "ethnicity", "hispanic"),
                "language": _scalar(data, "language"),
                "age": None if _scalar(data, "age") is None else float(_scalar(data, "age")) / 365.0,
            }
            if raw["race"] is not None:
                raw["race"] = RACE_RAW.get(int(raw["race"]), int(raw["race"]))
            image = np.asarray(data["fundus_slo"])
            pid = _scalar(data, "pid")
        if attribute == "age":
            group = age_encoder(raw["age"], path)
        else:
            value = raw[attribute]
            names = CATEGORICAL[attribute]
            if value is None or str(int(value)) not in names:
                if unknown == "error":
                    raise ConversionError(f"{path}: field {attribute!r} expected one of {names} but got {value!r}.")
                if unknown == "drop":
                    dropped.append(path)
                    continue
                group = len(names)
            else:
                group = int(value)
        if group is None:
            continue
        label_mask = np.zeros(mask.shape, dtype=np.uint8)
        for raw_value, label_value in MASK_VALUES.items():
            label_mask[mask == raw_value] = label_value
        img_path = os.path.join(out, "images", f"{name}.png")
        lbl_path = os.path.join(out, "labels", f"{name}.png")
        Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(img_path)
        Image.fromarray(label_mask).save(lbl_path)
        item = new_item(
            out,
            img_path,
            label=os.path.relpath(lbl_path, out),
            group=group,
            _cluster=pid,
            _file=os.path.basename(path),
            age=None if raw["age"] is None else round(raw["age"], 1),
            **{
                k: CATEGORICAL[k].get(str(int(v)), "unknown")
                for k, v in raw.items()
                if k in CATEGORICAL and v is not None
            },
        )
        items.append(item)
    if dropped:
        LOG.info(f"dropped {len(dropped)} file(s) with an unknown {attribute!r}: {', '.join(dropped[:5])}")
    if age_encoder is not None:
        age_encoder.log_report()
    groups = age_encoder.names if age_encoder else dict(CATEGORICAL[attribute])
    if attribute != "age" and unknown == "separate":
        groups[str(len(CATEGORICAL[attribute]))] = "unknown"
    splits = official_splits(items, "_file", split_lists, ratios, seed, by_class=False)
    return write_datalist(
        out,
        items,
        name="harvard_fairseg",
        description=f"Harvard-FairSeg SLO fundus disc/cup; group = {attribute}",
        task="segmentation",
        attribute=attribute,
        groups=groups,
        labels={"0": "background", "1": "rim", "2": "cup"},
        ratios=ratios,
        seed=seed,
        cluster_key="_cluster",
        splits=splits,
        filename=filename,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--npz-dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--attribute", choices=("race", "gender", "ethnicity", "language", "age"), default="race")
    p.add_argument("--age-bins", type=float, nargs="+", default=[60.0])
    p.add_argument("--unknown", choices=("drop", "separate", "error"), default="drop")
    p.add_argument("--split-lists", nargs=2, metavar=("TRAIN_LIST", "TEST_LIST"))
    p.add_argument("--ratios", type=float, nargs=3, default=[0.7, 0.15, 0.15])
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    path = convert(
        args.npz_dir, args.out, args.attribute, args.age_bins, args.unknown, args.split_lists, args.ratios, args.seed
    )
    print(f"datalist: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
