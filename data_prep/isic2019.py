# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""ISIC 2019 -> monai-fairness datalist (group = sex, as in SCP, or age).

    python -m data_prep.isic2019 --ground-truth ISIC_2019_Training_GroundTruth.csv \\
        --metadata ISIC_2019_Training_Metadata.csv --images ISIC_2019_Training_Input --out data/isic2019

Ground truth columns: image, MEL, NV, BCC, AK, BKL, DF, VASC, SCC, UNK (one-hot floats; UNK is unused in training,
rows with UNK = 1 are skipped). Metadata columns: image, age_approx, anatom_site_general, lesion_id, sex; any field may
be empty. 8 classes MEL..SCC (SCP's ``low`` 0-7). Empty sex or age is unknown (dropped by default, never guessed).
Splits keep all images of a lesion together (``lesion_id``; an image without one is its own lesion).
"""

from __future__ import annotations

import argparse
import logging
import sys

from data_prep.common import (
    LOG,
    ConversionError,
    GroupEncoder,
    add_common_args,
    ita_attributes,
    new_item,
    write_datalist,
)
from data_prep.ham10000 import _group_text, find_image

CLASSES = ("MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC")


def convert(
    ground_truth: str,
    metadata: str,
    images: list[str],
    out: str,
    attribute: str = "sex",
    age_bins=(60.0,),
    unknown="drop",
    ratios=(0.7, 0.15, 0.15),
    seed: int = 0,
    filename: str = "datalist.json",
) -> str:
    import pandas as pd

    gt = pd.read_csv(ground_truth, dtype={"image": str})
    meta = pd.read_csv(metadata, dtype={"image": str, "lesion_id": str, "sex": str})
    for path, df, cols in ((ground_truth, gt, ("image",) + CLASSES), (metadata, meta, ("image", "age_approx", "sex"))):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ConversionError(f"{path}: missing column(s) {missing}; got {list(df.columns)}.")
    meta_rows = {
        img: (row, rec) for row, rec in enumerate(meta.itertuples(index=False), start=2) for img in [rec.image]
    }
    encoder = GroupEncoder(attribute, age_bins=age_bins, unknown=unknown)
    items, unk, no_image = [], 0, 0
    for row, rec in enumerate(gt.itertuples(index=False), start=2):
        where = f"{ground_truth} row {row}"
        if "UNK" in gt.columns and float(rec.UNK) == 1.0:
            unk += 1
            continue
        onehot = [float(getattr(rec, c)) for c in CLASSES]
        if sorted(onehot) != [0.0] * 7 + [1.0]:
            raise ConversionError(f"{where}: expected exactly one of {list(CLASSES)} to be 1 but got {onehot}.")
        if rec.image not in meta_rows:
            raise ConversionError(f"{where}: image {rec.image!r} has no row in {metadata}.")
        mrow, m = meta_rows[rec.image]
        image = find_image(images, rec.image)
        if image is None:
            no_image += 1
            continue
        age = None if pd.isna(m.age_approx) else float(m.age_approx)
        sex = None if pd.isna(m.sex) else str(m.sex)
        derived = ita_attributes(image) if attribute == "ita" else {}
        raw = {"sex": sex, "age": age, "ita": derived.get("fitzpatrick_ita")}
        group = encoder(raw[attribute], f"{metadata} row {mrow}")
        if group is None:
            continue
        lesion = getattr(m, "lesion_id", None)
        items.append(
            new_item(
                out,
                image,
                label=onehot.index(1.0),
                group=group,
                sex=sex,
                age=age,
                lesion_id=None if pd.isna(lesion) else str(lesion),
                **derived,
            )
        )
    LOG.info(f"skipped {unk} UNK row(s) and {no_image} row(s) without an image")
    encoder.log_report()
    return write_datalist(
        out,
        items,
        name="isic2019",
        description=f"ISIC 2019, 8 classes; group = {_group_text(attribute)}; unknown: {unknown}; split by lesion_id",
        task="classification",
        attribute=attribute,
        groups=encoder.names,
        labels={str(i): c for i, c in enumerate(CLASSES)},
        ratios=ratios,
        seed=seed,
        cluster_key="lesion_id",
        filename=filename,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ground-truth", required=True, help="ISIC_2019_Training_GroundTruth.csv")
    p.add_argument("--metadata", required=True, help="ISIC_2019_Training_Metadata.csv")
    p.add_argument("--images", nargs="+", required=True, help="folder(s) holding <image>.jpg")
    add_common_args(p, ("sex", "age", "ita"), "sex")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    path = convert(
        args.ground_truth,
        args.metadata,
        args.images,
        args.out,
        args.attribute,
        args.age_bins,
        args.unknown,
        args.ratios,
        args.seed,
        args.datalist_name,
    )
    print(f"datalist: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
