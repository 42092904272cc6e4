# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""HAM10000 -> monai-fairness datalist (group = sex or age).

    python -m data_prep.ham10000 --metadata HAM10000_metadata.csv \\
        --images HAM10000_images_part_1 HAM10000_images_part_2 --out data/ham10000 --attribute sex

``HAM10000_metadata.csv`` columns: lesion_id, image_id, dx, dx_type, age, sex, localization (later releases add
dataset). ``dx`` in akiec, bcc, bkl, df, mel, nv, vasc gives 7 classes, or with ``--binary`` akiec and mel vs the rest
(the FairMedFM convention). ``sex`` is male/female/unknown: unknown is never put into the second group (FairMedFM's
binarisation does that); it is dropped (default), kept as its own group or an error. Age may be missing. Splits keep
all images of a lesion together (``lesion_id``).
"""

from __future__ import annotations

import argparse
import logging
import os
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

DX = ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")
POSITIVE = ("akiec", "mel")
REQUIRED = ("lesion_id", "image_id", "dx", "age", "sex")


def find_image(folders: list[str], stem: str) -> str | None:
    for folder in folders:
        for ext in (".jpg", ".jpeg", ".png"):
            path = os.path.join(folder, stem + ext)
            if os.path.isfile(path):
                return path
    return None


def _group_text(attribute: str) -> str:
    if attribute == "ita":
        return "skin tone DERIVED from the image (ITA on outer skin pixels -> Fitzpatrick-like type), not self-reported"
    return attribute


def convert(
    metadata: str,
    images: list[str],
    out: str,
    attribute: str = "sex",
    age_bins=(60.0,),
    unknown="drop",
    binary: bool = False,
    ratios=(0.7, 0.15, 0.15),
    seed: int = 0,
    filename: str = "datalist.json",
) -> str:
    import pandas as pd

    df = pd.read_csv(metadata, dtype={"lesion_id": str, "image_id": str})
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ConversionError(f"{metadata}: missing column(s) {missing}; got {list(df.columns)}.")
    encoder = GroupEncoder(attribute, age_bins=age_bins, unknown=unknown)
    items, no_image = [], 0
    for row, rec in enumerate(df.itertuples(index=False), start=2):
        where = f"{metadata} row {row}"
        if rec.dx not in DX:
            raise ConversionError(f"{where}: field 'dx' expected one of {list(DX)} but got {rec.dx!r}.")
        image = find_image(images, rec.image_id)
        if image is None:
            no_image += 1
            continue
        raw = {"sex": rec.sex, "age": None if pd.isna(rec.age) else float(rec.age)}
        derived = ita_attributes(image) if attribute == "ita" else {}
        group = encoder(derived.get("fitzpatrick_ita", raw.get(attribute)), where)
        if group is None:
            continue
        label = int(rec.dx in POSITIVE) if binary else DX.index(rec.dx)
        items.append(
            new_item(
                out,
                image,
                label=label,
                group=group,
                dx=rec.dx,
                sex=str(rec.sex),
                age=raw["age"],
                lesion_id=rec.lesion_id,
                **derived,
            )
        )
    if no_image:
        LOG.info(f"{no_image} row(s) of {metadata} have no image in {images} and were skipped")
    encoder.log_report()
    labels = {"0": "other", "1": "akiec_or_mel"} if binary else {str(i): d for i, d in enumerate(DX)}
    return write_datalist(
        out,
        items,
        name="ham10000",
        description=f"HAM10000; labels {'akiec+mel vs rest' if binary else 'dx (7)'}; "
        f"group = {_group_text(attribute)}; unknown: {unknown}; split by lesion_id",
        task="classification",
        attribute=attribute,
        groups=encoder.names,
        labels=labels,
        ratios=ratios,
        seed=seed,
        cluster_key="lesion_id",
        filename=filename,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--metadata", required=True, help="HAM10000_metadata.csv")
    p.add_argument("--images", nargs="+", required=True, help="image folder(s) holding <image_id>.jpg")
    p.add_argument("--binary", action="store_true", help="akiec+mel vs the rest instead of the 7 dx classes")
    add_common_args(p, ("sex", "age", "ita"), "sex")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    path = convert(
        args.metadata,
        args.images,
        args.out,
        args.attribute,
        args.age_bins,
        args.unknown,
        args.binary,
        args.ratios,
        args.seed,
        args.datalist_name,
    )
    print(f"datalist: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
