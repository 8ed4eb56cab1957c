"""MB.S5's instruments (toyvae.experiments.frequency, the trajectory measure of toyvae.experiments.mb_measure) against
independent oracles: the float64 closed forms of toyvae.theory, scipy's DCT, synthetic histories."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import fft

from toyvae.experiments import mb_measure as mm
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


def _history(settle_at, n_records=100, gamma=0.5, seeds=5, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n_records)
    D = np.where(t < settle_at, gamma * 2.0, gamma) * (1 + 0.01 * rng.normal(size=(seeds, n_records)))
    return D[None]


def test_settling_windows_on_synthetic_histories():
    assert mm.settle_windows(_history(settle_at=30), (0.5,)).tolist() == [[3] * 5]
    assert mm.settle_windows(_history(settle_at=85, seed=2), (0.5,)).tolist() == [[9] * 5]  # too late for two after
    never = _history(settle_at=30) * 3.0
    assert mm.settle_windows(never, (0.5,)).tolist() == [[10] * 5]


def test_s5_rules_on_synthetic_evidence():
    """The rules of MB.S5 (rate falls; the allocation moves towards water-filling) on synthetic per-seed evidence."""
    from toyvae.claims.mb_two_stage import S5_RULES
    from toyvae.evidence import State, decide

    rng = np.random.default_rng(0)
    ev = {}
    for p in S5_RULES.premises:
        name = p.name.split(": ", 1)[1]
        ref = np.linspace(1.0, 0.1, 8)
        ev[f"{name} settling window"] = np.full(5, 3.0)
        ev[f"{name} rate early"] = 10 + rng.normal(size=5)
        ev[f"{name} rate late"] = 5 + 0.1 * rng.normal(size=5)
        ev[f"{name} allocation water-filling"] = ref
        ev[f"{name} allocation early"] = ref + 0.5 + 0.05 * rng.normal(size=(5, 8))
        ev[f"{name} allocation late"] = ref + 0.05 + 0.01 * rng.normal(size=(5, 8))
    d = decide(S5_RULES, ev)
    assert d.verdict == "confirmed", d.reason
    first = S5_RULES.premises[0].name.split(": ", 1)[1]
    early, late = ev[f"{first} allocation early"].copy(), ev[f"{first} allocation late"].copy()
    ev[f"{first} allocation early"], ev[f"{first} allocation late"] = late, early  # moving away
    d = decide(S5_RULES, ev)
    assert d.verdict == "not reproduced" and f"towards water-filling: {first}" in d.reason
    ev[f"{first} settling window"] = np.full(5, 9.0)  # not settled in time: its rows are untestable, not reversed
    d = decide(S5_RULES, ev)
    assert d.verdict == "open"
    assert {j.name: j.state for j in d.judgements}[f"towards water-filling: {first}"] == State.UNTESTABLE


def test_patch_water_filling_is_the_gaussian_optimum_in_the_dct_basis():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4000, 64)) * np.linspace(3, 0.1, 64)
    B = fq.dct2_basis()
    ref, var, theta = mm.patch_water_filling(x, B, 4.0)
    assert ref.sum() == pytest.approx(4.0, rel=1e-9)  # the allocation spends exactly gamma
    cov = np.cov(x, rowvar=False)
    np.testing.assert_allclose(var, np.diag(B.T @ cov @ B), rtol=1e-10)
    assert np.all(ref <= var + 1e-12)  # no coefficient's error exceeds its variance


def test_water_filling_end_point_of_the_linear_runs():
    """The end points the claim reports: at gamma = 0.05 and 0.1 every component is coded (equal errors, share 1/2)."""
    mu = np.arange(1, 9, dtype=float) ** -2
    for gamma in (0.05, 0.1):
        e = su.optimal_error_spectrum(mu, gamma).component_error
        assert su.error_share_above(e, fq.LINEAR_CUTOFF) == pytest.approx(0.5, abs=1e-12)
    e = su.optimal_error_spectrum(mu, 0.4).component_error
    assert su.error_share_above(e, fq.LINEAR_CUTOFF) < 0.5  # uncoded high frequencies keep less than theta each
