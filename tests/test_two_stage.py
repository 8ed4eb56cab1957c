"""The two-stage models (toyvae.models.two_stage) and their engine programs (toyvae.experiments.two_stage)
against the closed forms of toyvae.theory.successive (Monte Carlo) and independent formulas."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyvae.engine import distortion_target, fit
from toyvae.experiments import frequency as fq
from toyvae.experiments import two_stage as ts
from toyvae.models import two_stage
from toyvae.models.linear import LinearVAE
from toyvae.profiles import Profile
from toyvae.theory import rate_distortion as rd
from toyvae.theory import successive as su

N_MC = 200_000  # Monte Carlo examples; bounds are 5 se = 5 sigma / sqrt(N_MC) (two-sided false alarm 6e-7 each)


def _assert_within(samples, exact, k=5.0):
    samples = np.asarray(samples, np.float64)
    se = samples.std() / np.sqrt(samples.size)
    assert abs(samples.mean() - exact) < k * se + 1e-5 * abs(exact), (samples.mean(), exact, se)  # + float32 rounding


def _problem(seed=0, n=4, d=3):
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(n, n))
    Sigma = B @ B.T / n + 0.1 * np.eye(n)
    primary = rd.LinearVAEParams(A=rng.normal(size=(d, n)) * 0.5, s=np.exp(rng.normal(size=d) * 0.3),
                                 W=rng.normal(size=(n, d)) * 0.5)
    secondary = su.SecondaryParams(A2=rng.normal(size=(n, n)) * 0.4, B2=rng.normal(size=(n, n)) * 0.4,
                                   s2=np.exp(rng.normal(size=n) * 0.3), P2=rng.normal(size=(n, n)) * 0.4,
                                   V2=rng.normal(size=(n, n)) * 0.2, W2=rng.normal(size=(n, n)) * 0.4)
    return Sigma, primary, secondary


def _as_model(primary, secondary):
    p = LinearVAE(A=jnp.asarray(primary.A, jnp.float32), log_s=jnp.asarray(np.log(primary.s), jnp.float32),
                  W=jnp.asarray(primary.W, jnp.float32))
    q = two_stage.ConditionalLinear(A2=jnp.asarray(secondary.A2, jnp.float32), B2=jnp.asarray(secondary.B2, jnp.float32),
                                    log_s2=jnp.asarray(np.log(secondary.s2), jnp.float32),
                                    P2=jnp.asarray(secondary.P2, jnp.float32), V2=jnp.asarray(secondary.V2, jnp.float32),
                                    W2=jnp.asarray(secondary.W2, jnp.float32))
    return p, q


def _pairs(Sigma, primary_model, key, N=N_MC):
    x_key, z_key = jax.random.split(key)
    x = jax.random.normal(x_key, (N, Sigma.shape[0])) @ jnp.asarray(np.linalg.cholesky(Sigma), jnp.float32).T
    xt = jax.vmap(lambda xi, k: two_stage.linear_reconstruction(primary_model, xi, key=k))(x, jax.random.split(z_key, N))
    return x, xt


def test_conditional_linear_loss_averages_to_the_closed_forms():
    """MB eqs. 5-6 per example (the model) against their closed-form averages (successive.conditional_linear_vae_parts)."""
    Sigma, primary, secondary = _problem()
    p, q = _as_model(primary, secondary)
    x, xt = _pairs(Sigma, p, jax.random.PRNGKey(0))
    keys = jax.random.split(jax.random.PRNGKey(1), x.shape[0])
    _, aux = jax.vmap(lambda a, b, k: two_stage.conditional_linear_loss(q, a, b, 0.3, key=k))(x, xt, keys)
    exact = su.conditional_linear_vae_parts(primary, secondary, Sigma)
    _assert_within(aux["rate"], exact.rate)
    _assert_within(aux["distortion"], exact.distortion)


def test_the_initial_secondary_starts_next_to_the_copy():
    """init_conditional_linear: distortion within 1% of E||x - x~||^2 = the primary's distortion (sample convention)."""
    Sigma, primary, _ = _problem(1)
    n = Sigma.shape[0]
    init = two_stage.init_conditional_linear(n, n, key=jax.random.PRNGKey(3))
    sec = su.SecondaryParams(A2=np.asarray(init.A2, float), B2=np.asarray(init.B2, float), s2=np.exp(np.asarray(init.log_s2, float)),
                             P2=np.asarray(init.P2, float), V2=np.asarray(init.V2, float), W2=np.asarray(init.W2, float))
    parts = su.conditional_linear_vae_parts(primary, sec, Sigma)
    gamma = rd.linear_vae_parts(primary, Sigma, np.eye(n)).distortion
    assert parts.copy_distortion == pytest.approx(gamma, rel=1e-12)  # rounding
    assert parts.distortion == pytest.approx(gamma, rel=1e-2)  # W2 ~ N(0, 1e-4): adds ~1e-4 per latent


def _kl_full_covariance(m, s, pm, ps):
    """KL(N(m, diag s) || N(pm, diag ps)) by the general multivariate formula with full matrices."""
    S, P = np.diag(s), np.diag(ps)
    Pi = np.linalg.inv(P)
    d = pm - m
    return 0.5 * (np.trace(Pi @ S) + d @ Pi @ d - m.size + np.linalg.slogdet(P)[1] - np.linalg.slogdet(S)[1])


def test_gaussian_kl_matches_the_multivariate_formula():
    rng = np.random.default_rng(4)
    for _ in range(5):
        m, pm = rng.normal(size=6), rng.normal(size=6)
        log_s, log_ps = rng.normal(size=6), rng.normal(size=6)
        got = float(two_stage.gaussian_kl(jnp.asarray(m), jnp.asarray(log_s), jnp.asarray(pm), jnp.asarray(log_ps)))
        assert got == pytest.approx(_kl_full_covariance(m, np.exp(log_s), pm, np.exp(log_ps)), rel=1e-5)  # float32


def test_mlp_secondary_copies_x_tilde_at_zero_correction():
    params = two_stage.init_conditional(jax.random.PRNGKey(0), 64, 8, 16, 1)
    params["dec"]["w_out"] = jnp.zeros_like(params["dec"]["w_out"])
    params["dec"]["b_out"] = jnp.zeros_like(params["dec"]["b_out"])
    xt = jax.random.normal(jax.random.PRNGKey(1), (64,))
    z2 = jax.random.normal(jax.random.PRNGKey(2), (8,))
    np.testing.assert_array_equal(two_stage.conditional_decode(params, z2, xt), xt)


def test_vae_loss_error_spectrum_sums_to_the_distortion():
    params = two_stage.init_vae(jax.random.PRNGKey(0), 64, 8, 16, 1)
    basis = jnp.asarray(fq.dct2_basis(), jnp.float32)
    x = jax.random.normal(jax.random.PRNGKey(1), (64,))
    _, aux = two_stage.vae_loss(params, x, 1.0, key=jax.random.PRNGKey(2), basis=basis)
    assert float(aux["error_spectrum"].sum()) == pytest.approx(float(aux["distortion"]), rel=1e-5)  # float32, 64 terms


def _stack(primaries):
    return LinearVAE(A=jnp.asarray(np.stack([p.A for p in primaries]), jnp.float32),
                     log_s=jnp.asarray(np.log(np.stack([p.s for p in primaries])), jnp.float32),
                     W=jnp.asarray(np.stack([p.W for p in primaries]), jnp.float32))


def test_each_pipeline_reads_its_own_primary_with_its_own_randomness():
    n = 4
    program = ts._linear_secondary(n, 8, 1e-2)
    Sigma = np.diag([1.0, 0.5, 0.2, 0.05])
    prim = [rd.optimal_linear_vae(Sigma, np.eye(n), 0.05), rd.optimal_linear_vae(Sigma, np.eye(n), 0.6)]
    shared = {"chol": jnp.asarray(np.linalg.cholesky(Sigma), jnp.float32), "primaries": _stack(prim)}
    key = jax.random.PRNGKey(5)
    x0, t0 = program.sample({"pipeline": jnp.int32(0), "seed": jnp.int32(7)}, shared, key=key)
    x1, t1 = program.sample({"pipeline": jnp.int32(1), "seed": jnp.int32(7)}, shared, key=key)
    x2, _ = program.sample({"pipeline": jnp.int32(0), "seed": jnp.int32(8)}, shared, key=key)
    np.testing.assert_array_equal(x0, x1)  # same pipeline seed: same data
    assert not np.allclose(x0, x2)  # another pipeline seed: other data
    # pipeline 1's primary (theta = 0.3) codes components 0 and 1 only: its x~ is zero on the others
    assert np.abs(np.asarray(t1)[:, 2:]).max() == 0.0 and np.abs(np.asarray(t0)[:, 2:]).max() > 0.0


def test_secondary_program_trains_under_the_distortion_target():
    """Wiring: integer knobs, stacked primaries in shared, the multiplier wrapper; a short run stays finite."""
    n = 3
    Sigma = np.diag([1.0, 0.5, 0.25])
    prim = [rd.optimal_linear_vae(Sigma, np.eye(n), beta) for beta in (0.4, 0.6)]
    stacked = _stack(prim)
    program = distortion_target(ts._linear_secondary(n, 16, 1e-2))
    knobs = {"gamma": jnp.full(2, 0.1), "beta": jnp.ones(2), "pipeline": jnp.asarray([0, 1], jnp.int32),
             "seed": jnp.asarray([0, 1], jnp.int32)}
    out = fit(program, knobs, (0,), {"chol": jnp.asarray(np.linalg.cholesky(Sigma), jnp.float32), "primaries": stacked},
              steps=40, chunk=20, record_every=10, progress=False)
    d = out.history["distortion"]
    assert np.all(np.isfinite(d)) and d.shape == (2, 1, 4)
    gamma1 = [rd.linear_vae_parts(p, Sigma, np.eye(n)).distortion for p in prim]
    np.testing.assert_allclose(d[:, 0, 0], gamma1, rtol=0.3)  # starts at the copy (batch noise of 16 x 10 examples)


@pytest.mark.parametrize("profile", list(Profile))
def test_single_stage_budget_is_the_pipelines(profile):
    assert fq.LINEAR_PLANS[profile].steps == ts.LINEAR_PLANS[profile].primary_steps + ts.LINEAR_PLANS[profile].steps
    assert fq.PATCH_PLANS[profile].steps == ts.PATCH_PLANS[profile].primary_steps + ts.PATCH_PLANS[profile].steps
    assert len(fq.LINEAR_PLANS[profile].seeds) >= 3 and len(fq.PATCH_PLANS[profile].seeds) >= 3
    assert ts.LINEAR_GAMMA in fq.LINEAR_GAMMAS and set(ts.LINEAR_GAMMA_TILDES) <= set(fq.LINEAR_GAMMAS)
    assert set(ts.PATCH_GAMMA_TILDES) <= set(fq.PATCH_GAMMAS)
