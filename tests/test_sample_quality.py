"""The sample-quality proxy of MB.Samples (:mod:`toyvae.experiments.sample_quality`) on known cases.

The Frechet distance between Gaussians is checked against independent computations (SciPy's general matrix square
root of S1 S2, the diagonal and 1-D closed forms); the plug-in distance from samples against the closed form with a
Monte Carlo tolerance; on image patches, the data against itself scores within the stated sampling error of the
floor, and a Gaussian with the data's covariance ranks far below white noise.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

from toyvae.experiments import sample_quality as sq


def _random_cov(rng, n):
    a = rng.normal(size=(n, n))
    return a @ a.T / n + 0.1 * np.eye(n)


@given(st.integers(1, 12), st.integers(0, 2**31))
def test_closed_form_matches_scipy_sqrtm(n, seed):
    """tr((S1 S2)^{1/2}) by SciPy's Schur-based sqrtm of the non-symmetric product: an independent route.
    Tolerance: float64 rounding of O(n) eigenvalues of size O(1), amplified by sqrtm's conditioning (1e-8)."""
    rng = np.random.default_rng(seed)
    S1, S2 = _random_cov(rng, n), _random_cov(rng, n)
    m1, m2 = rng.normal(size=n), rng.normal(size=n)
    ref = float(np.sum((m1 - m2) ** 2) + np.trace(S1 + S2) - 2 * np.real(np.trace(scipy.linalg.sqrtm(S1 @ S2))))
    assert sq.frechet_distance(m1, S1, m2, S2) == pytest.approx(ref, rel=1e-8, abs=1e-8)


def test_diagonal_and_one_dimensional_closed_forms():
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    assert sq.frechet_distance(np.zeros(3), np.diag(a), np.ones(3), np.diag(b)) == pytest.approx(
        3.0 + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2), rel=1e-12)
    assert sq.frechet_distance([0.5], [[4.0]], [-1.0], [[0.25]]) == pytest.approx(1.5**2 + 1.5**2, rel=1e-12)
    S = _random_cov(np.random.default_rng(0), 6)
    assert sq.frechet_distance(np.zeros(6), S, np.zeros(6), S) == pytest.approx(0.0, abs=1e-10)


@given(st.integers(0, 2**31))
def test_symmetric_and_invariant_under_rotation(seed):
    rng = np.random.default_rng(seed)
    S1, S2 = _random_cov(rng, 5), _random_cov(rng, 5)
    m1, m2 = rng.normal(size=5), rng.normal(size=5)
    Q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    d = sq.frechet_distance(m1, S1, m2, S2)
    assert sq.frechet_distance(m2, S2, m1, S1) == pytest.approx(d, rel=1e-9, abs=1e-10)
    assert sq.frechet_distance(Q @ m1, Q @ S1 @ Q.T, Q @ m2, Q @ S2 @ Q.T) == pytest.approx(d, rel=1e-9, abs=1e-10)


def test_plug_in_distance_approaches_the_closed_form():
    """From N = 20000 draws of each law in 4-D, the plug-in distance is within 5 standard errors of the truth: the
    estimate's spread over 40 repeats gives the standard error; its bias (~ tr / N) is below that."""
    rng = np.random.default_rng(1)
    S1, S2 = _random_cov(rng, 4), 2.0 * _random_cov(rng, 4)
    m1, m2 = np.zeros(4), np.full(4, 0.5)
    truth = sq.frechet_distance(m1, S1, m2, S2)
    est = [sq.frechet_distance(*sq.gaussian_moments(rng.multivariate_normal(m1, S1, 20000)),
                               *sq.gaussian_moments(rng.multivariate_normal(m2, S2, 20000))) for _ in range(40)]
    assert abs(np.mean(est) - truth) < 5 * np.std(est, ddof=1) / np.sqrt(40) + 2 * (np.trace(S1) + np.trace(S2)) / 20000


@pytest.fixture(scope="module")
def patches():
    from toyvae.experiments import frequency as fq

    return fq.patch_data(20000, 1000)


def test_pca_features_are_orthonormal_and_carry_most_variance(patches):
    train, _ = patches
    f = sq.PcaFeatures.fit(train)
    assert f.components.shape == (64, sq.PCA_COMPONENTS)
    assert np.allclose(f.components.T @ f.components, np.eye(sq.PCA_COMPONENTS), atol=1e-10)
    assert 0.9 < f.explained <= 1.0
    assert np.allclose(f(train).mean(axis=0), 0.0, atol=1e-8)


def test_data_against_itself_is_within_the_floor_and_noise_ranks_last(patches):
    """A fresh draw of training patches scores within 4 floor standard deviations of the floor's mean (the floor's
    spread over 10 draws is the stated sampling error); a Gaussian with the data's covariance ranks below white
    noise of the data's total variance by far (its distance is also within the floor: patches are close to Gaussian
    in these 16 features)."""
    train, held = patches
    f = sq.PcaFeatures.fit(train)
    floor = sq.data_floor(f, train, held)
    assert floor.mean() < 1.0 and floor.std(ddof=1) > 0
    rng = np.random.default_rng(7)
    again = sq.frechet_distance_of(f, train[rng.choice(len(train), sq.N_SAMPLES, replace=False)], held)
    assert abs(again - floor.mean()) < 4 * floor.std(ddof=1)
    mean, cov = train.mean(axis=0).astype(np.float64), np.cov(np.asarray(train, np.float64), rowvar=False)
    gauss = sq.frechet_distance_of(f, rng.multivariate_normal(mean, cov, sq.N_SAMPLES), held)
    white = sq.frechet_distance_of(
        f, mean + rng.normal(size=(sq.N_SAMPLES, 64)) * np.sqrt(np.trace(cov) / 64), held)
    assert gauss < white / 10
    # a blurred copy of the data (every patch averaged with its neighbour pixels) scores between the two
    blurred = (train[:sq.N_SAMPLES] + np.roll(train[:sq.N_SAMPLES], 1, axis=1)) / 2
    assert floor.mean() + 4 * floor.std(ddof=1) < sq.frechet_distance_of(f, blurred, held) < white
