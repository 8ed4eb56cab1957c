"""``toyvae.theory.likelihoods`` against scipy.stats, explicit formulas and brute-force minimisation."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize, stats

from toyvae.theory import likelihoods as lk


@given(
    x=st.lists(st.floats(min_value=-10, max_value=10), min_size=1, max_size=8),
    shift=st.floats(min_value=-3, max_value=3),
    sigma=st.floats(min_value=1e-3, max_value=1e3),
)
def test_gaussian_nll_matches_scipy(x, shift, sigma):
    x = np.array(x)
    mean = x + shift
    ref = -np.sum(stats.norm.logpdf(x, loc=mean, scale=sigma))
    # a sum of <= 8 terms of size up to shift^2 / sigma^2 + |log sigma| + 1: rounding of the sum
    scale = np.sum((shift / sigma) ** 2 + abs(np.log(sigma)) + 1)
    assert abs(float(lk.gaussian_nll(x, mean, sigma)) - ref) <= 1e-14 * scale


def test_gaussian_nll_per_coordinate_sigma_and_batch():
    rng = np.random.default_rng(1)
    x, m = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    sigma = np.array([0.1, 1.0, 3.0])
    ref = -np.sum(stats.norm.logpdf(x, loc=m, scale=sigma), axis=-1)
    np.testing.assert_allclose(lk.gaussian_nll(x, m, sigma), ref, rtol=1e-13)  # rounding of 3-term sums


@given(
    x=st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=8),
    logit=st.floats(min_value=-30, max_value=30),
)
def test_bernoulli_nll_matches_explicit_cross_entropy(x, logit):
    x = np.array(x)
    logits = np.full_like(x, logit)
    with mp.workdps(30):  # the explicit formula, in 30 digits so that log(1 - p) keeps its digits
        p = 1 / (1 + mp.exp(-mp.mpf(logit)))
        ref = float(-sum(mp.mpf(xi) * mp.log(p) + (1 - mp.mpf(xi)) * mp.log(1 - p) for xi in x))
    # softplus(l) - x l: rounding of terms of size |l| <= 30, summed over <= 8 coordinates
    assert abs(float(lk.bernoulli_nll(x, logits)) - ref) <= 1e-14 * (x.size * abs(logit) + abs(ref) + 1)


def test_bernoulli_nll_extreme_logits_stay_finite():
    out = lk.bernoulli_nll(np.array([1.0, 0.0]), np.array([-800.0, 800.0]))
    assert out == pytest.approx(1600.0, rel=1e-15)  # softplus(800) - 0 + softplus(800) - 1 * ... = 800 + 800


@given(se=st.floats(min_value=1e-6, max_value=1e6), D=st.integers(min_value=1, max_value=4096))
def test_optimal_scalar_sigma_minimises_expected_nll(se, D):
    sigma_star = float(lk.optimal_scalar_sigma(se, D))

    def expected_nll(log_sigma):  # E|x - m|^2 / (2 sigma^2) + D log sigma (+ const)
        return se / (2 * np.exp(2 * log_sigma)) + D * log_sigma

    res = optimize.minimize_scalar(expected_nll, bracket=(np.log(sigma_star) - 1, np.log(sigma_star) + 1),
                                   tol=1e-12)
    # the minimum is flat (curvature 2D in log sigma): agreement of log sigma to ~sqrt(eps)
    assert abs(res.x - np.log(sigma_star)) <= 1e-6
    assert expected_nll(np.log(sigma_star)) <= res.fun + 1e-12 * abs(res.fun) + 1e-12
    # and the profiled NLL is the NLL at sigma*, with the 2 pi constant
    mse = se / D
    full = D / 2 * np.log(2 * np.pi * sigma_star**2) + se / (2 * sigma_star**2)
    assert float(lk.profiled_gaussian_nll(mse, D)) == pytest.approx(full, rel=1e-13, abs=1e-12)


def test_sigma_for_squared_error_sum_and_mean():
    # summed squared error: w = 1 = 1 / (2 sigma^2) -> sigma^2 = 1/2; mean over D: sigma^2 = D / 2
    assert lk.sigma_for_squared_error() == pytest.approx(np.sqrt(0.5), rel=1e-15)
    assert lk.sigma_for_squared_error(reduction="mean", D=784) == pytest.approx(np.sqrt(392.0), rel=1e-15)
    assert lk.sigma_for_squared_error(weight=2.0) == pytest.approx(0.5, rel=1e-15)
    for sigma in [0.1, 1.0, 7.0]:
        w = float(lk.squared_error_weight(sigma))
        assert lk.sigma_for_squared_error(weight=w) == pytest.approx(sigma, rel=1e-15)


def test_squared_error_is_a_gaussian_nll_up_to_a_constant():
    """w |x - m|^2 and the Gaussian NLL with sigma(w) differ by a constant in m."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=6)
    sigma = lk.sigma_for_squared_error(reduction="mean", D=6, weight=3.0)
    diffs = [lk.gaussian_nll(x, m, sigma) - 3.0 * np.mean((x - m) ** 2) for m in rng.normal(size=(5, 6))]
    np.testing.assert_allclose(diffs, diffs[0], rtol=1e-13)  # rounding of terms of size ~10


def test_sigma_for_kl_weight_gives_the_same_minimiser():
    """NLL(sigma) + lam KL and NLL(sigma sqrt(lam)) + KL are proportional in m (BS20 Sec. 3.2)."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=4)
    sigma, lam = 0.3, 2.5
    sigma2 = float(lk.sigma_for_kl_weight(sigma, lam))
    assert sigma2 == pytest.approx(sigma * np.sqrt(lam), rel=1e-15)
    kl = 0.7  # any m-independent KL value; the point is the m-dependence of the weighted sum
    ms = rng.normal(size=(5, 4))
    lhs = [np.sum((x - m) ** 2) / (2 * sigma**2) + lam * kl for m in ms]
    rhs = [np.sum((x - m) ** 2) / (2 * sigma2**2) + kl for m in ms]
    np.testing.assert_allclose(np.array(lhs), lam * np.array(rhs), rtol=1e-13)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"reduction": "mean"}, "D"), ({"reduction": "max"}, "reduction"), ({"weight": 0.0}, "weight"),
     ({"reduction": "mean", "D": 0}, "D")],
)
def test_sigma_for_squared_error_errors(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        lk.sigma_for_squared_error(**kwargs)
