# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""A folder of DICOM studies (e.g. a PACS export) -> NIfTI volumes + a monai-fairness datalist, without identifiers.

    python -m data_prep.dicom_studies --dicom /exports/study_dump --out data/my_ct --attribute sex
    python -m data_prep.dicom_studies --dicom a/ b/ one.dcm --out data/my_ct --attribute age --age-bins 60

Every file under ``--dicom`` is read; files are grouped into series by SeriesInstanceUID, slices are ordered by their
position along the slice normal (ImagePositionPatient . (row x column direction)) and stacked with the rescale slope
and intercept applied into ``<out>/images/case_NNNN.nii.gz`` (RAS affine from ImageOrientationPatient, PixelSpacing
and the slice positions). ``sex`` (PatientSex) and ``age`` (PatientAge, else birth and study dates) are derived; nothing
else of the header is written. Output names are numbered by a hash of the series UID, so neither UIDs nor source
paths (which often carry patient names or ids) appear anywhere; series of one patient stay in one split. Colour,
non-image (DICOMDIR, SEG, SR) and undecodable series are skipped and counted.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
from collections import defaultdict

import numpy as np

from data_prep.common import LOG, GroupEncoder, add_common_args, new_item, write_datalist
from monai_fairness.data.dicom import read_dicom_attributes


def _files(paths: list[str]) -> list[str]:
    out = []
    for path in paths:
        if os.path.isdir(path):
            for root, _, names in sorted(os.walk(path)):
                out += [os.path.join(root, n) for n in sorted(names)]
        elif os.path.isfile(path):
            out.append(path)
    return out


def _series(paths: list[str]) -> tuple[dict[str, list], int]:
    import pydicom

    series: dict[str, list] = defaultdict(list)
    skipped = 0
    for path in _files(paths):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:  # not DICOM
            skipped += 1
            continue
        if "Rows" not in ds or "SeriesInstanceUID" not in ds or int(ds.get("SamplesPerPixel", 1)) != 1:
            skipped += 1  # DICOMDIR, SEG/SR without an image plane, or colour
            continue
        series[str(ds.SeriesInstanceUID)].append((path, ds))
    return series, skipped


def _volume(members: list) -> tuple[np.ndarray, np.ndarray]:
    """Stack one series into ``[columns, rows, slices]`` HU-like values and its RAS affine."""
    import pydicom

    first = members[0][1]
    iop = np.array([float(v) for v in (first.get("ImageOrientationPatient") or [])])
    if iop.size != 6 or np.linalg.norm(np.cross(iop[:3], iop[3:])) < 1e-6:  # projection images (CR/DX) often lack it
        iop = np.array([1.0, 0, 0, 0, 1.0, 0])
    row_dir, col_dir = iop[:3], iop[3:]
    normal = np.cross(row_dir, col_dir)

    def position(ds):
        ipp = [float(v) for v in (ds.get("ImagePositionPatient") or [])]
        return np.array(ipp if len(ipp) == 3 else [0.0, 0.0, 0.0])

    members = sorted(members, key=lambda m: float(position(m[1]) @ normal))
    shapes = {(int(ds.Rows), int(ds.Columns)) for _, ds in members}
    if len(shapes) != 1:
        raise ValueError(f"slices of different sizes {sorted(shapes)}")
    orientations = {tuple(round(float(v), 4) for v in (ds.get("ImageOrientationPatient") or [])) for _, ds in members}
    if len(orientations) != 1:
        raise ValueError("slices of different orientations (a localizer), not a volume")
    slices = []
    for path, _ in members:
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array.astype(np.float32)
        slices.append(arr * float(ds.get("RescaleSlope", 1) or 1) + float(ds.get("RescaleIntercept", 0) or 0))
    volume = np.stack(slices, axis=-1).transpose(1, 0, 2)  # [rows, cols, k] -> [cols (x), rows (y), k]
    spacing = [float(v) for v in (first.get("PixelSpacing") or first.get("ImagerPixelSpacing") or [1.0, 1.0])]
    spacing = [v if v > 0 else 1.0 for v in spacing]  # real files carry "0\\0" (e.g. pydicom-data RG1_UNCR)
    if len(members) > 1:
        dz = float((position(members[-1][1]) - position(members[0][1])) @ normal) / (len(members) - 1)
    else:
        dz = float(first.get("SliceThickness", 1.0) or 1.0)
    lps = np.eye(4)
    lps[:3, 0] = row_dir * spacing[1]  # column index moves along the row direction, by the column spacing
    lps[:3, 1] = col_dir * spacing[0]
    lps[:3, 2] = normal * (dz if dz != 0 else 1.0)
    lps[:3, 3] = position(members[0][1])
    return volume, np.diag([-1.0, -1.0, 1.0, 1.0]) @ lps


def convert(
    dicom: list[str],
    out: str,
    attribute: str = "sex",
    age_bins=(60.0,),
    unknown: str = "drop",
    ratios=(0.7, 0.15, 0.15),
    seed: int = 0,
    filename: str = "datalist.json",
) -> str:
    import nibabel as nib

    series, skipped = _series(dicom)
    encoder = GroupEncoder(attribute, age_bins=age_bins, unknown=unknown)
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    order = sorted(series, key=lambda uid: hashlib.sha1(uid.encode()).hexdigest())
    items, failed = [], 0
    for index, uid in enumerate(order, start=1):
        members = series[uid]
        where = f"series {index} of {len(order)}"
        attrs = read_dicom_attributes(members[0][1])
        group = encoder(attrs[attribute], where)
        if group is None:
            continue
        try:
            volume, affine = _volume(members)
        except Exception as e:  # compressed without a decoder, inconsistent sizes
            failed += 1
            LOG.info(f"{where}: skipped ({type(e).__name__}: {str(e)[:80]})")
            continue
        image = os.path.join(out, "images", f"case_{index:04d}.nii.gz")
        nib.save(nib.Nifti1Image(volume, affine), image)
        patient = hashlib.sha1(str(members[0][1].get("PatientID", uid)).encode()).hexdigest()
        item = new_item(out, image, group=group, sex=attrs["sex"], age=attrs["age"], _cluster=patient)
        items.append(item)
    LOG.info(f"{len(order)} series; {len(items)} converted, {failed} failed, {skipped} non-image or non-DICOM files")
    encoder.log_report()
    return write_datalist(
        out,
        items,
        name="dicom_studies",
        description=f"converted DICOM series; group = {attribute} from the headers",
        task="segmentation",
        attribute=attribute,
        groups=encoder.names,
        labels={"0": "background"},
        ratios=ratios,
        seed=seed,
        cluster_key="_cluster",
        filename=filename,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dicom", nargs="+", required=True, help="DICOM files and/or folders (searched recursively)")
    add_common_args(p, ("sex", "age"), "sex")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    path = convert(
        args.dicom, args.out, args.attribute, args.age_bins, args.unknown, args.ratios, args.seed, args.datalist_name
    )
    print(f"datalist: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
