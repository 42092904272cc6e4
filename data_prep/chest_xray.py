# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""CheXpert and NIH ChestX-ray14 -> monai-fairness datalists (binary finding, group = sex or age).

    python -m data_prep.chest_xray chexpert --csv CheXpert-v1.0-small/train.csv --root . --finding "Pleural Effusion" \\
        --out data/chexpert --attribute sex
    python -m data_prep.chest_xray nih --csv Data_Entry_2017_v2020.csv --images images_001/images ... \\
        --finding Effusion --out data/nih --attribute age --age-bins 60 \\
        --split-lists train_val_list.txt test_list.txt

CheXpert columns: Path, Sex, Age, Frontal/Lateral, AP/PA and 14 observations (1 positive, 0 negative, -1 uncertain,
blank = not mentioned). Blank counts as negative; uncertain is dropped (``--uncertain drop``, default) or mapped to 0/1
(U-Zeros / U-Ones). Frontal views only unless ``--all-views``. ``Path`` is relative to ``--root`` and holds the
dataset's own pseudonymous patient folder, which also keeps each patient in one split.

NIH columns: Image Index, Finding Labels ('|'-separated), Follow-up #, Patient ID, Patient Age, Patient Gender (M/F),
View Position. ``Patient ID`` only keeps each patient in one split and is never written. With ``--split-lists`` the
official test list is the test split and validation is carved out of the train_val list.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys

from data_prep.common import (
    LOG,
    ConversionError,
    GroupEncoder,
    add_common_args,
    new_item,
    official_splits,
    write_datalist,
)
from data_prep.ham10000 import find_image

CHEXPERT_FINDINGS = (
    "No Finding",
    "Enlarged Cardiomediastinum",
    "Cardiomegaly",
    "Lung Opacity",
    "Lung Lesion",
    "Edema",
    "Consolidation",
    "Pneumonia",
    "Atelectasis",
    "Pneumothorax",
    "Pleural Effusion",
    "Pleural Other",
    "Fracture",
    "Support Devices",
)
NIH_FINDINGS = (
    "Atelectasis",
    "Cardiomegaly",
    "Effusion",
    "Infiltration",
    "Mass",
    "Nodule",
    "Pneumonia",
    "Pneumothorax",
    "Consolidation",
    "Edema",
    "Emphysema",
    "Fibrosis",
    "Pleural_Thickening",
    "Hernia",
    "No Finding",
)


def _finish(out, items, encoder, name, description, attribute, finding, args_common, splits=None):
    encoder.log_report()
    return write_datalist(
        out,
        items,
        name=name,
        description=description,
        task="classification",
        attribute=attribute,
        groups=encoder.names,
        labels={"0": f"no {finding}", "1": finding},
        ratios=args_common["ratios"],
        seed=args_common["seed"],
        cluster_key="_cluster",
        splits=splits,
        filename=args_common["filename"],
    )


def convert_chexpert(
    csv: str,
    root: str,
    out: str,
    finding: str = "No Finding",
    attribute: str = "sex",
    age_bins=(60.0,),
    unknown="drop",
    uncertain: str = "drop",
    all_views: bool = False,
    ratios=(0.7, 0.15, 0.15),
    seed: int = 0,
    filename: str = "datalist.json",
) -> str:
    import pandas as pd

    df = pd.read_csv(csv)
    missing = [c for c in ("Path", "Sex", "Age", "Frontal/Lateral", finding) if c not in df.columns]
    if missing:
        raise ConversionError(f"{csv}: missing column(s) {missing}; got {list(df.columns)}.")
    encoder = GroupEncoder(attribute, age_bins=age_bins, unknown=unknown)
    items, skipped = [], {"lateral": 0, "uncertain": 0, "no image": 0}
    for row, rec in enumerate(df.to_dict("records"), start=2):
        where = f"{csv} row {row}"
        if not all_views and str(rec["Frontal/Lateral"]) != "Frontal":
            skipped["lateral"] += 1
            continue
        value = rec[finding]
        label = 0 if pd.isna(value) else int(float(value))
        if label == -1:
            if uncertain == "drop":
                skipped["uncertain"] += 1
                continue
            label = 1 if uncertain == "ones" else 0
        if label not in (0, 1):
            raise ConversionError(f"{where}: field {finding!r} expected 1, 0, -1 or blank but got {value!r}.")
        image = os.path.join(root, str(rec["Path"]))
        if not os.path.isfile(image):
            skipped["no image"] += 1
            continue
        age = None if pd.isna(rec["Age"]) or int(rec["Age"]) == 0 else float(rec["Age"])  # Age 0 marks unknown
        raw = {"sex": rec["Sex"], "age": age}
        group = encoder(raw[attribute], where)
        if group is None:
            continue
        patient = re.search(r"patient\d+", str(rec["Path"]))
        items.append(
            new_item(
                out,
                image,
                label=label,
                group=group,
                sex=str(rec["Sex"]),
                age=age,
                _cluster=patient.group(0) if patient else None,
            )
        )
    LOG.info(f"skipped: {skipped}")
    description = f"CheXpert, {finding!r} vs not; uncertain: {uncertain}; group = {attribute}; split by patient"
    common = {"ratios": ratios, "seed": seed, "filename": filename}
    return _finish(out, items, encoder, "chexpert", description, attribute, finding, common)


def convert_nih(
    csv: str,
    images: list[str],
    out: str,
    finding: str = "No Finding",
    attribute: str = "sex",
    age_bins=(60.0,),
    unknown="drop",
    split_lists: list[str] | None = None,
    ratios=(0.7, 0.15, 0.15),
    seed: int = 0,
    filename: str = "datalist.json",
) -> str:
    import pandas as pd

    df = pd.read_csv(csv, dtype={"Patient ID": str})
    cols = ("Image Index", "Finding Labels", "Patient ID", "Patient Age", "Patient Gender")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ConversionError(f"{csv}: missing column(s) {missing}; got {list(df.columns)}.")
    if finding not in NIH_FINDINGS:
        raise ConversionError(f"--finding expected one of {list(NIH_FINDINGS)} but got {finding!r}.")
    encoder = GroupEncoder(attribute, age_bins=age_bins, unknown=unknown)
    items, no_image = [], 0
    for row, rec in enumerate(df.to_dict("records"), start=2):
        where = f"{csv} row {row}"
        image = find_image(images, os.path.splitext(str(rec["Image Index"]))[0])
        if image is None:
            no_image += 1
            continue
        age = None if pd.isna(rec["Patient Age"]) else float(rec["Patient Age"])
        raw = {"sex": rec["Patient Gender"], "age": age}
        group = encoder(raw[attribute], where)
        if group is None:
            continue
        label = int(finding in str(rec["Finding Labels"]).split("|"))
        items.append(
            new_item(
                out,
                image,
                label=label,
                group=group,
                sex=str(rec["Patient Gender"]),
                age=age,
                _cluster=str(rec["Patient ID"]),
                _index=str(rec["Image Index"]),
            )
        )
    LOG.info(f"{no_image} row(s) without an image were skipped")
    splits = official_splits(items, "_index", split_lists, ratios, seed)
    description = f"NIH ChestX-ray14, {finding!r} vs not; group = {attribute}; split by patient"
    common = {"ratios": ratios, "seed": seed, "filename": filename}
    return _finish(out, items, encoder, "nih_chestxray14", description, attribute, finding, common, splits)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="source", required=True)
    c = sub.add_parser("chexpert", help="CheXpert train.csv / valid.csv")
    c.add_argument("--csv", required=True)
    c.add_argument("--root", required=True, help="folder that the CSV's Path column is relative to")
    c.add_argument("--finding", choices=CHEXPERT_FINDINGS, default="No Finding")
    c.add_argument("--uncertain", choices=("drop", "zeros", "ones"), default="drop")
    c.add_argument("--all-views", action="store_true", help="keep lateral views too")
    add_common_args(c, ("sex", "age"), "sex")
    n = sub.add_parser("nih", help="NIH ChestX-ray14 Data_Entry_2017_v2020.csv")
    n.add_argument("--csv", required=True)
    n.add_argument("--images", nargs="+", required=True, help="folder(s) holding the PNG images")
    n.add_argument("--finding", choices=NIH_FINDINGS, default="No Finding")
    n.add_argument("--split-lists", nargs=2, metavar=("TRAIN_VAL_LIST", "TEST_LIST"))
    add_common_args(n, ("sex", "age"), "sex")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.source == "chexpert":
        path = convert_chexpert(
            args.csv,
            args.root,
            args.out,
            args.finding,
            args.attribute,
            args.age_bins,
            args.unknown,
            args.uncertain,
            args.all_views,
            args.ratios,
            args.seed,
            args.datalist_name,
        )
    else:
        path = convert_nih(
            args.csv,
            args.images,
            args.out,
            args.finding,
            args.attribute,
            args.age_bins,
            args.unknown,
            args.split_lists,
            args.ratios,
            args.seed,
            args.datalist_name,
        )
    print(f"datalist: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
