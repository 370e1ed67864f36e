"""Does tinygan's second thread help an optimizer update inside training? Adam's update of
the `dcgan` preset's two large weights (2 × 6272 × 1024 floats) on one thread and split over
two (``backend.split_elementwise``), alone and right after a matrix product, as in training,
where the update follows the backward pass's last product.

    python benchmarks/split_step.py                 # 2 threads, blocks of 32k and 128k elements

OpenBLAS's worker threads spin for a while after each product before they sleep
(``OPENBLAS_THREAD_TIMEOUT``, 2^28 cycles by default), so a thread that NumPy starts right
after a product may find its core busy. Each contender runs in its own process through
harness.py; all get the same BLAS threads. benchmarks/PROFILE.md §9 has the results.
"""
import argparse
from pathlib import Path

from harness import Contender, git_commit, machine, run_group, write_results

HERE = Path(__file__).resolve()

SHAPE = (6272, 1024)                     # the preset's two fully connected weights, G's and D's


def update(threads, block, product_first):
    """One Adam update of two weights of SHAPE, after a (1024 × 1024) product if asked."""
    import numpy as np
    from tinygan import backend
    from tinygan.optim.adam import _adam_step
    backend.SPLIT_BLOCK = block
    rng = np.random.default_rng(0)
    weights = [[rng.random(SHAPE, dtype=np.float32) for _ in range(4)] for _ in range(2)]
    multiply = product()

    def step():
        if product_first:
            multiply()
        for parameter, grad, m, v in weights:
            backend.split_elementwise(_adam_step, (parameter, grad, m, v),
                                      (0.5, 0.999, 2e-4, 1e-8), scratch=2, threads=threads)
    return step


def product():
    """One (1024 × 1024) matrix product, the step of the "product alone" contender."""
    import numpy as np
    a = np.random.default_rng(0).random((1024, 1024), dtype=np.float32)
    return lambda: a @ a


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--blocks", type=int, nargs="+", default=[1 << 15, 1 << 17])
    args = parser.parse_args()
    contenders = [Contender("product alone", "split_step", "product")]
    for block in args.blocks:
        for product_first in (False, True):
            for threads in (1, args.threads):
                name = (f"{'product, then ' if product_first else ''}update, "
                        f"{threads} thread{'s' if threads > 1 else ''}, blocks of {block}")
                contenders.append(Contender(name, "split_step", "update",
                                            dict(threads=threads, block=block,
                                                 product_first=product_first)))
    group = run_group(contenders, repeats=args.repeats, iterations=5, threads=args.threads)
    for name, result in group["contenders"].items():
        print(f"{name:55s} {result.get('median', float('nan')):7.2f} ms "
              f"({result.get('min', float('nan')):.2f}–{result.get('max', float('nan')):.2f})")
    environment = dict(machine(), tinygan_commit=git_commit(HERE.parent))
    print(write_results(dict(threads=args.threads, group=group, environment=environment),
                        HERE.parent / "results", "split_step"))


if __name__ == "__main__":
    main()
