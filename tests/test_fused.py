"""The fused GPU kernels (tinygan/fused.py) against the NumPy formulations they replace.

Every kernel runs on CuPy arrays and is compared with the same op computed with fusion off
(the multi-kernel CuPy path, which is the NumPy formulation on the GPU). Selections
(maxout's routing, dropout's mask) must agree exactly; transcendental chains within a few
float32 ulps (CUDA's tanh/log1p and fused multiply-adds round differently from the
unfused chain: 4e-7 relative is about 3 ulps). Without a GPU these skip, and the CPU test
below checks that fusion never touches NumPy arrays.
"""
import shutil
import subprocess

import numpy as np
import pytest

import tinygan
from tinygan import backend, fused, nn, optim
from tinygan.ops.activations import leaky_relu, sigmoid_array, softplus_array
from tinygan.ops.layers import bce_with_logits, masked_scale, maxout

from conftest import _skip_reason

RTOL, ATOL = 4e-7, 1e-7


@pytest.fixture
def cupy():
    reason = _skip_reason("cupy")
    if reason:
        pytest.skip(reason)
    with backend.using("cupy") as module:
        old = fused.set_enabled(True)
        yield module
        fused.set_enabled(old)


def both(function, *args):
    """function(*args) with fusion on and off, as host arrays."""
    on = backend.to_numpy(function(*args))
    old = fused.set_enabled(False)
    try:
        off = backend.to_numpy(function(*args))
    finally:
        fused.set_enabled(old)
    return on, off


def logits(host_rng, cupy, shape=(64, 33)):
    x = host_rng.standard_normal(shape).astype(np.float32) * 8
    x.flat[:4] = [0.0, 1e4, -1e4, 40.0]               # exact zero and the extreme ends
    return cupy.asarray(x)


def test_fusion_leaves_numpy_arrays_alone(host_rng):
    x = host_rng.standard_normal((3, 4)).astype(np.float32)
    assert fused.sigmoid(x) is None and fused.softplus(x) is None
    assert fused.bce_with_logits(x, 1.0) is None
    assert fused.maxout(x, 2) is None and fused.leaky_slope(x, 0.2) is None
    assert fused.maxout_backward(x[:, :2], x[:, :2], x, 2) is None
    assert not fused.sgd_momentum_(x, {}, x, 0.5, 0.1)


@pytest.mark.parametrize("function", [sigmoid_array, softplus_array])
def test_activation_kernels(cupy, host_rng, function):
    on, off = both(function, logits(host_rng, cupy))
    np.testing.assert_allclose(on, off, rtol=RTOL, atol=ATOL)
    assert np.isfinite(on).all()


@pytest.mark.parametrize("targets", ["scalar", "array"])
def test_bce_forward_and_gradient(cupy, host_rng, targets):
    x = logits(host_rng, cupy)
    t = 0.9 if targets == "scalar" else cupy.asarray(host_rng.random(x.shape), dtype=cupy.float32)
    on, off = both(lambda: bce_with_logits(x, targets=t).data)
    np.testing.assert_allclose(on, off, rtol=RTOL, atol=1e-5)   # |loss| up to 1e4: 1e-5 ≈ ulp

    def grad():
        leaf = tinygan.Tensor(x, requires_grad=True)
        bce_with_logits(leaf, targets=t).sum().backward()
        return leaf.grad.data
    on, off = both(grad)
    np.testing.assert_allclose(on, off, rtol=RTOL, atol=ATOL)


def test_leaky_relu_kernel_is_exact(cupy, host_rng):
    x = logits(host_rng, cupy)
    x[0, 4:8] = cupy.asarray([np.nan, np.inf, -np.inf, -0.0], dtype=cupy.float32)
    on, off = both(lambda: leaky_relu(x, 0.2).data)
    np.testing.assert_array_equal(on, off)

    def grad():
        leaf = tinygan.Tensor(x, requires_grad=True)
        leaky_relu(leaf, 0.2).sum().backward()
        return leaf.grad.data
    on, off = both(grad)
    np.testing.assert_array_equal(on, off)
    # NaN gets the slope s, as in PyTorch; +inf 1, −inf s
    assert on[0, 4] == np.float32(0.2) and on[0, 5] == 1 and on[0, 6] == np.float32(0.2)


def test_dropout_mask_kernel_is_exact(cupy, host_rng):
    x = logits(host_rng, cupy)
    keep = cupy.asarray(host_rng.random(x.shape) < 0.5)
    on, off = both(lambda: masked_scale(x, keep=keep, scale=2.0).data)
    np.testing.assert_array_equal(on, off)


@pytest.mark.parametrize("pieces", [1, 2, 5])
def test_maxout_kernel_is_exact(cupy, host_rng, pieces):
    # a max selects: the kernel must return the same bits, NaN where any piece is NaN (as
    # ``maximum``), and work on a non-contiguous input (a column slice)
    wide = host_rng.standard_normal((40, 9 * pieces + 3)).astype(np.float32)
    wide[3, [0, 9 * (pieces - 1)]] = np.nan
    wide[5, 2] = np.inf
    x = cupy.asarray(wide)[:, :9 * pieces]
    on, off = both(lambda: maxout(x, pieces=pieces).data)
    np.testing.assert_array_equal(on, off)
    assert np.isnan(on[3, 0]) and on[5, 2] == np.inf


@pytest.mark.parametrize("pieces", [2, 5])
def test_maxout_backward_kernel_routes_like_numpy(cupy, host_rng, pieces):
    # small integers make ties common: the first winning piece must get the gradient
    x = cupy.asarray(host_rng.integers(-2, 3, size=(50, 7 * pieces)).astype(np.float32))
    g = cupy.asarray(host_rng.standard_normal((50, 7)).astype(np.float32))

    def grad():
        leaf = tinygan.Tensor(x, requires_grad=True)
        (maxout(leaf, pieces=pieces) * tinygan.Tensor(g)).sum().backward()
        return leaf.grad.data
    on, off = both(grad)
    np.testing.assert_array_equal(on, off)


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1, momentum=0.5),
                                  lambda p: optim.Adam(p, lr=1e-2, betas=(0.5, 0.9))],
                         ids=["sgd_momentum", "adam"])
def test_optimizer_kernels_follow_the_unfused_updates(cupy, make):
    def train():
        tinygan.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 1))
        optimizer = make(model.parameters())
        x = tinygan.randn(32, 6)
        for _ in range(5):
            optimizer.zero_grad()
            (model(x) ** 2).mean().backward()
            optimizer.step()
        return np.concatenate([backend.to_numpy(p.data).ravel() for p in model.parameters()])
    on, off = both(train)
    np.testing.assert_allclose(on, off, rtol=1e-5, atol=1e-6)   # 5 steps of ulp-level drift


def test_every_kernel_compiles_and_runs(cupy, host_rng):
    x = logits(host_rng, cupy, (8, 6))
    keep = x > 0
    state = {}
    sigmoid_array(x), softplus_array(x), bce_with_logits(x, targets=1.0)
    fused.bce_grad(x, x, 0.0), fused.masked_scale(x, keep, 2.0), fused.leaky_slope(x, 0.2)
    fused.maxout(x, 2), fused.maxout_backward(x[:, :3], x[:, :3], x, 2)
    fused.sgd_momentum_(x.copy(), state, x, 0.5, 0.1)
    fused.adam_(x.copy(), x * 0, x * 0, x, 0.5, 0.9, 1, 1e-3, 1e-8)
    assert fused.broken() == {}


_CTYPES = {"T": "float", "bool": "bool", "int32": "int"}


def _cuda_source(name, in_params, out_params, operation):
    """Kernel ``name`` as a CUDA function close to what ``cupy.ElementwiseKernel`` makes of
    it: element i of each plain parameter bound to a reference, raw parameters as pointers
    indexed flat (CuPy's raw indexing of a contiguous array), T = float."""
    arguments, bindings = [], []
    for declaration in (in_params + ", " + out_params).split(","):
        *qualifiers, kind, variable = declaration.split()
        ctype = _CTYPES[kind]
        if qualifiers == ["raw"]:
            arguments.append(f"const {ctype}* {variable}")
        else:
            arguments.append(f"{ctype}* {variable}_array")
            bindings.append(f"{ctype}& {variable} = {variable}_array[i];")
    return (f'extern "C" __global__ void tinygan_{name}({", ".join(arguments)}, long n) {{\n'
            "    typedef float T;\n"
            "    const long i = blockIdx.x * (long)blockDim.x + threadIdx.x;\n"
            "    if (i >= n) return;\n    " + "\n    ".join(bindings) + "\n"
            f"    {operation};\n}}\n")


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs nvcc (the CUDA compiler)")
def test_every_kernel_source_compiles_without_a_gpu(tmp_path):
    # the kernels are written where no GPU is: nvcc catches a typo in their CUDA source
    # before a GPU session spends device time on it (CuPy compiles them with NVRTC there)
    source = tmp_path / "fused.cu"
    source.write_text("".join(_cuda_source(name, *parts) for name, parts in fused._SOURCES.items()))
    compiled = subprocess.run(["nvcc", "-c", "-arch=sm_90", "-o", str(tmp_path / "fused.o"),
                               str(source)], capture_output=True, text=True, timeout=300)
    assert compiled.returncode == 0, compiled.stderr
