# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The MONAI Label app in-process (FastAPI TestClient): /info/ lists our bundles, /infer/ answers on local studies."""

from __future__ import annotations

import os
import shutil

import nibabel as nib
import numpy as np
import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(app_dir, served_bundles, demo_studies, tmp_path_factory):
    bundles, _ = served_bundles
    studies = shutil.copytree(demo_studies, tmp_path_factory.mktemp("studies") / "studies")  # the datastore writes
    from monailabel.config import settings
    from monailabel.interfaces.utils.app import clear_cache

    settings.MONAI_LABEL_APP_DIR = app_dir
    settings.MONAI_LABEL_STUDIES = str(studies)
    settings.MONAI_LABEL_APP_CONF = {"bundles": bundles, "preload": "false", "zoo_source": "local", "sam2": "false"}
    settings.MONAI_LABEL_DATASTORE_AUTO_RELOAD = False
    clear_cache()
    import monailabel.app

    with TestClient(monailabel.app.app) as c:
        yield c, str(studies)


def _study(studies: str, prefix: str) -> tuple[str, str]:
    name = sorted(f for f in os.listdir(studies) if f.startswith(prefix))[0]
    return name.split(".")[0], os.path.join(studies, name)


def test_info_lists_every_bundle(client, served_bundles):
    c, _ = client
    r = c.get("/info/")
    assert r.status_code == 200, r.text
    models = r.json()["models"]
    assert sorted(models) == sorted(served_bundles[1])
    apple = models["apple_ct_segmentation"]
    assert apple["type"] == "segmentation" and apple["dimension"] == 3
    assert models["fairdi_skin_lesion_classification"]["type"] == "classification"
    assert "background" not in models["apple_ct_segmentation"]["labels"]
    assert all(m["description"].startswith("[UNTRAINED weights") for m in models.values())  # prepare.py marks them


@pytest.mark.parametrize("model", ["apple_ct_segmentation", "erm_ct_segmentation", "fairdi_ct_segmentation"])
def test_segmentation_returns_a_mask_of_the_input_shape(client, model):
    c, studies = client
    image_id, path = _study(studies, "ct_")
    r = c.post(f"/infer/{model}?image={image_id}&output=image")
    assert r.status_code == 200, r.text[:500]
    mask = nib.load(_save(r.content, studies, f"{model}_seg.nii.gz"))
    original = nib.load(path)
    assert mask.shape == original.shape
    assert np.allclose(mask.affine, original.affine, atol=1e-4)
    assert set(np.unique(np.asarray(mask.dataobj))) <= {0, 1}


@pytest.mark.parametrize(
    "model",
    ["fairdi_skin_lesion_classification", "erm_skin_lesion_classification", "scp_skin_lesion_classification"],
)
def test_classification_returns_class_scores(client, model):
    c, studies = client
    image_id, _ = _study(studies, "skin_")
    r = c.post(f"/infer/{model}?image={image_id}&output=json")
    assert r.status_code == 200, r.text[:500]
    prediction = r.json()["prediction"]  # one entry per class of metadata's channel_def
    assert [(p["idx"], p["label"]) for p in prediction] == [(0, "benign"), (1, "malignant")]
    scores = np.array([p["score"] for p in prediction])
    assert np.all(scores >= 0) and abs(scores.sum() - 1) < 1e-5  # the bundle's softmax


def test_infer_on_an_uploaded_file(client, demo_studies):
    c, studies = client
    _, path = _study(demo_studies, "ct_")
    with open(path, "rb") as f:  # an image that is not in the datastore (3D Slicer's "upload")
        r = c.post("/infer/apple_ct_segmentation?output=image", files={"file": ("upload.nii.gz", f)})
    assert r.status_code == 200, r.text[:500]
    assert nib.load(_save(r.content, studies, "upload_seg.nii.gz")).shape == nib.load(path).shape


def _save(content: bytes, folder: str, name: str) -> str:
    path = os.path.join(folder, "..", name)
    with open(path, "wb") as f:
        f.write(content)
    return path


def test_unknown_model_is_refused(client):
    from monailabel.interfaces.exception import MONAILabelException

    c, studies = client
    image_id, _ = _study(studies, "ct_")
    with pytest.raises(MONAILabelException, match="no_such_segmentation"):  # a real server answers HTTP 500 with it
        c.post(f"/infer/no_such_segmentation?image={image_id}")
