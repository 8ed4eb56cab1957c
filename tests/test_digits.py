"""The digits experiment (BS20 Table 2 analogue): samplers, units, and the ELBO's constants.

The held-out ELBO of ``engine.evaluate`` is checked against an independent NumPy Monte Carlo
computation of E_q[log N(x; mu(z), diag sigma(z)^2)] - KL(q || N(0, I)) from the same network
outputs (encoder m, s; decoder mu, sigma), with its own noise draws and a 5-standard-error bound.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import norm

from toyvae.data.images import load_digits01
from toyvae.engine import Mode
from toyvae.experiments.bs20_train import Setting, VAEConfig, train
from toyvae.experiments.bs20_metrics import evaluate
from toyvae.models.mlp_vae import decode, encode
from toyvae.experiments import digits

FIGURES = Path(__file__).resolve().parents[1] / "figures"


def test_split_is_fixed_and_disjoint():
    tr, te = digits.split()
    assert tr.shape == (1497, 64) and te.shape == (300, 64)
    tr2, te2 = digits.split()
    np.testing.assert_array_equal(te, te2)
    # train and test partition the data set: together they are its rows, as a multiset
    def rows(a):
        return a[np.lexsort(a.T[::-1])]

    np.testing.assert_array_equal(rows(np.concatenate([tr, te])), rows(load_digits01()))


def test_samplers_draw_rows_and_dequantize():
    data = np.arange(12, dtype=np.float32).reshape(6, 2) / 16.0
    s = digits.EmpiricalSampler(data)
    x = np.asarray(s(jax.random.PRNGKey(0), 50))
    rows = {tuple(r) for r in data}
    assert all(tuple(r) in rows for r in x)
    assert hash(s) == hash(digits.EmpiricalSampler(data.copy())) and s == digits.EmpiricalSampler(data.copy())
    assert s != digits.EmpiricalSampler(data, levels=17) and s != digits.HeldOutRows(data)
    levels = digits.EmpiricalSampler(data, levels=17)
    xd = np.asarray(levels(jax.random.PRNGKey(1), 200))
    v = np.floor(xd * 17)  # the grey level each dequantized value came from
    assert np.all((xd >= 0) & (xd <= 1))
    assert all(tuple(r / 16.0) in rows for r in v)
    t = digits.HeldOutRows(data, levels=17)
    np.testing.assert_array_equal(np.floor(np.asarray(t(jax.random.PRNGKey(2), 6)) * 17) / 16, data)
    with pytest.raises(ValueError, match="n must be at most"):
        t(jax.random.PRNGKey(2), 7)
    with pytest.raises(ValueError, match="levels"):
        digits.EmpiricalSampler(data, levels=1)
    with pytest.raises(ValueError, match="data"):
        digits.EmpiricalSampler(np.zeros(3))


def test_units_known_values():
    d = 64
    u = digits.units(d * math.log(2.0), d)
    assert u["bits_per_pixel"] == pytest.approx(1.0, rel=1e-12)  # exact conversion up to rounding
    assert u["nats_per_pixel"] == pytest.approx(math.log(2.0), rel=1e-12)
    assert u["bits_per_pixel_no2pi"] == pytest.approx(1.0 + 0.5 * math.log2(2 * math.pi), rel=1e-12)
    # the uniform density on [0,1]^64 (ELBO 0) is the uniform law over 17 levels: log2(17) bits
    assert digits.units(0.0, d, levels=17)["discrete_bits_per_pixel"] == pytest.approx(math.log2(17), rel=1e-12)


def test_pixel_log_density_matches_scipy():
    rng = np.random.default_rng(0)
    x, mu = rng.uniform(size=(2, 5, 64))
    sigma = rng.uniform(0.01, 1.0, size=(5, 64))
    np.testing.assert_allclose(digits.pixel_log_density(x, mu, sigma), norm.logpdf(x, mu, sigma), rtol=1e-12)


def _numpy_elbo(params, x, mode, sigma_given, floor, n_draws, rng):
    """Per-point Monte Carlo mean and variance of log p(x|z), and the KL, all in float64 NumPy."""
    enc = jax.jit(jax.vmap(lambda xi: encode(params, xi)))
    dec = jax.jit(jax.vmap(lambda z: decode(params, z, mode, sigma_given, floor)))
    m, s = (np.asarray(a, np.float64) for a in enc(jnp.asarray(x)))
    kl = 0.5 * np.sum(m**2, axis=1) + 0.5 * np.sum(s - 1.0 - np.log(s), axis=1)
    z = m[:, None, :] + np.sqrt(s)[:, None, :] * rng.standard_normal((x.shape[0], n_draws, m.shape[1]))
    mu, sig = (np.asarray(a, np.float64).reshape(x.shape[0], n_draws, -1)
               for a in dec(jnp.asarray(z.reshape(-1, m.shape[1]), jnp.float32)))
    d = x.shape[1]
    logp = (-0.5 * np.sum(((x[:, None, :] - mu) / sig) ** 2, axis=2) - np.sum(np.log(sig), axis=2)
            - 0.5 * d * np.log(2.0 * np.pi))
    return logp.mean(axis=1), logp.var(axis=1, ddof=1), kl


def test_elbo_constants_against_numpy():
    tr, te = digits.split()
    cfg = VAEConfig(data_dim=64, latent_dim=4, width=16, depth=1, steps=150, chunk=150, batch=50)
    res = train(cfg, digits.EmpiricalSampler(tr), [Setting.fixed(digits.MSE_SIGMA, "F"), Setting.vector("LV")],
                (0,), progress=False)
    n, k_eval, k_np = 100, 100, 400
    metrics = evaluate(res, digits.HeldOutRows(te), n=n, k=k_eval, block=50)
    rng = np.random.default_rng(1)
    for i, (mode, sig) in enumerate([(Mode.GIVEN, digits.MSE_SIGMA), (Mode.VECTOR, 1.0)]):
        mean_lp, var_lp, kl = _numpy_elbo(res.model(i, 0), te[:n].astype(np.float64), mode, sig,
                                          cfg.sigma_floor, k_np, rng)
        elbo_np = float(np.mean(mean_lp - kl))
        # both estimates are means over n points of k-sample averages of log p(x|z) (KL exact):
        # their difference has standard error sqrt(sum_i var_i (1/k_eval + 1/k_np)) / n
        se = math.sqrt(np.sum(var_lp) * (1 / k_eval + 1 / k_np)) / n
        assert abs(metrics["elbo"][i, 0] - elbo_np) < 5 * se + 1e-3, (i, metrics["elbo"][i, 0], elbo_np, se)
        assert metrics["rate"][i, 0] == pytest.approx(np.mean(kl), rel=1e-4)  # float32 network outputs
        # a dropped constant would be caught: (D/2) log 2 pi = 58.8 nats per image >> 5 se
        assert 5 * se < 0.5 * 64 * math.log(2 * math.pi)
    # F-VAE: every pixel's log-density is at most -log(2 pi sigma^2)/2 = -log(pi)/2 with sigma^2 = 1/2
    assert metrics["elbo"][0, 0] / 64 < -0.5 * math.log(math.pi)


def test_quick_figure_numbers(tmp_path):
    spec = importlib.util.spec_from_file_location("fig", FIGURES / "bs20_table2_digits.py")
    fig = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fig)
    out = fig.main(["--quick", "--out", str(tmp_path)])
    assert (tmp_path / "bs20_table2_digits.png").exists()
    bpp = out["bits_per_pixel"]
    assert bpp["F"] < -0.5 * math.log2(math.pi)  # the sigma^2 = 1/2 ceiling per pixel, in bits
    for row in out["table"]:
        assert row["iwae"] >= row["nats_per_image"] - 0.5  # IWAE_100 >= ELBO up to MC error
        assert row["rate"] >= 0
    # F's draws scatter around their means with sigma = 1/sqrt(2): 640 draws, rms^2 within 5 se
    # of 1/2 (se of a mean of 640 squared normals: 0.5 sqrt(2/640) = 0.028)
    assert abs(out["sample_minus_mean_rms"]["F"] ** 2 - 0.5) < 5 * 0.028
    assert out["lv_sigma_per_pixel"].shape == (8, 8) and np.all(out["lv_sigma_per_pixel"] > 1e-3)
