# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Fitzpatrick17k -> monai-fairness datalist (group = skin tone from ``fitzpatrick_scale``).

    python -m data_prep.fitzpatrick17k --csv fitzpatrick17k.csv --images images/ --out data/fitz17k
    python -m data_prep.fitzpatrick17k --csv fitzpatrick17k.csv --images images/ --out data/fitz17k \\
        --split-files fme/val.csv fme/test.csv          # the SCP / Fair-Multi-Exit validation and test splits

``fitzpatrick17k.csv`` columns: md5hash, fitzpatrick_scale, fitzpatrick_centaur, label, nine_partition_label,
three_partition_label, qc, url, url_alphanum. Images are downloaded by the user from ``url`` and saved as
``<images>/<md5hash>.jpg`` (or .png); missing images are counted and skipped. ``fitzpatrick_scale`` is 1-6 or -1
(unknown): types 1..cut are light (0), cut+1..6 dark (1). Unknown types are dropped by default (counted), or kept as
their own group (``--unknown separate``); ``--unknown scp`` reproduces the official SCP code, which counts unknown as
dark, and says so in the datalist description. With ``--split-files``, validation and test come from those CSVs
(column ``hasher`` or ``md5hash``) and training is the complement.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from data_prep.common import LOG, ConversionError, GroupEncoder, new_item, write_datalist

LABEL_COLUMNS = ("label", "nine_partition_label", "three_partition_label")
REQUIRED = ("md5hash", "fitzpatrick_scale")


def _image_path(images: str, md5: str) -> str | None:
    for ext in (".jpg", ".jpeg", ".png"):
        path = os.path.join(images, md5 + ext)
        if os.path.isfile(path):
            return path
    return None


def _split_ids(path: str) -> set[str]:
    import pandas as pd

    df = pd.read_csv(path, dtype={"hasher": str, "md5hash": str})  # an all-digit md5 must stay a string
    for col in ("hasher", "md5hash"):
        if col in df.columns:
            return set(df[col].astype(str))
    raise ConversionError(f"{path}: expected a 'hasher' or 'md5hash' column but got {list(df.columns)}.")


def convert(
    csv: str,
    images: str,
    out: str,
    label_column: str = "label",
    fitzpatrick_cut: int = 3,
    unknown: str = "drop",
    split_files: list[str] | None = None,
    ratios=(0.7, 0.15, 0.15),
    seed: int = 0,
    filename: str = "datalist.json",
) -> str:
    import pandas as pd

    df = pd.read_csv(csv, dtype={"md5hash": str})
    missing = [c for c in REQUIRED + (label_column,) if c not in df.columns]
    if missing:
        raise ConversionError(f"{csv}: missing column(s) {missing}; got {list(df.columns)}.")
    scp = unknown == "scp"
    encoder = GroupEncoder("skin_tone", fitzpatrick_cut=fitzpatrick_cut, unknown="error" if scp else unknown)
    classes = sorted(df[label_column].dropna().astype(str).unique())
    class_id = {c: i for i, c in enumerate(classes)}
    items, no_image, scp_unknown = [], 0, 0
    for row, rec in enumerate(df.itertuples(index=False), start=2):  # row 1 is the header
        where = f"{csv} row {row}"
        image = _image_path(images, str(rec.md5hash))
        if image is None:
            no_image += 1
            continue
        fst = rec.fitzpatrick_scale
        if scp and str(fst).strip() in ("-1", "nan", ""):
            group, scp_unknown = 1, scp_unknown + 1  # the official SCP mapping: unknown -> dark (reproduction only)
        else:
            group = encoder(fst, where)
        if group is None:
            continue
        label = getattr(rec, label_column)
        if pd.isna(label):
            raise ConversionError(f"{where}: field {label_column!r} expected a class name but is empty.")
        items.append(
            new_item(
                out, image, label=class_id[str(label)], group=group, fitzpatrick=int(fst), _split_key=str(rec.md5hash)
            )
        )
    if no_image:
        LOG.info(f"{no_image} row(s) of {csv} have no downloaded image under {images} and were skipped")
    encoder.log_report()
    splits = None
    if split_files:
        val_ids, test_ids = _split_ids(split_files[0]), _split_ids(split_files[1])
        splits = {
            "training": [i for i in items if i["_split_key"] not in val_ids | test_ids],
            "validation": [i for i in items if i["_split_key"] in val_ids],
            "test": [i for i in items if i["_split_key"] in test_ids],
        }
    for item in items:
        item.pop("_split_key")
    description = (
        f"Fitzpatrick17k, label column {label_column!r}; group = skin tone from fitzpatrick_scale "
        f"(1-{fitzpatrick_cut} light, {fitzpatrick_cut + 1}-6 dark); unknown types: "
        + ("counted as DARK as in the official SCP code (reproduction only)" if scp else unknown)
        + ("; splits from " + ", ".join(os.path.basename(f) for f in split_files) if split_files else "")
    )
    groups = dict(encoder.names)
    return write_datalist(
        out,
        items,
        name="fitzpatrick17k",
        description=description,
        task="classification",
        attribute="skin_tone",
        groups=groups,
        labels={str(i): c for i, c in enumerate(classes)},
        ratios=ratios,
        seed=seed,
        splits=splits,
        filename=filename,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--csv", required=True, help="fitzpatrick17k.csv")
    p.add_argument("--images", required=True, help="folder of <md5hash>.jpg images")
    p.add_argument("--out", required=True)
    p.add_argument("--label-column", choices=LABEL_COLUMNS, default="label")
    p.add_argument("--attribute", choices=("skin_tone",), default="skin_tone", help="the only attribute it carries")
    p.add_argument("--fitzpatrick-cut", type=int, default=3)
    p.add_argument("--unknown", choices=("drop", "separate", "error", "scp"), default="drop")
    p.add_argument("--split-files", nargs=2, metavar=("VAL_CSV", "TEST_CSV"))
    p.add_argument("--ratios", type=float, nargs=3, default=[0.7, 0.15, 0.15])
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    path = convert(
        args.csv,
        args.images,
        args.out,
        args.label_column,
        args.fitzpatrick_cut,
        args.unknown,
        args.split_files,
        args.ratios,
        args.seed,
    )
    print(f"datalist: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
