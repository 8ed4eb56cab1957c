"""Where the time of one training step of the Table 1 residual MLP goes on the CPU (issue 18).

One model (Berger & Sebag 2020 Sec. 4.1: 4 blocks of 200, batch 100, Adam), jitted pieces timed side by
side in one process: the data draw, the forward loss, forward + backward, the Adam update, one whole
step, and a step inside ``lax.scan`` (``unroll`` 1 and 4); and the engine's own ``fit`` of the same
program (one model, and 80 models as model-steps/s). Prints each with its share of the whole step
and the float32 matmul peak of the same run.

    python benchmarks/profile_mlp.py
"""

from __future__ import annotations


import jax
import jax.numpy as jnp

import _timing  # benchmarks/ (the script's folder) is on sys.path

from toyvae import runtime


def best_time(fn, *args, repeats=5, inner=20):  # this script's defaults
    return _timing.best_time(fn, *args, repeats=repeats, inner=inner)


def main():
    runtime.configure()
    from toyvae.bench.scale import matmul_flops
    from toyvae.bench.throughput import engine_steps_per_s
    from toyvae.data.synthetic import HeteroscedasticCurve
    from toyvae.experiments.bs20_train import Setting, VAEConfig, settings_knobs, vae_program

    cfg = VAEConfig(width=200, depth=4, steps=200, chunk=200)
    program = vae_program(cfg, HeteroscedasticCurve())
    knobs = jax.tree_util.tree_map(lambda a: a[0], settings_knobs([Setting.fixed(0.1)], cfg.steps))
    key = jax.random.PRNGKey(0)
    params = program.init(knobs, key=key)
    opt = program.optimizer(knobs)
    state = opt.init(params)
    x = program.sample(knobs, None, key=key)

    def loss(p, x, key, t):
        return program.loss(p, x, knobs, key=key, step=t)[0]

    def step(carry, t):
        p, s = carry
        xk, lk = jax.random.split(jax.random.fold_in(key, t))
        g = jax.grad(loss)(p, program.sample(knobs, None, key=xk), lk, t)
        u, s = opt.update(g, s, p)
        return (jax.tree_util.tree_map(jnp.add, p, u), s), None

    g = jax.jit(jax.grad(loss))(params, x, key, 0)
    pieces = {
        "data draw": (jax.jit(lambda k: program.sample(knobs, None, key=k)), (key,)),
        "forward": (jax.jit(loss), (params, x, key, 0)),
        "forward+backward": (jax.jit(jax.grad(loss)), (params, x, key, 0)),
        "Adam update": (jax.jit(lambda g, s, p: opt.update(g, s, p)), (g, state, params)),
        "whole step, jitted alone": (jax.jit(step), ((params, state), 0)),
    }
    print(f"float32 matmul peak {matmul_flops() / 1e9:.1f} GFLOP/s", flush=True)
    times = {name: best_time(fn, *args) for name, (fn, args) in pieces.items()}
    for unroll in (1, 4):
        scan = jax.jit(lambda c, unroll=unroll: jax.lax.scan(step, c, jnp.arange(200), unroll=unroll)[0])
        times[f"per step in lax.scan (unroll {unroll})"] = best_time(scan, (params, state), inner=1) / 200
    whole = times["whole step, jitted alone"]
    for name, t in times.items():
        print(f"{name:34s} {t * 1e3:7.3f} ms  {t / whole:5.2f} of a step  ({1 / t:7.1f} per s)")
    print(f"engine fit, 1 model: {engine_steps_per_s(steps=300):.1f} steps/s; 80 models: "
          f"{engine_steps_per_s(n_settings=8, n_seeds=10, steps=30):.1f} model-steps/s", flush=True)
    print(f"float32 matmul peak {matmul_flops() / 1e9:.1f} GFLOP/s", flush=True)


if __name__ == "__main__":
    main()
