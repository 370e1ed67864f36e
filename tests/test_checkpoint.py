"""Checkpoints: exact round trips, bit-identical resume, and an error for every bad file."""
import os

import numpy as np
import pytest

import tinygan as tg
from tinygan import nn, optim
from tinygan.nn import functional as F


def _model():
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 1))


def _train(model, opt, x, y, start, stop, seed=5):
    for step in range(start, stop):
        tg.manual_seed((seed, step))          # per-step seed: resumable from (seed, step)
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(model(x), y).backward()
        opt.step()


def _data():
    rng = np.random.default_rng(0)
    return tg.tensor(rng.standard_normal((32, 4)).astype(np.float32)), \
        tg.tensor((rng.random((32, 1)) > 0.5).astype(np.float32))


def test_save_load_gives_identical_outputs(tmp_path, on_backend):
    tg.manual_seed(1)
    model = _model().eval()
    x, _ = _data()
    path = tg.save({"model": model.state_dict()}, tmp_path / "model.npz")
    tg.manual_seed(2)
    clone = _model().eval()
    clone.load_state_dict(tg.load(path)["model"])
    np.testing.assert_array_equal(clone(x).numpy(), model(x).numpy())


@pytest.mark.parametrize("make_optimizer", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam(ps, lr=1e-2)], ids=["sgd", "adam"])
def test_resumed_training_is_bit_identical(tmp_path, make_optimizer, on_backend):
    x, y = _data()
    tg.manual_seed(0)
    model = _model()
    opt = make_optimizer(model.parameters())
    _train(model, opt, x, y, 0, 20)
    uninterrupted = [p.numpy().copy() for p in model.parameters()]

    tg.manual_seed(0)
    model = _model()
    opt = make_optimizer(model.parameters())
    _train(model, opt, x, y, 0, 8)
    tg.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": 8},
            tmp_path / "ckpt.npz")
    del model, opt

    state = tg.load(tmp_path / "ckpt.npz")
    model = _model()
    opt = make_optimizer(model.parameters())
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    _train(model, opt, x, y, state["step"], 20)
    for resumed, reference in zip(model.parameters(), uninterrupted):
        np.testing.assert_array_equal(resumed.numpy(), reference)


def test_missing_file(tmp_path):
    with pytest.raises(tg.CheckpointError, match="does not exist"):
        tg.load(tmp_path / "nope.npz")
    (tmp_path / "loop.npz").symlink_to(tmp_path / "loop.npz")
    with pytest.raises(tg.CheckpointError, match="a link that leads nowhere"):
        tg.load(tmp_path / "loop.npz")
    (tmp_path / "run" / "checkpoint.npz").mkdir(parents=True)    # a folder of that name:
    with pytest.raises(tg.CheckpointError, match=r"checkpoint.npz is a folder, not a checkpoint "
                                                 r"file$"):          # no hint to look inside
        tg.load(tmp_path / "run" / "checkpoint.npz")
    tg.save({"step": 1}, tmp_path / "other" / "checkpoint.npz")
    with pytest.raises(tg.CheckpointError, match=r"other is a folder, not a checkpoint file "
                                                 r"\(try .*other/checkpoint.npz\)"):
        tg.load(tmp_path / "other")


def test_truncated_file(tmp_path):
    path = tg.save({"w": np.arange(1000.0)}, tmp_path / "c.npz")
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])
    with pytest.raises(tg.CheckpointError, match="truncated or corrupt"):
        tg.load(path)


def test_garbage_and_foreign_files(tmp_path):
    (tmp_path / "garbage.npz").write_bytes(b"not a zip at all")
    with pytest.raises(tg.CheckpointError, match="not an .npz archive"):
        tg.load(tmp_path / "garbage.npz")
    np.savez(tmp_path / "foreign.npz", weights=np.ones(3))
    with pytest.raises(tg.CheckpointError, match="not a tinygan checkpoint"):
        tg.load(tmp_path / "foreign.npz")


def test_pickled_object_arrays_are_refused(tmp_path):
    with pytest.raises(TypeError, match="cannot save"):
        tg.save({"obj": object()}, tmp_path / "x.npz")


def test_other_architecture_names_the_difference(tmp_path):
    path = tg.save({"model": _model().state_dict()}, tmp_path / "c.npz")
    other = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 1))
    with pytest.raises(nn.StateDictError, match=r"0.weight has shape \(4, 16\)"):
        other.load_state_dict(tg.load(path)["model"])


def test_interrupted_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tg.save({"step": 1, "w": np.ones(3)}, tmp_path / "c.npz")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        tg.save({"step": 2, "w": np.zeros(3)}, path)
    monkeypatch.undo()
    assert tg.load(path)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]      # no temporary left behind


@pytest.mark.parametrize("error, reason", [
    (OSError(28, "No space left on device"), "No space left on device"),
    (OSError("200000 requested and 49120 written"),          # NumPy's short write
     "200000 requested and 49120 written (a short write: is the disk full?)")])
def test_a_failed_write_names_the_file_and_keeps_the_previous_one(tmp_path, monkeypatch,
                                                                  error, reason):
    """An error while writing carries no file name of its own; the save names its path
    (the command line prints "PATH: reason"), and the previous checkpoint stays."""
    path = tg.save({"step": 1, "w": np.ones(3)}, tmp_path / "c.npz")

    def full(*args, **kwargs):
        raise error
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as raised:
        tg.save({"step": 2, "w": np.zeros(3)}, path)
    monkeypatch.undo()
    assert (raised.value.filename, raised.value.strerror) == (str(path), reason)
    assert tg.load(path)["step"] == 1 and [p.name for p in tmp_path.iterdir()] == ["c.npz"]


def test_nested_values_round_trip(tmp_path):
    state = {"a": {"b": [1, 2.5, "x", None], "c": np.eye(2, dtype=np.float32)}, "flag": True}
    back = tg.load(tg.save(state, tmp_path / "n.npz"))
    assert back["a"]["b"] == [1, 2.5, "x", None] and back["flag"] is True
    np.testing.assert_array_equal(back["a"]["c"], np.eye(2))
    assert back["a"]["c"].dtype == np.float32
