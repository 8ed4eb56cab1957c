"""The benchmarks behind ``toyvae bench``.

* :mod:`toyvae.bench.throughput`: the engine's training throughput on the residual-MLP VAE of
  Berger & Sebag (2020) against the matrix-product limit and PyTorch eager (``toyvae bench``).
* :mod:`toyvae.bench.scale`: the SCALE section's conv VAE against PyTorch eager and
  ``torch.compile`` (``toyvae bench --scale``).
"""

from toyvae.bench.throughput import (
    _in_subprocess,
    engine_steps_per_s,
    main,
    numpy_matmul_steps_per_s,
    torch_steps_per_s,
)

__all__ = ["main", "numpy_matmul_steps_per_s", "engine_steps_per_s", "torch_steps_per_s"]
