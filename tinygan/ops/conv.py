"""Convolutions, pooling, flatten and batch normalisation, on NCHW tensors.

im2col: the kH×kW windows of the zero-padded input are a strided *view* of it
(``as_strided``, no copy); copied once, they form a matrix with one row per output pixel
and one column per (kernel offset, input channel), and the convolution is one matrix
product with the weight. Inside, images are channels-last (N, H, W, C): a window's
innermost axis is then the contiguous channel axis, so the im2col copy and the col2im
sum move runs of C floats. A strided transposed convolution with many output channels is
one product too, its s² output phases sharing one im2col (``_phases``). Outputs are NCHW
views of channels-last memory; the next convolution's channels-last copy of them is then
free.

Three ops, each linear in each input; their rules call each other, so gradients of any
order work (a gradient penalty through a convolutional critic):

=========================  =====================================  ============================
op                         ∂L/∂(first input)                       ∂L/∂(second input)
=========================  =====================================  ============================
conv2d(x, w)               conv_transpose2d(g, w)                  conv2d_weight(x, g)
conv_transpose2d(x, w)     conv2d(g, w)                            conv2d_weight(g, x)
conv2d_weight(x, g)        conv_transpose2d(g, h)                  conv2d(x, h)
=========================  =====================================  ============================

(h is the gradient reaching conv2d_weight's output, a weight-shaped array.)
"""
import weakref

from tinygan.backend import get_array_module
from tinygan.ops.shape import broadcast_to, reshape
from tinygan.ops.table import OPS, Case
from tinygan.tensor import (Tensor, apply, array_of, as_tensor, entry_point, is_grad_enabled,
                            op, same_kind)

__all__ = ["conv2d", "conv_transpose2d", "avg_pool2d", "max_pool2d", "flatten", "unflatten",
           "batch_norm", "batch_norm2d"]


# ----- shapes -------------------------------------------------------------------------------

def _pair(value, name):
    """An int or a pair of ints as the pair (for height, width)."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and v >= 0 for v in pair):
        raise ValueError(f"{name} must be a non-negative int or a pair of them, got {value!r}")
    return pair


def _check_positive(name, **pairs):
    for what, pair in pairs.items():
        if min(pair) < 1:
            raise ValueError(f"{name}: {what} must be at least 1, got {pair}")


def conv_output_size(size, kernel, stride, padding, dilation):
    """⌊(H + 2p − d(k − 1) − 1) / s⌋ + 1, per axis (PyTorch's formula)."""
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                 for n, k, s, p, d in zip(size, kernel, stride, padding, dilation))


def transposed_output_size(size, kernel, stride, padding, output_padding, dilation):
    """(H − 1)s − 2p + d(k − 1) + output_padding + 1, per axis: the inverse of
    ``conv_output_size`` (output_padding picks one of the s sizes that map to H)."""
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + q + 1
                 for n, k, s, p, q, d in zip(size, kernel, stride, padding, output_padding,
                                             dilation))


def _fitting_output_padding(size, out_size, kernel, stride, padding, dilation):
    """The output_padding with which conv_transpose2d maps ``out_size`` back to ``size``."""
    zero = transposed_output_size(out_size, kernel, stride, padding, (0, 0), dilation)
    return tuple(n - m for n, m in zip(size, zero))


# ----- values kept from a forward for its first-order backward ----------------------------

_SAVED = {}     # id(an op's output array) -> what its first-order backward reuses


def _save(output, value):
    """Keep ``value`` for the first-order backward of ``output`` while that array lives."""
    try:
        weakref.finalize(output, _SAVED.pop, id(output), None)
    except TypeError:                   # an array type without weak references: recompute
        return
    _SAVED[id(output)] = value


_PASSED = {}    # (id(a gradient array), id(the node's output), name) -> a value one rule
                # made for a later rule of the same node


def _pass_on(g, y, name, value):
    """Keep ``value`` for a later rule of the same node (output ``y``) in the same
    first-order backward step, which takes it with ``_taken`` (a transposed convolution's
    input rule passes g's im2col matrix to its weight rule; batch norm's input rule its sums
    to the γ and β rules); kept at most while g lives. Keyed by the node too: a sum hands
    one g to both of its inputs, and a value left by one node (whose weight rule was
    skipped) must not reach another's."""
    try:
        weakref.finalize(g, _PASSED.pop, (id(g), id(y), name), None)
    except TypeError:                   # an array type without weak references: recompute
        return
    _PASSED[(id(g), id(y), name)] = value


def _taken(g, y, name):
    """What an earlier rule of the node with output ``y`` passed on for g under ``name``;
    None in a recorded pass (g a Tensor) or when no rule did."""
    return None if isinstance(g, Tensor) else _PASSED.pop((id(g), id(y), name), None)


# ----- im2col and col2im on arrays ------------------------------------------------------------

def _as_strided(x, shape, strides):
    view = get_array_module(x).lib.stride_tricks.as_strided(x, shape, strides)
    return view if type(view) is type(x) else view.view(type(x))   # keep a device array's type


def _channels_last(x, padding=(0, 0)):
    """x (N, C, H, W) as a contiguous, zero-padded channels-last (N, H + 2p, W + 2q, C)
    array (no copy when x is channels-last in memory and there is no padding)."""
    xp = get_array_module(x)
    if padding == (0, 0):
        return xp.ascontiguousarray(x.transpose(0, 2, 3, 1))
    (n, c, h, w), (ph, pw) = x.shape, padding
    out = xp.empty((n, h + 2 * ph, w + 2 * pw, c), dtype=x.dtype)
    out[:, :ph] = 0
    out[:, h + ph:] = 0
    out[:, ph:h + ph, :pw] = 0
    out[:, ph:h + ph, w + pw:] = 0
    out[:, ph:h + ph, pw:w + pw] = x.transpose(0, 2, 3, 1)
    return out


def _im2col(x, kernel, stride, padding, dilation, out_size):
    """The (N·Ho·Wo, kH·kW·C) matrix whose row for output pixel (n, i, j) holds the
    input pixels (i·s + a·d − p, j·s + b·d − p) for every kernel offset (a, b), channels
    innermost: a strided view of the padded input, copied once."""
    padded = _channels_last(x, padding)
    sn, sh, sw, sc = padded.strides
    windows = _as_strided(padded, (x.shape[0], *out_size, *kernel, x.shape[1]),
                          (sn, sh * stride[0], sw * stride[1], sh * dilation[0],
                           sw * dilation[1], sc))
    return windows.reshape(-1, kernel[0] * kernel[1] * x.shape[1])


def _offset(a, b, stride, dilation, count):
    """The strided slices of the spatial positions that kernel offset (a, b) touches
    for ``count`` output positions per axis."""
    return (slice(a * dilation[0], a * dilation[0] + (count[0] - 1) * stride[0] + 1, stride[0]),
            slice(b * dilation[1], b * dilation[1] + (count[1] - 1) * stride[1] + 1, stride[1]))


def _cropped(image, padding, size):
    """The padded channels-last (N, H, W, C) image cropped to ``size`` after ``padding``, as
    an NCHW view."""
    crop = image[:, padding[0]:padding[0] + size[0], padding[1]:padding[1] + size[1]]
    return crop.transpose(0, 3, 1, 2)


_WIDE = 32      # output channels from which col2im makes one product per kernel offset and a
                # strided transposed convolution takes ``_phases`` (fewer: thin products are slow)


def _col2im(rows, weight, in_size, size, stride, padding, dilation, bias=None):
    """The transposed convolution's sum: for each kernel offset (a, b), the product
    rows @ w[:, :, a, b] (rows: the (N·H·W, in) channels-last input) is added into the
    strided slice of the padded channels-last image it lands on — no scatter — starting
    from the bias, if any; cropped to ``size`` and returned as an NCHW view of
    channels-last memory.

    With many output channels each offset's product is made just before it is added, in
    one reused buffer (it is still in cache); with few, one product makes all of them
    (the matrix (N·H·W, kH·kW·out) is small, and many thin products would be slow)."""
    xp = get_array_module(rows)
    (h, w), (kh, kw), c = in_size, weight.shape[2:], weight.shape[1]
    n = rows.shape[0] // (h * w)
    if h * w == 1 and dilation == (1, 1) and padding[0] + size[0] <= kh \
            and padding[1] + size[1] <= kw:       # one window per image: the product is it
        image = (rows @ _weight_matrix(weight)).reshape(n, kh, kw, c)
        if bias is not None:
            image += bias
        return _cropped(image, padding, size)
    image = (xp.zeros if bias is None else xp.empty)((n, max((h - 1) * stride[0] + (kh - 1) * dilation[0] + 1, padding[0] + size[0]),
                      max((w - 1) * stride[1] + (kw - 1) * dilation[1] + 1, padding[1] + size[1]),
                      c), dtype=rows.dtype)
    if bias is not None:
        image[...] = bias                     # every output pixel starts at its bias
    per_offset = c >= _WIDE and h * w > 1
    if per_offset:
        taps = xp.ascontiguousarray(weight.transpose(2, 3, 0, 1))       # (kH, kW, in, out)
        block = xp.empty((rows.shape[0], c), dtype=rows.dtype)
    else:
        cols = (rows @ _weight_matrix(weight)).reshape(n, h, w, kh, kw, c)
    for a in range(kh):
        for b in range(kw):
            if per_offset:
                xp.matmul(rows, taps[a, b], out=block)
                part = block.reshape(n, h, w, c)
            else:
                part = cols[:, :, :, a, b]
            image[(slice(None),) + _offset(a, b, stride, dilation, (h, w))] += part
    return _cropped(image, padding, size)


def _phases(x, weight, size, stride, padding, bias=None):
    """A strided transposed convolution (dilation 1) as one im2col product, with no sum of
    strided slices: output pixel P = s·q + r of the padded image (r = P mod s, its *phase*)
    receives x[q − t] · w[s·t + r] for t = 0 … T − 1, T = ⌈k / s⌉ (w zero beyond k). That
    is a stride-1 correlation of x, zero-padded by T − 1, with T×T windows, and the s²
    phases share the windows and differ only in their weights: one product
    (N·Q1·Q2, T²·in) @ (T²·in, s²·out), Q = H + T − 1 per axis, makes every output pixel,
    and one copy interleaves the phases. None when the crop reaches beyond the s·Q rows
    (an output_padding larger than the padding)."""
    xp = get_array_module(x)
    (n, cin, h, w), (kh, kw), cout = x.shape, weight.shape[2:], weight.shape[1]
    th, tw = -(-kh // stride[0]), -(-kw // stride[1])
    qh, qw = h + th - 1, w + tw - 1
    if padding[0] + size[0] > qh * stride[0] or padding[1] + size[1] > qw * stride[1]:
        return None
    cols = _im2col(x, (th, tw), (1, 1), (th - 1, tw - 1), (1, 1), (qh, qw))
    taps = xp.zeros((cin, cout, th * stride[0], tw * stride[1]), dtype=weight.dtype)
    taps[:, :, :kh, :kw] = weight
    taps = taps.reshape(cin, cout, th, stride[0], tw, stride[1])[:, :, ::-1, :, ::-1]
    matrix = xp.ascontiguousarray(taps.transpose(2, 4, 0, 3, 5, 1))   # (u1, u2, in, r1, r2, out)
    out = cols @ matrix.reshape(th * tw * cin, -1)
    if bias is not None:
        out.reshape(-1, cout)[...] += bias              # each phase's pixels start at b
    image = xp.empty((n, qh, stride[0], qw, stride[1], cout), dtype=out.dtype)
    image[...] = out.reshape(n, qh, qw, *stride, cout).transpose(0, 1, 3, 2, 4, 5)
    image = image.reshape(n, qh * stride[0], qw * stride[1], cout)
    return _cropped(image, padding, size)


def _weight_matrix(weight):
    """A (A, B, kH, kW) weight as the (A, kH·kW·B) matrix matching im2col's columns."""
    xp = get_array_module(weight)
    return xp.ascontiguousarray(weight.transpose(0, 2, 3, 1)).reshape(weight.shape[0], -1)


# ----- the three convolution ops ------------------------------------------------------------

def _run(name, *inputs, **params):
    """Op ``name`` on Tensors (recorded) or its bare forward on arrays (a first-order pass)."""
    if any(isinstance(x, Tensor) for x in inputs):
        return apply(OPS[name], inputs, params)
    return OPS[name].forward(*inputs, **params)


def _to_size(g, weight, size, stride, padding, dilation):
    """conv_transpose2d of g with the output_padding that gives spatial ``size``."""
    extra = _fitting_output_padding(size, g.shape[2:], weight.shape[2:], stride, padding,
                                    dilation)
    return _run("conv_transpose2d", g, weight, stride=stride, padding=padding,
                output_padding=extra, dilation=dilation)


def _check_channels(name, x, weight, axis):
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"{name}: input and weight must be 4-D (N, C, H, W) and "
                         f"(·, ·, kH, kW), got {x.shape} and {weight.shape}")
    if x.shape[1] != weight.shape[axis]:
        raise ValueError(f"{name}: the input has {x.shape[1]} channels but the weight "
                         f"{weight.shape} expects {weight.shape[axis]}")


def _check_bias(name, bias, channels):
    if bias is not None and bias.shape != (channels,):
        raise ValueError(f"{name}: the bias must have shape ({channels},), one per output "
                         f"channel, got {bias.shape}")


def _conv2d(x, weight, bias=None, *, stride, padding, dilation):
    """y[n, o, i, j] = Σ_{c,a,b} x[n, c, i·s + a·d − p, j·s + b·d − p] · w[o, c, a, b] + b[o]
    (cross-correlation, as PyTorch; the bias is optional);  ∂L/∂x = conv_transpose2d(g, w),
    ∂L/∂w = conv2d_weight(x, g), ∂L/∂b = Σ_{n,i,j} g."""
    _check_channels("conv2d", x, weight, 1)
    _check_bias("conv2d", bias, weight.shape[0])
    kernel = weight.shape[2:]
    out_size = conv_output_size(x.shape[2:], kernel, stride, padding, dilation)
    if min(out_size) < 1:
        raise ValueError(f"conv2d: the kernel {kernel} (dilation {dilation}) does not fit "
                         f"the padded input {x.shape[2:]} (padding {padding})")
    out, cols = _correlate(x, weight, bias, stride, padding, dilation, out_size)
    if is_grad_enabled():
        _save(out, cols)                           # the weight gradient needs them again
    return out


def _correlate(x, weight, bias, stride, padding, dilation, out_size):
    """conv2d's output (an NCHW view of channels-last memory) and x's im2col matrix."""
    cols = _im2col(x, weight.shape[2:], stride, padding, dilation, out_size)
    out = cols @ _weight_matrix(weight).T                            # (N·Ho·Wo, O)
    if bias is not None:
        out += bias
    return out.reshape(x.shape[0], *out_size, weight.shape[0]).transpose(0, 3, 1, 2), cols


def _bias_grad(g, y, x, weight, bias, **params):
    return same_kind(channel_sum, g)


def _conv2d_grad_x(g, y, x, weight, bias=None, *, stride, padding, dilation):
    return _to_size(g, weight, x.shape[2:], stride, padding, dilation)


def _conv2d_grad_weight(g, y, x, weight, bias=None, *, stride, padding, dilation):
    columns = None if isinstance(y, Tensor) else _SAVED.get(id(y))      # first order: reuse
    return _run("conv2d_weight", x, g, kernel_size=weight.shape[2:], stride=stride,
                padding=padding, dilation=dilation, columns=columns)


def _example(*shape, seed=6):
    from tinygan import backend
    return backend.asarray(backend.host.random.default_rng(seed).uniform(-1, 1, shape))


op(grads=(_conv2d_grad_x, _conv2d_grad_weight, _bias_grad), name="conv2d", arrays=True,
   cases=(Case(((2, 2, 5, 4), (3, 2, 3, 2)), label="plain"),
          Case(((2, 2, 6, 5), (3, 2, 3, 3)), call=lambda x, w: conv2d(x, w, stride=2, padding=1),
               label="stride 2 padding 1"),
          Case(((1, 2, 7, 6), (2, 2, 2, 3)),
               call=lambda x, w: conv2d(x, w, stride=(1, 2), padding=(2, 0), dilation=(2, 1)),
               label="dilation, pairs"),
          Case(((2, 1, 4, 4), (2, 1, 2, 2), (2,)),
               call=lambda x, w, b: conv2d(x, w, b, stride=2), label="bias"),
          Case(((1, 32, 4, 3), (2, 32, 4, 3)), call=lambda x, w: conv2d(x, w, stride=2, padding=1),
               label="32 input channels (∂L/∂x by _phases)")))(_conv2d)


@entry_point("conv2d")
def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """y[n, o, i, j] = Σ_{c,a,b} x[n, c, i·s + a·d − p, j·s + b·d − p] · w[o, c, a, b] + b[o]
    (cross-correlation, as PyTorch; weight (out, in, kH, kW));  ∂L/∂x = conv_transpose2d(g, w),
    ∂L/∂w = conv2d_weight(x, g), ∂L/∂b = Σ_{n,i,j} g."""
    params = _conv_params("conv2d", stride, padding, dilation, groups)
    return apply(OPS["conv2d"], (x, weight) if bias is None else (x, weight, bias), params)


def _conv_params(name, stride, padding, dilation, groups):
    if groups != 1:
        raise ValueError(f"{name}: only groups=1 is implemented, got groups={groups}")
    params = {"stride": _pair(stride, "stride"), "padding": _pair(padding, "padding"),
              "dilation": _pair(dilation, "dilation")}
    _check_positive(name, stride=params["stride"], dilation=params["dilation"])
    return params


def _conv_transpose2d(x, weight, bias=None, *, stride, padding, output_padding, dilation):
    """y = the adjoint of conv2d with the same weight (in, out, kH, kW), plus b[o]: each
    input pixel adds x[n, c, i, j] · w[c, :, :, :] to the output at (i·s − p, j·s − p);
    ∂L/∂x = conv2d(g, w), ∂L/∂w = conv2d_weight(g, x), ∂L/∂b = Σ_{n,i,j} g."""
    _check_channels("conv_transpose2d", x, weight, 0)
    _check_bias("conv_transpose2d", bias, weight.shape[1])
    if any(q >= max(s, d) for q, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(f"conv_transpose2d: output_padding {output_padding} must be smaller "
                         f"than the stride {stride} or the dilation {dilation}")
    n, _, h, w = x.shape
    kernel = weight.shape[2:]
    size = transposed_output_size((h, w), kernel, stride, padding, output_padding, dilation)
    if min(size) < 1:
        raise ValueError(f"conv_transpose2d: the padding {padding} leaves no output")
    if _WIDE <= weight.shape[1] and min(stride) > 1 and dilation == (1, 1):
        image = _phases(x, weight, size, stride, padding, bias)
        if image is not None:
            return image
    rows = _channels_last(x).reshape(n * h * w, x.shape[1])
    return _col2im(rows, weight, (h, w), size, stride, padding, dilation, bias)


def _transposed_grad_x(g, y, x, weight, bias=None, *, stride, padding, output_padding, dilation):
    """conv2d(g, w) at x's positions (an output_padding of at least the stride, which a
    larger dilation allows, gives conv2d(g, w) a row or column more, which no input pixel
    has). On arrays (first order) g's im2col matrix is kept for the weight rule, which
    needs the same matrix."""
    if isinstance(g, Tensor):
        height, width = x.shape[2:]
        grad = _run("conv2d", g, weight, stride=stride, padding=padding, dilation=dilation)
        return grad if grad.shape[2:] == (height, width) else grad[:, :, :height, :width]
    grad, columns = _correlate(g, weight, None, stride, padding, dilation, x.shape[2:])
    _pass_on(g, y, "im2col", columns)
    return grad


def _transposed_grad_weight(g, y, x, weight, bias=None, *, stride, padding, output_padding,
                            dilation):
    columns = _taken(g, y, "im2col")
    return _run("conv2d_weight", g, x, kernel_size=weight.shape[2:], stride=stride,
                padding=padding, dilation=dilation, columns=columns)


op(grads=(_transposed_grad_x, _transposed_grad_weight, _bias_grad), name="conv_transpose2d",
   arrays=True,
   cases=(Case(((2, 3, 3, 2), (3, 2, 2, 3)), label="plain"),
          Case(((2, 2, 3, 3), (2, 2, 3, 3)),
               call=lambda x, w: conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
               label="stride 2 output_padding 1"),
          Case(((1, 2, 3, 4), (2, 1, 3, 2)),
               call=lambda x, w: conv_transpose2d(x, w, stride=(2, 1), padding=(1, 0),
                                                  dilation=(1, 2)), label="dilation, pairs"),
          Case(((1, 2, 3, 3), (2, 1, 2, 2)),
               call=lambda x, w: conv_transpose2d(x, w, stride=(2, 1), padding=(1, 0),
                                                  output_padding=(1, 1), dilation=(1, 2)),
               label="output_padding ≥ stride under dilation"),
          Case(((2, 2, 2, 2), (2, 3, 4, 4), (3,)),
               call=lambda x, w, b: conv_transpose2d(x, w, b, stride=2, padding=1),
               label="bias"),
          Case(((1, 2, 2, 3), (2, 32, 4, 3), (32,)),
               call=lambda x, w, b: conv_transpose2d(x, w, b, stride=2, padding=1,
                                                     output_padding=(0, 1)),
               label="32 output channels (by _phases)"),
          Case(((2, 3, 1, 1), (3, 2, 3, 2), (2,)),
               call=lambda x, w, b: conv_transpose2d(x, w, b, stride=2, padding=(1, 0)),
               label="1×1 input (one window per image)")))(_conv_transpose2d)


@entry_point("conv_transpose2d")
def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """y = the adjoint of conv2d in x with the same weight (in, out, kH, kW), plus b[o]:
    output size (H − 1)s − 2p + d(kH − 1) + output_padding + 1;  ∂L/∂x = conv2d(g, w),
    ∂L/∂w = conv2d_weight(g, x), ∂L/∂b = Σ_{n,i,j} g."""
    params = _conv_params("conv_transpose2d", stride, padding, dilation, groups)
    params["output_padding"] = _pair(output_padding, "output_padding")
    return apply(OPS["conv_transpose2d"], (x, weight) if bias is None else (x, weight, bias),
                 params)


def _weight_grad_x(h, y, x, g, kernel_size, stride, padding, dilation, columns=None):
    return _to_size(g, h, x.shape[2:], stride, padding, dilation)


def _weight_grad_g(h, y, x, g, kernel_size, stride, padding, dilation, columns=None):
    return _run("conv2d", x, h, stride=stride, padding=padding, dilation=dilation)


@op(grads=(_weight_grad_x, _weight_grad_g), public=False, arrays=True,
    cases=(Case(((2, 2, 5, 4), (2, 3, 3, 3)),
                call=lambda x, g: conv2d_weight(x, g, kernel_size=(3, 2), stride=(1, 1),
                                                padding=(0, 0), dilation=(1, 1))),
           Case(((2, 2, 5, 5), (2, 3, 3, 3)),
                call=lambda x, g: conv2d_weight(x, g, kernel_size=(2, 2), stride=(2, 2),
                                                padding=(1, 1), dilation=(1, 1)),
                label="stride 2 padding 1")))
def conv2d_weight(x, g, kernel_size, stride, padding, dilation, columns=None):
    """y[o, c, a, b] = Σ_{n,i,j} g[n, o, i, j] · x[n, c, i·s + a·d − p, j·s + b·d − p]
    (conv2d's weight gradient: the correlation of x and g);  ∂L/∂x = conv_transpose2d(g, h),
    ∂L/∂g = conv2d(x, h) for the gradient h reaching y.

    ``columns``: x's im2col matrix when conv2d's forward kept it (else it is rebuilt)."""
    (n, o), out_size = g.shape[:2], g.shape[2:]
    cols = _im2col(x, kernel_size, stride, padding, dilation, out_size) if columns is None \
        else columns
    if g.flags.c_contiguous and n * o * cols.shape[1] <= g.size:
        # an NCHW g and few columns (D1's one input channel): a product per sample, summed,
        # is quicker than g's channels-last copy
        grad = (g.reshape(n, o, -1) @ cols.reshape(n, -1, cols.shape[1])).sum(axis=0)
    else:
        rows = _channels_last(g).reshape(-1, o)                         # (N·Ho·Wo, O)
        grad = rows.T @ cols
    grad = grad.reshape(o, *kernel_size, x.shape[1])
    return get_array_module(x).ascontiguousarray(grad.transpose(0, 3, 1, 2))


# ----- pooling ------------------------------------------------------------------------------

def _pool_params(kernel_size, stride, padding):
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _pair(stride, "stride")
    padding = _pair(padding, "padding")
    _check_positive("pooling", kernel_size=kernel, stride=stride)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"pooling: padding {padding} must be at most half the kernel {kernel}")
    return kernel, stride, padding


@op(derived=True,
    cases=(Case(((2, 3, 4, 4),), call=lambda x: avg_pool2d(x, 2), label="2×2"),
           Case(((1, 2, 5, 4),), call=lambda x: avg_pool2d(x, (3, 2), stride=1, padding=1),
                label="overlapping, padded")))
def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """y = the mean of each kH×kW window (zero padding counted, PyTorch's default);
    from conv2d with the constant kernel 1/(kH·kW), channel by channel."""
    x = as_tensor(x)
    kernel, stride, padding = _pool_params(kernel_size, stride, padding)
    n, c, h, w = x.shape
    xp = get_array_module(x.data)
    box = Tensor(xp.full((1, 1, *kernel), 1.0 / (kernel[0] * kernel[1]), dtype=x.dtype))
    y = conv2d(reshape(x, n * c, 1, h, w), box, stride=stride, padding=padding)
    return reshape(y, n, c, *y.shape[2:])


def _pool_windows(x, kernel, stride, padding):
    """The (N, C, Ho, Wo, kH·kW) windows of x padded with −∞ (a copy)."""
    xp = get_array_module(x)
    (n, c, h, w), (ph, pw) = x.shape, padding
    padded = xp.full((n, c, h + 2 * ph, w + 2 * pw), -xp.inf, dtype=x.dtype)
    padded[:, :, ph:ph + h, pw:pw + w] = x
    out_size = conv_output_size((h, w), kernel, stride, padding, (1, 1))
    s = padded.strides
    windows = _as_strided(padded, (n, c, *out_size, *kernel),
                          (s[0], s[1], s[2] * stride[0], s[3] * stride[1], s[2], s[3]))
    return windows.reshape(n, c, *out_size, -1)


def _pool_winners(x, kernel, stride, padding):
    """One boolean (N, C, Ho, Wo) mask per kernel offset: the windows whose maximum is
    there (the first one on a tie)."""
    best = _pool_windows(x, kernel, stride, padding).argmax(axis=-1)
    return [best == k for k in range(kernel[0] * kernel[1])]


def _route(g, x, kernel, stride, padding):
    winners = _pool_winners(array_of(x), kernel, stride, padding)
    params = dict(winners=winners, kernel=kernel, stride=stride, padding=padding,
                  size=x.shape[2:])
    return _run("max_pool_route", g, **params)


def _max_pool2d(x, kernel, stride, padding):
    """y = the maximum of each kH×kW window (padding never wins);  ∂L/∂x = g routed to
    each window's maximum (the first on a tie), summed where windows overlap."""
    return _pool_windows(x, kernel, stride, padding).max(axis=-1)


op(grads=(lambda g, y, x, kernel, stride, padding: _route(g, x, kernel, stride, padding),),
   name="max_pool2d", arrays=True,
   cases=(Case(((2, 2, 4, 4),), call=lambda x: max_pool2d(x, 2), label="2×2"),
          Case(((1, 2, 5, 4),), call=lambda x: max_pool2d(x, (3, 2), stride=1, padding=1),
               label="overlapping, padded")))(_max_pool2d)


@entry_point("max_pool2d")
def max_pool2d(x, kernel_size, stride=None, padding=0):
    """y = the maximum of each kH×kW window (padding never wins);  ∂L/∂x = g routed to
    each window's maximum (the first on a tie), summed where windows overlap."""
    kernel, stride, padding = _pool_params(kernel_size, stride, padding)
    return apply(OPS["max_pool2d"], (x,), {"kernel": kernel, "stride": stride,
                                           "padding": padding})


def _slabs(image, kernel, stride, count):
    """The strided slice of an NCHW ``image`` that each kernel offset touches."""
    for a in range(kernel[0]):
        for b in range(kernel[1]):
            yield image[(slice(None), slice(None)) + _offset(a, b, stride, (1, 1), count)]


def _padded_shape(v, size, padding):
    return (*v.shape[:2], size[0] + 2 * padding[0], size[1] + 2 * padding[1])


@op(grads=(lambda h, y, g, winners, kernel, stride, padding, size: _run(
        "max_pool_gather", h, winners=winners, kernel=kernel, stride=stride, padding=padding),),
    public=False, arrays=True,
    cases=(Case(((1, 2, 2, 2),), call=lambda g: max_pool_route(
        g, winners=_pool_winners(_example(1, 2, 4, 4), (2, 2), (2, 2), (0, 0)),
        kernel=(2, 2), stride=(2, 2), padding=(0, 0), size=(4, 4))),
           Case(((1, 1, 3, 3),), call=lambda g: max_pool_route(
               g, winners=_pool_winners(_example(1, 1, 3, 3), (3, 3), (1, 1), (1, 1)),
               kernel=(3, 3), stride=(1, 1), padding=(1, 1), size=(3, 3)),
                label="overlapping")))
def max_pool_route(g, winners, kernel, stride, padding, size):
    """y = g added at each window's maximum, an input-shaped array;  ∂L/∂g = the gather
    of the gradient from those places (``max_pool_gather``, its adjoint)."""
    xp = get_array_module(g)
    image = xp.zeros(_padded_shape(g, size, padding), dtype=g.dtype)
    for slab, wins in zip(_slabs(image, kernel, stride, g.shape[2:]), winners):
        slab += g * wins
    return image[:, :, padding[0]:padding[0] + size[0], padding[1]:padding[1] + size[1]]


@op(grads=(lambda h, y, v, winners, kernel, stride, padding: _run(
        "max_pool_route", h, winners=winners, kernel=kernel, stride=stride, padding=padding,
        size=v.shape[2:]),),
    public=False, arrays=True,
    cases=(Case(((1, 2, 4, 4),), call=lambda v: max_pool_gather(
        v, winners=_pool_winners(_example(1, 2, 4, 4), (2, 2), (2, 2), (0, 0)),
        kernel=(2, 2), stride=(2, 2), padding=(0, 0))),))
def max_pool_gather(v, winners, kernel, stride, padding):
    """y = v at each window's maximum (v input-shaped);  ∂L/∂v = ``max_pool_route`` of the
    gradient (routing and gathering are each other's adjoint)."""
    xp = get_array_module(v)
    count = winners[0].shape[2:]
    image = xp.zeros(_padded_shape(v, v.shape[2:], padding), dtype=v.dtype)
    image[:, :, padding[0]:padding[0] + v.shape[2], padding[1]:padding[1] + v.shape[3]] = v
    out = xp.zeros(winners[0].shape, dtype=v.dtype)
    for slab, wins in zip(_slabs(image, kernel, stride, count), winners):
        out += slab * wins
    return out


# ----- flatten, unflatten -------------------------------------------------------------------

@op(derived=True, cases=(Case(((2, 3, 2, 2),), call=lambda x: flatten(x, 1) * 2),))
def flatten(x, start_dim=0, end_dim=-1):
    """y = x with axes start_dim … end_dim merged into one (torch.flatten);  from reshape."""
    x = as_tensor(x)
    start, end = start_dim % x.ndim, end_dim % x.ndim
    merged = 1
    for n in x.shape[start:end + 1]:
        merged *= n
    return reshape(x, *x.shape[:start], merged, *x.shape[end + 1:])


@op(derived=True, cases=(Case(((2, 12),), call=lambda x: unflatten(x, 1, (3, 2, 2)) * 2),))
def unflatten(x, dim, sizes):
    """y = x with axis ``dim`` split into ``sizes`` (torch.unflatten);  from reshape."""
    x = as_tensor(x)
    dim = dim % x.ndim
    return reshape(x, *x.shape[:dim], *sizes, *x.shape[dim + 1:])


# ----- batch normalisation ------------------------------------------------------------------

def _channel_sum(x):
    """y[c] = Σ x[n, c, …] over every axis but the channel axis 1;  ∂L/∂x = g[c] broadcast
    back over those axes.

    Summed as matrix-vector products (multithreaded BLAS) with a vector of ones, in the
    layout x has in memory: channels-last (a convolution's output) as one (N·H·W, C)
    matrix, NCHW or (N, C) row by row."""
    xp = get_array_module(x)
    n, c = x.shape[:2]
    last = xp.moveaxis(x, 1, -1)
    if last.flags.c_contiguous:
        return xp.ones(last.size // c, dtype=x.dtype) @ last.reshape(-1, c)
    if x.flags.c_contiguous:
        inner = x.reshape(n * c, -1) @ xp.ones(x.size // (n * c), dtype=x.dtype)
        return xp.ones(n, dtype=x.dtype) @ inner.reshape(n, c)
    return x.sum(axis=(0, *range(2, x.ndim)))


def _channel_sum_grad(g, y, x):
    return same_kind(broadcast_to, _per_channel(g, x.ndim), shape=x.shape)


channel_sum = op(grads=(_channel_sum_grad,), public=False, arrays=True, name="channel_sum",
                 cases=(Case(((3, 4),), label="(N, C)"), Case(((2, 3, 2, 2),), label="NCHW"),
                        Case(((2, 2, 2, 3),), call=lambda x: channel_sum(x.transpose(0, 3, 1, 2)),
                             label="channels-last"),
                        Case(((2, 3, 2, 4),), call=lambda x: channel_sum(x[..., ::2]),
                             label="strided")))(_channel_sum)


def _channel_dot(a, b):
    """y[c] = Σ a[n, c, …] · b[n, c, …] over every axis but the channel axis 1 (a per-channel
    sum of products: batch norm's Σ(x − μ)² and Σ g·(x − μ));  ∂L/∂a = g[c] · b,
    ∂L/∂b = g[c] · a.

    By ``einsum``, with no array of products written out (0.3 → 0.12 ms for a 7×7 map of
    128 channels at batch 64). In channels-last memory einsum adds each row into the C sums
    in turn, which in float32 loses digits over many rows (5e-4 relative error for 64×64
    maps at batch 256), so there it sums blocks of ``_ROWS`` rows and then the blocks
    (≤ 1.3e-6, as a matrix-vector product), in one einsum for the whole blocks and one for
    the rows left over (a fixed number of calls: kernel launches on a GPU)."""
    xp, channels = get_array_module(a), a.shape[1]
    rows_a, rows_b = xp.moveaxis(a, 1, -1), xp.moveaxis(b, 1, -1)
    if rows_a.flags.c_contiguous and rows_b.flags.c_contiguous:
        rows_a, rows_b = rows_a.reshape(-1, channels), rows_b.reshape(-1, channels)
        whole = len(rows_a) // _ROWS * _ROWS
        blocks = (-1, _ROWS, channels)
        total = xp.einsum("rc,rc->c", rows_a[whole:], rows_b[whole:])
        if whole:
            total += xp.einsum("kbc,kbc->kc", rows_a[:whole].reshape(blocks),
                               rows_b[:whole].reshape(blocks)).sum(axis=0)
        return total
    axes = "nchwdt"[:a.ndim]
    return xp.einsum(f"{axes},{axes}->c", a, b)


_ROWS = 2048    # channels-last rows per block of channel_dot's sums


channel_dot = op(grads=(lambda g, y, a, b: _per_channel(g, a.ndim) * b,
                        lambda g, y, a, b: _per_channel(g, a.ndim) * a),
                 public=False, arrays=True, name="channel_dot",
                 cases=(Case(((3, 4), (3, 4)), label="(N, C)"),
                        Case(((2, 3, 2, 2), (2, 3, 2, 2)), label="NCHW"),
                        Case(((2, 2, 2, 3), (2, 2, 2, 3)),
                             call=lambda a, b: channel_dot(a.transpose(0, 3, 1, 2),
                                                           b.transpose(0, 3, 1, 2)),
                             label="channels-last")))(_channel_dot)


def _per_channel(v, ndim):
    """A (C,) vector (array or Tensor) shaped (1, C, 1, …) to broadcast over ``ndim`` axes."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def _statistics(x, eps):
    """x − μ and 1/√(σ² + ε) per channel (μ and the biased σ² over every axis but 1), as
    ops: what a recorded rule recomputes from x, with the forward's arithmetic (the same
    bits), so that its gradient is right at second order."""
    scale = 1.0 / (x.size // x.shape[1])
    centred = x - _per_channel(same_kind(channel_sum, x) * scale, x.ndim)
    return centred, (_run("channel_dot", centred, centred) * scale + eps) ** -0.5


def _kept(y, x, eps):
    """x − μ and 1/√(σ² + ε): the forward's own arrays in a first-order pass, recomputed
    with ops in a recorded one (or where the forward could not keep them)."""
    kept = None if isinstance(y, Tensor) else _SAVED.get(id(y))
    return _statistics(x, eps) if kept is None else kept


def _spread(v, like):
    """A (C,) per-channel array written out over one sample of ``like`` (C, H, W), in that
    sample's memory layout: multiplying a batch by it is then one contiguous loop per
    sample, about 1.6 × quicker than broadcasting a (1, C, 1, 1) array (the same values)."""
    out = get_array_module(like).empty_like(like[0])
    out[...] = _per_channel(v, like.ndim)[0]
    return out


def _scale_shift(out, centred, k, shift):
    xp = get_array_module(out)
    xp.multiply(centred, k, out=out)
    out += shift


def _input_grad(out, g, centred, work, mean_g, c, k):
    xp = get_array_module(out)
    xp.subtract(g, mean_g, out=out)
    xp.multiply(centred, c, out=work)
    out -= work
    out *= k


def _batch_norm_grad_x(g, y, x, weight, bias, *, running_mean, running_var, momentum, eps):
    centred, inv = _kept(y, x, eps)
    scale = 1.0 / (x.size // x.shape[1])
    sum_g, sum_gc = same_kind(channel_sum, g), _run("channel_dot", g, centred)
    mean_g = sum_g * scale
    c = sum_gc * scale * inv * inv
    k = inv * weight
    if isinstance(g, Tensor):
        return (g - _per_channel(mean_g, x.ndim) - centred * _per_channel(c, x.ndim)) \
            * _per_channel(k, x.ndim)
    _pass_on(g, y, "Σ g", sum_g)                      # the β rule's sum, and the γ rule's
    _pass_on(g, y, "Σ g·(x − μ)", sum_gc)
    xp = get_array_module(g)            # the same operations, with no temporaries; out in
    out, work = xp.empty_like(g), xp.empty_like(centred)     # g's memory layout, work in x's
    _input_grad(out, g, centred, work, _spread(mean_g, g), _spread(c, centred), _spread(k, g))
    return out


def _batch_norm_grad_weight(g, y, x, weight, bias, *, running_mean, running_var, momentum, eps):
    centred, inv = _kept(y, x, eps)
    sum_gc = _taken(g, y, "Σ g·(x − μ)")
    return (_run("channel_dot", g, centred) if sum_gc is None else sum_gc) * inv


def _batch_norm_grad_bias(g, y, x, weight, bias, *, running_mean, running_var, momentum, eps):
    sum_g = _taken(g, y, "Σ g")
    return same_kind(channel_sum, g) if sum_g is None else sum_g


def _batch_norm_training(x, weight, bias, *, running_mean, running_var, momentum, eps):
    """y = x̂ · γ + β, x̂ = (x − μ)/√(σ² + ε) per channel (axis 1), μ and the biased σ² over
    every other axis: one op, in training;  ∂L/∂x = γ/√(σ² + ε) · (g − mean(g) −
    x̂·mean(g·x̂)), ∂L/∂γ = Σ g·x̂, ∂L/∂β = Σ g (sums and means over every axis but 1).

    Computed as (x − μ) · γ/√(σ² + ε) + β: three elementwise passes over x (x − μ, the
    product and the shift, none of them broadcasting: ``_spread``), a matrix-vector sum
    (μ) and a sum of products (σ², ``channel_dot``); x − μ and 1/√(σ² + ε) are kept for
    the backward, which makes its x̂ terms from them. Moves the running estimates (arrays,
    or None) in place by ``momentum``, with the unbiased variance (as PyTorch)."""
    count = x.size // x.shape[1]
    if count < 2:
        raise ValueError("batch norm in training mode needs more than one value per channel "
                         f"(over the batch and any spatial axes), got input of shape {x.shape}")
    xp, scale = get_array_module(x), 1.0 / count
    mu = _channel_sum(x) * scale
    centred = xp.subtract(x, _spread(mu, x), out=xp.empty_like(x))
    sigma2 = _channel_dot(centred, centred) * scale
    if running_mean is not None:
        running_mean *= 1 - momentum
        running_mean += momentum * mu
        running_var *= 1 - momentum
        running_var += (momentum * count / (count - 1)) * sigma2
    inv = (sigma2 + eps) ** -0.5
    out = xp.empty_like(x)
    _scale_shift(out, centred, _spread(inv * weight, x), _spread(bias, x))
    if is_grad_enabled():
        _save(out, (centred, inv))
    return out


def _example_training(x, weight, bias):
    return batch_norm_training(x, weight, bias, running_mean=None, running_var=None,
                               momentum=0.1, eps=1e-5)


batch_norm_training = op(
    grads=(_batch_norm_grad_x, _batch_norm_grad_weight, _batch_norm_grad_bias), public=False,
    arrays=True, name="batch_norm_training",
    cases=(Case(((4, 3, 2, 2), (3,), (3,)), label="NCHW", call=_example_training),
           Case(((5, 3), (3,), (3,)), label="(N, C)", call=_example_training)))(_batch_norm_training)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """y = (x − μ)/√(σ² + ε) · γ + β per channel (axis 1) of (N, C) or (N, C, H, W) inputs
    (Ioffe & Szegedy 2015). In training μ and σ² are the batch's, over every axis but 1 (one
    op, ``batch_norm_training``; the gradient flows through them) and the running estimates
    (arrays) move in place by ``momentum``, with the unbiased variance (as PyTorch); in
    evaluation the running estimates are used as μ and σ²."""
    x = as_tensor(x)
    if training:
        xp = get_array_module(x.data)
        channels = x.shape[1]
        weight = xp.ones(channels, x.dtype) if weight is None else weight
        bias = xp.zeros(channels, x.dtype) if bias is None else bias
        return batch_norm_training(x, weight, bias, running_mean=running_mean,
                                   running_var=running_var, momentum=momentum, eps=eps)
    mean = _per_channel(as_tensor(running_mean.astype(x.dtype, copy=False)), x.ndim)
    var = _per_channel(as_tensor(running_var.astype(x.dtype, copy=False)), x.ndim)
    out = (x - mean) * (var + eps) ** -0.5
    if weight is not None:
        out = out * _per_channel(as_tensor(weight), x.ndim)
    if bias is not None:
        out = out + _per_channel(as_tensor(bias), x.ndim)
    return out


@op(derived=True,
    cases=(Case(((4, 3, 2, 2), (3,), (3,)), call=lambda x, w, b: batch_norm2d(
        x, _example(3) * 0, _example(3) * 0 + 1, w, b, training=True), label="training"),
           Case(((2, 3, 2, 2), (3,)), call=lambda x, w: batch_norm2d(
               x, _example(3, seed=7), _example(3, seed=8) + 2, w, None), label="eval")))
def batch_norm2d(x, running_mean, running_var, weight=None, bias=None, training=False,
                 momentum=0.1, eps=1e-5):
    """y = (x − μ)/√(σ² + ε) · γ + β per channel, μ, σ² over (N, H, W) (Ioffe & Szegedy
    2015);  from batch_norm_training in training (the gradient flows through μ, σ²), from
    sub, mul and add in evaluation.

    In training the running estimates (arrays) move in place by ``momentum``, with the
    unbiased variance (as PyTorch); in evaluation they are used as μ and σ².
    """
    return batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)
