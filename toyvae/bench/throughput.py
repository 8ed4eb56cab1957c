"""``toyvae bench``: training throughput of the engine against two references, in ONE run.

Model: the paper's (Berger & Sebag 2020, Sec. 4.1) residual MLP encoder and decoder, 4 blocks of
200 units, batch 100, 2-D data, Adam. Measured, side by side (the machine may be shared, so only
ratios taken in the same run mean anything):

1. the matrix-product limit: the model's forward and backward products of one training step alone,
   in numpy float32 (per layer, its own weights: Y = X W^T forward; dX = dY W and dW = dY^T X
   backward), best of one BLAS thread and the default;
2. our engine, one model: steps/s of the jitted ``lax.scan`` program (compilation excluded);
3. our engine, the Table 1 program: 8 settings x 10 seeds = 80 models in one program, as
   model-steps/s (per-model throughput);
4. PyTorch eager, the same model and Adam, one model (skipped with a message if torch is absent).

All four are measured in ``--rounds`` back-to-back rounds; the ratios are medians over rounds.
The references (1 and 4) run in fresh interpreters, apart from the engine's process. Every figure is
also given as a fraction of the float32 matmul peak (:func:`toyvae.bench.scale.matmul_flops`, jitted
1024 x 1024 products) measured in the same round: the FLOP/s of the model's products
(:func:`toyvae.models.mlp.resnet_flops`, 0.39 GFLOP per step) over that peak.

**Profile (issue 18, 2026-12-06, 2 cores of an AMD EPYC with AVX2, shared with other jobs, load
4-5; matmul peak measured 54-85 GFLOP/s during the run).** ``benchmarks/profile_mlp.py``, one model,
jitted pieces of one step: data draw 0.07 ms, forward 3.8 ms, forward + backward 8.4 ms, Adam update 1.3 ms
(7% of a step); a step inside ``lax.scan`` 17.2 ms with ``unroll=1`` and 17.4 ms with ``unroll=4``
(the scan costs nothing measurable; unrolling does not help), the engine's ``fit`` 12.4 ms per step.
The compiled forward + backward (XLA dump, ``--xla_dump_to``) runs about 160 kernels in
its entry computation: the 59 products (20 alone, 39 in custom fusions with their neighbours), 90
loop fusions, 6 copies, and two 5-trip while loops of the threefry random-number hash (the per-example
keys and the z draw); numpy's limit is the products alone. With 0.39 GFLOP per step, a kernel's fixed
cost of a few microseconds adds up to ~10-20% of the step. One model runs on one device (one core):
products of 100 x 200 x 200 are too small for XLA:CPU to split over threads, so the second core idles
and the one-thread numpy limit bounds the engine. The 80-model program puts 40 models on each core
(``engine.parallel``), one at a time for a chunk of steps.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

import numpy as np

from toyvae.cli._args import OneLineParser
from toyvae.cli._args import positive_int as _positive_int

__all__ = ["main", "numpy_matmul_steps_per_s", "engine_steps_per_s", "torch_steps_per_s"]


def numpy_matmul_steps_per_s(width=200, depth=4, batch=100, seconds=3.0, threads: int | None = None,
                             reuse: bool = False, data_dim: int = 2, latent_dim: int = 2) -> float:
    """Steps/s allowed by the matrix products of one forward+backward step alone (numpy float32).

    The products are the model's own: encoder and decoder, each with its lifting layer, 2 x depth
    width x width layers and its read-out, every layer with its own weight matrix. Forward keeps
    each layer's input; backward computes, layer by layer in reverse, the weight gradient
    dW = dY^T A and the input gradient dA = dY W.

    ``reuse=True`` instead repeats one width x width product triple with a single weight matrix
    and activation (the first version of this benchmark): everything then stays in the L1/L2
    caches, so it is an upper bound rather than the model's products.
    ``threads``: BLAS threads (threadpoolctl, shipped with scikit-learn); None leaves the default.
    On a busy machine a multi-threaded BLAS can spin-wait badly, so :func:`main` takes the best
    of 1 thread and the default.
    """
    if threads is not None:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=threads, user_api="blas"):
            return numpy_matmul_steps_per_s(width, depth, batch, seconds, None, reuse, data_dim, latent_dim)
    rng = np.random.default_rng(0)

    def layers(n_in, n_out):  # weight matrices (out, in) of one residual MLP
        shapes = [(width, n_in)] + [(width, width)] * (2 * depth) + [(n_out, width)]
        return [(rng.standard_normal(sh) / np.sqrt(sh[1])).astype(np.float32) for sh in shapes]

    encoder, decoder = layers(data_dim, 2 * latent_dim), layers(latent_dim, 2 * data_dim)
    x = rng.standard_normal((batch, data_dim), dtype=np.float32)

    def forward(weights, h, inputs):
        for w in weights:
            inputs.append(h)
            h = h @ w.T
        return h

    def backward(weights, g, inputs):
        for w, a in zip(reversed(weights), reversed(inputs)):
            _ = g.T @ a  # weight gradient
            g = g @ w  # input gradient
        return g

    def step():
        enc_in, dec_in = [], []
        out = forward(encoder, x, enc_in)  # (batch, 2 latent): mean and log-variance
        recon = forward(decoder, out[:, :latent_dim], dec_in)
        g_z = backward(decoder, recon, dec_in)  # gradient at z, shape (batch, latent)
        backward(encoder, np.concatenate([g_z, g_z], axis=1), enc_in)

    def step_reused():
        w, a = encoder[1], rng.standard_normal((batch, width), dtype=np.float32)
        for _ in range(4 * depth):  # two width x width layers per block, encoder and decoder
            y = a @ w.T
            _ = y @ w
            _ = y.T @ a

    fn = step_reused if reuse else step
    fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - start)


_COMPILED: set = set()


def _in_subprocess(function: str, **kwargs) -> float | None:
    """``function(**kwargs)`` of this module, run in a fresh interpreter.

    The references run apart from the engine's process, so that BLAS or OpenMP worker threads
    left by numpy's or PyTorch's products cannot compete with the engine measured next.
    """
    code = "import json, sys, toyvae.bench as b; print(json.dumps(getattr(b, sys.argv[1])(**json.loads(sys.argv[2]))))"
    out = subprocess.run([sys.executable, "-c", code, function, json.dumps(kwargs)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def engine_steps_per_s(n_settings=1, n_seeds=1, steps=200, width=200, depth=4) -> float:
    """Model-steps/s of the engine (compilation excluded: the program is compiled, then timed)."""
    import jax

    from toyvae.data.synthetic import HeteroscedasticCurve
    from toyvae.experiments.bs20_train import Setting, VAEConfig, train

    cfg = VAEConfig(width=width, depth=depth, steps=steps, chunk=steps)
    settings = ([Setting.fixed(s) for s in (1.0, 0.3, 0.1, 0.043, 0.03, 0.01)]
                + [Setting.scalar(), Setting.vector()])[:n_settings]
    seeds = list(range(n_seeds))
    if (cfg, n_settings, n_seeds) not in _COMPILED:  # compile once (the jit cache keeps it)
        train(cfg, HeteroscedasticCurve(), settings, seeds, progress=False)
        _COMPILED.add((cfg, n_settings, n_seeds))
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
    while n < steps and (n < 3 or time.perf_counter() - start < 5.0):  # at most ~5 s
        step()
        n += 1
    return n / (time.perf_counter() - start)


def _parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="toyvae bench", description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=_positive_int, default=300, help="timed steps of the single-model runs")
    p.add_argument("--table-steps", type=_positive_int, default=30, help="timed steps of the 80-model program")
    p.add_argument("--rounds", type=_positive_int, default=3,
                   help="rounds of (limit, engine) measurements; the ratios reported are medians")
    p.add_argument("--scale", action="store_true",
                   help="instead: the SCALE conv VAE benchmark (toyvae.bench.scale; its options follow, see --scale -h)")
    return p


def main(argv=None) -> dict:
    """Run the benchmark and print its report; returns the numbers.

    A usage mistake is reported in one line on stderr and raises ``SystemExit(2)`` before anything runs.
    With ``--scale`` the arguments go to :func:`toyvae.bench.scale.main` (the SCALE conv VAE against PyTorch).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--scale" in argv:
        from toyvae.bench import scale

        return scale.main([a for a in argv if a != "--scale"])
    args = _parser().parse_args(argv)
    import jax

    print("model: 4 residual blocks of 200 (encoder and decoder), batch 100, Adam; float32")
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores; JAX devices: {len(jax.devices())} "
          f"x {jax.default_backend()}" +
          ("  (the machine is busy: absolute numbers are low, compare the ratios)" if load > 1.5 else ""))
    upper = _in_subprocess("numpy_matmul_steps_per_s", seconds=1.0, reuse=True)
    has_torch = importlib.util.find_spec("torch") is not None
    from toyvae.bench.scale import matmul_flops
    from toyvae.models.mlp import resnet_flops

    flops = resnet_flops(2, 4, 200, 4, 100) * 2  # encoder and decoder, forward + backward, per step
    rows = []
    for r in range(args.rounds):  # references and engine measured back to back: load drifts cancel
        peak = matmul_flops()
        lim_default = _in_subprocess("numpy_matmul_steps_per_s", seconds=1.0)
        lim_one = _in_subprocess("numpy_matmul_steps_per_s", seconds=1.0, threads=1)
        single = engine_steps_per_s(steps=args.steps)
        table = engine_steps_per_s(n_settings=8, n_seeds=10, steps=args.table_steps)
        torch_rate = (max(_in_subprocess("torch_steps_per_s", steps=args.steps),
                          _in_subprocess("torch_steps_per_s", steps=args.steps, threads=1))
                      if has_torch else float("nan"))
        rows.append((max(lim_default, lim_one), lim_one, single, table, torch_rate, peak / flops))
        print(f"round {r + 1}: matmul peak {peak / 1e9:6.1f} GFLOP/s; numpy products {lim_default:6.1f} steps/s "
              f"(default threads), {lim_one:6.1f} (1 thread); engine 1 model {single:6.1f} steps/s, 80 models "
              f"{table:6.1f} model-steps/s; PyTorch eager {torch_rate:6.1f} steps/s (best of default threads and 1)")
    limit, lim_one, single, table, torch_rate, peak_steps = (float(np.median(c)) for c in zip(*rows))
    ratio = lambda i, j: float(np.median([row[i] / row[j] for row in rows]))  # noqa: E731
    print(f"float32 matmul peak         : {peak_steps * flops / 1e9:7.1f} GFLOP/s (jax.jit, 1024 x 1024 products) "
          f"= {peak_steps:.1f} steps/s of this model's {flops / 1e9:.3f} GFLOP of products per step")
    print(f"numpy products alone (limit): {limit:7.1f} steps/s = {ratio(0, 5):.2f} of peak (best of 1 thread and "
          f"the default; one reused matrix, cache-resident: {upper:.1f})")
    print(f"engine, 1 model             : {single:7.1f} steps/s = {ratio(2, 0):.2f} x limit "
          f"({ratio(2, 1):.2f} x the 1-thread limit) = {ratio(2, 5):.2f} of peak")
    print(f"engine, 80 models (Table 1) : {table:7.1f} model-steps/s = {ratio(3, 2):.2f} x single model "
          f"= {ratio(3, 0):.2f} x limit = {ratio(3, 5):.2f} of peak")
    if has_torch:
        print(f"PyTorch eager, 1 model      : {torch_rate:7.1f} steps/s = {ratio(4, 5):.2f} of peak; "
              f"engine / torch = {ratio(2, 4):.2f}")
    else:
        torch_rate = None
        print("PyTorch eager reference     : skipped (torch is not installed; pip install torch)")
    print("(medians over rounds; ratios are medians of per-round ratios; 'of peak': FLOP/s of the model's "
          "products over the float32 matmul peak measured in the same round)")
    return {"load": load, "matmul_limit": limit, "matmul_limit_1thread": lim_one, "single": single,
            "table_per_model": table, "single_vs_limit": ratio(2, 0), "table_vs_single": ratio(3, 2),
            "torch": torch_rate, "engine_vs_torch": ratio(2, 4) if has_torch else None,
            "matmul_peak_flops": peak_steps * flops, "flops_per_step": flops,
            "single_fraction_of_peak": ratio(2, 5), "table_fraction_of_peak": ratio(3, 5),
            "limit_fraction_of_peak": ratio(0, 5),
            "torch_fraction_of_peak": ratio(4, 5) if has_torch else None}


if __name__ == "__main__":
    main()
