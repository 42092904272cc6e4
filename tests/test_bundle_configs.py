# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""One source per bundle family: every committed bundle config equals what the generator writes from configs/."""

from __future__ import annotations

import json
import os

from tests.conftest import REPO_ROOT
from tools import generate_bundle_configs as generator


def test_committed_bundle_configs_equal_their_sources(capsys):
    code = generator.main(["--check"])
    assert code == 0, capsys.readouterr().err


def test_a_copied_change_cannot_be_forgotten(tmp_path, monkeypatch, capsys):
    """Editing a generated file (instead of its source) is reported, naming the file."""
    rendered = generator.render("erm_skin_lesion_classification")
    monkeypatch.setattr(generator, "BUNDLES", str(tmp_path))
    folder = tmp_path / "erm_skin_lesion_classification" / "configs"
    folder.mkdir(parents=True)
    (folder / "metadata.json").write_text("{}")
    for name, text in rendered.items():
        (folder / name).write_text(text)
    assert generator.main(["--check"]) == 0
    edited = json.loads(rendered["train.json"])
    edited["learning_rate"] = 0.5
    (folder / "train.json").write_text(json.dumps(edited, indent=4) + "\n")
    (folder / "stray.json").write_text("{}")
    assert generator.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "erm_skin_lesion_classification/configs/train.json: differs from its sources" in err
    assert "erm_skin_lesion_classification/configs/stray.json: no source makes it" in err


def test_every_generated_file_names_its_sources():
    for bundle in generator.bundle_names():
        for name, paths in generator.sources(bundle).items():
            text = open(os.path.join(REPO_ROOT, "bundles", bundle, "configs", name)).read()
            assert all(os.path.relpath(p, REPO_ROOT) in text for p in paths), (bundle, name)


def test_method_bundles_share_their_task_base_exactly():
    """One ERM per task: FairDi's erm stage and SCP's vanilla model are the ERM bundle's own train.json (only the
    deployable file name differs, and the epoch ids of method stages that a control shares: student_epochs,
    scp_finetune_epochs, which no ERM item reads)."""
    method_ids = ("_generated_", "model_file", "student_epochs", "scp_finetune_epochs")

    def train(bundle):
        config = json.load(open(os.path.join(REPO_ROOT, "bundles", bundle, "configs", "train.json")))
        return {k: v for k, v in config.items() if k not in method_ids}

    assert train("fairdi_skin_lesion_classification") == train("erm_skin_lesion_classification")
    assert train("scp_skin_lesion_classification") == train("erm_skin_lesion_classification")
    assert train("fairdi_ct_segmentation") == train("erm_ct_segmentation")
