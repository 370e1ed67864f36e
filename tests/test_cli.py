"""The ``tinygan`` command, run as a user runs it: in a subprocess."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygan as tg


def tinygan(*args, cwd=None):
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "tinygan", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=environment, timeout=300)


def test_version_and_info():
    assert tinygan("--version").stdout.strip() == f"tinygan {tg.__version__}"
    info = tinygan("info")
    expected = os.environ.get("TINYGAN_BACKEND", "").strip().lower() or "numpy"   # cupy in .ci/gpu
    assert info.returncode == 0 and re.search(rf"^backend in use +{expected}$", info.stdout, re.M)
    assert re.search(r"^GPU visible +(yes|no): ", info.stdout, re.M)
    assert re.search(r"^fused kernels +(on|off)", info.stdout, re.M)


def test_train_writes_every_artefact_and_resume_continues(tmp_path):
    out = tmp_path / "run"
    result = tinygan("train", "--dataset", "gaussian1d", "--steps", "60", "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    for name in ("config.json", "checkpoint.npz", "metrics.json", "samples.npy", "samples.png",
                 "losses.png"):
        assert (out / name).exists(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 60 and metrics["config"]["seed"] == 0
    expected = os.environ.get("TINYGAN_BACKEND", "").strip().lower() or "numpy"   # cupy in .ci/gpu
    assert metrics["environment"]["backend"] == expected and metrics["wall_seconds"] > 0
    assert {"jsd", "sample_mean", "seconds_per_1000_steps"} <= set(metrics)
    assert np.load(out / "samples.npy").shape == (2500, 1)
    assert json.loads((out / "config.json").read_text())["steps"] == 60

    again = tinygan("train", "--dataset", "gaussian1d", "--steps", "60", "--out", out, "--quiet")
    assert again.returncode == 2 and "already holds a run" in again.stderr
    assert "Traceback" not in again.stderr

    resumed = tinygan("train", "--dataset", "gaussian1d", "--steps", "90", "--out", out,
                      "--resume", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert "from step 60" in resumed.stdout
    assert json.loads((out / "metrics.json").read_text())["steps"] == 90


def test_default_run_folders_name_the_data_the_model_and_the_seed(tmp_path):
    """Without --out a run goes to runs/DATASET-seedS, with --model to runs/DATASET-MODEL-seedS
    and with --paper to runs/DATASET-paper-seedS, so the README's examples, run one after
    the other, do not collide."""
    for args, folder in ((["--dataset", "ring"], "ring-seed0"),
                         (["--dataset", "ring", "--seed", "2"], "ring-seed2"),
                         (["--dataset", "mnist-5k", "--paper"], "mnist-5k-paper-seed0"),
                         (["--dataset", "mnist-5k", "--model", "mnist_2014"],
                          "mnist-5k-mnist_2014-seed0")):
        result = tinygan("train", *args, "--steps", "1", "--quiet", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert f"to {Path('runs') / folder}" in result.stdout
        assert (tmp_path / "runs" / folder / "checkpoint.npz").is_file()
    earlier = tinygan("train", "--dataset", "ring", "--model", "mlp", "--resume", "--steps", "2",
                      cwd=tmp_path)                   # a run made before folders named models
    assert earlier.returncode == 2 and "--out runs/ring-seed0 --resume" in earlier.stderr
    paper = tinygan("train", "--dataset", "mnist-5k", "--paper", "--noise", "gaussian", "--steps",
                    "1", "--quiet", "--out", tmp_path / "p")     # --paper's own noise range is
    assert paper.returncode == 0, paper.stderr                  # not the user's to leave out


def test_resume_through_the_command_equals_one_long_run(tmp_path):
    straight = tinygan("train", "--dataset", "ring", "--steps", "40", "--batch-size", "64",
                       "--out", tmp_path / "a", "--quiet")
    first = tinygan("train", "--dataset", "ring", "--steps", "15", "--batch-size", "64",
                    "--out", tmp_path / "b", "--quiet")
    second = tinygan("train", "--steps", "40", "--out", tmp_path / "b", "--resume",
                     "--quiet")                         # --dataset comes from config.json
    assert straight.returncode == first.returncode == second.returncode == 0, second.stderr
    assert "tinygan train: ring, 40 steps from step 15" in second.stdout
    a, b = tg.load(tmp_path / "a" / "checkpoint.npz"), tg.load(tmp_path / "b" / "checkpoint.npz")
    assert a["step"] == b["step"] == 40
    for name in a["generator"]:
        np.testing.assert_array_equal(a["generator"][name], b["generator"][name])


def test_sample_and_evaluate_from_a_checkpoint(tmp_path):
    out = tmp_path / "run"
    assert tinygan("train", "--dataset", "ring", "--steps", "20", "--batch-size", "64",
                   "--out", out, "--quiet").returncode == 0
    sampled = tinygan("sample", "--checkpoint", out / "checkpoint.npz", "--n", "300",
                      "--out", tmp_path / "s.npy")
    assert sampled.returncode == 0, sampled.stderr
    assert np.load(tmp_path / "s.npy").shape == (300, 2)
    assert tinygan("sample", "--checkpoint", out / "checkpoint.npz", "--n", "300",
                   "--out", tmp_path / "s.png").returncode == 0
    assert (tmp_path / "s.png").stat().st_size > 1000
    evaluated = tinygan("evaluate", "--checkpoint", out / "checkpoint.npz")
    assert evaluated.returncode == 0 and "modes captured" in evaluated.stdout
    assert "modes_captured" in json.loads((out / "evaluation.json").read_text())


def test_lr_decay_option_reaches_the_run(tmp_path):
    out = tmp_path / "run"
    result = tinygan("train", "--dataset", "ring", "--steps", "5", "--batch-size", "64",
                     "--lr-decay", "1.01", "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "config.json").read_text())["lr_decay"] == 1.01
    state = tg.load(out / "checkpoint.npz")
    lr = json.loads((out / "config.json").read_text())["lr_g"]
    np.testing.assert_allclose(state["g_optimizer"]["param_groups"][0]["lr"], lr / 1.01 ** 5,
                               rtol=1e-12)               # five updates, each ÷ 1.01


def test_noise_scale_draws_the_api_samples_and_keeps_each_evaluation(tmp_path):
    out = tmp_path / "run"
    assert tinygan("train", "--dataset", "ring", "--steps", "10", "--batch-size", "64",
                   "--out", out, "--quiet").returncode == 0
    sampled = tinygan("sample", "--checkpoint", out / "checkpoint.npz", "--n", "200",
                      "--noise-scale", "0.5", "--out", tmp_path / "narrow.npy")
    assert sampled.returncode == 0 and "(noise scale 0.5)" in sampled.stdout, sampled.stderr
    trainer = tg.gan.build("ring", steps=10, batch_size=64).trainer
    trainer.load_checkpoint(out / "checkpoint.npz")
    np.testing.assert_array_equal(np.load(tmp_path / "narrow.npy"),
                                  trainer.sample(200, noise_scale=0.5))
    plain = tinygan("evaluate", "--checkpoint", out / "checkpoint.npz")
    wide = tinygan("evaluate", "--checkpoint", out / "checkpoint.npz", "--noise-scale", "1.25")
    assert plain.returncode == wide.returncode == 0, wide.stderr
    assert "step 10 (noise scale 1.25):" in wide.stdout
    first = json.loads((out / "evaluation.json").read_text())
    second = json.loads((out / "evaluation-noise-scale-1.25.json").read_text())   # its own file
    assert (first["noise_scale"], second["noise_scale"]) == (1.0, 1.25)
    experiment = tg.gan.build("ring", steps=10, batch_size=64)
    experiment.trainer.load_checkpoint(out / "checkpoint.npz")
    for written, scale in ((first, 1.0), (second, 1.25)):      # the numbers of those samples
        samples = experiment.trainer.sample(experiment.config.eval_samples, noise_scale=scale)
        expected = experiment.data.evaluate(samples, experiment.config.seed)
        assert written["jsd"] == pytest.approx(expected["jsd"], rel=1e-12)
        assert written["modes_captured"] == expected["modes_captured"]
    assert first["jsd"] != second["jsd"]
    close = [tinygan("evaluate", "--checkpoint", out / "checkpoint.npz", "--noise-scale", scale)
             for scale in ("1.0000001", "1.0000002")]           # a file each, named exactly
    assert all(result.returncode == 0 for result in close)
    assert "(noise scale 1.0000001)" in close[0].stdout
    assert (out / "evaluation-noise-scale-1.0000002.json").exists()
    repeated = tinygan("evaluate", "--checkpoint", out / "checkpoint.npz", "--draws", "3")
    assert repeated.returncode == 0, repeated.stderr
    assert "over 3 draws of 2500 samples, mean ± sd (min–max): modes captured" in repeated.stdout
    rewritten = json.loads((out / "evaluation.json").read_text())     # its own file, rewritten
    assert rewritten["jsd"] == first["jsd"] and rewritten["draws"]["count"] == 3
    mine = out / "evaluation-noise-scale-3.0.json"
    mine.write_text("my notes")
    refused = tinygan("evaluate", "--checkpoint", out / "checkpoint.npz", "--noise-scale", "3")
    assert refused.returncode == 2 and "was not written by" in refused.stderr
    assert mine.read_text() == "my notes"


@pytest.mark.parametrize("args, message", [
    (["train", "--dataset", "ring", "--steps", "-5"], "steps must be ≥ 0"),
    (["train", "--dataset", "ring", "--k", "0", "--steps", "1"], "k (discriminator steps"),
    (["train", "--dataset", "ring", "--pack", "3", "--steps", "1"], "pack must"),
    (["train", "--dataset", "ring", "--resume", "--out", "nowhere"], "nothing to resume"),
    (["sample", "--checkpoint", "missing.npz", "--out", "x.npy"], "does not exist"),
    (["sample", "--checkpoint", "garbage.npz", "--out", "x.npy"], "not an .npz archive"),
    (["sample", "--checkpoint", "foreign.npz", "--out", "x.npy"], "not a tinygan checkpoint"),
    (["sample", "--checkpoint", "model_only.npz", "--out", "x.npy"], "not of a GAN run"),
    (["sample", "--checkpoint", "other_model.npz", "--out", "x.npy"], "does not fit the model"),
    (["sample", "--checkpoint", "x.npz", "--out", "x.txt"], "must end in .npy or .png"),
    (["sample", "--checkpoint", "x.npz", "--out", "x.npy", "--noise-scale", "0"],
     "--noise-scale: the noise scale must be a finite number > 0, got 0.0"),
    (["evaluate", "--checkpoint", "x.npz", "--noise-scale", "nan"], "finite number > 0, got nan"),
    (["evaluate", "--checkpoint", "x.npz", "--draws", "0"],
     "--draws: the number of draws must be a whole number from 1 to 1,000, got 0"),
    (["evaluate", "--checkpoint", "x.npz", "--draws", "99999999999999999999999"],
     "--draws: the number of draws must be a whole number from 1 to 1,000, got 99999"),
    (["train", "--dataset", "ring", "--lr-decay", "0.9", "--steps", "1"],
     "lr_decay (divisor per update) must be a finite number ≥ 1, got 0.9"),
    (["train", "--dataset", "mnist", "--data-dir", "no-such-folder", "--steps", "1"],
     "does not exist"),
    (["train", "--dataset", "ring", "--minibatch-kernels", "-1", "--steps", "1"],
     "minibatch_kernels must be ≥ 0"),
    (["train", "--dataset", "ring", "--minibatch-kernels", "4", "--minibatch-kernel-dim", "0",
      "--steps", "1"], "minibatch_kernel_dim must be ≥ 1"),
    (["train", "--dataset", "mnist-5k", "--d-batch-norm", "virtual", "--steps", "1"],
     "built into the MLP discriminator (model mlp), not into mnist_2014"),
    (["train", "--dataset", "ring", "--d-batch-norm", "reference", "--pack", "128", "--steps", "1"],
     "reference batch (64) must be divisible by pack 128"),
])
def test_bad_input_gets_one_clear_line(tmp_path, args, message):
    (tmp_path / "garbage.npz").write_bytes(b"garbage")
    np.savez(tmp_path / "foreign.npz", w=np.ones(2))
    tg.save({"model": {"w": np.ones(2)}}, tmp_path / "model_only.npz")
    run = tg.gan.build("ring", steps=0, g_hidden=8, d_hidden=8).trainer.state_dict()
    run["generator"] = {name: np.zeros((1, 1)) for name in run["generator"]}
    tg.save(run, tmp_path / "other_model.npz")
    result = tinygan(*args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_unknown_dataset_is_refused_by_the_parser():
    result = tinygan("train", "--dataset", "moons")
    assert result.returncode == 2 and "invalid choice: 'moons'" in result.stderr


def test_evaluate_judges_mnist_samples_with_the_cached_classifier(tmp_path):
    """`evaluate --parzen` on an MNIST run: the classifier measures, each beside the real
    test images' value, and the paper's Parzen protocol; the classifier is trained once and
    cached in the data folder ($TINYGAN_DATA) for later evaluations."""
    run = tmp_path / "run"
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "TINYGAN_DATA": str(tmp_path / "data")}

    def command(*args):
        return subprocess.run([sys.executable, "-m", "tinygan", *map(str, args)],
                              capture_output=True, text=True, env=environment, timeout=600)
    assert command("train", "--dataset", "mnist-5k", "--steps", "20", "--out", run,
                   "--quiet").returncode == 0
    result = command("evaluate", "--checkpoint", run / "checkpoint.npz", "--parzen", "--draws", "2")
    assert result.returncode == 0, result.stderr
    assert "classifier score" in result.stdout and "Fréchet distance" in result.stdout
    assert "over 2 draws of" in result.stdout and "frechet distance" in result.stdout
    assert "feature spread within / between classes" in result.stdout
    metrics = json.loads((run / "evaluation.json").read_text())
    quality, real = metrics["quality"], metrics["quality"]["real_test"]
    assert len(quality["class_shares"]) == 10 and abs(sum(quality["class_shares"]) - 1) < 1e-9
    assert set(quality["class_spread"]) == {"within", "between"} == set(real["class_spread"])
    assert quality["classifier_score"] >= 1 and quality["classifier_score"] <= 10
    assert real["classifier_score"] > 8
    assert real["confident_share"] > 0.8 and quality["frechet_distance"] > real["frechet_distance"]
    assert metrics["classifier"]["test_accuracy"] > 0.9
    parzen = metrics["parzen"]
    assert parzen["ceiling_log_likelihood"] > parzen["log_likelihood"]
    first, second = metrics["draws"]["per_draw"]                  # draw 0: the numbers above
    assert first == {"parzen_log_likelihood": parzen["log_likelihood"],
                     **{name: float(quality[name]) for name in (
                         "classifier_score", "confident_share", "frechet_distance",
                         "classes_in_range", "nearest_train_distance")}}
    assert second["frechet_distance"] != first["frechet_distance"]
    cached = list((tmp_path / "data").glob("mnist-classifier-*.npz"))
    assert [str(path) for path in cached] == [metrics["classifier"]["path"]]


def test_paper_flag_is_the_2014_configuration_exactly(tmp_path):
    """--paper removes what the MNIST presets add (mnist-5k's PacGAN pack of 2; on full MNIST
    it trains the 2014 networks, not the preset's MLPs, without their EMA of G) and sets what the authors' code did (mnist.yaml with AdversaryCost2: simultaneous updates, D's objective
    halved, z ~ U(−√3, √3), pylearn2's marginal clip 1e-7); it clashes with an option that
    contradicts it and is refused for data that is not MNIST."""
    run = tmp_path / "paper"
    result = tinygan("train", "--dataset", "mnist-5k", "--paper", "--steps", "2", "--out", run,
                     "--quiet")
    assert result.returncode == 0, result.stderr
    config = json.loads((run / "config.json").read_text())
    assert (config["pack"], config["update"], config["d_loss_scale"], config["marginal_clip"],
            config["k"], config["batch_size"], config["lr_d"], config["lr_decay"]) == (
        1, "simultaneous", 0.5, 1e-7, 1, 100, 0.1, 1.000004)
    assert config["noise_range"] == pytest.approx(3 ** 0.5, rel=1e-15)
    clash = tinygan("train", "--dataset", "mnist-5k", "--paper", "--pack", "2", "--out",
                    tmp_path / "x")
    assert clash.returncode == 2 and clash.stderr.count(
        "--paper means --model mnist_2014, --pack 1, --update simultaneous, --d-loss-scale 0.5") == 1
    assert "it cannot go with --pack 2" in clash.stderr
    other = tinygan("train", "--dataset", "mnist-5k", "--paper", "--model", "dcgan", "--out",
                    tmp_path / "z")
    assert other.returncode == 2 and "it cannot go with --model dcgan" in other.stderr
    toy = tinygan("train", "--dataset", "ring", "--paper", "--out", tmp_path / "y")
    assert toy.returncode == 2 and "not MNIST" in toy.stderr and not (tmp_path / "y").exists()


def test_dcgan_model_trains_and_interpolates(tmp_path):
    """--model dcgan takes the DCGAN preset (Adam at 1e-3 for G and 2e-4 for D, β₁ 0.5, batch
    64, Gaussian z of 100, width 64 with InfoGAN's 1024-unit layers, an EMA of G at 0.999);
    sample --interpolate draws N rows of G along paths in z into a figure."""
    run = tmp_path / "dcgan"
    result = tinygan("train", "--dataset", "mnist-5k", "--model", "dcgan", "--steps", "2",
                     "--out", run, "--quiet")
    assert result.returncode == 0, result.stderr
    config = json.loads((run / "config.json").read_text())
    assert (config["model"], config["lr_g"], config["lr_d"], config["beta1"], config["batch_size"],
            config["noise_dim"], config["g_hidden"], config["dcgan_fc"], config["ema"]) == (
        "dcgan", 1e-3, 2e-4, 0.5, 64, 100, 64, 1024, 0.999)
    strip = tmp_path / "strip.png"
    drawn = tinygan("sample", "--checkpoint", run / "checkpoint.npz", "--interpolate", "3",
                    "--slerp", "--out", strip)
    assert drawn.returncode == 0 and strip.stat().st_size > 1000, drawn.stderr
    lonely = tinygan("sample", "--checkpoint", run / "checkpoint.npz", "--slerp", "--out",
                     tmp_path / "x.png")
    assert lonely.returncode == 2 and "give --interpolate" in lonely.stderr
    overflow = tinygan("sample", "--checkpoint", run / "checkpoint.npz", "--interpolate", "2",
                       "--noise-scale", "1e40", "--out", tmp_path / "new" / "deeper" / "s.png")
    assert overflow.returncode == 2 and "samples hold NaN or inf" in overflow.stderr
    assert len(overflow.stderr.strip().splitlines()) == 1 and not (tmp_path / "new").exists()
    toy = tinygan("train", "--dataset", "ring", "--model", "dcgan", "--out", tmp_path / "t")
    assert toy.returncode == 2 and "dcgan model is for MNIST" in toy.stderr


def test_dcgan_fc_switches_the_fully_connected_layers(tmp_path):
    """--dcgan-fc 0 gives the all-convolutional pair (z projected by a 7×7 transposed
    convolution, D's logit from a 7×7 convolution); a negative size, or the switch on another
    model, is refused in one line before anything is written."""
    run = tmp_path / "allconv"
    result = tinygan("train", "--dataset", "mnist-5k", "--model", "dcgan", "--dcgan-fc", "0",
                     "--g-hidden", "8", "--d-hidden", "8", "--steps", "1", "--out", run, "--quiet")
    assert result.returncode == 0, result.stderr
    assert json.loads((run / "config.json").read_text())["dcgan_fc"] == 0
    shapes = {tuple(v.shape) for v in np.load(run / "checkpoint.npz").values()}
    assert (100, 16, 7, 7) in shapes and (1, 16, 7, 7) in shapes        # G1 and D3, no Linear
    assert not any(len(s) == 2 and 1024 in s for s in shapes)
    refusals = ((("--model", "dcgan", "--dcgan-fc", "-1"),
                 "dcgan_fc must be ≥ 0 (0 = off), got -1"),
                (("--dcgan-fc", "256"),
                 "dcgan_fc is a layer of the DCGAN (model dcgan), not of mnist_2014"))
    for args, message in refusals:
        bad = tinygan("train", "--dataset", "mnist-5k", *args, "--out", tmp_path / "bad")
        assert bad.returncode == 2 and message in bad.stderr, bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "bad").exists()


def test_spectral_norm_trains_saves_resumes_and_is_refused_off_the_dcgan(tmp_path):
    """--spectral-norm gives the DCGAN SN-GAN's D: its checkpoint holds each weight's
    weight_orig, weight_u and weight_v and no batch norm of D; a resume continues it to
    the same bits as one uninterrupted run (u and v included, which a resume could let
    drift silently); the switch on another model is refused in one line before anything
    is written."""
    run = tmp_path / "sn"
    sizes = ("--g-hidden", "8", "--d-hidden", "8", "--dcgan-fc", "16", "--quiet")
    common = (*sizes, "--out", run)
    result = tinygan("train", "--dataset", "mnist-5k", "--model", "dcgan", "--spectral-norm",
                     "--steps", "1", *common)
    assert result.returncode == 0, result.stderr
    assert json.loads((run / "config.json").read_text())["spectral_norm"] is True
    names = set(np.load(run / "checkpoint.npz"))
    discriminator = {name for name in names if name.startswith("discriminator/")}
    assert sum(name.endswith("weight_orig") for name in discriminator) == 4
    assert sum(name.endswith("weight_u") for name in discriminator) == 4
    assert not any(name.endswith("running_mean") for name in discriminator)
    resumed = tinygan("train", "--resume", "--steps", "2", *common)
    assert resumed.returncode == 0, resumed.stderr
    straight = tinygan("train", "--dataset", "mnist-5k", "--model", "dcgan", "--spectral-norm",
                       "--steps", "2", *sizes, "--out", tmp_path / "straight")
    assert straight.returncode == 0, straight.stderr
    a, b = tg.load(run / "checkpoint.npz"), tg.load(tmp_path / "straight" / "checkpoint.npz")
    assert a["step"] == b["step"] == 2 and "discriminator/net.2.weight_u" in discriminator
    for part in ("generator", "discriminator"):
        assert set(a[part]) == set(b[part])
        for name in a[part]:
            np.testing.assert_array_equal(a[part][name], b[part][name])
    bad = tinygan("train", "--dataset", "mnist-5k", "--spectral-norm", "--out", tmp_path / "bad")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "spectral_norm is built into the DCGAN's discriminator (model dcgan), not into " \
           "mnist_2014" in bad.stderr and not (tmp_path / "bad").exists()


def test_stabiliser_switches_reach_the_run_and_resume_checks_them(tmp_path):
    """--feature-matching, --minibatch-kernels/--minibatch-kernel-dim and --d-batch-norm are
    saved in config.json, train, and a resume that contradicts them is refused."""
    out = tmp_path / "run"
    result = tinygan("train", "--dataset", "ring", "--steps", "3", "--batch-size", "32",
                     "--feature-matching", "--minibatch-kernels", "4", "--minibatch-kernel-dim",
                     "3", "--d-batch-norm", "virtual", "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    config = json.loads((out / "config.json").read_text())
    assert (config["feature_matching"], config["minibatch_kernels"], config["minibatch_kernel_dim"],
            config["d_batch_norm"]) == (True, 4, 3, "virtual")
    clash = tinygan("train", "--dataset", "ring", "--out", out, "--resume", "--d-batch-norm",
                    "reference")
    assert clash.returncode == 2 and "--d-batch-norm reference (the run has virtual)" in clash.stderr
    assert tinygan("train", "--dataset", "ring", "--d-batch-norm", "batch").returncode == 2


def test_network_switches_reach_the_configuration(tmp_path):
    """--noise, --noise-dim and the MLPs' widths and depths are fields of config.json; a
    value no network can take is refused in one line before anything is written."""
    run = tmp_path / "small"
    result = tinygan("train", "--dataset", "ring", "--steps", "2", "--noise", "uniform",
                     "--noise-dim", "3", "--g-hidden", "16", "--g-depth", "1", "--d-hidden", "12",
                     "--d-depth", "2", "--out", run, "--quiet")
    assert result.returncode == 0, result.stderr
    config = json.loads((run / "config.json").read_text())
    assert [config[f] for f in ("noise", "noise_dim", "g_hidden", "g_depth", "d_hidden",
                                "d_depth")] == ["uniform", 3, 16, 1, 12, 2]
    bad = tinygan("train", "--dataset", "ring", "--d-depth", "0", "--out", tmp_path / "bad")
    assert bad.returncode == 2 and "d_depth must be ≥ 1, got 0" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "bad").exists()
