"""Convolutions, pooling and 2-D batch norm against a direct loop convolution in float64,
closed forms (a delta kernel shifts, an all-ones kernel sums boxes), the adjoint identity
⟨conv(x), y⟩ = ⟨x, conv_T(y)⟩, and PyTorch (forward and gradients, when installed).

Tolerances: everything here is float64; a convolution sums at most a few hundred
products of O(1) values, so its rounding error is ≲ 1e-13 — 1e-10 leaves a wide
margin and still fails any wrong index (errors of O(1)). The first-/second-order
gradient checks of every op live in the op table (tests/test_ops_gradcheck.py).
"""
import itertools

import numpy as np
import pytest

import tinygan as tg
import tinygan.nn.functional as F

pytestmark = pytest.mark.usefixtures("on_backend")

ATOL = 1e-10


def loop_conv2d(x, w, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """The definition, one output entry at a time (float64)."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    padded = np.zeros((n, c, h + 2 * padding[0], wd + 2 * padding[1]))
    padded[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + wd] = x
    ho = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((n, o, ho, wo))
    for b, k, i, j in itertools.product(range(n), range(o), range(ho), range(wo)):
        for ch, a, e in itertools.product(range(c), range(kh), range(kw)):
            y[b, k, i, j] += (padded[b, ch, i * stride[0] + a * dilation[0],
                                     j * stride[1] + e * dilation[1]] * w[k, ch, a, e])
    return y


def loop_conv_transpose2d(x, w, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                          dilation=(1, 1)):
    """Each input pixel scatters x · w into the output (float64 loops)."""
    n, c, h, wd = x.shape
    _, o, kh, kw = w.shape
    ho = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    wo = (wd - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    y = np.zeros((n, o, ho, wo))
    for b, ch, i, j, a, e in itertools.product(range(n), range(c), range(h), range(wd),
                                               range(kh), range(kw)):
        r = i * stride[0] + a * dilation[0] - padding[0]
        s = j * stride[1] + e * dilation[1] - padding[1]
        if 0 <= r < ho and 0 <= s < wo:
            y[b, :, r, s] += x[b, ch, i, j] * w[ch, :, a, e]
    return y


def t64(array, requires_grad=False):
    return tg.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


GEOMETRIES = [  # (x shape, kernel, stride, padding, dilation)
    ((2, 3, 6, 5), (2, 2), (1, 1), (0, 0), (1, 1)),
    ((1, 2, 7, 7), (3, 3), (2, 2), (1, 1), (1, 1)),
    ((2, 1, 8, 6), (4, 4), (2, 2), (1, 1), (1, 1)),       # the DCGAN geometry
    ((1, 2, 9, 8), (3, 2), (2, 3), (2, 1), (2, 1)),
    ((1, 2, 5, 5), (5, 5), (1, 1), (0, 0), (1, 1)),       # the kernel covers the image
    ((1, 2, 6, 5), (4, 4), (2, 2), (0, 0), (1, 1)),       # output_padding 1 > padding: no phases
]


@pytest.mark.parametrize("shape, kernel, stride, padding, dilation", GEOMETRIES)
def test_conv2d_matches_the_loop_definition(shape, kernel, stride, padding, dilation, host_rng):
    x = host_rng.normal(size=shape)
    w = host_rng.normal(size=(3, shape[1], *kernel))
    b = host_rng.normal(size=3)
    y = F.conv2d(t64(x), t64(w), t64(b), stride, padding, dilation)
    expected = loop_conv2d(x, w, stride, padding, dilation) + b.reshape(1, -1, 1, 1)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.numpy(), expected, rtol=0, atol=ATOL)


@pytest.mark.parametrize("shape, kernel, stride, padding, dilation", GEOMETRIES)
@pytest.mark.parametrize("output_padding", [0, 1])
@pytest.mark.parametrize("channels", [2, 32])       # 32: strided ones by phases (_phases)
def test_conv_transpose2d_matches_the_loop_definition(shape, kernel, stride, padding, dilation,
                                                      output_padding, channels, host_rng):
    extra = tuple(min(output_padding, max(s, d) - 1) for s, d in zip(stride, dilation))
    x = host_rng.normal(size=shape)
    w = host_rng.normal(size=(shape[1], channels, *kernel))
    y = F.conv_transpose2d(t64(x), t64(w), None, stride, padding, extra, 1, dilation)
    expected = loop_conv_transpose2d(x, w, stride, padding, extra, dilation)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.numpy(), expected, rtol=0, atol=ATOL)


@pytest.mark.parametrize("shape, kernel, stride, padding, dilation", GEOMETRIES)
def test_conv_transpose2d_is_the_adjoint_of_conv2d(shape, kernel, stride, padding, dilation,
                                                   host_rng):
    """⟨conv2d(x, w), y⟩ = ⟨x, conv_transpose2d(y, w)⟩ for every x, y (the definition of
    the transposed convolution), with output_padding chosen to give back x's size."""
    x = host_rng.normal(size=shape)
    w = host_rng.normal(size=(3, shape[1], *kernel))
    forward = F.conv2d(t64(x), t64(w), None, stride, padding, dilation)
    y = host_rng.normal(size=forward.shape)
    full = [(ny - 1) * s - 2 * p + d * (k - 1) + 1
            for ny, s, p, d, k in zip(y.shape[2:], stride, padding, dilation, kernel)]
    extra = tuple(n - m for n, m in zip(shape[2:], full))
    back = F.conv_transpose2d(t64(y), t64(w), None, stride, padding, extra, 1, dilation)
    assert back.shape == x.shape
    lhs, rhs = float((forward.numpy() * y).sum()), float((x * back.numpy()).sum())
    assert abs(lhs - rhs) < ATOL * max(1.0, abs(lhs))


@pytest.mark.parametrize("shape, kernel, stride, padding, dilation", GEOMETRIES)
@pytest.mark.parametrize("layout", ["NCHW", "channels-last"])
def test_conv2d_weight_and_bias_gradients_match_their_sums(shape, kernel, stride, padding,
                                                           dilation, layout, host_rng):
    """∂L/∂w[o, c, a, b] = Σ_{n,i,j} g[n, o, i, j] · x_padded[n, c, i·s + a·d, j·s + b·d]
    and ∂L/∂b[o] = Σ g[n, o, i, j], for a gradient in either memory layout (an NCHW one
    with few columns takes a product per sample; a channels-last one, one product)."""
    x = host_rng.normal(size=shape)
    w = t64(host_rng.normal(size=(3, shape[1], *kernel)), requires_grad=True)
    b = t64(host_rng.normal(size=3), requires_grad=True)
    y = F.conv2d(t64(x), w, b, stride, padding, dilation)
    g = host_rng.normal(size=y.shape)
    if layout == "channels-last":
        g = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    y.backward(tg.tensor(g))
    padded = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    (ho, wo), expected = y.shape[2:], np.zeros(w.shape)
    for a, e in itertools.product(range(kernel[0]), range(kernel[1])):
        window = padded[:, :, a * dilation[0]::stride[0], e * dilation[1]::stride[1]]
        expected[:, :, a, e] = np.einsum("noij,ncij->oc", g, window[:, :, :ho, :wo])
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=0, atol=ATOL)
    np.testing.assert_allclose(b.grad.numpy(), g.sum(axis=(0, 2, 3)), rtol=0, atol=ATOL)


@pytest.mark.parametrize("stride, padding, output_padding, dilation",
                         [((2, 2), (1, 1), (1, 1), (1, 1)), ((1, 2), (0, 1), (1, 0), (2, 1))])
def test_a_transposed_convolution_builds_its_gradients_im2col_once(
        stride, padding, output_padding, dilation, host_rng, monkeypatch):
    """Its first-order backward makes g's im2col matrix once: the input rule (conv2d(g, w))
    keeps it for the weight rule (conv2d_weight(g, x)), which needs the same matrix. The
    gradients equal the recorded pass's (which rebuilds it; float64, ATOL), and nothing is
    kept once g is gone."""
    from tinygan.ops import conv
    x = t64(host_rng.normal(size=(2, 3, 4, 5)), requires_grad=True)
    w = t64(host_rng.normal(size=(3, 2, 3, 2)), requires_grad=True)
    y = F.conv_transpose2d(x, w, None, stride, padding, output_padding, 1, dilation)
    r = t64(host_rng.normal(size=y.shape))
    recorded = tg.grad((y * r).sum(), [x, w], create_graph=True)
    calls, original = [], conv._im2col
    monkeypatch.setattr(conv, "_im2col", lambda *a: calls.append(a) or original(*a))
    (y * r).sum().backward()                  # g, the product rule's array, dies after use
    assert len(calls) == 1
    for leaf, expected in zip((x, w), recorded):
        np.testing.assert_allclose(leaf.grad.numpy(), expected.numpy(), rtol=0, atol=ATOL)
    assert not conv._PASSED


def test_values_passed_between_rules_stay_with_their_node(host_rng):
    """A sum hands one gradient array to both of its inputs. Where the first node's rule
    that would take a passed-on value does not run (its weight, or γ and β, frozen) and
    the second node's rule that would pass one does not run (its input constant), the
    second node must compute its own value, not take the first's: its gradients equal those
    of the same node alone (float64, ATOL). A transposed convolution of another geometry
    (its im2col matrix of g differs) and batch norm of another input (its Σ g·(x − μ))."""
    from tinygan.ops import conv

    def t(shape, grad=False):
        return t64(host_rng.normal(size=shape), requires_grad=grad)

    def alone(make, leaves, g):
        copies = [t64(leaf.numpy(), requires_grad=True) for leaf in leaves]
        make(*copies).backward(g)
        return [copy.grad.numpy() for copy in copies]

    x1, w1, x2, w2 = t((1, 2, 4, 4), True), t((2, 3, 3, 3)), t((1, 2, 4, 4)), t((2, 3, 3, 3), True)
    first = F.conv_transpose2d(x1, w1, None, 1, 1, 0, 1, 2)        # both (1, 3, 6, 6)
    second = F.conv_transpose2d(x2, w2, None, 1, 0, 0, 1, 1)
    g = t(first.shape)
    (first + second).backward(g)
    [want] = alone(lambda w: F.conv_transpose2d(x2, w, None, 1, 0, 0, 1, 1), [w2], g)
    np.testing.assert_allclose(w2.grad.numpy(), want, rtol=0, atol=ATOL)

    x1, x2 = t((4, 3, 2, 2), True), t((4, 3, 2, 2))
    gamma1, beta1, gamma2, beta2 = t(3), t(3), t(3, True), t(3, True)
    first = F.batch_norm(x1, None, None, gamma1, beta1, training=True)
    second = F.batch_norm(x2, None, None, gamma2, beta2, training=True)
    g = t(first.shape)
    (first + second).backward(g)
    wants = alone(lambda w, b: F.batch_norm(x2, None, None, w, b, training=True),
                  [gamma2, beta2], g)
    for leaf, want in zip((gamma2, beta2), wants):
        np.testing.assert_allclose(leaf.grad.numpy(), want, rtol=0, atol=ATOL)
    del g
    assert not conv._PASSED


def test_a_delta_kernel_is_a_shift(host_rng):
    """w = e_(a, b) (one channel): y[i, j] = x[i + a − p, j + b − p] (0 outside)."""
    x = host_rng.normal(size=(2, 1, 5, 6))
    w = np.zeros((1, 1, 3, 3))
    w[0, 0, 2, 0] = 1.0                 # a = 2, b = 0 with padding 1: y[i, j] = x[i + 1, j − 1]
    y = F.conv2d(t64(x), t64(w), padding=1).numpy()
    expected = np.zeros_like(x)
    expected[:, :, :-1, 1:] = x[:, :, 1:, :-1]
    np.testing.assert_array_equal(y, expected)


def test_an_all_ones_kernel_sums_boxes(host_rng):
    """w = 1 (k × k over C channels): y[i, j] = the box sum over all channels, computed
    here from a summed-area table; on x = 1 with padding 1 a 3×3 box holds 4 pixels in a
    corner, 6 on an edge and 9 inside."""
    x = host_rng.normal(size=(1, 2, 6, 7))
    y = F.conv2d(t64(x), t64(np.ones((1, 2, 3, 3)))).numpy()[0, 0]
    table = np.zeros((7, 8))
    table[1:, 1:] = x[0].sum(axis=0).cumsum(axis=0).cumsum(axis=1)
    boxes = table[3:, 3:] - table[:-3, 3:] - table[3:, :-3] + table[:-3, :-3]
    np.testing.assert_allclose(y, boxes, rtol=0, atol=ATOL)
    counts = F.conv2d(t64(np.ones((1, 1, 4, 4))), t64(np.ones((1, 1, 3, 3))), padding=1)
    np.testing.assert_array_equal(counts.numpy()[0, 0], [[4, 6, 6, 4], [6, 9, 9, 6],
                                                          [6, 9, 9, 6], [4, 6, 6, 4]])


def test_pooling_closed_forms():
    """On x[i, j] = 4i + j, 2×2 max pooling takes the bottom-right entry of each block and
    2×2 average pooling the block's centre value 4i + j + 2.5."""
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(F.max_pool2d(t64(x), 2).numpy()[0, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(F.avg_pool2d(t64(x), 2).numpy()[0, 0], [[2.5, 4.5],
                                                                          [10.5, 12.5]])


def test_max_pool_gradient_goes_to_the_maximum_and_adds_up_where_windows_overlap():
    x = t64([[[[0.0, 1.0, 0.0], [0.0, 5.0, 0.0], [2.0, 0.0, 3.0]]]], requires_grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()      # 5 wins in all four windows
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0, 0, 0], [0, 4, 0], [0, 0, 0]])


def test_batch_norm2d_training_statistics_and_running_estimates(host_rng):
    """Training output has per-channel mean 0 and variance 1; the running estimates move
    10% towards the batch mean and the unbiased batch variance (PyTorch's convention)."""
    from tinygan import backend
    x = host_rng.normal(3.0, 2.0, size=(4, 3, 5, 5))
    running_mean, running_var = backend.xp.zeros(3), backend.xp.ones(3)
    y = F.batch_norm2d(t64(x), running_mean, running_var, training=True).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-3)   # ε = 1e-5 / σ² ≈ 3e-6
    np.testing.assert_allclose(tg.tensor(running_mean).numpy(), 0.1 * x.mean(axis=(0, 2, 3)),
                               atol=1e-12)
    np.testing.assert_allclose(tg.tensor(running_var).numpy(),
                               0.9 + 0.1 * x.var(axis=(0, 2, 3), ddof=1), atol=1e-12)


def _laid_out(array, layout):
    """A float64 backend array with the values of ``array`` (N, C, H, W) in one of three
    memory layouts: NCHW, channels-last (a convolution's output) or strided (a view)."""
    from tinygan import backend
    xp, a = backend.xp, backend.asarray(np.asarray(array, dtype=np.float64))
    if layout == "channels-last":
        return xp.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    if layout == "strided":
        wide = xp.zeros(a.shape[:3] + (2 * a.shape[3],))
        wide[..., ::2] = a
        return wide[..., ::2]
    return a


@pytest.mark.parametrize("x_layout", ["nchw", "channels-last", "strided"])
@pytest.mark.parametrize("g_layout", ["nchw", "channels-last"])
def test_batch_norm_in_training_in_every_memory_layout(x_layout, g_layout, host_rng,
                                                        monkeypatch):
    """The fused op (its sums are matrix-vector products chosen by x's memory layout, its
    passes laid out like x or like g) against the closed form in float64: y = x̂γ + β,
    ∂L/∂x = γ/√(σ² + ε)·(g − mean(g) − x̂·mean(g·x̂)), ∂L/∂γ = Σ g·x̂, ∂L/∂β = Σ g; and the
    first-order pass on arrays equals the recorded one bit for bit, with the γ and β rules
    taking the sums the input rule made. atol 1e-10: the values are O(1) and float64 sums
    of 84 terms round at ~1e-15."""
    from tinygan.ops import conv
    taken, take = [], conv._taken
    monkeypatch.setattr(conv, "_taken",
                        lambda g, *a: taken.append(take(g, *a)) or taken[-1])
    x0, g0 = host_rng.normal(2.0, 3.0, size=(4, 3, 7, 5)), host_rng.normal(size=(4, 3, 7, 5))
    w0, b0 = host_rng.normal(size=3), host_rng.normal(size=3)
    axes, eps = (0, 2, 3), 1e-5
    mu, var = x0.mean(axis=axes, keepdims=True), x0.var(axis=axes, keepdims=True)
    xhat = (x0 - mu) / np.sqrt(var + eps)
    w, b = w0.reshape(1, 3, 1, 1), b0.reshape(1, 3, 1, 1)
    dx = w / np.sqrt(var + eps) * (g0 - g0.mean(axis=axes, keepdims=True)
                                   - xhat * (g0 * xhat).mean(axis=axes, keepdims=True))
    expected = [dx, (g0 * xhat).sum(axis=axes), g0.sum(axis=axes)]
    results = []
    for create_graph in (False, True):
        inputs = [tg.Tensor(_laid_out(x0, x_layout), requires_grad=True),
                  t64(w0, requires_grad=True), t64(b0, requires_grad=True)]
        y = F.batch_norm(inputs[0], None, None, inputs[1], inputs[2], training=True)
        np.testing.assert_allclose(y.numpy(), xhat * w + b, rtol=0, atol=1e-10)
        results.append(tg.grad(y, inputs, grad_outputs=tg.Tensor(_laid_out(g0, g_layout)),
                               create_graph=create_graph))
        for got, want in zip(results[-1], expected):
            np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-10)
    for plain, recorded in zip(*results):
        np.testing.assert_array_equal(plain.numpy(), recorded.numpy())
    assert [t is not None for t in taken] == [True, True, False, False] and not conv._PASSED


@pytest.mark.parametrize("layout", ["NCHW", "channels-last"])
def test_batch_norm_variance_keeps_float32_accuracy_over_a_million_values(layout, host_rng):
    """Σ(x − μ)² over 2²⁰ float32 values per channel, in either memory layout, within 1e-5
    of float64 (a well-ordered float32 sum is within about 1e-6; adding a million values
    into one float32 sum one by one, as a plain einsum over channels-last memory does, is
    1e-4 off): momentum 1 makes the running variance the batch's unbiased variance."""
    from tinygan import backend
    x = host_rng.uniform(0.5, 1.5, size=(64, 2, 128, 128)).astype(np.float32)
    xp, a = backend.xp, backend.asarray(x)
    if layout == "channels-last":
        a = xp.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    running_mean, running_var = xp.zeros(2), xp.ones(2)
    F.batch_norm(tg.tensor(a), running_mean, running_var, training=True, momentum=1.0)
    exact = x.astype(np.float64).var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(tg.tensor(running_var).numpy(), exact, rtol=1e-5)


def test_errors_name_the_problem():
    x = t64(np.zeros((1, 2, 5, 5)))
    with pytest.raises(ValueError, match="input has 2 channels"):
        F.conv2d(x, t64(np.zeros((1, 3, 3, 3))))
    with pytest.raises(ValueError, match="groups=1"):
        F.conv2d(x, t64(np.zeros((1, 2, 3, 3))), groups=2)
    with pytest.raises(ValueError, match="does not fit"):
        F.conv2d(x, t64(np.zeros((1, 2, 7, 7))))
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose2d(x, t64(np.zeros((2, 1, 3, 3))), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="stride must be at least 1"):
        F.conv2d(x, t64(np.zeros((1, 2, 3, 3))), stride=0)


# ----- PyTorch as the oracle ------------------------------------------------------------------

def _torch():
    return pytest.importorskip("torch")


def _compare(tiny_fn, torch_fn, arrays, host_rng, atol=ATOL):
    """Forward and the gradient of ⟨f(inputs), r⟩ for a random r, tinygan vs PyTorch."""
    torch = _torch()
    ours = [t64(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, expected = tiny_fn(*ours), torch_fn(*theirs)
    np.testing.assert_allclose(y.numpy(), expected.detach().numpy(), rtol=0, atol=atol)
    r = host_rng.normal(size=expected.shape)
    (y * t64(r)).sum().backward()
    (expected * torch.tensor(r)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=0, atol=atol)


@pytest.mark.parametrize("shape, kernel, stride, padding, dilation", GEOMETRIES)
def test_conv2d_and_its_gradients_match_pytorch(shape, kernel, stride, padding, dilation,
                                                host_rng):
    torch = _torch()
    arrays = [host_rng.normal(size=shape), host_rng.normal(size=(3, shape[1], *kernel)),
              host_rng.normal(size=3)]
    _compare(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation),
             lambda x, w, b: torch.nn.functional.conv2d(x, w, b, stride, padding, dilation),
             arrays, host_rng)


@pytest.mark.parametrize("shape, kernel, stride, padding, dilation", GEOMETRIES)
def test_conv_transpose2d_and_its_gradients_match_pytorch(shape, kernel, stride, padding,
                                                          dilation, host_rng):
    torch = _torch()
    extra = tuple(max(s, d) - 1 for s, d in zip(stride, dilation))
    arrays = [host_rng.normal(size=shape), host_rng.normal(size=(shape[1], 2, *kernel)),
              host_rng.normal(size=2)]
    _compare(lambda x, w, b: F.conv_transpose2d(x, w, b, stride, padding, extra, 1, dilation),
             lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, stride, padding,
                                                                  extra, 1, dilation),
             arrays, host_rng)


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 2, 1), ((3, 2), 1, 1)])
def test_pooling_and_its_gradients_match_pytorch(kernel, stride, padding, host_rng):
    torch = _torch()
    arrays = [host_rng.normal(size=(2, 3, 7, 6))]
    _compare(lambda x: F.max_pool2d(x, kernel, stride, padding),
             lambda x: torch.nn.functional.max_pool2d(x, kernel, stride, padding), arrays,
             host_rng)
    _compare(lambda x: F.avg_pool2d(x, kernel, stride, padding),
             lambda x: torch.nn.functional.avg_pool2d(x, kernel, stride, padding), arrays,
             host_rng)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm2d_matches_pytorch(training, host_rng):
    torch = _torch()
    from tinygan import backend
    start_mean, start_var = host_rng.normal(size=3), host_rng.uniform(0.5, 2, size=3)
    ours = [backend.asarray(start_mean.copy()), backend.asarray(start_var.copy())]
    theirs = [torch.tensor(start_mean.copy()), torch.tensor(start_var.copy())]
    arrays = [host_rng.normal(1.0, 2.0, size=(4, 3, 3, 5)), host_rng.normal(size=3),
              host_rng.normal(size=3)]
    _compare(lambda x, w, b: F.batch_norm2d(x, *ours, w, b, training),
             lambda x, w, b: torch.nn.functional.batch_norm(x, *theirs, w, b, training),
             arrays, host_rng, atol=1e-9)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(tg.tensor(a).numpy(), b.numpy(), rtol=0, atol=1e-12)


def test_gradient_penalty_through_a_convolution_matches_pytorch(host_rng):
    """Second order: ∂/∂w of ‖∇ₓ Σ tanh(conv2d(x, w))‖², tinygan.grad vs torch.autograd."""
    torch = _torch()
    x0, w0 = host_rng.normal(size=(2, 2, 6, 6)), host_rng.normal(size=(3, 2, 4, 4)) * 0.3
    x, w = t64(x0, requires_grad=True), t64(w0, requires_grad=True)
    (gx,) = tg.grad(F.tanh(F.conv2d(x, w, stride=2, padding=1)).sum(), x, create_graph=True)
    (gw,) = tg.grad((gx * gx).sum(), w)
    xt, wt = torch.tensor(x0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    (gxt,) = torch.autograd.grad(torch.tanh(torch.nn.functional.conv2d(xt, wt, stride=2,
                                                                       padding=1)).sum(),
                                 xt, create_graph=True)
    (gwt,) = torch.autograd.grad((gxt * gxt).sum(), wt)
    np.testing.assert_allclose(gw.numpy(), gwt.numpy(), rtol=0, atol=1e-9)


def test_float32_stays_float32_through_a_conv_and_its_transpose(host_rng):
    x = tg.tensor(host_rng.normal(size=(2, 3, 8, 8)).astype(np.float32), requires_grad=True)
    w = tg.tensor(host_rng.normal(size=(4, 3, 4, 4)).astype(np.float32), requires_grad=True)
    y = F.conv_transpose2d(F.conv2d(x, w, stride=2, padding=1), w, stride=2, padding=1)
    assert y.shape == x.shape and y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_flatten_and_unflatten_are_inverse_reshapes():
    x = t64(np.arange(24.0).reshape(2, 3, 2, 2))
    flat = F.flatten(x, 1)
    assert flat.shape == (2, 12)
    np.testing.assert_array_equal(F.unflatten(flat, 1, (3, 2, 2)).numpy(), x.numpy())
    assert F.flatten(x).shape == (24,)          # torch.flatten's default start_dim = 0


# ----- layers -----------------------------------------------------------------------------------

def _copy_parameters(ours, theirs):
    """PyTorch's parameters into ours (same names, same layouts), in float64."""
    torch = _torch()
    theirs.double()
    for name, p in theirs.named_parameters():
        getattr(ours, name).data = tg.tensor(p.detach().numpy().copy()).data


LAYERS = [
    ("Conv2d", (3, 4, 4), dict(stride=2, padding=1), (2, 3, 8, 8)),
    ("Conv2d", (3, 2, (3, 2)), dict(dilation=2, bias=False), (2, 3, 9, 7)),
    ("ConvTranspose2d", (3, 4, 4), dict(stride=2, padding=1), (2, 3, 7, 7)),
    ("ConvTranspose2d", (3, 2, 3), dict(stride=2, output_padding=1, dilation=1), (2, 3, 4, 5)),
    ("MaxPool2d", (2,), {}, (2, 3, 6, 6)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1), (2, 3, 7, 6)),
    ("Flatten", (), {}, (2, 3, 2, 2)),
    ("Unflatten", (1, (2, 3)), {}, (2, 6, 5)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", LAYERS)
def test_layers_match_pytorch_with_copied_weights(name, args, kwargs, shape, host_rng):
    torch = _torch()
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    ours = getattr(tg.nn, name)(*args, **kwargs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for (_, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert a.shape == tuple(b.shape)
    _copy_parameters(ours, theirs)
    params = list(ours.parameters())
    _compare(lambda x: ours(x), lambda x: theirs(x), [host_rng.normal(size=shape)], host_rng)
    for a, (_, b) in zip(params, theirs.named_parameters()):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=0, atol=ATOL)


def test_batchnorm2d_layer_matches_pytorch_in_training_and_evaluation(host_rng):
    torch = _torch()
    theirs, ours = torch.nn.BatchNorm2d(3).double(), tg.nn.BatchNorm2d(3, dtype="float64")
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(host_rng.normal(size=3)))
        theirs.bias.copy_(torch.tensor(host_rng.normal(size=3)))
    _copy_parameters(ours, theirs)
    for step in range(3):
        x = host_rng.normal(2.0, 3.0, size=(4, 3, 5, 5))
        _compare(lambda x: ours(x), lambda x: theirs(x), [x], host_rng, atol=1e-9)
    for buffer in ("running_mean", "running_var"):
        np.testing.assert_allclose(tg.tensor(getattr(ours, buffer)).numpy(),
                                   getattr(theirs, buffer).numpy(), rtol=0, atol=1e-12)
    ours.eval(), theirs.eval()
    _compare(lambda x: ours(x), lambda x: theirs(x), [host_rng.normal(size=(2, 3, 4, 4))],
             host_rng, atol=1e-9)
    assert {"running_mean", "running_var", "weight", "bias"} <= set(ours.state_dict())


@pytest.mark.parametrize("name, weight_shape, fan_in", [
    ("Conv2d", (8, 6, 3, 3), 6 * 9), ("ConvTranspose2d", (6, 8, 3, 3), 8 * 9)])
def test_default_initialisation_is_pytorchs(name, weight_shape, fan_in):
    """U(±1/√fan_in) for weight and bias, fan_in from the weight's second axis (PyTorch's
    kaiming_uniform with a = √5). Over 432 draws: the largest |w| exceeds 0.95·bound
    unless all miss (0.95^432 ≈ 2e-10), and the variance is bound²/3 within 20% (the
    relative standard error of a uniform sample's variance is √(0.8/432) ≈ 4.3%)."""
    layer = getattr(tg.nn, name)(6, 8, 3)
    w = layer.weight.numpy()
    assert w.shape == weight_shape and w.dtype == np.float32
    bound = 1 / np.sqrt(fan_in)
    assert 0.95 * bound < np.abs(w).max() <= bound
    assert abs(w.var() / (bound ** 2 / 3) - 1) < 0.2
    assert np.abs(layer.bias.numpy()).max() <= bound and layer.bias.shape == (8,)
