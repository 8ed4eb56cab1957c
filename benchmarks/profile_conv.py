"""Where the time of one SCALE conv VAE training step goes on the CPU (issue 18).

Times, in one process and side by side, (a) the pieces of one step of the full-size model (64 x 64 x 3,
widths 64-128-256-512, latent 256, batch 64): forward loss, forward + backward, the Adam update, one
step jitted alone and one step inside ``lax.scan``; (b) every convolution layer of that model alone,
forward + backward, vmapped over the batch of one-example calls as the model does, with each
implementation of :mod:`toyvae.models.conv_vae`. Prints GFLOP/s (FLOPs as ``conv.flops_per_example``
counts them, x 3 for forward + backward) and the float32 matmul peak of the same run.

    python benchmarks/profile_conv.py [--size 64] [--batch 64] [--layers-only] [--step-only]
"""

from __future__ import annotations

import argparse
from unittest import mock

import jax
import jax.numpy as jnp
import numpy as np

import _timing  # benchmarks/ (the script's folder) is on sys.path

from toyvae import runtime


def best_time(fn, *args, repeats=2, inner=1):  # this script's defaults
    return _timing.best_time(fn, *args, repeats=repeats, inner=inner)


def layer_table(size, widths, batch, impls):
    from toyvae.models import conv_vae

    key = jax.random.PRNGKey(0)
    rows = []
    side, cin = size, 3
    for cout in widths:  # encoder: 4x4 stride 2 pad 1
        rows.append(("down", side, cin, cout))
        side, cin = side // 2, cout
    ups = list(reversed(widths)) + [widths[0]]
    for a, b in zip(ups[:-1], ups[1:]):
        rows.append(("up", side, a, b))
        side *= 2
    rows.append(("out3x3", side, widths[0], 6))
    for kind, side, cin, cout in rows:
        k = 3 if kind == "out3x3" else 4
        w = jax.random.normal(key, (k, k, cin, cout), jnp.float32) * 0.05
        x = jax.random.normal(key, (batch, 1, side, side, cin), jnp.float32)
        if kind == "down":
            kw = dict(stride=(2, 2), padding=((1, 1), (1, 1)))
            macs = (side // 2) ** 2 * 16 * cin * cout
        elif kind == "up":
            kw = dict(lhs_dilation=(2, 2), padding=((2, 2), (2, 2)))
            macs = (2 * side) ** 2 * 4 * cin * cout
        else:
            kw = dict(padding=((1, 1), (1, 1)))
            macs = side * side * 9 * cin * cout  # padding included here (a few % more)
        line = f"{kind:6s} {side:3d}x{side:<3d} {cin:4d}->{cout:<4d} {2 * macs * batch / 1e9:6.2f} GFLOP fwd:"
        for name, impl in impls.items():
            def loss(w, x, impl=impl):
                y = jax.vmap(lambda xi: conv_vae.conv_nhwc(xi, w, implementation=impl, **kw))(x)
                return jnp.sum(y * y)

            step = jax.jit(jax.grad(loss, argnums=(0, 1)))
            t = best_time(step, w, x)
            line += f"  {name} {t * 1e3:7.1f} ms {3 * 2 * macs * batch / t / 1e9:6.1f} GF/s"
        print(line, flush=True)


def step_pieces(size, widths, latent, batch, impl):
    import optax

    from toyvae.engine import batch_mean
    from toyvae.models import conv, conv_vae
    from toyvae.models.gaussian import Mode

    config = conv.ConvConfig(image_size=size, widths=tuple(widths), latent_dim=latent)
    params = conv_vae.init(config, key=jax.random.PRNGKey(0))
    x = jax.random.uniform(jax.random.PRNGKey(1), (batch, 3, size, size), jnp.float32)
    key = jax.random.PRNGKey(2)
    flops = 3 * conv.flops_per_example(config) * batch

    def loss(p, x, key):
        with mock.patch.object(conv_vae, "default_implementation", lambda: impl):  # read at trace time
            return batch_mean(conv_vae.example_loss, p, x, int(Mode.GIVEN), 0.5**0.5, 0.0, 1.0, key=key)[0]

    opt = optax.adam(1e-4)
    state = opt.init(params)
    fwd = jax.jit(loss)
    grad = jax.jit(jax.grad(loss))
    g = grad(params, x, key)

    @jax.jit
    def update(g, state, p):
        u, state = opt.update(g, state, p)
        return optax.apply_updates(p, u), state

    def one(carry, key):
        p, s = carry
        g = jax.grad(loss)(p, x, key)
        u, s = opt.update(g, s, p)
        return (optax.apply_updates(p, u), s), None

    scan3 = jax.jit(lambda c, keys: jax.lax.scan(one, c, keys)[0])
    keys = jax.random.split(key, 3)
    t_f = best_time(fwd, params, x, key)
    t_g = best_time(grad, params, x, key)
    t_u = best_time(update, g, state, params)
    t_scan = best_time(scan3, (params, state), keys, repeats=1) / 3
    print(f"[{impl}] forward {t_f * 1e3:.0f} ms; forward+backward {t_g * 1e3:.0f} ms "
          f"({flops / t_g / 1e9:.1f} GFLOP/s); Adam update {t_u * 1e3:.1f} ms; per step inside lax.scan "
          f"{t_scan * 1e3:.0f} ms ({batch / t_scan:.1f} images/s)",
          flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--latent", type=int, default=256)
    p.add_argument("--widths", default="64,128,256,512")
    p.add_argument("--impls", default="lax,gemm")
    p.add_argument("--layers-only", action="store_true")
    p.add_argument("--step-only", action="store_true")
    a = p.parse_args()
    runtime.configure()
    from toyvae.bench.scale import matmul_flops

    widths = [int(w) for w in a.widths.split(",")]
    impls = {name: name for name in a.impls.split(",")}
    print(f"float32 matmul peak {matmul_flops() / 1e9:.1f} GFLOP/s", flush=True)
    if not a.step_only:
        layer_table(a.size, widths, a.batch, impls)
    if not a.layers_only:
        for impl in impls:
            step_pieces(a.size, widths, a.latent, a.batch, impl)
    print(f"float32 matmul peak {matmul_flops() / 1e9:.1f} GFLOP/s", flush=True)


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
