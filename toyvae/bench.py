"""``toyvae bench``: training throughput of the engine against two references, in ONE run.

Model: the paper's (Berger & Sebag 2020, Sec. 4.1) residual MLP encoder and decoder, 4 blocks of
200 units, batch 100, 2-D data, Adam. Measured, side by side (the machine may be shared, so only
ratios taken in the same run mean anything):

1. the matrix-product limit: the same forward and backward products of one training step alone,
   in numpy float32 (per layer: Y = X W^T forward; dX = dY W and dW = dY^T X backward);
2. our engine, one model: steps/s of the jitted ``lax.scan`` program (compilation excluded);
3. our engine, the Table 1 program: 8 settings x 10 seeds = 80 models in one vmapped scan,
   as model-steps/s (per-model throughput);
4. PyTorch eager, the same model and Adam, one model (skipped with a message if torch is absent).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

__all__ = ["main", "numpy_matmul_steps_per_s", "engine_steps_per_s", "torch_steps_per_s"]


def numpy_matmul_steps_per_s(width=200, depth=4, batch=100, seconds=3.0, threads: int | None = None) -> float:
    """Steps/s allowed by the 200x200 products of one fwd+bwd step alone (numpy float32).

    ``threads``: BLAS threads (threadpoolctl, shipped with scikit-learn); None leaves the default.
    On a busy machine a multi-threaded BLAS can spin-wait badly, so :func:`main` takes the best
    of 1 thread and the default.
    """
    if threads is not None:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=threads, user_api="blas"):
            return numpy_matmul_steps_per_s(width, depth, batch, seconds, None)
    rng = np.random.default_rng(0)
    w = rng.standard_normal((width, width), dtype=np.float32)
    x = rng.standard_normal((batch, width), dtype=np.float32)
    n_layers = 2 * depth * 2  # two products per block, encoder and decoder

    def step():
        for _ in range(n_layers):
            y = x @ w.T  # forward
            _ = y @ w  # backward: input gradient
            _ = y.T @ x  # backward: weight gradient

    step()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        n += 1
    return n / (time.perf_counter() - start)


def engine_steps_per_s(n_settings=1, n_seeds=1, steps=200, width=200, depth=4) -> float:
    """Model-steps/s of the engine (compilation excluded: the program is compiled, then timed)."""
    import jax

    from toyvae.engine import HeteroscedasticCurve, Setting, VAEConfig, train

    cfg = VAEConfig(width=width, depth=depth, steps=steps, chunk=steps)
    settings = ([Setting.fixed(s) for s in (1.0, 0.3, 0.1, 0.043, 0.03, 0.01)]
                + [Setting.scalar(), Setting.vector()])[:n_settings]
    seeds = list(range(n_seeds))
    train(cfg, HeteroscedasticCurve(), settings, seeds, progress=False)  # compile (cached)
    start = time.perf_counter()
    res = train(cfg, HeteroscedasticCurve(), settings, seeds, progress=False)
    jax.block_until_ready(res.params)
    return n_settings * n_seeds * steps / (time.perf_counter() - start)


def torch_steps_per_s(width=200, depth=4, batch=100, steps=200, threads: int | None = None) -> float | None:
    """Steps/s of a PyTorch eager VAE of the same shape with torch.optim.Adam; None without torch.

    ``threads``: torch intra-op threads for this measurement (None: torch's default).
    """
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    default_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _torch_rate(torch, width, depth, batch, steps)
    finally:
        torch.set_num_threads(default_threads)


def _torch_rate(torch, width, depth, batch, steps) -> float:
    class ResNet(torch.nn.Module):
        def __init__(self, i, o):
            super().__init__()
            self.inp = torch.nn.Linear(i, width)
            self.l1 = torch.nn.ModuleList(torch.nn.Linear(width, width) for _ in range(depth))
            self.l2 = torch.nn.ModuleList(torch.nn.Linear(width, width) for _ in range(depth))
            self.out = torch.nn.Linear(width, o)

        def forward(self, x):
            h = self.inp(x)
            for a, b in zip(self.l1, self.l2):
                h = h + b(torch.relu(a(h)))
            return self.out(torch.relu(h))

    enc, dec = ResNet(2, 4), ResNet(2, 4)
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-3)
    sigma = 0.1

    def step():
        t = torch.rand(batch) * 2 - 1
        x = torch.stack([2 * t, torch.sin(2 * torch.pi * t)], -1) + 0.05 * torch.randn(batch, 2)
        m, log_s = enc(x).chunk(2, -1)
        z = m + torch.exp(0.5 * log_s) * torch.randn_like(m)
        mu, _ = dec(z).chunk(2, -1)
        nll = ((x - mu) ** 2).sum(-1) / (2 * sigma**2)
        kl = 0.5 * (m**2).sum(-1) + 0.5 * (log_s.exp() - 1 - log_s).sum(-1)
        loss = (nll + kl).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(5):
        step()
    n, start = 0, time.perf_counter()
    while n < steps and (n < 3 or time.perf_counter() - start < 10.0):  # at most ~10 s
        step()
        n += 1
    return n / (time.perf_counter() - start)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(prog="toyvae bench", description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=300, help="timed steps of the single-model runs")
    p.add_argument("--table-steps", type=int, default=30, help="timed steps of the 80-model program")
    args = p.parse_args(argv)
    print("model: 4 residual blocks of 200 (encoder and decoder), batch 100, Adam; float32")
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores" +
          ("  (the machine is busy: absolute numbers are low, compare the ratios)" if load > 1.5 else ""))
    limits = {"default threads": numpy_matmul_steps_per_s(), "1 thread": numpy_matmul_steps_per_s(threads=1)}
    limit = max(limits.values())
    print(f"numpy matrix products alone : {limit:8.1f} steps/s (the practical limit; "
          + ", ".join(f"{k} {v:.1f}" for k, v in limits.items()) + ")")
    single = engine_steps_per_s(steps=args.steps)
    print(f"engine, 1 model             : {single:8.1f} steps/s = {single / limit:.2f} x matmul limit")
    table = engine_steps_per_s(n_settings=8, n_seeds=10, steps=args.table_steps)
    print(f"engine, 80 models (Table 1) : {table:8.1f} model-steps/s = {table / single:.2f} x single model "
          f"= {table / limit:.2f} x matmul limit")
    rates = [torch_steps_per_s(steps=args.steps), torch_steps_per_s(steps=args.steps, threads=1)]  # default, 1
    torch_rate = None if rates[0] is None else max(rates)
    if torch_rate is None:
        print("PyTorch eager reference     : skipped (torch is not installed; pip install torch)")
    else:
        print(f"PyTorch eager, 1 model      : {torch_rate:8.1f} steps/s (best of default threads "
              f"{rates[0]:.1f} and 1 thread {rates[1]:.1f}); engine / torch = {single / torch_rate:.2f}")
    return {"load": load, "matmul_limit": limit, "single": single, "table_per_model": table, "torch": torch_rate}


if __name__ == "__main__":
    main()
