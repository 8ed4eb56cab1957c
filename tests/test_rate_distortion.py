"""Reverse water-filling and linear-Gaussian ELBO pieces against independent oracles."""

import numpy as np
import pytest
from scipy import optimize, stats

from toyvae.theory import rate_distortion as rd


def _random_psd(rng, n, ridge=0.05):
    B = rng.normal(size=(n, n))
    return B @ B.T / n + ridge * np.eye(n)


def test_metric_weighted_spectrum_is_the_spectrum_of_G_Sigma():
    # eig(G^{1/2} Sigma G^{1/2}) = eig(G Sigma) (similar matrices); the oracle is a non-symmetric eig
    rng = np.random.default_rng(0)
    for n in (2, 5, 9):
        S, G = _random_psd(rng, n), _random_psd(rng, n)
        oracle = np.sort(np.linalg.eigvals(G @ S).real)[::-1]
        np.testing.assert_allclose(rd.metric_weighted_spectrum(S, G), oracle, rtol=1e-9)  # eigen-solver rounding


def test_one_dimensional_formula():
    # R(D) = max(0, log(sigma^2 / D) / 2) for a scalar Gaussian source (Cover & Thomas, Thm. 10.3.2)
    for var in (0.3, 1.0, 7.0):
        for D in (0.01, 0.2, 0.29, 5.0, 10.0):
            assert rd.rate_distortion([var], D) == pytest.approx(max(0.0, 0.5 * np.log(var / D)), abs=1e-13)


def _brute_force_rd(mu, D):
    """min sum_i log(mu_i / D_i) / 2 subject to sum_i D_i = D, 0 < D_i <= mu_i (SLSQP, no water-filling)."""
    mu = np.asarray(mu, float)
    if D >= mu.sum():
        return 0.0
    # variables u_i = log D_i (better scaled than D_i when the spectrum spans decades)
    u0 = np.log(mu * D / mu.sum())
    cons = ({"type": "eq", "fun": lambda u: np.exp(u).sum() / D - 1.0, "jac": lambda u: np.exp(u)[None] / D},)
    res = optimize.minimize(
        lambda u: 0.5 * np.sum(np.log(mu) - u),
        u0,
        jac=lambda u: -0.5 * np.ones_like(u),
        bounds=[(None, np.log(m)) for m in mu],
        constraints=cons,
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    assert res.success, res.message
    return res.fun


@pytest.mark.parametrize("seed", range(4))
def test_rate_distortion_matches_brute_force_optimisation(seed):
    rng = np.random.default_rng(seed)
    mu = np.exp(rng.normal(size=6) * 1.5)
    for frac in (0.02, 0.1, 0.4, 0.8, 0.99):
        D = frac * mu.sum()
        # SLSQP converges to ~1e-7 in the objective on these 6-dimensional convex problems
        assert rd.rate_distortion(mu, D) == pytest.approx(_brute_force_rd(mu, D), abs=1e-6)


def test_water_filling_curve_is_consistent_and_inverts():
    mu = np.array([5.0, 2.0, 1.0, 0.1])
    thetas = np.geomspace(1e-3, 10, 30)
    pts = rd.reverse_water_filling(mu, thetas)
    assert np.all(np.diff(pts.rate) <= 0) and np.all(np.diff(pts.distortion) >= 0)
    np.testing.assert_allclose(rd.rate_distortion(mu, pts.distortion), pts.rate, rtol=1e-12, atol=1e-13)
    # slope dD/dR = -2 theta (finite difference, O(h^2) error)
    h = 1e-5
    for t in (0.05, 0.5, 1.5):
        p1, p2 = rd.reverse_water_filling(mu, t * (1 - h)), rd.reverse_water_filling(mu, t * (1 + h))
        slope = (p2.distortion - p1.distortion) / (p2.rate - p1.rate)
        assert slope == pytest.approx(-2 * t, rel=1e-6)
    assert rd.rate_distortion(mu, mu.sum() * 1.01) == 0.0


@pytest.mark.parametrize("seed", range(3))
def test_optimal_linear_vae_attains_the_lagrangian_minimum(seed):
    """Brute force: minimise D + beta R over (A, log s, W) with L-BFGS from random starts."""
    rng = np.random.default_rng(seed)
    n = 3
    S, G = _random_psd(rng, n), _random_psd(rng, n)
    beta = float(np.exp(rng.uniform(-2, 0.5)))
    mu = rd.metric_weighted_spectrum(S, G)
    pt = rd.reverse_water_filling(mu, beta / 2)
    exact = pt.distortion + beta * pt.rate

    def objective(p):
        A, logs, W = p[: n * n].reshape(n, n), p[n * n : n * n + n], p[n * n + n :].reshape(n, n)
        s = np.exp(logs)  # written out here (eq. 44 and the Gaussian KL), independently of linear_vae_parts
        R = np.eye(n) - W @ A
        dist = np.trace(G @ R @ S @ R.T) + np.sum(np.diag(W.T @ G @ W) * s)
        rate = 0.5 * np.trace(A @ S @ A.T) + 0.5 * np.sum(s - 1 - logs)
        return dist + beta * rate

    best = min(
        optimize.minimize(objective, rng.normal(size=2 * n * n + n) * 0.3, method="L-BFGS-B", options={"gtol": 1e-10}).fun
        for _ in range(3)
    )
    # the water-filling value is a lower bound (rate >= I >= R(D)) that the optimiser reaches
    assert best >= exact - 1e-9  # rounding
    assert best == pytest.approx(exact, rel=1e-5)  # L-BFGS with numerical gradients converges to ~1e-7
    opt = rd.linear_vae_parts(rd.optimal_linear_vae(S, G, beta), S, G)
    assert opt.distortion + beta * opt.rate == pytest.approx(exact, rel=1e-12)
    assert opt.rate == pytest.approx(pt.rate, rel=1e-10) and opt.aggregate_kl == pytest.approx(0.0, abs=1e-10)


def test_linear_vae_parts_against_monte_carlo():
    """Rate, distortion and I_q(x; z) by sampling; bound 5 sigma / sqrt(N) (false alarm < 1e-6 each)."""
    rng = np.random.default_rng(3)
    n, d, N = 4, 3, 200_000
    S, G = _random_psd(rng, n), _random_psd(rng, n)
    A, W = rng.normal(size=(d, n)) * 0.5, rng.normal(size=(n, d))
    s = np.exp(rng.normal(size=d) * 0.5)
    parts = rd.linear_vae_parts(rd.LinearVAEParams(A, s, W), S, G)
    x = rng.multivariate_normal(np.zeros(n), S, size=N)
    m = x @ A.T
    z = m + np.sqrt(s) * rng.normal(size=(N, d))
    r = x - z @ W.T
    dist = np.einsum("ni,ij,nj->n", r, G, r)
    kl = 0.5 * np.sum(m**2, 1) + 0.5 * np.sum(s - 1 - np.log(s))
    log_q_cond = stats.norm.logpdf(z, m, np.sqrt(s)).sum(1)
    agg = stats.multivariate_normal(np.zeros(d), A @ S @ A.T + np.diag(s))
    log_q = agg.logpdf(z)
    log_p = stats.norm.logpdf(z).sum(1)
    for est, exact in ((dist, parts.distortion), (kl, parts.rate), (log_q_cond - log_q, parts.mutual_information),
                       (log_q - log_p, parts.aggregate_kl)):
        assert abs(est.mean() - exact) < 5 * est.std() / np.sqrt(N)
    # ELBO surgery, exact in closed form (rounding only)
    assert parts.rate == pytest.approx(parts.mutual_information + parts.aggregate_kl, rel=1e-12)


def test_bad_inputs_name_the_parameter():
    with pytest.raises(ValueError, match="theta"):
        rd.reverse_water_filling([1.0], 0.0)
    with pytest.raises(ValueError, match="spectrum"):
        rd.reverse_water_filling([-1.0], 1.0)
    with pytest.raises(ValueError, match="D"):
        rd.rate_distortion([1.0], -1.0)
    with pytest.raises(ValueError, match="G"):
        rd.metric_weighted_spectrum(np.eye(2), -np.eye(2))
    with pytest.raises(ValueError, match="beta"):
        rd.water_level(0.0)
