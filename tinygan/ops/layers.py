"""The ops behind the 2014 paper's layers and loss: maxout, dropout's mask, and binary
cross-entropy from logits, each with a hand-written fast forward. Their gradients are
again ops (maxout's gradient routes g to the winning pieces; the adjoint of routing is
gathering), so a gradient penalty through the paper's discriminator works."""
from tinygan import backend, fused
from tinygan.backend import get_array_module, host
from tinygan.ops.activations import softplus_array
from tinygan.ops.table import Case
from tinygan.ops.activations import sigmoid
from tinygan.tensor import array_of, op, same_kind

__all__ = ["linear", "maxout", "maxout_route", "maxout_gather", "masked_scale", "bce_with_logits"]


@op(grads=(lambda g, y, x, w, b: g @ w.T, lambda g, y, x, w, b: x.T @ g,
           lambda g, y, x, w, b: g.sum(axis=0)),
    public=False, arrays=True, cases=(Case(((5, 3), (3, 4), (4,))),))
def linear(x, weight, bias):
    """y = x W + b for a batch x (n, in), W (in, out), b (out,), one op (no temporary for
    the bias);  ∂L/∂x = g Wᵀ, ∂L/∂W = xᵀ g, ∂L/∂b = Σₙ g."""
    out = x @ weight
    out += bias
    return out


def _pieces(array, pieces):
    """The ``pieces`` blocks of columns of a piece-major (n, pieces·units) array."""
    units = array.shape[1] // pieces
    return [array[:, p * units:(p + 1) * units] for p in range(pieces)]


def _winners(x, y, pieces):
    """Boolean masks, one per piece: where that piece is the maximum (the first on a tie)."""
    taken, winners = None, []
    for block in _pieces(x, pieces):
        wins = block == y
        if taken is None:
            taken = wins.copy()
        else:
            wins &= ~taken
            taken |= wins
        winners.append(wins)
    return winners


def _example_winners(n, units, pieces):
    """Random disjoint winner masks for the op's tests."""
    choice = host.random.default_rng(3).integers(0, pieces, size=(n, units))
    return [backend.asarray(choice == p) for p in range(pieces)]


def _maxout_grad(g, y, x, pieces):
    routed = fused.maxout_backward(g, y, x, pieces)     # one GPU kernel on CuPy arrays
    if routed is not None:
        return routed
    winners = _winners(array_of(x), array_of(y), pieces)
    return same_kind(maxout_route, g, winners=winners)


@op(grads=(_maxout_grad,), public=False, arrays=True, cases=(Case(((4, 6),), call=lambda x: maxout(x, 3)),))
def maxout(x, pieces):
    """y[:, j] = max_p x[:, p·U + j], U = width / pieces (Goodfellow et al. 2013);
    ∂y/∂x = 1 for the winning piece (the first on a tie), 0 for the others.

    The pieces of a unit are stored piece-major (column p·U + j), so the max runs over
    ``pieces`` contiguous blocks with ``maximum(out=)``, far faster in NumPy than a max over
    a short last axis.
    """
    if x.ndim != 2 or x.shape[1] % pieces:
        raise ValueError(f"maxout: {x.shape[-1]} inputs cannot be split into {pieces} equal "
                         f"pieces")
    out = fused.maxout(x, pieces)                       # one GPU kernel on CuPy arrays
    if out is not None:
        return out
    xp = get_array_module(x)
    blocks = _pieces(x, pieces)
    out = blocks[0].copy()
    for block in blocks[1:]:
        xp.maximum(out, block, out=out)
    return out


@op(grads=(lambda v, y, g, winners: same_kind(maxout_gather, v, winners=winners),), public=False,
    arrays=True,
    cases=(Case(((4, 2),), call=lambda g: maxout_route(g, winners=_example_winners(4, 2, 3))),))
def maxout_route(g, winners):
    """y = g placed in the block of each unit's winning piece, 0 in the others;
    ∂L/∂g = the gather of the gradient from those places (``maxout_gather``)."""
    xp = get_array_module(g)
    out = xp.empty((g.shape[0], g.shape[1] * len(winners)), dtype=g.dtype)
    for block, wins in zip(_pieces(out, len(winners)), winners):
        xp.multiply(g, wins, out=block)
    return out


@op(grads=(lambda w, y, v, winners: same_kind(maxout_route, w, winners=winners),), public=False,
    arrays=True,
    cases=(Case(((4, 6),), call=lambda v: maxout_gather(v, winners=_example_winners(4, 2, 3))),))
def maxout_gather(v, winners):
    """y[:, j] = v at unit j's winning piece;  ∂L/∂v = ``maxout_route`` of the gradient
    (routing and gathering are each other's adjoint)."""
    xp = get_array_module(v)
    blocks = _pieces(v, len(winners))
    out = xp.multiply(blocks[0], winners[0])
    scratch = xp.empty_like(out)
    for block, wins in zip(blocks[1:], winners[1:]):
        xp.multiply(block, wins, out=scratch)
        out += scratch
    return out


def _example_keep(shape):
    return backend.asarray(host.random.default_rng(4).random(shape) < 0.6)


@op(grads=(lambda g, y, x, keep, scale: same_kind(masked_scale, g, keep=keep, scale=scale),),
    public=False, arrays=True,
    cases=(Case(((4, 5),), call=lambda x: masked_scale(x, keep=_example_keep((4, 5)), scale=2.5)),))
def masked_scale(x, keep, scale):
    """y = x · keep · scale for a 0/1 mask (dropout's op);  ∂y/∂x = keep · scale: the same
    op applied to g."""
    out = fused.masked_scale(x, keep, scale)
    if out is not None:
        return out
    out = get_array_module(x).multiply(x, keep)
    out *= scale
    return out


def _example_targets(shape):
    return backend.asarray(host.random.default_rng(5).random(shape))


def _bce_grad(g, y, logits, targets):
    grad = fused.bce_grad(g, logits, targets)
    return g * (same_kind(sigmoid, logits) - targets) if grad is None else grad


@op(grads=(_bce_grad,),
    public=False, arrays=True,
    cases=(Case(((6, 1),), call=lambda x: bce_with_logits(
                    x, targets=_example_targets((6, 1)).astype(x.dtype))),
           Case(((5,),), call=lambda x: bce_with_logits(x, targets=1.0), label="scalar target")))
def bce_with_logits(logits, targets):
    """ℓ(l, t) = −[t log σ(l) + (1 − t) log(1 − σ(l))] = softplus(l) − t·l, one fused op;
    ∂ℓ/∂l = σ(l) − t (targets t: a number or an array of the logits' dtype). Finite
    and exact at l = ±1e4."""
    out = fused.bce_with_logits(logits, targets)
    return softplus_array(logits) - targets * logits if out is None else out
