# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""A real MONAI Label server on an Orthanc DICOMweb archive: segmentation of a CT series, answered as a DICOM SEG.

Orthanc (Debian ``orthanc`` + ``orthanc-dicomweb``, installed by ``build_env.sh --with-orthanc``) runs on a free
loopback port with its DICOM port off; a 16-slice CT series built from pydicom's real test file ``CT_small.dcm`` is
stored by STOW-RS; ``monailabel start_server --studies http://127.0.0.1:PORT/dicom-web`` serves the APPLE bundle.
Both processes are stopped by their PIDs at the end, also on failure.
"""

from __future__ import annotations

import copy
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import numpy as np
import pydicom
import pytest
import requests
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

ORTHANC = shutil.which("Orthanc")
DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
pytestmark = pytest.mark.skipif(
    ORTHANC is None or not os.path.isfile(DICOMWEB_PLUGIN),
    reason="Orthanc with its DICOMweb plugin is not installed (integrations/monailabel/build_env.sh --with-orthanc)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, log: str, timeout: float = 120.0) -> None:
    start = time.time()
    while time.time() - start < timeout:
        if process.poll() is not None:
            with open(log) as f:
                raise RuntimeError(f"{url} exited with {process.returncode} before answering:\n{f.read()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM by PID, SIGKILL after 15 s."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def ct_series(num_slices: int = 16) -> list[pydicom.Dataset]:
    """``num_slices`` axial slices made from pydicom's CT_small.dcm: one new study/series, stacked z positions."""
    template = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    thickness = float(getattr(template, "SliceThickness", 5.0) or 5.0)
    rng = np.random.default_rng(0)
    pixels = template.pixel_array
    slices = []
    for k in range(num_slices):
        ds = copy.deepcopy(template)
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = k + 1
        x, y, z = (float(v) for v in template.ImagePositionPatient)
        ds.ImagePositionPatient = [x, y, z + k * thickness]
        ds.SliceLocation = z + k * thickness
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        noisy = np.clip(pixels.astype(np.int32) + rng.integers(-5, 6, pixels.shape), -32768, 32767)
        ds.PixelData = noisy.astype(pixels.dtype).tobytes()
        slices.append(ds)
    return slices


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """``(dicomweb_url, series_uid)`` of a running Orthanc holding one 16-slice CT series."""
    from dicomweb_client.api import DICOMwebClient

    work = tmp_path_factory.mktemp("orthanc")
    port = _free_port()
    config = {
        "Name": "monai-fairness-test",
        "StorageDirectory": str(work / "db"),
        "IndexDirectory": str(work / "db"),
        "Plugins": [DICOMWEB_PLUGIN],
        "DicomServerEnabled": False,
        "HttpServerEnabled": True,
        "HttpPort": port,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "DicomWeb": {
            "Enable": True,
            "Root": "/dicom-web/",
            "EnableWado": True,
            "WadoRoot": "/wado",
            "Host": f"127.0.0.1:{port}",
            "Ssl": False,
        },
    }
    (work / "orthanc.json").write_text(json.dumps(config))
    log = str(work / "orthanc.log")
    with open(log, "w") as out:
        process = subprocess.Popen([ORTHANC, str(work / "orthanc.json")], stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for(f"http://127.0.0.1:{port}/system", process, log, timeout=30)
        url = f"http://127.0.0.1:{port}/dicom-web"
        series = ct_series()
        DICOMwebClient(url).store_instances(series)
        yield url, series[0].SeriesInstanceUID
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def label_server(app_dir, orthanc, served_bundles, tmp_path_factory) -> Iterator[str]:
    """A MONAI Label server process on the Orthanc archive, serving the APPLE bundle; its base URL."""
    bundles, _ = served_bundles
    url, _ = orthanc
    work = tmp_path_factory.mktemp("label")
    port = _free_port()
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")  # python, itkimage2segimage
    env["MONAI_LABEL_DICOMWEB_CACHE_PATH"] = str(work / "cache")
    command = [
        os.path.join(os.path.dirname(sys.executable), "monailabel"),
        "start_server",
        "--app", app_dir,
        "--studies", url,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--conf", "bundles", bundles,
        "--conf", "models", "apple_ct_segmentation",
        "--conf", "zoo_source", "local",
        "--conf", "sam2", "false",
        "--conf", "preload", "false",
    ]  # fmt: skip
    log = str(work / "server.log")
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=str(work))
    try:
        _wait_for(f"http://127.0.0.1:{port}/info/", process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


def test_server_lists_the_archive_series(label_server, orthanc):
    _, series_uid = orthanc
    info = requests.get(f"{label_server}/info/", timeout=30).json()
    assert list(info["models"]) == ["apple_ct_segmentation"]
    stats = requests.get(f"{label_server}/datastore/?output=stats", timeout=60).json()
    assert stats["total"] == 1  # the series, found by QIDO-RS (default filter Modality CT)
    first = requests.post(f"{label_server}/activelearning/first", timeout=60)  # 3D Slicer's "Next Sample"
    assert first.status_code == 200 and first.json()["id"] == series_uid


def test_segmentation_of_a_dicomweb_series_returns_a_dicom_seg(label_server, orthanc):
    _, series_uid = orthanc
    params = {"label_info": [{"name": "organ", "idx": 1}]}
    r = requests.post(
        f"{label_server}/infer/apple_ct_segmentation?image={series_uid}&output=dicom_seg",
        files={"params": (None, json.dumps(params))},
        timeout=300,
    )
    assert r.status_code == 200, r.text[:1000]
    seg = pydicom.dcmread(io.BytesIO(r.content))
    assert seg.Modality == "SEG"
    assert seg.ReferencedSeriesSequence[0].SeriesInstanceUID == series_uid
    assert (seg.Rows, seg.Columns) == (128, 128)
    assert seg.SegmentSequence[0].SegmentLabel == "organ"
