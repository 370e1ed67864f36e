"""Two references for benchmarks/gan_step.py, in plain NumPy with no autograd:

- ``gemm_floor``: only the 25 matrix products of one Algorithm-1 iteration of the paper's
  MNIST GAN (forward and backward, shapes as in training), nothing else;
- ``HandWrittenStep``: the whole iteration written by hand — the same arithmetic tinygan
  performs (dropout, piece-major maxout, stable sigmoid + BCE from logits, SGD with
  momentum in place), as tight as we could make it. It is the limit an autograd library's
  overhead is measured against.
"""
import numpy as np

# (rows, inner, cols) of every product in one iteration, k = 1
def gemm_shapes(m=100, noise=100, hidden=1200, pixels=784, units=240, pieces=5):
    wide = units * pieces
    g_forward = [(m, noise, hidden), (m, hidden, hidden), (m, hidden, pixels)]
    d_forward = lambda n: [(n, pixels, wide), (n, units, wide), (n, units, 1)]
    d_weight_grads = lambda n: [(units, n, 1), (units, n, wide), (pixels, n, wide)]
    d_input_grads = lambda n, to_x: [(n, 1, units), (n, wide, units)] + ([(n, wide, pixels)] if to_x else [])
    g_backward = [(hidden, m, pixels), (m, pixels, hidden), (hidden, m, hidden), (m, hidden, hidden),
                  (noise, m, hidden)]
    d_step = g_forward + d_forward(2 * m) + d_weight_grads(2 * m) + d_input_grads(2 * m, False)
    g_step = g_forward + d_forward(m) + d_input_grads(m, True) + g_backward
    return d_step + g_step


def flops(shapes):
    return sum(2 * a * b * c for a, b, c in shapes)


class GemmFloor:
    """The products alone, on preallocated operands."""

    def __init__(self, shapes, seed=0):
        rng = np.random.default_rng(seed)
        self.pairs = [(rng.random((a, b), dtype=np.float32), rng.random((b, c), dtype=np.float32))
                      for a, b, c in shapes]

    def step(self):
        for a, b in self.pairs:
            a @ b


def _uniform(rng, shape, bound):
    return ((rng.random(shape, dtype=np.float32) * 2 - 1) * bound).astype(np.float32)


class HandWrittenStep:
    """One iteration of Algorithm 1 (k = 1) on the paper's MNIST GAN, by hand."""

    def __init__(self, data, m=100, dropout=True, lr=0.1, momentum=0.5, seed=0):
        self.rng = np.random.default_rng(seed)
        self.data, self.m, self.dropout, self.lr, self.momentum = data, m, dropout, lr, momentum
        r = self.rng
        self.G = [_uniform(r, (100, 1200), 0.05), np.zeros(1200, np.float32),
                  _uniform(r, (1200, 1200), 0.05), np.zeros(1200, np.float32),
                  _uniform(r, (1200, 784), 0.05), np.zeros(784, np.float32)]
        self.D = [_uniform(r, (784, 1200), 0.005), np.zeros(1200, np.float32),
                  _uniform(r, (240, 1200), 0.005), np.zeros(1200, np.float32),
                  _uniform(r, (240, 1), 0.005), np.zeros(1, np.float32)]
        self.vG = [np.zeros_like(p) for p in self.G]
        self.vD = [np.zeros_like(p) for p in self.D]
        self.batch = 0

    # --- pieces -----------------------------------------------------------------------
    def _mask(self, shape, keep):
        threshold = round(keep * 65536)
        return self.rng.integers(0, 65536, size=shape, dtype=np.uint16) < threshold, 65536 / threshold

    @staticmethod
    def _maxout(u, pieces=5):
        units = u.shape[1] // pieces
        out = u[:, :units].copy()
        for p in range(1, pieces):
            np.maximum(out, u[:, p * units:(p + 1) * units], out=out)
        return out

    @staticmethod
    def _maxout_backward(g, u, out, pieces=5):
        units = out.shape[1]
        grad = np.empty_like(u)
        taken = None
        for p in range(pieces):
            wins = u[:, p * units:(p + 1) * units] == out
            if taken is None:
                taken = wins
            else:
                wins &= ~taken
                taken |= wins
            np.multiply(g, wins, out=grad[:, p * units:(p + 1) * units])
        return grad

    def _sgd(self, params, velocities, grads):
        # v ← μv + g;  θ ← θ − ηv, in place (g is a fresh array we may overwrite)
        for p, v, g in zip(params, velocities, grads):
            v *= self.momentum
            v += g
            np.multiply(v, self.lr, out=g)
            p -= g

    def _generator(self, z):
        W1, b1, W2, b2, W3, b3 = self.G
        h1 = z @ W1
        h1 += b1
        np.maximum(h1, 0, out=h1)
        h2 = h1 @ W2
        h2 += b2
        np.maximum(h2, 0, out=h2)
        out = h2 @ W3
        out += b3
        np.tanh(out * 0.5, out=out)          # σ(x) = (1 + tanh(x/2)) / 2
        out += 1
        out *= 0.5
        return h1, h2, out

    def _drop(self, a, keep, cache, name):
        """Inverted dropout; the mask and scale are kept in ``cache`` for backward."""
        if not self.dropout:
            return a
        mask, scale = self._mask(a.shape, keep)
        cache[name] = (mask, scale)
        out = a * mask
        out *= scale
        return out

    @staticmethod
    def _undrop(g, cache, name):
        if name in cache:
            mask, scale = cache[name]
            g *= mask
            g *= scale
        return g

    def _discriminator(self, x):
        V1, c1, V2, c2, V3, c3 = self.D
        cache = {}
        x = self._drop(x, 0.8, cache, "m0")
        u1 = x @ V1
        u1 += c1
        o1 = self._maxout(u1)
        a1 = self._drop(o1, 0.5, cache, "m1")
        u2 = a1 @ V2
        u2 += c2
        o2 = self._maxout(u2)
        a2 = self._drop(o2, 0.5, cache, "m2")
        logits = a2 @ V3
        logits += c3
        cache.update(x=x, u1=u1, o1=o1, a1=a1, u2=u2, o2=o2, a2=a2)
        return logits, cache

    def _discriminator_backward(self, dlogits, cache, weights=True, to_input=False):
        V1, c1, V2, c2, V3, c3 = self.D
        grads = []
        if weights:
            grads = [None] * 6
            grads[4] = cache["a2"].T @ dlogits
            grads[5] = dlogits.sum(axis=0)
        da2 = self._undrop(dlogits * V3[:, 0], cache, "m2")   # broadcasting, not an outer GEMM
        du2 = self._maxout_backward(da2, cache["u2"], cache["o2"])
        if weights:
            grads[2] = cache["a1"].T @ du2
            grads[3] = du2.sum(axis=0)
        da1 = self._undrop(du2 @ V2.T, cache, "m1")
        du1 = self._maxout_backward(da1, cache["u1"], cache["o1"])
        if weights:
            grads[0] = cache["x"].T @ du1
            grads[1] = du1.sum(axis=0)
        dx = None
        if to_input:
            dx = self._undrop(du1 @ V1.T, cache, "m0")
        return grads, dx

    @staticmethod
    def _sigmoid(x):
        out = np.tanh(x * 0.5)
        out += 1
        out *= 0.5
        return out

    def step(self):
        m = self.m
        # discriminator step: BCE against targets 1 (real) and 0 (fake), each half averaged
        rows = self.batch % (len(self.data) // m)
        self.batch += 1
        real = self.data[rows * m:(rows + 1) * m]
        z = self.rng.random((m, 100), dtype=np.float32) * 2 - 1
        _, _, fake = self._generator(z)
        logits, cache = self._discriminator(np.concatenate([real, fake]))
        dlogits = self._sigmoid(logits)
        dlogits[:m] -= 1
        dlogits *= 1.0 / m
        grads, _ = self._discriminator_backward(dlogits, cache)
        self._sgd(self.D, self.vD, grads)
        # generator step: non-saturating loss mean softplus(−l), ∂/∂l = (σ(l) − 1)/m
        z = self.rng.random((m, 100), dtype=np.float32) * 2 - 1
        h1, h2, fake = self._generator(z)
        logits, cache = self._discriminator(fake)
        dlogits = self._sigmoid(logits)
        dlogits -= 1
        dlogits *= 1.0 / m
        _, dx = self._discriminator_backward(dlogits, cache, weights=False, to_input=True)
        W1, b1, W2, b2, W3, b3 = self.G
        do = dx * fake
        do *= 1 - fake
        dh2 = do @ W3.T
        dh2 *= h2 > 0
        dh1 = dh2 @ W2.T
        dh1 *= h1 > 0
        self._sgd(self.G, self.vG, [z.T @ dh1, dh1.sum(0), h1.T @ dh2, dh2.sum(0), h2.T @ do, do.sum(0)])
