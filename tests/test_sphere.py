"""Trained VAEs on the sphere (toyvae.experiments.sphere): grid, measurements, a tiny training run."""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import optimize, stats

from toyvae.models import mlp_vae as decoders
from toyvae.experiments import sphere as sp
from toyvae.theory import hypersphere as hs

# ------------------------------------------------------------------------------------------------
# Grid design
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("D", [2, 3, 8, 32, 100])
def test_sigma_grid_sides(D):
    R = 1.7
    grid = sp.SphereGrid(below=(0.5, 0.95), window=(0.25, 0.75), above=(1.0, 1.5))
    sig = sp.sigma_grid(R, D, grid)
    sharp, suff = R / math.sqrt(D), R / math.sqrt(D - 1)
    assert np.all(np.diff(sig) > 0)
    assert np.sum(sig < sharp) == 2
    assert np.sum((sig > sharp) & (sig < suff)) == 2
    assert np.sum(sig >= suff * (1 - 1e-12)) == 2  # 1.0 * suff up to one rounding


def test_collapse_radius_against_bruteforce_argmax():
    # r*(sigma) at the returned sigma is 0.1 R, by an independent maximiser of eq. 8 (no bisection)
    for D in (2, 8, 32):
        R = 2.0
        s = sp.collapse_radius(R, D)
        assert s < R / math.sqrt(D)
        brute = optimize.minimize_scalar(lambda r: -float(hs.log_marginal(r, R, s, D)), bounds=(1e-6, R),
                                         method="bounded", options={"xatol": 1e-10}).x
        # bounded Brent near a quadratic peak resolves the argmax to ~sqrt(eps) relative: 1e-5 is ample
        assert brute == pytest.approx(0.1 * R, rel=1e-5)


# ------------------------------------------------------------------------------------------------
# Measurement functions on synthetic decoders with a known radius
# ------------------------------------------------------------------------------------------------


def test_radius_stats_exact_sphere():
    rng = np.random.default_rng(0)
    g = rng.normal(size=(3, 500, 5))
    mu = np.array([0.5, 1.0, 2.0])[:, None, None] * g / np.linalg.norm(g, axis=-1, keepdims=True)
    mean, std = sp.radius_stats(mu)
    np.testing.assert_allclose(mean, [0.5, 1.0, 2.0], rtol=1e-12)  # float64 norm of unit vectors
    np.testing.assert_allclose(std, 0.0, atol=1e-12)


def test_radius_stats_gaussian_blob_against_chi():
    # |N(0, s^2 I_D)| has the chi distribution with D degrees of freedom, scaled by s
    rng = np.random.default_rng(1)
    D, s, n = 6, 0.3, 200_000
    mean, std = sp.radius_stats(s * rng.normal(size=(n, D)))
    ref = stats.chi(D, scale=s)
    # Monte Carlo: 5 standard errors, std/sqrt(n) for the mean; the std's s.e. is ~std/sqrt(2n)
    assert abs(mean - ref.mean()) < 5 * ref.std() / math.sqrt(n)
    assert abs(std - ref.std()) < 5 * ref.std() / math.sqrt(2 * n) * 1.5


def test_collapsed_line():
    np.testing.assert_array_equal(sp.collapsed([0.0, 0.099, 0.1, 0.5], 1.0), [True, True, False, False])
    np.testing.assert_array_equal(sp.collapsed([0.19, 0.21], 2.0), [True, False])


def _synthetic_models(D, latent, mean_vectors, sigma):
    """VAEs whose decoder outputs a constant mean (given) and whose encoder outputs q = prior exactly."""
    keys = jax.random.split(jax.random.PRNGKey(0), len(mean_vectors))
    params = jax.vmap(lambda k: decoders.init_vae(k, D, latent, 8, 1))(keys)
    params["enc"]["w_out"] = jnp.zeros_like(params["enc"]["w_out"])
    params["enc"]["b_out"] = jnp.zeros_like(params["enc"]["b_out"])  # m = 0, log s = 0: q = N(0, I)
    params["dec"]["w_out"] = jnp.zeros_like(params["dec"]["w_out"])
    b = np.zeros((len(mean_vectors), 2 * D), np.float32)
    b[:, :D] = mean_vectors
    params["dec"]["b_out"] = jnp.asarray(b)
    modes = np.full(len(mean_vectors), int(decoders.Mode.GIVEN))
    return params, modes, np.full(len(mean_vectors), sigma)


def test_measure_constant_decoder_radius_and_collapsed_elbo():
    D, R, sigma = 4, 2.0, 0.7
    means = np.zeros((3, D), np.float32)
    means[1, 0] = 0.3
    means[2] = 1.5 / math.sqrt(D)  # norm 1.5
    params, modes, sigmas = _synthetic_models(D, 3, means, sigma)
    m = sp.measure(params, modes, sigmas, D=D, R=R, key=jax.random.PRNGKey(3), n=512)
    # float32 network outputs: radii exact to ~1e-6
    np.testing.assert_allclose(m["prior_radius"].mean(-1), [0.0, 0.3, 1.5], atol=1e-5)
    np.testing.assert_allclose(m["recon_radius"].mean(-1), [0.0, 0.3, 1.5], atol=1e-5)
    np.testing.assert_allclose(m["prior_radius"].std(-1), 0.0, atol=1e-5)
    np.testing.assert_allclose(m["rate"], 0.0, atol=1e-6)  # q = prior: KL = 0 up to float32
    # mu = 0 and q = prior: the ELBO of every point is exactly log p(x; r = 0) of the theory
    # (|x| = R for every point), an independent closed form in float64; float32 rounding ~1e-5
    np.testing.assert_allclose(m["elbo"][0], hs.log_likelihood(0.0, R, sigma, D), rtol=1e-5)


# ------------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------------


def test_bad_input():
    with pytest.raises(ValueError, match="D"):
        sp.sigma_grid(1.0, 1)
    with pytest.raises(ValueError, match="R"):
        sp.sigma_grid(0.0, 3)
    with pytest.raises(ValueError, match="grid"):
        sp.sigma_grid(1.0, 3, sp.SphereGrid(below=(), window=(), above=()))
    with pytest.raises(ValueError, match="window"):
        sp.sigma_grid(1.0, 3, sp.SphereGrid(window=(1.5,)))
    with pytest.raises(ValueError, match="below"):
        sp.sigma_grid(1.0, 3, sp.SphereGrid(below=(1.2,)))
    with pytest.raises(ValueError, match="sigmas"):
        sp.train_sphere(3, [])
    with pytest.raises(ValueError, match="sigmas"):
        sp.train_sphere(3, [0.5, -1.0])
    with pytest.raises(ValueError, match="sigmas"):
        sp.train_sphere(3, [0.0])
    with pytest.raises(ValueError, match="D"):
        sp.train_sphere(1, [0.5])
    with pytest.raises(ValueError, match="seeds"):
        sp.train_sphere(3, [0.5], seeds=0)
    with pytest.raises(ValueError, match="steps"):
        sp.train_sphere(3, [0.5], capacity=sp.Capacity(steps=13))
    with pytest.raises(ValueError, match="mu"):
        sp.radius_stats(np.ones(3))
    with pytest.raises(ValueError, match="prior_radius"):
        sp.collapsed([-0.1], 1.0)


# ------------------------------------------------------------------------------------------------
# A tiny training run: physics at the two ends of the grid, the ELBO bound, determinism
# ------------------------------------------------------------------------------------------------

_TINY = sp.Capacity(width=16, depth=1, steps=360, batch=32, lr=1e-2)


@pytest.fixture(scope="module")
def tiny():
    # D = 2, R = sqrt 2: sharp threshold sigma = 1; one sigma far below (r* = 0.93 R), one far above
    return sp.train_sphere(2, [0.5, 2.0], seeds=2, capacity=_TINY, warm_start=False, learned_sigma=False, seed=7)


def test_tiny_run_physics(tiny):
    below, above = tiny.sigma == 0.5, tiny.sigma == 2.0
    # far below the threshold the radius leaves its initial ~0.1 R and heads for r* = 0.93 R
    assert np.all(tiny.prior_radius[below] > 0.5 * tiny.r_star[below])
    assert np.all(tiny.prior_radius[below] > 3 * tiny.init_prior_radius[below])
    assert not np.any(tiny.collapsed[below])
    # far above both thresholds every run collapses
    assert np.all(tiny.collapsed[above])
    np.testing.assert_array_equal(tiny.r_star[above], 0.0)


def test_tiny_run_elbo_below_bound(tiny):
    # ELBO <= log p(x; r*) (BS20 eq. 3 with the optimum of eq. 8), to 4 Monte Carlo standard errors
    assert np.all(tiny.elbo <= tiny.best_loglik + 4 * tiny.elbo_se)
    assert tiny.radius_path.shape == (4, sp.N_CHECKPOINTS)


def test_tiny_run_deterministic(tiny):
    again = sp.train_sphere(2, [0.5, 2.0], seeds=2, capacity=_TINY, warm_start=False, learned_sigma=False, seed=7)
    for f in dataclasses.fields(sp.SphereRun):
        a, b = getattr(tiny, f.name), getattr(again, f.name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=f.name)
