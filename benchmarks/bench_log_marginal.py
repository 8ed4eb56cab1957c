"""Time the 10^6-point heat-map grid of ``toyvae.theory.hypersphere.log_marginal`` (issue 2).

The grid is the one of the BS20 Figure 2 heat map: 1000 values of ``R / sigma`` times 1000 values of
``r / sigma`` (``sigma = 1``), spanning 0 to twice the sharp threshold ``sqrt(D)`` so that it holds
both the collapsed and the non-collapsed regime. Prints the median of ``--repeat`` runs per ``D``.

    python benchmarks/bench_log_marginal.py            # D = 2 and D = 1000, 7 runs each
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from toyvae.theory.hypersphere import log_marginal


def grid(D: int, n: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """``r / sigma`` (rows) and ``R / sigma`` (columns), ``n x n`` points up to ``2 sqrt(D)``."""
    top = 2.0 * np.sqrt(D)
    R = np.linspace(top / n, top, n)
    r = np.linspace(0.0, top, n)
    return np.meshgrid(r, R, indexing="ij")


def time_grid(D: int, repeat: int) -> tuple[float, float]:
    """(median, min) wall time in seconds of one evaluation of the full grid."""
    r, R = grid(D)
    log_marginal(r, R, 1.0, D)  # warm-up (imports, caches)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        values = log_marginal(r, R, 1.0, D)
        times.append(time.perf_counter() - start)
    assert np.all(np.isfinite(values))
    return float(np.median(times)), float(np.min(times))


def main(argv=None) -> dict[int, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 1000, 100000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    medians = {}
    for D in args.dims:
        median, best = time_grid(D, args.repeat)
        medians[D] = median
        print(f"D = {D:>6}: 10^6 points of log_marginal in {median:.3f} s (median of {args.repeat}; best {best:.3f} s)")
    return medians


if __name__ == "__main__":
    main()
