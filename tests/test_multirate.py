"""The beta-conditioned VAE (toyvae.models.multirate) and its measure (toyvae.experiments.multirate) against the
closed forms of toyvae.theory.rate_distortion, Monte Carlo and brute-force minimisation."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import optimize

from toyvae.experiments import linear_vae as lv
from toyvae.experiments import multirate as mr
from toyvae.models import multirate
from toyvae.profiles import Profile
from toyvae.theory import rate_distortion as rd

N_MC = 200_000  # Monte Carlo examples; bound 5 se (two-sided false alarm 6e-7)


def test_loss_at_a_beta_averages_to_the_closed_form_objective():
    """E[loss(x, beta)] = D + beta R of the linear VAE the network is at beta (rd.linear_vae_parts)."""
    n = 8
    Sigma = lv.sweep_spec().Sigma
    params = multirate.init(n, n, 16, key=jax.random.PRNGKey(0))
    log_beta = jnp.log(0.2)
    A, log_s, W = multirate.at_beta(params, log_beta)
    parts = rd.linear_vae_parts(rd.LinearVAEParams(np.asarray(A, float), np.exp(np.asarray(log_s, float)),
                                                   np.asarray(W, float)), Sigma, np.eye(n))
    x = jax.random.normal(jax.random.PRNGKey(1), (N_MC, n)) @ jnp.asarray(np.linalg.cholesky(Sigma), jnp.float32).T
    keys = jax.random.split(jax.random.PRNGKey(2), N_MC)
    loss, aux = jax.vmap(lambda xi, k: multirate.example_loss(params, (xi, log_beta), key=k))(x, keys)
    for samples, exact in ((aux["distortion"], parts.distortion), (aux["rate"], parts.rate),
                           (loss, parts.distortion + 0.2 * parts.rate)):
        s = np.asarray(samples, np.float64)
        assert abs(s.mean() - exact) < 5 * s.std() / np.sqrt(s.size) + 1e-5 * abs(exact)  # + float32 rounding


def test_gates_start_at_one_and_variances_at_one():
    params = multirate.init(8, 8, 16, key=jax.random.PRNGKey(0))
    A, log_s, W = multirate.at_beta(params, jnp.log(0.1))
    # the read-out starts at 0.1 scale: h ~ 0.1, gates 2 sigmoid(h) within ~5% of 1
    np.testing.assert_allclose(np.asarray(A) / np.asarray(params["A"]), 1.0, atol=0.2)
    assert np.abs(np.asarray(log_s)).max() < 0.5


def _brute_force_min(mu, beta):
    """min over theta of D(theta) + beta R(theta) along the water-filling curve (no theta = beta/2 assumed)."""
    def f(log_theta):
        point = rd.reverse_water_filling(mu, np.exp(log_theta))
        return float(point.distortion + beta * point.rate)

    res = optimize.minimize_scalar(f, bounds=(np.log(mu.min()) - 5, np.log(mu.max()) + 1), method="bounded",
                                   options={"xatol": 1e-10})
    return res.fun


@pytest.mark.parametrize("beta", [0.003, 0.05, 0.4, 3.0])
def test_lagrangian_excess_is_zero_at_the_optimum_and_positive_at_another_betas(beta):
    Sigma = lv.sweep_spec().Sigma
    n = Sigma.shape[0]
    mu = rd.metric_weighted_spectrum(Sigma, np.eye(n))
    best = mr.lagrangian_excess(rd.optimal_linear_vae(Sigma, np.eye(n), beta), Sigma, beta)
    assert abs(best["excess"]) < 1e-10  # float64 rounding
    assert best["optimal_distortion"] + beta * best["optimal_rate"] == pytest.approx(_brute_force_min(mu, beta), rel=1e-7)
    other = mr.lagrangian_excess(rd.optimal_linear_vae(Sigma, np.eye(n), beta / 4), Sigma, beta)  # a lower level
    assert other["excess"] > 1e-3 and other["rate"] >= other["rate_of_distortion"] - 1e-10  # on the curve, wrong point


def test_sampled_log_beta_covers_the_training_range():
    program = mr.multirate_program(8, 8, 16, 4096, 100, 1e-2, 1e-2)
    knobs = {"log_beta_min": jnp.log(0.01), "log_beta_max": jnp.log(1.0)}
    Sigma = lv.sweep_spec().Sigma
    x, log_beta = program.sample(knobs, {"chol": jnp.asarray(np.linalg.cholesky(Sigma), jnp.float32)},
                                 key=jax.random.PRNGKey(0))
    lb = np.asarray(log_beta, float)
    assert x.shape == (4096, 8) and lb.min() >= np.log(0.01) - 1e-6 and lb.max() <= 1e-6
    width = -np.log(0.01)
    assert abs(lb.mean() + width / 2) < 5 * width / np.sqrt(12 * lb.size)  # uniform: sd = width / sqrt(12)


@pytest.mark.parametrize("profile", list(Profile))
def test_plans_split_the_budget_evenly(profile):
    plan = mr.PLANS[profile]
    assert plan.steps % len(mr.IN_RANGE_BETAS) == 0 and (plan.steps // len(mr.IN_RANGE_BETAS)) % 10 == 0
    assert len(plan.seeds) >= 3
    assert all(not mr.BETA_RANGE[0] <= b <= mr.BETA_RANGE[1] for b in mr.CONTROL_BETAS)
    assert all(mr.BETA_RANGE[0] - 1e-12 <= b <= mr.BETA_RANGE[1] + 1e-12 for b in mr.IN_RANGE_BETAS)
