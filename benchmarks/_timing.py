"""The timer the profiling scripts of this folder share (run them as ``python benchmarks/<script>.py``)."""

from __future__ import annotations

import time

import jax


def best_time(fn, *args, repeats: int, inner: int) -> float:
    """Seconds per call of ``fn(*args)``: the best of ``repeats`` rounds of ``inner`` calls, after one warm-up call
    (compilation), each round ending when the device is done (``jax.block_until_ready``)."""
    out = fn(*args)
    jax.block_until_ready(out)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            out = fn(*args)
        jax.block_until_ready(out)
        best = min(best, (time.perf_counter() - start) / inner)
    return best
