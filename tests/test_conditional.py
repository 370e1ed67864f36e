"""The conditional GAN (tinygan.gan.conditional): pair rows, the paper's architecture, the
sampler's labels, label-conditioned sampling, and the per-digit accuracy."""
import json

import numpy as np
import pytest

import tinygan as tg
from tinygan import backend, latent, nn
from tinygan.gan import ConfigError, build
from tinygan.gan.conditional import (ConditionalDiscriminator, ConditionalGenerator, PairSampler,
                                     images_and_labels, one_hot, pairs)
from tinygan.data.loader import EpochSampler

from test_cli import tinygan                  # the command, run in a subprocess

needs_backend = pytest.mark.usefixtures("on_backend")


@needs_backend
def test_pairs_round_trip_and_one_hot():
    labels = np.array([3, 0, 9, 3])
    images = np.random.default_rng(0).random((4, 784)).astype(np.float32)
    rows = backend.to_numpy(pairs(images, labels))
    assert rows.shape == (4, 794) and rows.dtype == np.float32
    np.testing.assert_array_equal(rows[:, 784:].sum(axis=1), 1)
    np.testing.assert_array_equal(backend.to_numpy(one_hot(labels)).argmax(axis=1), labels)
    back, read = images_and_labels(rows)
    np.testing.assert_array_equal(back, images)
    np.testing.assert_array_equal(read, labels)
    assert images_and_labels(images)[1] is None
    with pytest.raises(ValueError, match="neither images"):
        images_and_labels(rows[:, :790])


@needs_backend
def test_the_papers_architecture_and_label_conditioned_samples():
    """Mirza & Osindero §4.1: G's z → 200 and y → 1000 ReLU, joined 1200 → 784 sigmoid;
    D's x → maxout 240 × 5 and y → maxout 50 × 5, joined maxout 240 × 4 → 1 logit."""
    G, D = ConditionalGenerator(), ConditionalDiscriminator()
    shapes = {name: tuple(p.shape) for name, p in G.named_parameters()}
    assert shapes["z_branch.0.weight"] == (100, 200) and shapes["y_branch.0.weight"] == (10, 1000)
    assert (1200, 1200) in shapes.values() and (1200, 784) in shapes.values()
    d_shapes = {name: tuple(p.shape) for name, p in D.named_parameters()}
    assert d_shapes["x_branch.1.weight"] == (784, 240 * 5)
    assert d_shapes["y_branch.weight"] == (10, 50 * 5)
    assert (290, 240 * 4) in d_shapes.values() and (240, 1) in d_shapes.values()
    rows = G.sample(8, label=7)
    images, labels = images_and_labels(backend.to_numpy(rows.data))
    assert rows.shape == (8, 794) and (labels == 7).all()
    assert images.min() >= 0 and images.max() <= 1
    assert D(rows).shape == (8, 1)
    mixed = images_and_labels(backend.to_numpy(G.sample(400).data))[1]
    assert set(mixed.tolist()) == set(range(10))      # uniform labels: P(a digit missing) < 1e-17


@needs_backend
def test_gradients_reach_both_branches_and_d_depends_on_the_label():
    tg.manual_seed(1)
    G, D = ConditionalGenerator(), ConditionalDiscriminator()
    D.eval()                                            # no dropout: a deterministic D
    rows = G.sample(16)
    D(rows).sum().backward()
    for model in (G, D):
        for name, parameter in model.named_parameters():
            assert parameter.grad is not None and float(abs(parameter.grad).sum().item()) > 0, name
    data = backend.to_numpy(rows.data).copy()
    relabelled = data.copy()
    relabelled[:, 784:] = np.roll(relabelled[:, 784:], 1, axis=1)
    with tg.no_grad():
        a, b = (backend.to_numpy(D(tg.tensor(x)).data) for x in (data, relabelled))
    assert np.abs(a - b).max() > 1e-6


@needs_backend
def test_the_pair_sampler_keeps_each_image_with_its_label():
    rng = np.random.default_rng(2)
    images = rng.random((50, 784)).astype(np.float32)
    labels = rng.integers(0, 10, size=50)
    paired, plain = PairSampler(images, labels, 10, seed=4), EpochSampler(images, 10, seed=4)
    for step in (0, 4, 5, 13):                          # across epochs: a new shuffle each
        rows = backend.to_numpy(paired.batch(step).data)
        np.testing.assert_array_equal(rows[:, :784], backend.to_numpy(plain.batch(step).data))
        order = backend.to_numpy(paired.rows(step))
        np.testing.assert_array_equal(rows[:, 784:].argmax(axis=1), labels[order])


def test_sampling_is_in_evaluation_mode_and_restores_training_mode():
    """G's dropout is off while sampling, so the same seed gives the same digits, and G is
    back in training mode afterwards."""
    trainer = build("mnist-5k", model="cgan", steps=1).trainer
    assert trainer.generator.training
    a, b = trainer.sample(20, seed=3), trainer.sample(20, seed=3)
    np.testing.assert_array_equal(a, b)
    assert trainer.generator.training
    trainer.generator.eval()
    with tg.no_grad():
        tg.manual_seed(backend.stream_seed(3, "sampling"))
        c = backend.to_numpy(trainer.generator.sample(20).data)
    np.testing.assert_allclose(a, c, rtol=1e-6)


def test_conditional_accuracy_counts_per_digit(monkeypatch):
    """A judge stub that reads every image as 4, except label-2 images half right."""
    from tinygan.metrics import classifier as judge
    experiment = build("mnist-5k", model="cgan", steps=1)
    labels = np.repeat(np.arange(10), 4)
    images = np.zeros((40, 784), dtype=np.float32)

    def outputs(model, x):
        read = np.full(len(x), 4)
        read[np.flatnonzero(labels == 2)[:2]] = 2
        return None, np.eye(10)[read]
    monkeypatch.setattr(judge, "load_or_train_classifier", lambda *a, **k: (None, {}))
    monkeypatch.setattr(judge, "classifier_outputs", outputs)
    result = experiment.data.conditional_accuracy(images, labels)
    assert result["per_digit"]["4"] == 1.0 and result["per_digit"]["2"] == 0.5
    assert result["per_digit"]["0"] == 0.0 and result["worst"] == 0.0
    assert result["mean"] == pytest.approx(0.15)


def test_configuration_refuses_what_the_cgan_cannot_do():
    with pytest.raises(ConfigError, match="cgan model is for MNIST"):
        build("ring", model="cgan")
    with pytest.raises(ConfigError, match="takes no --pack"):
        build("mnist-5k", model="cgan", pack=2)


def test_command_line_trains_and_samples_one_digit(tmp_path):
    """--model cgan takes the paper's settings; sample --label 7 draws only sevens (pairs);
    --label without a cGAN, or outside 0–9, is one line and exit 2."""
    run = tmp_path / "cgan"
    result = tinygan("train", "--dataset", "mnist-5k", "--model", "cgan", "--steps", "3",
                     "--out", run, "--quiet")
    assert result.returncode == 0, result.stderr
    config = json.loads((run / "config.json").read_text())
    assert (config["model"], config["lr_d"], config["lr_decay"], config["batch_size"],
            config["final_momentum"]) == ("cgan", 0.1, 1.00004, 100, 0.7)
    assert "conditional accuracy" in result.stdout
    sevens = tmp_path / "sevens.npy"
    drawn = tinygan("sample", "--checkpoint", run / "checkpoint.npz", "--label", "7", "--n", "30",
                    "--out", sevens)
    assert drawn.returncode == 0, drawn.stderr
    rows = np.load(sevens)
    assert rows.shape == (30, 794) and (images_and_labels(rows)[1] == 7).all()
    figure = tmp_path / "sevens.png"
    assert tinygan("sample", "--checkpoint", run / "checkpoint.npz", "--label", "7",
                   "--out", figure).returncode == 0 and figure.stat().st_size > 1000
    wrong = tinygan("sample", "--checkpoint", run / "checkpoint.npz", "--label", "12",
                    "--out", tmp_path / "x.npy")
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1 and "0 to 9" in wrong.stderr
    plain = tmp_path / "plain"
    assert tinygan("train", "--dataset", "gaussian1d", "--steps", "2", "--out", plain,
                   "--quiet").returncode == 0
    refused = tinygan("sample", "--checkpoint", plain / "checkpoint.npz", "--label", "3",
                      "--out", tmp_path / "y.npy")
    assert refused.returncode == 2 and "--model cgan" in refused.stderr
    assert not (tmp_path / "x.npy").exists() and not (tmp_path / "y.npy").exists()
    strip = tmp_path / "strip.png"
    walked = tinygan("sample", "--checkpoint", run / "checkpoint.npz", "--interpolate", "3",
                     "--slerp", "--out", strip)
    assert walked.returncode == 0 and strip.stat().st_size > 1000, walked.stderr
    assert "digits 0, 1, 2, one per row" in walked.stdout


def test_a_conditional_interpolation_holds_each_rows_label():
    """latent.interpolations with a condition: row r's images are G(z_r(t), y_r) — the same
    as calling G on the path and that row's one-hot label repeated (checked to float32
    rounding); a condition with the wrong number of rows is refused."""
    tg.manual_seed(0)
    G = ConditionalGenerator()
    labels = one_hot([3, 8])
    tg.manual_seed(1)
    images = latent.interpolations(G, rows=2, steps=4, condition=labels).numpy()
    tg.manual_seed(1)
    z0, z1 = G.sample_noise(2), G.sample_noise(2)
    path = latent.slerp(z0, z1, 4).reshape(8, -1)
    with tg.no_grad(), nn.utils.evaluating(G):
        expected = G(path, tg.tensor(np.repeat(labels, 4, axis=0))).numpy()
    np.testing.assert_allclose(images, expected, rtol=1e-6, atol=1e-7)
    with tg.no_grad(), nn.utils.evaluating(G):     # the label matters: another digit differs
        other = G(path, tg.tensor(np.repeat(one_hot([4, 8]), 4, axis=0))).numpy()
    assert np.abs(other[:4] - images[:4]).max() > 1e-3
    np.testing.assert_allclose(other[4:], images[4:], rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="one row per path"):
        latent.interpolations(G, rows=2, steps=4, condition=one_hot([3]))


def test_noise_scale_reaches_a_conditional_generator_and_interpolation_endpoints():
    """ConditionalGenerator.sample(m, label, noise_scale=s) is G(s·z, y) for the same draw of
    z, and latent.interpolations(noise_scale=s) walks between s-scaled endpoints."""
    tg.manual_seed(0)
    G = ConditionalGenerator()
    tg.manual_seed(5)
    scaled = G.sample(6, label=7, noise_scale=0.5).numpy()
    tg.manual_seed(5)
    z = G.sample_noise(6).numpy() * np.float32(0.5)
    expected = G(tg.tensor(z), tg.tensor(backend.to_numpy(one_hot([7] * 6)))).numpy()
    np.testing.assert_allclose(scaled[:, :784], expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(scaled[:, 784:].argmax(axis=1), 7)
    tg.manual_seed(2)
    path = latent.interpolations(G, rows=2, steps=3, spherical=False, condition=one_hot([1, 2]),
                                 noise_scale=2.0).numpy()
    tg.manual_seed(2)
    z0, z1 = (G.sample_noise(2).numpy() * 2 for _ in range(2))
    with tg.no_grad(), nn.utils.evaluating(G):                 # the endpoints: t = 0 and t = 1
        ends = G(tg.tensor(np.concatenate([z0, z1])),
                 tg.tensor(backend.to_numpy(one_hot([1, 2, 1, 2])))).numpy()
    np.testing.assert_allclose(path[[0, 3, 2, 5]], ends, rtol=1e-5, atol=1e-6)
