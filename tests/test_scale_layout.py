"""The SCALE conv VAE under fit(layout="data") on two CPU devices computes the one-device function.

Runs in a subprocess with JAX_NUM_CPU_DEVICES=2 (the pattern of tests/test_fit.py), so that the test
does not depend on how many cores this machine exposes.
"""

import os
import subprocess
import sys
import textwrap

import pytest


@pytest.mark.slow  # 25 s of compilation; the engine's data layout is tested on every run by tests/test_fit.py
def test_conv_vae_data_layout_computes_the_same_function_on_two_devices():
    code = textwrap.dedent("""
        import jax, jax.numpy as jnp, numpy as np
        import toyvae
        from toyvae.data import photos
        from toyvae.engine import fit
        from toyvae.experiments.scale import conv_crops
        from toyvae.models import conv
        assert len(jax.devices()) == 2, jax.devices()
        config = conv.ConvConfig(image_size=8, widths=(4, 8), latent_dim=4)
        lr = 1e-3
        program = conv_crops.base_program(config, 16, 1, lr)
        knobs = {"mode": jnp.asarray([0, 2], jnp.int32), "sigma": jnp.asarray([0.7, 0.7]),
                 "lam": jnp.asarray([0.0, 0.5]), "beta": jnp.asarray([1.0, 0.1])}
        shared = {"stack": photos.training_stack(size=8)}
        kw = dict(steps=1, chunk=1, record_every=1, progress=False, group=1)
        a = fit(program, knobs, [0, 1], shared, layout="models", **kw)
        b = fit(program, knobs, [0, 1], shared, layout="data", **kw)
        # The loss at the initial parameters: one forward pass whose batch mean is summed in another order
        # (two halves, then an all-reduce): float32 rounding of a sum of 16 terms of order 500, relative 1e-6.
        np.testing.assert_allclose(b.history["loss"], a.history["loss"], rtol=1e-5)
        # One Adam step moves every parameter by at most lr (its first step is lr * g / (|g| + eps)); float32
        # rounding of g changes that by far less than 1e-5 except where |g| is near eps.
        for x, y in zip(jax.tree_util.tree_leaves(a.params), jax.tree_util.tree_leaves(b.params)):
            d = np.abs(np.asarray(x) - np.asarray(y))
            assert d.max() <= 2 * lr + 1e-6, d.max()
            assert np.mean(d > 1e-5) < 0.01, np.mean(d > 1e-5)
        print("ok")
    """)
    env = dict(os.environ, JAX_NUM_CPU_DEVICES="2", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr[-3000:]
