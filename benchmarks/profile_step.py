"""Where one iteration's time goes, for benchmarks/PROFILE.md.

    python benchmarks/profile_step.py tinygan mnist_dropout   # cProfile, by op and pass
    python benchmarks/profile_step.py torch mnist_dropout     # torch.profiler, by aten op
    python benchmarks/profile_step.py hand mnist_dropout      # page faults only
    python benchmarks/profile_step.py passes                  # each NumPy pass alone
    python benchmarks/profile_step.py tinygan mnist_dropout --backend cupy --functions 30
                                  # on a GPU: host time per function (the GPU runs behind it)

Cases: mnist_dropout, mnist_no_dropout (the paper's model, m = 100) and toy (the ring
preset). Every run is one process; threads follow OMP/OPENBLAS_NUM_THREADS. Times on a
loaded machine are inflated: read the shares, and the "passes" table (minimum of many
runs, which is close to the unloaded cost of a short pass).
"""
import argparse
import cProfile
import pstats
import resource
import time
from collections import defaultdict

import numpy as np

import contenders

FACTORIES = {
    ("tinygan", "mnist_dropout"): lambda: contenders.tinygan_mnist(100, True),
    ("tinygan", "mnist_no_dropout"): lambda: contenders.tinygan_mnist(100, False),
    ("tinygan", "toy"): contenders.tinygan_toy,
    ("hand", "mnist_dropout"): lambda: contenders.hand_mnist(100, True),
    ("hand", "mnist_no_dropout"): lambda: contenders.hand_mnist(100, False),
    ("floor", "mnist_dropout"): lambda: contenders.gemm_floor(100),
    ("torch", "mnist_dropout"): lambda: contenders.torch_mnist(100, True),
    ("torch", "mnist_no_dropout"): lambda: contenders.torch_mnist(100, False),
    ("torch", "toy"): contenders.torch_toy,
}

# (file suffix, function) → what it is; the closures named "backward" are told apart by line
CATEGORIES = [
    ("ops/arithmetic.py", "matmul", "matrix products (forward)"),
    ("ops/arithmetic.py", "backward@matmul", "matrix products (backward)"),
    ("nn/functional.py", "maxout", "maxout forward"),
    ("nn/functional.py", "backward@maxout", "maxout backward"),
    ("nn/functional.py", "dropout", "dropout forward (draws, mask, scale)"),
    ("nn/functional.py", "backward@dropout", "dropout backward"),
    ("optim/", "", "optimizer update"),
    ("tensor.py", "backward", "engine: backward walk, leaf grads, freeing"),
    ("tensor.py", "_unbroadcast", "engine: bias gradients (sum over rows)"),
    ("tensor.py", "_topological_order", "engine: topological order"),
    ("tensor.py", "", "engine: Tensor/node creation"),
    ("ops/activations.py", "", "activations (relu, sigmoid, softplus)"),
    ("nn/losses.py", "", "losses (BCE from logits)"),
    ("ops/", "", "other ops (add, mul, concatenate, mean, …)"),
    ("data/", "", "data (batches, noise, shuffling)"),
    ("gan/", "", "trainer, models (Python)"),
    ("nn/", "", "modules (Python)"),
]


def category(filename, line, name, closures):
    if name == "<lambda>" or name == "backward" and not filename.endswith("tensor.py"):
        name = f"backward@{closures.get((filename, line), '?')}"
    for suffix, function, label in CATEGORIES:
        if suffix in filename.replace("\\", "/") and (not function or function == name):
            return label
    return "other Python (builtins, numpy wrappers)"


def closure_owners():
    """(file, first line) of each op's backward closure → the op that defines it."""
    import inspect
    from tinygan.nn import functional
    from tinygan.ops import arithmetic
    owners = {}
    for module, names in ((arithmetic, ("matmul",)), (functional, ("maxout", "dropout"))):
        for name in names:
            lines, first = inspect.getsourcelines(getattr(module, name))
            for offset, text in enumerate(lines):
                if text.strip().startswith("def backward"):
                    owners[(inspect.getsourcefile(module), first + offset)] = name
    return owners


def page_faults(step, n):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(n):
        step()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / n


def profile_tinygan(step, n, functions=0):
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(n):
        step()
    profiler.disable()
    wall = 1000 * (time.perf_counter() - started) / n
    stats = pstats.Stats(profiler).stats
    owners = closure_owners()
    totals, calls = defaultdict(float), defaultdict(int)
    for (filename, line, name), (_, ncalls, tottime, _, _) in stats.items():
        label = category(filename, line, name, owners)
        totals[label] += 1000 * tottime / n
        calls[label] += ncalls / n
    profiled = sum(totals.values())
    print(f"cProfile: {wall:.1f} ms/iteration under the profiler (its own overhead included), "
          f"{sum(calls.values()):.0f} Python calls per iteration")
    for label, ms in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"  {ms:7.2f} ms  {100 * ms / profiled:5.1f} %  {calls[label]:7.0f} calls  {label}")
    if functions:
        print(f"\nthe {functions} functions with the most own time (ms per iteration):")
        rows = sorted(stats.items(), key=lambda item: -item[1][2])[:functions]
        for (filename, line, name), (_, ncalls, tottime, cumtime, _) in rows:
            where = "/".join(filename.split("/")[-2:])
            print(f"  {1000 * tottime / n:7.3f} own {1000 * cumtime / n:8.3f} cum "
                  f"{ncalls / n:6.0f} calls  {where}:{line} {name}")


def profile_torch(step, n):
    import torch
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(n):
            step()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=22))


def passes(repeats=60):
    """Each elementwise pass of the iteration alone, at the paper's shapes (minimum of
    ``repeats`` runs, ms)."""
    rng = np.random.default_rng(0)
    f32 = lambda *shape: rng.random(shape, dtype=np.float32)   # noqa: E731
    sizes = [100 * 1200, 1200, 1200 * 1200, 1200, 1200 * 784, 784,          # G
             784 * 1200, 1200, 240 * 1200, 1200, 240, 1]                      # D
    params = [f32(s) for s in sizes]
    grads = [f32(s) for s in sizes]
    velocity = [f32(s) for s in sizes]
    scratch = [np.empty_like(p) for p in params]
    flat_p, flat_g, flat_v = (np.concatenate(a) for a in (params, grads, velocity))
    flat_s = np.empty_like(flat_p)
    u = f32(200, 1200)
    out = u[:, :240].copy()
    g = f32(200, 240)
    x = f32(200, 784)
    rng16 = np.random.default_rng(1)

    def sgd_now():                                  # SGD.update's 4 passes, per parameter
        for p, gr, v, s in zip(params, grads, velocity, scratch):
            v *= 0.5
            v += gr
            np.multiply(v, 0.1, out=s)
            p -= s

    def sgd_split(threads):                         # tinygan's SGD: split_elementwise
        from tinygan.backend import split_elementwise
        from tinygan.optim.sgd import _sgd_step

        def update():
            for p, gr, v, s in zip(params, grads, velocity, scratch):
                split_elementwise(_sgd_step, (p, gr, v, s), (0.5, 0.1, False, False), threads)
        return update

    def sgd_flat():                                 # one flat buffer: 4 calls in all
        flat_v.__imul__(0.5)
        flat_v.__iadd__(flat_g)
        np.multiply(flat_v, 0.1, out=flat_s)
        flat_p.__isub__(flat_s)

    def sgd_flat_blocked(block=1 << 16):            # the same, cache-sized blocks
        for i in range(0, flat_p.size, block):
            v, gr, p, s = (a[i:i + block] for a in (flat_v, flat_g, flat_p, flat_s))
            v *= 0.5
            v += gr
            np.multiply(v, 0.1, out=s)
            p -= s

    def fresh_grads():                              # allocating every weight gradient anew
        return [np.empty_like(p) for p in params]

    def touch_fresh_grads():
        for a in fresh_grads():
            a.fill(0)

    def maxout_forward():
        o = u[:, :240].copy()
        for p in range(1, 5):
            np.maximum(o, u[:, p * 240:(p + 1) * 240], out=o)

    def maxout_backward():
        grad = np.empty_like(u)
        taken = None
        for p in range(5):
            wins = u[:, p * 240:(p + 1) * 240] == out
            if taken is None:
                taken = wins
            else:
                wins &= ~taken
                taken |= wins
            np.multiply(g, wins, out=grad[:, p * 240:(p + 1) * 240])

    def dropout_draw():                             # the three D layers' masks for 2m rows
        for shape in ((200, 784), (200, 240), (200, 240)):
            rng16.integers(0, 1 << 16, size=shape, dtype=np.uint16) < 52429

    def dropout_apply():
        keep = x > 0.2
        o = np.multiply(x, keep)
        o *= 1.25

    def bias_grads():                               # Σ over rows for every bias, both steps
        for n, width in ((200, 1200), (200, 1200), (100, 1200), (100, 1200), (100, 1200),
                         (100, 784)):
            np.ones((n, width), np.float32).sum(axis=0)

    def relu_backward():                            # G's two ReLUs, backward (G step)
        a = f32(100, 1200)
        for _ in range(2):
            a * (a > 0)

    cases = [("SGD update, per parameter (12 params × 4 passes, one thread)", sgd_now),
             ("SGD update as tinygan's SGD does it, 1 thread", sgd_split(1)),
             ("SGD update as tinygan's SGD does it, split over 2 threads", sgd_split(2)),
             ("SGD update on one flat buffer (4 passes, 4 calls)", sgd_flat),
             ("SGD update on one flat buffer, 64k-element blocks", sgd_flat_blocked),
             ("allocate 12 fresh gradient arrays (3.7 M floats) and touch them", touch_fresh_grads),
             ("maxout forward (200 × 1200 → 200 × 240)", maxout_forward),
             ("maxout backward (equality masks)", maxout_backward),
             ("dropout: draw D's three masks for 2m rows (uint16)", dropout_draw),
             ("dropout: apply one mask (200 × 784)", dropout_apply),
             ("bias gradients (six row sums)", bias_grads),
             ("ReLU backward ×2 (100 × 1200)", relu_backward)]
    print(f"each pass alone, minimum of {repeats} runs (ms):")
    for label, function in cases:
        best = float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            function()
            best = min(best, 1000 * (time.perf_counter() - started))
        print(f"  {best:7.3f}  {label}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("contender", choices=["tinygan", "torch", "hand", "floor", "passes"])
    parser.add_argument("case", nargs="?", default="mnist_dropout",
                        choices=["mnist_dropout", "mnist_no_dropout", "toy"])
    parser.add_argument("-n", type=int, default=20, help="iterations to profile")
    parser.add_argument("--backend", default="numpy", help="tinygan's backend (cupy on a GPU)")
    parser.add_argument("--unfused", action="store_true",
                        help="without the fused CuPy kernels (as TINYGAN_FUSED=0)")
    parser.add_argument("--functions", type=int, default=0,
                        help="also list the N functions with the most own time")
    args = parser.parse_args()
    if args.contender == "passes":
        passes()
        return
    if args.backend != "numpy":
        if (args.contender, args.case) != ("tinygan", "mnist_dropout"):
            parser.error("--backend works with: tinygan mnist_dropout")
        train_step, synchronize = contenders.tinygan_mnist(100, True, backend=args.backend,
                                                             fused=not args.unfused)

        def step():                 # the host queues kernels; wait for them every iteration
            train_step()
            synchronize()
    else:
        step = FACTORIES[(args.contender, args.case)]()
    for _ in range(3):
        step()
    print(f"{args.contender}, {args.case}: {page_faults(step, args.n):.0f} minor page faults "
          f"per iteration")
    best = float("inf")
    for _ in range(args.n):
        started = time.perf_counter()
        step()
        best = min(best, 1000 * (time.perf_counter() - started))
    print(f"fastest of {args.n} iterations: {best:.2f} ms")
    if args.contender == "tinygan":
        profile_tinygan(step, args.n, args.functions)
    elif args.contender == "torch":
        profile_torch(step, args.n)


if __name__ == "__main__":
    main()
