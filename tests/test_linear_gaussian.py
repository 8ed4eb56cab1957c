"""``toyvae.theory.linear_gaussian`` (NL26 App. D) against brute force, quadrature, mpmath and Monte Carlo."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from toyvae.theory import linear_gaussian as lg

betas = st.floats(min_value=1e-4, max_value=1e4)
coefficients = st.floats(min_value=0.0, max_value=1e4)


# --- s* = beta / (beta + 2c): the minimiser of c s + beta g(s) ---------------------------------


@given(c=st.floats(min_value=1e-6, max_value=1e4), beta=betas)
def test_optimal_variance_in_unit_interval_and_beats_brute_force(c, beta):
    s_star = float(lg.optimal_posterior_variance(c, beta))
    assert 0.0 < s_star < 1.0

    def objective(s):
        return c * s + beta * float(lg.g(s))

    # a bounded scalar minimisation on log s: s* minimises the objective up to rounding of its value
    res = optimize.minimize_scalar(lambda t: objective(np.exp(t)), bounds=(-40.0, 5.0), method="bounded",
                                   options={"xatol": 1e-12})
    tol = 1e-12 * (abs(objective(s_star)) + c + beta)
    assert objective(s_star) <= res.fun + tol
    # and a dense grid around s* finds nothing lower
    grid = s_star * np.exp(np.linspace(-3, 3, 2001))
    assert objective(s_star) <= np.min(c * grid + beta * lg.g(grid)) + tol


def test_optimal_variance_is_one_for_zero_coefficient():
    assert lg.optimal_posterior_variance(0.0, 3.0) == 1.0


@given(c1=coefficients, c2=coefficients, beta=betas)
def test_optimal_variance_decreasing_in_c(c1, c2, beta):
    # strictly in exact arithmetic; in float64 only where 2 (c2 - c1) / beta changes s* by > 1 ulp
    assume(c2 - c1 > 1e-12 * (beta + c2))
    assert lg.optimal_posterior_variance(c1, beta) > lg.optimal_posterior_variance(c2, beta)


@given(c=st.floats(min_value=1e-3, max_value=1e4), b1=betas, b2=betas)
def test_optimal_variance_increasing_in_beta(c, b1, b2):
    assume(b1 < b2 * (1 - 1e-12))  # resolvable in float64
    assert lg.optimal_posterior_variance(c, b1) < lg.optimal_posterior_variance(c, b2)


# --- variance-KL and its inverse (Theorem 41) ---------------------------------------------------


@given(
    c=st.lists(st.floats(min_value=0.0, max_value=1e3), min_size=1, max_size=16).filter(lambda v: max(v) > 1e-3),
    b1=betas,
    b2=betas,
)
def test_variance_kl_strictly_decreasing_in_beta(c, b1, b2):
    assume(b1 < b2 * (1 - 1e-9))
    c = np.array(c)
    assert lg.optimal_variance_kl(c, b1) > lg.optimal_variance_kl(c, b2)


def test_optimal_variance_kl_matches_mpmath():
    c = np.array([0.0, 0.3, 2.0, 50.0])
    for beta in [1e-9, 1e-3, 0.7, 40.0, 1e6, 1e12]:
        with mp.workdps(50):
            s = [mp.mpf(beta) / (mp.mpf(beta) + 2 * mp.mpf(ci)) for ci in c]
            ref = float(sum((si - 1 - mp.log(si)) / 2 for si in s))
        # a sum of 4 terms, each to a few ulps
        np.testing.assert_allclose(lg.optimal_variance_kl(c, beta), ref, rtol=1e-14)


@given(
    c=st.lists(st.floats(min_value=0.0, max_value=1e3), min_size=1, max_size=16).filter(lambda v: max(v) > 1e-2),
    log_target=st.floats(min_value=-8.0, max_value=3.0),
)
def test_beta_for_variance_kl_round_trip(c, log_target):
    c = np.array(c)
    target = 10.0**log_target
    beta = lg.beta_for_variance_kl(c, target)
    assert beta > 0
    # Brent on log beta with xtol 1e-14: V is recovered to a relative ~1e-12 (|d log V / d log beta| <= 2)
    np.testing.assert_allclose(lg.optimal_variance_kl(c, beta), target, rtol=1e-10)


@pytest.mark.parametrize(
    ("c", "target", "name"),
    [
        ([0.0, 0.0, 0.0], 1.0, "c"),
        ([1.0, 2.0], 0.0, "target"),
        ([1.0, 2.0], -1.0, "target"),
        ([1.0, -2.0], 1.0, "c"),
        ([1.0, np.nan], 1.0, "c"),
        ([1.0, 2.0], np.inf, "target"),
        ([], 1.0, "c"),
    ],
)
def test_beta_for_variance_kl_clear_errors(c, target, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        lg.beta_for_variance_kl(np.array(c), target)


# --- g, KL, distortion --------------------------------------------------------------------------


@pytest.mark.parametrize("s", [1e-300, 1e-8, 0.3, 1 - 1e-3, 1 - 1e-9, 1.0, 1 + 1e-12, 1 + 1e-3, 1.5, 1e8])
def test_g_matches_mpmath_near_and_far_from_one(s):
    with mp.workdps(50):
        x = mp.mpf(s)
        ref = (x - 1 - mp.log(x)) / 2
    got = float(lg.g(s))
    # g ~ (s - 1)^2 / 4 near 1 (the naive formula would lose all digits); a few ulps relative
    assert abs(got - float(ref)) <= 4e-16 * abs(float(ref)) + 1e-300


@settings(max_examples=20)  # each example is an adaptive quadrature
@given(mu=st.floats(min_value=-5.0, max_value=5.0), s=st.floats(min_value=1e-2, max_value=20.0))
def test_kl_matches_quadrature_of_the_kl_integral(mu, s):
    q = stats.norm(mu, np.sqrt(s))
    lo, hi = mu - 40 * np.sqrt(s), mu + 40 * np.sqrt(s)
    value, err = integrate.quad(lambda z: q.pdf(z) * (q.logpdf(z) - stats.norm.logpdf(z)), lo, hi,
                                epsabs=1e-13, epsrel=1e-11, limit=200)
    parts = lg.kl_standard_normal(np.array([mu]), np.array([s]))
    # quad's tolerance (1e-11 relative, 1e-13 absolute) plus its reported error estimate
    assert abs(float(parts.total) - value) <= 1e-10 * abs(value) + 1e-12 + 10 * err
    assert float(parts.mean) == pytest.approx(mu * mu / 2, rel=1e-15)
    assert float(parts.total) == float(parts.mean) + float(parts.variance)


def test_kl_sums_over_last_axis_and_broadcasts_s():
    mu = np.zeros((3, 4))
    parts = lg.kl_standard_normal(mu, 2.0)
    np.testing.assert_allclose(parts.variance, 4 * lg.g(2.0), rtol=1e-15)
    assert parts.total.shape == (3,)


def test_expected_distortion_matches_monte_carlo():
    rng = np.random.default_rng(0)
    n, d, N = 5, 3, 400_000
    W = rng.normal(size=(n, d))
    A = rng.normal(size=(n, n))
    G = A @ A.T + 0.1 * np.eye(n)  # symmetric positive definite metric
    x = rng.normal(size=n)
    mu = rng.normal(size=d)
    s = rng.uniform(0.1, 2.0, size=d)
    z = mu + np.sqrt(s) * rng.normal(size=(N, d))
    residual = x - z @ W.T
    samples = np.einsum("ki,ij,kj->k", residual, G, residual)
    closed = float(lg.expected_distortion(x, mu, s, W, G))
    # 5 standard errors of the sample mean (N = 400000, seed 0): fails by chance with p < 1e-6
    assert abs(samples.mean() - closed) <= 5 * samples.std() / np.sqrt(N)
    np.testing.assert_allclose(lg.metric_coefficients(W, G), np.diag(W.T @ G @ W), rtol=1e-13)


def test_metric_coefficients_shape_error():
    with pytest.raises(ValueError, match="^G"):
        lg.metric_coefficients(np.ones((3, 2)), np.eye(2))


# --- anisotropy ---------------------------------------------------------------------------------


def test_posterior_anisotropy_aggregations():
    s = np.array([[1.0, np.e, np.e**2], [1.0, 1.0, 1.0]])
    per_point = lg.posterior_anisotropy(s)
    # Var of (0, 1, 2) = 2/3 and of (0, 0, 0) = 0, computed by hand
    np.testing.assert_allclose(per_point, [2 / 3, 0.0], atol=1e-15)
    assert lg.posterior_anisotropy(s, aggregate="mean_of_variances") == pytest.approx(1 / 3, rel=1e-14)
    # column means of log s: (0, 0.5, 1): population variance 1/6
    assert lg.posterior_anisotropy(s, aggregate="variance_of_means") == pytest.approx(1 / 6, rel=1e-14)
    assert lg.posterior_anisotropy(np.full(5, 0.3)) == pytest.approx(0.0, abs=1e-15)
    with pytest.raises(ValueError, match="^aggregate"):
        lg.posterior_anisotropy(s, aggregate="median")
    with pytest.raises(ValueError, match="^s"):
        lg.posterior_anisotropy(np.ones(3), aggregate="mean_of_variances")
