# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""APPLE CT segmentation bundle: the whole pipeline on tiny 3D data, DICOM series with the group from the headers,
bad inputs, and the bundle tooling (verify_metadata, verify_net_in_out, traced export)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import torch
from monai.bundle import ConfigParser, ckpt_export, verify_metadata, verify_net_in_out

from monai_fairness.losses import GroupMeanAlignmentLoss
from monai_fairness.networks import state_checksum
from tests.bundles.helpers import CPU_DDP, SCHEMA, _env, bundle_path, config_stack, run_bundle

NAME = "apple_ct_segmentation"
BUNDLE = bundle_path(NAME)
CONFIGS = os.path.join(BUNDLE, "configs")
META = os.path.join(CONFIGS, "metadata.json")
TINY = {"roi_size": [16, 16, 16], "val_interval": 1}


def _parser(files: list[str], demo: bool = True, **override) -> ConfigParser:
    """The config stack ``files``, at demo size (``demo.json`` last) as the tests train it unless ``demo`` is false."""
    parser = ConfigParser()
    parser.read_config(config_stack(BUNDLE, files, demo))
    parser.read_meta(META)
    parser.update(override)
    return parser


@pytest.mark.slow
def test_whole_pipeline_one_command_then_inference_and_export(tiny_ct, tmp_path):
    datalist = tiny_ct["nifti"]
    cmd = [sys.executable, "-m", "monai_fairness.pipelines.apple", "--bundle", BUNDLE, "--demo"]
    cmd += ["--dataset_dir", os.path.dirname(datalist), "--workdir", str(tmp_path), "--n_bootstrap", "20"]
    for k, v in {"max_epochs": 2, **TINY}.items():
        cmd += ["--set", f"{k}={v}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    comparison = json.loads((tmp_path / "eval" / "comparison.json").read_text())
    assert set(comparison["models"]) == {"segmentor", "segmentor_apple"}
    assert "dice_gap_reduction" in comparison["versus_reference"]["segmentor_apple"]
    leakage = comparison["apple"]["leakage"]
    assert set(leakage["probe"]) == {"before", "after"} and set(leakage["discriminator"]) == {"before", "after"}
    sha = comparison["apple"]["segmentor_sha256"]
    assert sha["before_apple"] == sha["after_apple"] == sha["inside_model_pt"]
    assert "deployed segmentor weights unchanged: yes" in proc.stdout
    for part in ("loss_seg", "loss_adv", "loss_disc", "disc_accuracy"):
        assert part in out, part
    models = tmp_path / "models"
    assert {"segmentor.pt", "model.pt", "discriminator.pt"} <= {p.name for p in models.iterdir()}

    # a rerun skips every stage
    rerun = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=600)
    assert rerun.returncode == 0 and rerun.stdout.count("skipped") == 2, rerun.stdout[-3000:]

    # inference: segmentor + APPLE on the test split without any group
    no_group = os.path.join(os.path.dirname(datalist), "datalist_apple_no_group.json")  # paths are relative to it
    data = json.loads(open(datalist).read())
    for split in ("training", "validation", "test"):
        for item in data[split]:
            item.pop("group", None)
    with open(no_group, "w") as f:
        json.dump(data, f)
    common = {"dataset_dir": os.path.dirname(datalist), "ckpt_dir": str(models), "roi_size": [16, 16, 16]}
    run_bundle(BUNDLE, ["inference.json"], {**common, "datalist": str(no_group), "output_dir": str(tmp_path / "inf")})
    assert len(list((tmp_path / "inf").glob("*_seg.nii.gz"))) == len(data["test"])

    # the exported TorchScript module holds segmentor and perturber and matches the network
    run_bundle(BUNDLE, ["inference.json", "export.json"], {**common, "output_dir": str(tmp_path / "inf")})
    parser = _parser(["inference.json"], ckpt_dir=str(models))
    net = parser.get_parsed_content("network_def")
    net.load_state_dict(torch.load(models / "model.pt", weights_only=True))
    net.eval()
    x = torch.rand(1, 1, 32, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.load(str(models / "model.ts"))(x), net(x))
        with net.bypass():
            plain = net(x)
    assert not torch.allclose(plain, net(x).detach())  # the perturber is active in the deployed model
    assert state_checksum(net.segmentor) == sha["before_apple"]


@pytest.mark.slow
def test_dicom_series_with_the_group_from_the_headers(tiny_ct, tmp_path):
    """APPLE trains on DICOM series whose datalist has no group at all: the group comes from PatientSex."""
    src = tiny_ct["dicom"]
    data = json.loads(open(src).read())
    for split in ("training", "validation", "test"):
        for item in data[split]:
            item.pop("group", None)
    dataset_dir = os.path.dirname(src)
    datalist = os.path.join(dataset_dir, "datalist_dicom_apple_no_group.json")  # paths are relative to it
    with open(datalist, "w") as f:
        json.dump(data, f)
    models = tmp_path / "models"
    models.mkdir()
    parser = _parser(["train.json"], **TINY)
    torch.save(parser.get_parsed_content("network_def").state_dict(), models / "segmentor.pt")
    overrides = {"dataset_dir": dataset_dir, "datalist": str(datalist), "ckpt_dir": str(models), "max_epochs": 1}
    proc = run_bundle(
        BUNDLE,
        ["train.json", "train_apple.json", "dicom.json"],
        {**overrides, **TINY, "output_dir": str(tmp_path / "eval")},
    )
    out = proc.stdout + proc.stderr
    assert "loss_adv" in out and "val_dice_g1" in out
    assert (models / "model.pt").exists()


@pytest.mark.slow
def test_apple_training_two_ranks_gloo(tiny_ct, tmp_path):
    """multi_gpu_train.json on 2 CPU ranks: only the perturber and the discriminator are in DDP."""
    models = tmp_path / "models"
    models.mkdir()
    torch.save(_parser(["train.json"]).get_parsed_content("network_def").state_dict(), models / "segmentor.pt")
    before = state_checksum(torch.load(models / "segmentor.pt", weights_only=True))
    overrides = {
        "dataset_dir": os.path.dirname(tiny_ct["nifti"]),
        "ckpt_dir": str(models),
        "output_dir": str(tmp_path / "eval"),
        "max_epochs": 1,
        # cpu_ddp.json wraps a whole network for the other bundles; APPLE's multi-GPU network line, without device ids
        "network": "$@network_def.to(@device).distribute()",
        **TINY,
    }
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes=1", "--nproc_per_node=2"]
    proc = run_bundle(
        BUNDLE,
        ["train.json", "train_apple.json", "multi_gpu_train.json"],
        overrides,
        extra_files=[CPU_DDP],
        launcher=launcher,
    )
    assert (models / "model.pt").exists(), proc.stdout[-2000:]
    state = torch.load(models / "model.pt", weights_only=True)
    assert state_checksum({k[len("segmentor.") :]: v for k, v in state.items() if k.startswith("segmentor.")}) == before
    assert not any(".module." in k for k in state)


def _chain(error: BaseException) -> str:
    """The messages of an exception and of its causes (MONAI wraps a component's error in its own)."""
    parts = []
    while error is not None:
        parts.append(str(error))
        error = error.__cause__ or error.__context__
    return " | ".join(parts)


def test_unknown_latent_layer_and_mismatched_checkpoint(tmp_path):
    from monai.networks.nets import UNet

    parser = _parser(["train.json", "train_apple.json"], ckpt_dir=str(tmp_path))
    torch.save(parser.get_parsed_content("segmentor_def").state_dict(), tmp_path / "segmentor.pt")
    parser = _parser(["train.json", "train_apple.json"], ckpt_dir=str(tmp_path), latent_layer="encoder.bottleneck")
    with pytest.raises(Exception) as error:
        parser.get_parsed_content("network_def")
    assert "latent_layer expected the name of a module of UNet but got 'encoder.bottleneck'" in _chain(error.value)
    assert "candidate layers: model.1.submodule.1.submodule.1.submodule, model" in _chain(error.value)

    other = UNet(3, 1, 2, (8, 16, 32), (2, 2), num_res_units=1, norm="batch")
    torch.save(other.state_dict(), tmp_path / "other.pt")
    parser = _parser(["train.json", "train_apple.json"], segmentor_file=str(tmp_path / "other.pt"))
    with pytest.raises(Exception) as error:
        parser.get_parsed_content("network_def")
    assert re.search(
        r"does not match network_def \(UNet\): missing keys \d+ \[.*unexpected keys \d+ \[", _chain(error.value)
    )


def test_pretrain_stage_adopts_a_users_checkpoint(tmp_path):
    parser = _parser(["train.json"])
    net = parser.get_parsed_content("segmentor_def")
    torch.save({"model": net.state_dict()}, tmp_path / "deployed.pt")
    parser = _parser(
        ["train.json", "pretrain_segmentor.json"],
        segmentor_checkpoint=str(tmp_path / "deployed.pt"),
        ckpt_dir=str(tmp_path / "models"),
    )
    parser.get_parsed_content("run#0")
    assert state_checksum(torch.load(tmp_path / "models" / "segmentor.pt", weights_only=True)) == state_checksum(net)


def test_segmentor_and_apple_train_on_disjoint_halves_of_the_training_split(tiny_ct):
    """The stand-in deployed segmentor and APPLE never share a training case; MONAI Label's train.json uses all."""
    common = {"dataset_dir": os.path.dirname(tiny_ct["nifti"])}
    ids = {}
    for name, files in {
        "all": ["train.json"],
        "segmentor": ["train.json", "pretrain_segmentor.json"],
        "apple": ["train.json", "train_apple.json"],
    }.items():
        ids[name] = [item["id"] for item in _parser(files, **common).get_parsed_content("train#dataset#data")]
    assert set(ids["segmentor"]).isdisjoint(ids["apple"])
    assert sorted(ids["segmentor"] + ids["apple"]) == sorted(ids["all"])
    assert abs(len(ids["segmentor"]) - len(ids["apple"])) <= 2  # segmentor_share 0.5, kept per group
    whole = _parser(["train.json", "train_apple.json"], **common, segmentor_share=0.0)
    assert sorted(item["id"] for item in whole.get_parsed_content("train#dataset#data")) == sorted(ids["all"])


def test_pipeline_lets_apple_use_the_whole_split_for_an_adopted_segmentor(tmp_path, monkeypatch):
    """A segmentor trained elsewhere saw none of the training split, so the pipeline sets segmentor_share to 0."""
    import monai_fairness.pipelines.apple as apple_pipeline

    class StopBeforeEvaluation(Exception):
        pass

    stages = []

    def record(bundle, todo, common, ckpt_dir, force=False, overlays=()):
        stages.extend((name, {**common, **extra}) for name, _, extra in todo)
        if len(stages) == 2:
            raise StopBeforeEvaluation
        return {}

    monkeypatch.setattr(apple_pipeline, "run_stages", record)
    (tmp_path / "deployed.pt").write_bytes(b"")
    (tmp_path / "wd" / "models").mkdir(parents=True)
    torch.save({"w": torch.zeros(1)}, tmp_path / "wd" / "models" / "segmentor.pt")  # what stage 0 would leave
    for checkpoint, share in ((None, None), (str(tmp_path / "deployed.pt"), 0.0)):
        stages.clear()
        with pytest.raises(StopBeforeEvaluation):
            apple_pipeline.run_apple(BUNDLE, str(tmp_path), str(tmp_path / "wd"), segmentor_checkpoint=checkpoint)
        assert [name for name, _ in stages] == ["pretrain_segmentor", "train_apple"]
        assert stages[1][1].get("segmentor_share") == share  # None: the bundle's default (0.5)


def test_verify_metadata_net_and_traced_export(tmp_path):
    infer = os.path.join(CONFIGS, "inference.json")
    verify_metadata(meta_file=META, filepath=SCHEMA)
    verify_net_in_out(net_id="network_def", meta_file=META, config_file=infer)
    net = _parser(["inference.json"], demo=False).get_parsed_content("network_def")  # the real recipe's network
    torch.nn.init.normal_(net.perturber.out.weight, std=0.1)
    torch.save(net.state_dict(), tmp_path / "model.pt")
    ts = tmp_path / "model.ts"
    ckpt_export(
        net_id="network_def",
        filepath=str(ts),
        ckpt_file=str(tmp_path / "model.pt"),
        meta_file=META,
        config_file=infer,
        use_trace=True,
    )
    net.eval()
    x = torch.rand(2, 1, 32, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.load(str(ts))(x), net(x))
    share = sum(p.numel() for p in net.perturber.parameters()) / sum(p.numel() for p in net.segmentor.parameters())
    assert share <= 0.05  # the bundle's perturber is a small fraction of the segmentor (benchmark: apple_latency)


def test_inference_network_computes_what_train_apple_trained(tmp_path):
    """inference.json (also export and MONAI Label) must rebuild the trained perturber: same layer, width, bound."""
    segmentor = _parser(["train.json"]).get_parsed_content("network_def")
    torch.save(segmentor.state_dict(), tmp_path / "segmentor.pt")
    train_parser = _parser(["train.json", "train_apple.json"], ckpt_dir=str(tmp_path))
    infer_parser = _parser(["inference.json"])
    for key in ("latent_layer", "latent_channels", "epsilon", "perturber_blocks"):
        assert infer_parser.get_parsed_content(key) == train_parser.get_parsed_content(key), key
    trained = train_parser.get_parsed_content("network_def")
    torch.nn.init.normal_(trained.perturber.out.weight, std=1.0)  # large enough to saturate tanh at the bound
    deployed = infer_parser.get_parsed_content("network_def")
    deployed.load_state_dict(trained.state_dict())
    trained.eval(), deployed.eval()
    x = torch.rand(2, 1, 32, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(deployed(x), trained(x))
        with trained.bypass():
            plain = trained(x)
    assert not torch.allclose(plain, trained(x))  # the perturbation is really applied


def test_delta_switches_the_group_mean_alignment_term_on():
    """``delta`` 0 (default) leaves the term out; a positive ``delta`` gives the trainer the loss and its weight, and
    the resume checkpoint its state."""
    files = ["train.json", "train_apple.json"]
    assert _parser(files)["delta"] == 0.0
    assert _parser(files).get_parsed_content("alignment_loss") is None
    parser = _parser(files, delta=0.5)
    loss = parser.get_parsed_content("alignment_loss")
    assert isinstance(loss, GroupMeanAlignmentLoss)
    assert loss.running_var.shape == (8,)  # latent_channels of model.0
    assert parser.get_parsed_content("train#trainer#delta") == 0.5
    assert parser.get_parsed_content("train#trainer#alignment_loss") is loss
    # its running variance is training state: the per-epoch resume checkpoint saves and restores it
    # (the other training objects replaced by names, so that no segmentor checkpoint is needed to parse)
    objects = ("network", "optimizer", "discriminator", "d_optimizer", "train#trainer")
    names = {k: f"$'{k.split('#')[-1]}'" for k in objects}
    for key in ("resume#save_dict",):  # one TrainingResume saves and restores the same dict
        with_term, without = _parser(files, delta=0.5, **names), _parser(files, **names)
        state = with_term.get_parsed_content(key)
        assert isinstance(state["alignment_loss"], GroupMeanAlignmentLoss)
        assert {k: v for k, v in state.items() if k != "alignment_loss"} == without.get_parsed_content(key)
        assert without.get_parsed_content(key) == {
            "model": "network",
            "optimizer": "optimizer",
            "discriminator": "discriminator",
            "d_optimizer": "d_optimizer",
            "trainer": "trainer",
        }
