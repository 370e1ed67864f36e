"""Toy distributions, the embedded MNIST sample, IDX files, and minibatches."""
import gzip
import math

import numpy as np
import pytest

import tinygan as tg
from tinygan import data
from tinygan.theory import jsd_densities

from idx_files import write_idx


@pytest.mark.usefixtures("on_backend")
def test_ring_and_grid_follow_the_reference_geometry():
    ring = data.ring()
    assert ring.components == 8 and ring.stds == [0.02] * 8
    np.testing.assert_allclose(np.hypot(*np.array(ring.means).T), 2.0)
    np.testing.assert_allclose(np.array(ring.means)[2], [0.0, 2.0], atol=1e-12)   # angle 2π·2/8
    grid = data.grid()
    assert sorted({m[0] for m in grid.means}) == [-4.0, -2.0, 0.0, 2.0, 4.0] and grid.stds[0] == 0.05
    tg.manual_seed(0)
    samples = tg.tensor(ring.sample(20000)).numpy()
    nearest = np.sqrt(((samples[:, None] - np.array(ring.means)) ** 2).sum(-1)).min(1)
    # for a 2-D isotropic Gaussian, E‖x − μ‖ = σ√(π/2)
    assert abs(nearest.mean() - 0.02 * math.sqrt(math.pi / 2)) < 5e-4


@pytest.mark.usefixtures("on_backend")
def test_densities_integrate_to_one_and_match_the_sampler():
    x = np.linspace(-7, 7, 1401)                    # ±2 ± 10σ: the tails are below 1e-20
    density = tg.tensor(data.mixture1d().density(x)).numpy()
    assert abs(np.trapezoid(density, x) - 1) < 1e-6
    axis = np.linspace(-6, 6, 1201)
    X, Y = np.meshgrid(axis, axis, indexing="ij")
    grid_density = tg.tensor(data.grid(std=0.2).density(np.c_[X.ravel(), Y.ravel()])).numpy()
    assert abs(np.trapezoid(np.trapezoid(grid_density.reshape(X.shape), axis), axis) - 1) < 1e-4
    tg.manual_seed(1)
    samples = tg.tensor(data.mixture1d().sample(200_000)).numpy()[:, 0]
    counts, edges = np.histogram(samples, bins=80, range=(-4, 4), density=True)
    centres = (edges[1:] + edges[:-1]) / 2
    assert jsd_densities(counts, tg.tensor(data.mixture1d().density(centres)).numpy(), centres) < 2e-3


def test_bad_mixtures_are_refused():
    with pytest.raises(ValueError, match="sum to 1"):
        data.GaussianMixture("x", [[0.0], [1.0]], [1.0, 1.0], [0.7, 0.7])
    with pytest.raises(ValueError, match="positive"):
        data.ring(std=0.0)
    with pytest.raises(ValueError, match="unknown toy data set"):
        data.make_toy("moons")


def test_embedded_mnist_is_split_and_scaled():
    mnist = data.load_embedded_mnist()
    assert mnist.train.shape == (4000, 784) and mnist.valid.shape == (500, 784)
    assert mnist.test.shape == (500, 784) and mnist.train.dtype == np.float32
    assert 0 <= mnist.train.min() and mnist.train.max() <= 1 and mnist.train.max() > 0.99
    assert set(np.unique(mnist.train_labels)) == set(range(10))
    again = data.load_embedded_mnist()
    np.testing.assert_array_equal(mnist.test, again.test)          # the split is fixed


def test_corrupt_embedded_file_names_the_file(tmp_path):
    bad = tmp_path / "mnist_5k.csv.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(data.DataError, match="mnist_5k.csv.gz is truncated or corrupt"):
        data.load_embedded_mnist(bad)
    with gzip.open(bad, "wt") as stream:
        stream.write("1,2,3\n4,5,6\n")
    with pytest.raises(data.DataError, match=r"has shape \(2, 3\)"):
        data.load_embedded_mnist(bad)


def _write_idx(folder, compress=False):
    return write_idx(folder, n_train=12, n_test=5, compress=compress)


@pytest.mark.parametrize("compress", [False, True])
def test_idx_files_load(tmp_path, compress):
    _write_idx(tmp_path, compress=compress)
    mnist = data.load_idx_mnist(tmp_path)
    assert mnist.train.shape == (11, 784) and mnist.valid.shape == (1, 784)
    assert mnist.test.shape == (5, 784) and mnist.test_labels.shape == (5,)
    assert mnist.train.max() <= 1.0


def test_idx_problems_name_the_file(tmp_path):
    with pytest.raises(data.DataError, match="does not exist"):
        data.load_idx_mnist(tmp_path / "nowhere")
    with pytest.raises(data.DataError, match="has no train-images-idx3-ubyte.*Put the four"):
        data.load_idx_mnist(tmp_path)
    _write_idx(tmp_path)
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(data.DataError, match="t10k-images-idx3-ubyte is truncated or corrupt"):
        data.load_idx_mnist(tmp_path)
    path.write_bytes(b"\x00\x00\x08\x01" + b"\x00" * 20)
    with pytest.raises(data.DataError, match="wrong magic number"):
        data.load_idx_mnist(tmp_path)


def test_tinygan_data_environment_variable(tmp_path, monkeypatch):
    _write_idx(tmp_path)
    monkeypatch.setenv("TINYGAN_DATA", str(tmp_path))
    assert data.load_mnist().source.startswith("IDX files")


@pytest.mark.usefixtures("on_backend")
def test_epoch_sampler_visits_every_row_once_per_epoch_and_is_resumable():
    rows = np.arange(40, dtype=np.float32).reshape(20, 2)
    sampler = data.EpochSampler(rows, batch_size=5, seed=3)
    epoch = np.concatenate([sampler.batch(step).numpy() for step in range(4)])
    assert sorted(epoch[:, 0].tolist()) == rows[:, 0].tolist()
    fresh = data.EpochSampler(rows, batch_size=5, seed=3)
    np.testing.assert_array_equal(fresh.batch(6).numpy(), sampler.batch(6).numpy())
    assert not np.array_equal(sampler.batch(4).numpy(), sampler.batch(0).numpy())
    with pytest.raises(ValueError, match="exceeds"):
        data.EpochSampler(rows, batch_size=50)
