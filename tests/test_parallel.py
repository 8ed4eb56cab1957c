"""engine.parallel.map_models: the same function as a vmap, whatever the devices and groups."""

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyvae.engine.parallel import CACHE_BUDGET, default_group, map_models


def one_model(args):
    """A small per-model program: a scan whose result depends on every input (w, x, key)."""
    w, x, key = args

    def step(h, t):
        h = jnp.tanh(w @ h + jax.random.normal(jax.random.fold_in(key, t), h.shape))
        return h, jnp.sum(h)

    h, trace = jax.lax.scan(step, x, jnp.arange(5))
    return {"h": h, "trace": trace}


def stacked(n, dim=6, seed=0):
    rng = np.random.default_rng(seed)
    w = jnp.asarray(rng.standard_normal((n, dim, dim)) / np.sqrt(dim), jnp.float32)
    x = jnp.asarray(rng.standard_normal((n, dim)), jnp.float32)
    keys = jax.vmap(jax.random.PRNGKey)(jnp.arange(n))
    return w, x, keys


@pytest.mark.parametrize("n", [1, 2, 5])
@pytest.mark.parametrize("group", [1, 2, None, "auto"])
def test_map_models_equals_vmap(n, group):
    args = stacked(n)
    expected = jax.vmap(one_model)(args)
    got = jax.jit(lambda a: map_models(one_model, a, group=group))(args)
    for k in expected:
        assert got[k].shape == expected[k].shape
        # Same function, different kernels (vmapped vs looped products): float32 rounding only.
        np.testing.assert_allclose(got[k], expected[k], rtol=1e-5, atol=1e-5)


def test_map_models_pads_and_drops_with_more_devices():
    """3 devices, 5 models: padded to 6 (the last model repeated), padding dropped; order kept."""
    code = textwrap.dedent("""
        import jax, jax.numpy as jnp, numpy as np
        import toyvae
        from toyvae.engine.parallel import map_models
        assert len(jax.devices()) == 3, jax.devices()
        x = jnp.arange(5.0)[:, None] * jnp.ones((5, 4))
        out = jax.jit(lambda a: map_models(lambda r: r * 2.0 + 1.0, a, group=1))(x)
        np.testing.assert_array_equal(np.asarray(out), np.asarray(x) * 2 + 1)
        print("ok")
    """)
    env = dict(os.environ, JAX_NUM_CPU_DEVICES="3", JAX_PLATFORMS="cpu")
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "ok"


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="core affinity is reported on Linux only")
def test_configure_exposes_one_device_per_core():
    """``toyvae.runtime.configure()`` before JAX starts: one CPU device per usable core (unless set by the user)."""
    code = ("import toyvae.runtime, os; toyvae.runtime.configure(); import jax; "
            "print(len(jax.devices()), len(os.sched_getaffinity(0)))")
    env = {k: v for k, v in os.environ.items() if k != "JAX_NUM_CPU_DEVICES"}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    devices, cores = res.stdout.split()
    assert devices == cores
    env["JAX_NUM_CPU_DEVICES"] = "1"  # the user's choice wins
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert res.stdout.split()[0] == "1"


def test_default_group_rule():
    assert default_group(10**9, "gpu") is None  # a GPU takes every model of the device at once
    assert default_group(CACHE_BUDGET + 1, "cpu") == 1  # larger than the budget: one at a time
    assert default_group(CACHE_BUDGET // 4, "cpu") == 4
    assert default_group(0, "cpu") == CACHE_BUDGET  # no state: no limit from the cache


def test_map_models_rejects_bad_input():
    w, x, keys = stacked(3)
    with pytest.raises(ValueError, match="leading"):
        map_models(one_model, (w, x[:2], keys))
    with pytest.raises(ValueError, match="group"):
        map_models(one_model, (w, x, keys), group=0)
    with pytest.raises(ValueError, match="group"):
        map_models(one_model, (w, x, keys), group="some")
    with pytest.raises(ValueError, match="at least one array"):
        map_models(one_model, ())
