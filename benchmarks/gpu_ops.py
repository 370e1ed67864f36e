"""What one CuPy call costs at the paper's sizes (m = 100), for choosing between two ways of
writing the same op on a GPU, where a small op costs its launch rather than its arithmetic.

    python benchmarks/gpu_ops.py [--out DIR]          # on a GPU machine (.ci/gpu runs it)

Each snippet runs ``--calls`` times after a warm-up; "host" is the Python-side time per call
(the GPU runs behind it), "synced" the time per call with the GPU waited for at the end, so
a snippet whose device work outlasts its launch shows a larger synced time. One process,
one GPU, the times of one run: read them side by side, not as absolute costs.
"""
import argparse
import json
import time
from pathlib import Path


def snippets(cupy):
    """name -> a callable, in groups of alternatives for one job."""
    rng = cupy.random.default_rng(0)
    x = rng.standard_normal((100, 784), dtype=cupy.float32)
    w = rng.standard_normal((784, 1200), dtype=cupy.float32)
    b = rng.standard_normal(1200, dtype=cupy.float32)
    g = rng.standard_normal((100, 1200), dtype=cupy.float32)
    ones = cupy.ones((1, 100), cupy.float32)
    out = cupy.empty((100, 1200), cupy.float32)
    host = cupy.asnumpy(x)
    seeds = iter(range(10 ** 9))
    return {
        "product: x @ w": lambda: x @ w,
        "product: cupy.dot(x, w)": lambda: cupy.dot(x, w),
        "product: cupy.matmul(x, w, out=out)": lambda: cupy.matmul(x, w, out=out),
        "bias add: out += b": lambda: out.__iadd__(b),
        "bias gradient: g.sum(axis=0)": lambda: g.sum(axis=0),
        "bias gradient: ones @ g": lambda: ones @ g,
        "generator: default_rng(seed) (XORWOW)": lambda: cupy.random.default_rng(next(seeds)),
        "generator: Generator(Philox4x3210(seed))":
            lambda: cupy.random.Generator(cupy.random.Philox4x3210(next(seeds))),
        "draws: integers uint16 (100, 1200)":
            lambda: rng.integers(0, 1 << 16, size=(100, 1200), dtype=cupy.uint16),
        "draws: random float32 (100, 1200)": lambda: rng.random((100, 1200), dtype=cupy.float32),
        "draws: standard_normal float32 (100, 100)":
            lambda: rng.standard_normal((100, 100), dtype=cupy.float32),
        "elementwise: g * g": lambda: g * g,
        "copy host -> device (100, 784)": lambda: cupy.asarray(host),
        "sync: float(g[0, 0])": lambda: float(g[0, 0]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--out", type=Path, help="folder for gpu_ops.json")
    args = parser.parse_args()
    import cupy
    results = {}
    for name, call in snippets(cupy).items():
        for _ in range(10):
            call()
        cupy.cuda.Device().synchronize()
        start = time.perf_counter()
        for _ in range(args.calls):
            call()
        host = time.perf_counter() - start
        cupy.cuda.Device().synchronize()
        synced = time.perf_counter() - start
        results[name] = {"host_us": 1e6 * host / args.calls, "synced_us": 1e6 * synced / args.calls}
        print(f"{name:45} host {results[name]['host_us']:8.1f} µs   "
              f"synced {results[name]['synced_us']:8.1f} µs")
    if args.out:
        (args.out / "gpu_ops.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
