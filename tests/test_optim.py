"""One optimizer step equals the published update computed by hand, in float64, to 1e-12."""
import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygan as tg
from tinygan import backend, nn, optim

pytestmark = pytest.mark.usefixtures("on_backend")


def _parameter(values):
    return nn.Parameter(tg.tensor(np.asarray(values, dtype=np.float64)).data)


def _set_grad(p, values):
    p.grad = tg.tensor(np.asarray(values, dtype=np.float64))


theta0 = np.array([0.5, -1.0, 2.0])
grads = [np.array([0.1, -0.3, 0.7]), np.array([-0.2, 0.4, 0.05]), np.array([0.3, 0.3, -0.1])]


@pytest.fixture(params=[1, 3], ids=["one-thread", "split-in-3"])
def threads(request, monkeypatch):
    """Run the optimizers' updates whole, or split into 3 slices on 3 threads however
    small the arrays (the split's size threshold lowered to 1 element)."""
    monkeypatch.setattr(backend, "SPLIT_MIN_SIZE", 1)
    monkeypatch.setitem(backend._pool, "threads", request.param)
    return request.param


@pytest.mark.parametrize("momentum, nesterov, weight_decay",
                         [(0.0, False, 0.0), (0.9, False, 0.0), (0.9, True, 0.0), (0.5, False, 0.01)])
def test_sgd_matches_the_formula(momentum, nesterov, weight_decay, threads):
    p = _parameter(theta0)
    opt = optim.SGD([p], lr=0.1, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay)
    theta, v = theta0.copy(), None
    for g in grads:
        _set_grad(p, g)
        opt.step()
        g = g + weight_decay * theta
        v = g.copy() if v is None else momentum * v + g
        d = (g + momentum * v if nesterov else v) if momentum else g
        theta = theta - 0.1 * d
        np.testing.assert_allclose(p.numpy(), theta, rtol=0, atol=1e-12)


def test_adam_matches_the_formula(threads):
    p = _parameter(theta0)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    opt = optim.Adam([p], lr=lr, betas=(b1, b2), eps=eps)
    theta, m, v = theta0.copy(), 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        _set_grad(p, g)
        opt.step()
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        np.testing.assert_allclose(p.numpy(), theta, rtol=0, atol=1e-12)


def test_param_groups_take_their_own_learning_rates():
    a, b = _parameter([1.0]), _parameter([1.0])
    opt = optim.SGD([{"params": [a], "lr": 0.5}, {"params": [b]}], lr=0.1)
    _set_grad(a, [1.0])
    _set_grad(b, [1.0])
    opt.step()
    np.testing.assert_allclose([a.item(), b.item()], [0.5, 0.9], atol=1e-15)
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    with pytest.raises(ValueError, match="unknown optimizer settings"):
        optim.SGD([{"params": [a], "learning_rate": 0.5}], lr=0.1)


def test_paper_schedules():
    """η_t = max(0.1 / 1.000004ᵗ, 1e-6) and momentum 0.5 → 0.7 linearly, then held."""
    p = _parameter([0.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.5)
    decay = optim.ExponentialDecay(opt, initial=0.1, factor=1.000004, floor=1e-6)
    ramp = optim.LinearRamp(opt, start=0.5, end=0.7, steps=100)
    for _ in range(50):
        decay.step()
        ramp.step()
    assert abs(opt.param_groups[0]["lr"] - 0.1 / 1.000004 ** 50) < 1e-15
    assert abs(opt.param_groups[0]["momentum"] - 0.6) < 1e-15
    for _ in range(100):
        ramp.step()
    assert opt.param_groups[0]["momentum"] == 0.7
    assert optim.ExponentialDecay(opt, initial=0.1, factor=2.0, floor=1e-6).value(100) == 1e-6
    decay.load_state_dict({"t": 10})
    assert abs(opt.param_groups[0]["lr"] - 0.1 / 1.000004 ** 10) < 1e-15
    huge = optim.ExponentialDecay(opt, initial=0.1, factor=10.0, floor=1e-6)
    assert huge.value(400) == huge.value(10**9) == 1e-6      # 10⁴⁰⁰ is beyond a float
    below = optim.ExponentialDecay(opt, initial=1e-7, factor=1.5, floor=1e-6)
    assert below.value(0) == below.value(50) == 1e-7          # the floor never raises a rate


def test_the_decay_reaches_its_floor_in_training_without_overflow():
    """lr_decay = 10 passes 10³⁰⁸ at step 309: the rates sit at the floor to the end, and a
    rate typed below the floor is kept as typed (recorded and used alike)."""
    from tinygan import gan
    trainer = gan.build("ring", steps=320, lr_decay=10.0, lr_g=1e-7, g_hidden=8, d_hidden=8,
                        g_depth=1, d_depth=1, batch_size=16, ema=0.0, log_every=10**6).trainer
    trainer.fit()
    assert trainer.step == 320
    assert trainer.g_optimizer.param_groups[0]["lr"] == 1e-7
    assert trainer.d_optimizer.param_groups[0]["lr"] == 1e-6


# ----- the updates split across threads (backend.split_elementwise) ----------------------
def _add_scaled(out, a, b, work, scale):
    """An in-place elementwise kernel with a None-able input and a work buffer, as the
    optimizers' are."""
    if b is not None:
        out += b
    np.multiply(a, scale, out=work)
    out += work


@contextlib.contextmanager
def _forgotten_work_buffers():
    """Every thread's reused work buffers forgotten inside the block, restored after it."""
    saved = dict(backend._pool["scratch"])
    backend._pool["scratch"].clear()
    try:
        yield
    finally:
        backend._pool["scratch"].clear()
        backend._pool["scratch"].update(saved)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 200), threads=st.integers(1, 7), block=st.integers(1, 9),
       with_b=st.booleans())
def test_split_elementwise_equals_one_call_bit_for_bit(size, threads, block, with_b):
    rng = np.random.default_rng(size)
    a, b = rng.standard_normal((2, size)).astype(np.float32)
    whole, split = rng.standard_normal((2, size)).astype(np.float32)
    split[...] = whole
    saved = backend.SPLIT_MIN_SIZE, backend.SPLIT_BLOCK
    try:
        backend.SPLIT_MIN_SIZE, backend.SPLIT_BLOCK = 1, block
        with _forgotten_work_buffers():
            backend.split_elementwise(_add_scaled, (split, a, b if with_b else None), (0.3,),
                                      threads=threads, scratch=1)
    finally:
        backend.SPLIT_MIN_SIZE, backend.SPLIT_BLOCK = saved
    _add_scaled(whole, a, b if with_b else None, np.empty_like(whole), 0.3)
    assert np.array_equal(whole, split)


def test_split_elementwise_without_work_buffers_on_threads_that_never_had_any():
    """``scratch=0`` (the EMA's update) on threads that never ran a kernel with work buffers
    gets an empty list. The GPU machine's 16 pool threads met this first (a KeyError,
    .ci/gpu); here every thread's buffers are forgotten, and the result is checked."""
    big = np.zeros(backend.SPLIT_MIN_SIZE * 2, np.float32)
    with _forgotten_work_buffers():
        backend.split_elementwise(lambda out, a: np.add(out, a, out=out), (big, np.ones_like(big)),
                                  threads=3)
    assert (big == 1).all()


def test_split_elementwise_runs_blocks_of_slices_on_other_threads_and_whole_when_it_cannot():
    """Two threads: each takes half the array in blocks of SPLIT_BLOCK elements (the last
    block the remainder), with its own reused work buffer; a non-contiguous view or an
    array under two blocks is one call with a whole-sized work buffer."""
    import threading
    seen = []

    def record(out, a, work):
        seen.append((threading.get_ident(), out.size, work.size, work.base))
        out += a

    block = backend.SPLIT_BLOCK
    big = np.zeros(backend.SPLIT_MIN_SIZE + 1, np.float32)
    backend.split_elementwise(record, (big, np.ones_like(big)), threads=2, scratch=1)
    assert (big == 1).all() and len({ident for ident, *_ in seen}) == 2
    for thread in {ident for ident, *_ in seen}:
        mine = [size for ident, size, *_ in seen if ident == thread]
        half = sum(mine)
        assert half in (big.size // 2, big.size - big.size // 2)
        assert mine == [block] * (half // block) + ([half % block] if half % block else [])
        assert len({id(base) for ident, _, _, base in seen if ident == thread}) == 1
    assert all(size == work for _, size, work, _ in seen)
    seen.clear()
    square = np.zeros((1024, 1024), np.float32)          # a transposed view is not contiguous
    backend.split_elementwise(record, (square.T, np.ones_like(square)), threads=2, scratch=1)
    small = np.zeros(2 * block - 1, np.float32)
    backend.split_elementwise(record, (small, np.ones_like(small)), threads=2, scratch=1)
    assert [(size, work) for _, size, work, _ in seen] == [(square.size, square.size),
                                                           (small.size, small.size)]
    assert (square == 1).all() and (small == 1).all()


@pytest.mark.parametrize("variables, expected", [({"OMP_NUM_THREADS": "3"}, 3),
                                                 ({"OPENBLAS_NUM_THREADS": "1"}, 1),
                                                 ({"OMP_NUM_THREADS": "x", "MKL_NUM_THREADS": "2"}, 2)])
def test_compute_threads_follow_the_blas_setting(monkeypatch, variables, expected):
    for name in backend.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setitem(backend._pool, "threads", None)
    assert backend.compute_threads() == expected


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1, momentum=0.5),
                                  lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
                                  lambda p: optim.Adam(p, lr=1e-3, betas=(0.5, 0.999))],
                         ids=["sgd-momentum", "sgd-nesterov", "adam"])
def test_a_parameter_above_the_split_size_trains_identically_on_two_threads(make, monkeypatch):
    """The paper's 1200 × 784 weight (940,800 floats, above SPLIT_MIN_SIZE): three steps on
    one thread and split over two give the same bits."""
    rng = np.random.default_rng(0)
    start = rng.standard_normal((1200, 784)).astype(np.float32)
    steps = rng.standard_normal((3, 1200, 784)).astype(np.float32)
    results = []
    for count in (1, 2):
        monkeypatch.setitem(backend._pool, "threads", count)
        p = nn.Parameter(tg.tensor(start.copy()).data)
        opt = make([p])
        for g in steps:
            p.grad = tg.tensor(g)
            opt.step()
        results.append(p.numpy().copy())
    assert not np.array_equal(results[0], start) and np.array_equal(*results)
