"""MB.S5's instruments (toyvae.experiments.frequency, the trajectory rule of toyvae.claims.mb_two_stage) against
independent oracles: the float64 closed forms of toyvae.theory, scipy's DCT, synthetic histories."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import fft

from toyvae.claims import mb_two_stage as claims
from toyvae.experiments import frequency as fq
from toyvae.experiments import linear_vae as lv
from toyvae.models.linear import LinearVAE
from toyvae.theory import rate_distortion as rd
from toyvae.theory import successive as su


def test_linear_aux_is_the_exact_error_spectrum():
    """The recorded exact distortion, rate and error spectrum equal the float64 closed forms of the same parameters."""
    n = 8
    rng = np.random.default_rng(0)
    Sigma = lv.sweep_spec().Sigma
    C = lv.dct_basis(n)
    params = LinearVAE(A=jnp.asarray(rng.normal(size=(n, n)) * 0.5, jnp.float32),
                       log_s=jnp.asarray(rng.normal(size=n) * 0.5, jnp.float32),
                       W=jnp.asarray(rng.normal(size=(n, n)) * 0.5, jnp.float32))
    program = fq._linear_base(n, 16, 1e-2)
    x = jnp.zeros((16, n))
    knobs = {"beta": jnp.float32(1.0), "Sigma": jnp.asarray(Sigma, jnp.float32), "basis": jnp.asarray(C, jnp.float32)}
    _, aux = program.loss(params, x, knobs, key=jax.random.PRNGKey(0), step=0)
    p64 = rd.LinearVAEParams(A=np.asarray(params.A, float), s=np.exp(np.asarray(params.log_s, float)),
                             W=np.asarray(params.W, float))
    e = su.linear_vae_error_spectrum(p64, Sigma, C)
    parts = rd.linear_vae_parts(p64, Sigma, np.eye(n))
    np.testing.assert_allclose(aux["error_spectrum"], e, rtol=1e-4, atol=1e-6)  # float32 products of O(1) 8x8 matrices
    assert float(aux["exact_distortion"]) == pytest.approx(parts.distortion, rel=1e-4)
    assert float(aux["exact_rate"]) == pytest.approx(parts.rate, rel=1e-4)


def test_dct2_basis_is_scipys_orthonormal_2d_dct():
    B = fq.dct2_basis()
    np.testing.assert_allclose(B.T @ B, np.eye(64), atol=1e-12)  # rounding
    x = np.random.default_rng(1).normal(size=(8, 8))
    np.testing.assert_allclose(x.ravel() @ B, fft.dctn(x, norm="ortho").ravel(), atol=1e-12)  # coefficient (u, v) at u*8+v
    high = fq.high_frequency_mask()
    assert high.sum() == 28 and not high[0] and high[63] and not high[7 * 8 + 0] and high[7 * 8 + 1]


def test_the_source_eigenbasis_is_the_dct_ordered_by_frequency():
    """In the linear model, DCT component k is eigen-component k (spectrum k^-2): high index = high frequency."""
    C = lv.dct_basis(8)
    Sigma = lv.sweep_spec().Sigma
    np.testing.assert_allclose(C.T @ Sigma @ C, np.diag(np.arange(1, 9, dtype=float) ** -2), atol=1e-12)


def _history(settle_at, n_records=100, gamma=0.5, falling=True, rising_share=True, seeds=5, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n_records)
    D = np.where(t < settle_at, gamma * 2.0, gamma) * (1 + 0.01 * rng.normal(size=(seeds, n_records)))
    R = (10.0 - (5.0 * t / n_records if falling else 0.0)) + 0.01 * rng.normal(size=(seeds, n_records))
    share = (0.2 + (0.2 * t / n_records if rising_share else 0.0)) + 0.001 * rng.normal(size=(seeds, n_records))
    return D[None], R[None], share[None]


def test_trajectory_rule_on_synthetic_histories():
    D, R, S = _history(settle_at=30)
    row = claims._trajectory((0.5,), D, R, S)[0]
    assert [q["settle_window"] for q in row["seeds"]] == [3] * 5
    assert row["rate_falls"] == "holds" and row["share_rises"] == "holds"
    D, R, S = _history(settle_at=30, seed=1)
    S = S[:, :, ::-1]  # the rising share played backwards: falling
    assert claims._trajectory((0.5,), D, R, S)[0]["share_rises"] == "reversed"
    D, R, S = _history(settle_at=85, seed=2)  # settles in the 9th window: fewer than two windows after it
    assert claims._trajectory((0.5,), D, R, S)[0]["rate_falls"] == "not settled"


def test_water_filling_end_point_of_the_linear_runs():
    """The end points the claim reports: at gamma = 0.05 and 0.1 every component is coded (equal errors, share 1/2)."""
    mu = np.arange(1, 9, dtype=float) ** -2
    for gamma in (0.05, 0.1):
        e = su.optimal_error_spectrum(mu, gamma).component_error
        assert su.error_share_above(e, fq.LINEAR_CUTOFF) == pytest.approx(0.5, abs=1e-12)
    e = su.optimal_error_spectrum(mu, 0.4).component_error
    assert su.error_share_above(e, fq.LINEAR_CUTOFF) < 0.5  # uncoded high frequencies keep less than theta each
