"""``toyvae.theory.successive`` (MB Sec. 4-5) against Monte Carlo, brute-force optimisation and exact likelihoods."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import fft, optimize

from toyvae.theory import rate_distortion as rd
from toyvae.theory import successive as su

N_MC = 200_000  # Monte Carlo sample size; bounds are 5 se = 5 sigma / sqrt(N_MC) (two-sided false alarm 6e-7 each)


def _random_psd(rng, n, ridge=0.05):
    B = rng.normal(size=(n, n))
    return B @ B.T / n + ridge * np.eye(n)


def _random_primary(rng, n, d):
    return rd.LinearVAEParams(A=rng.normal(size=(d, n)) * 0.6, s=np.exp(rng.normal(size=d) * 0.5),
                              W=rng.normal(size=(n, d)) * 0.6)


def _random_secondary(rng, n, d2):
    return su.SecondaryParams(A2=rng.normal(size=(d2, n)) * 0.5, B2=rng.normal(size=(d2, n)) * 0.5,
                              s2=np.exp(rng.normal(size=d2) * 0.5), P2=rng.normal(size=(d2, n)) * 0.5,
                              V2=rng.normal(size=(n, n)) * 0.3, W2=rng.normal(size=(n, d2)) * 0.5)


def _copying_secondary(n):
    zero = np.zeros((n, n))
    return su.SecondaryParams(A2=zero, B2=zero, s2=np.ones(n), P2=zero, V2=zero, W2=zero)


def _assert_within_mc(samples, exact):
    se = samples.std() / np.sqrt(samples.size)
    assert abs(samples.mean() - exact) < 5 * se, (samples.mean(), exact, se)


def _dct_basis(n):
    """Orthonormal DCT-II basis (scipy), columns from low to high frequency."""
    return fft.dct(np.eye(n), norm="ortho", axis=0).T


# --- water level ---------------------------------------------------------------------------------------------


def test_water_level_for_distortion_inverts_the_forward_curve():
    rng = np.random.default_rng(0)
    mu = np.exp(rng.normal(size=7) * 1.5)
    thetas = np.geomspace(mu.min() / 10, mu.max() * 0.99, 40)
    D = rd.reverse_water_filling(mu, thetas).distortion  # forward map sum_i min(theta, mu_i)
    np.testing.assert_allclose(su.water_level_for_distortion(mu, D), thetas, rtol=1e-12)  # piecewise-linear, rounding
    assert su.water_level_for_distortion(mu, mu.sum() * 1.01) == np.inf


# --- MB eqs. 5-6 for arbitrary parameters: Monte Carlo ---------------------------------------------------------


@pytest.mark.parametrize("convention", su.CONVENTIONS)
def test_conditional_parts_against_monte_carlo(convention):
    """rate2, distortion2 and the copy distortion by sampling x, z ~ q(z|x) (x~ = W1 z or W1 A1 x), z2 ~ q(z2|x, x~)."""
    rng = np.random.default_rng(1)
    n, d1, d2 = 4, 3, 5
    Sigma = _random_psd(rng, n)
    prim, sec = _random_primary(rng, n, d1), _random_secondary(rng, n, d2)
    parts = su.conditional_linear_vae_parts(prim, sec, Sigma, convention)
    x = rng.multivariate_normal(np.zeros(n), Sigma, size=N_MC)
    m1 = x @ prim.A.T
    z = m1 + np.sqrt(prim.s) * rng.normal(size=(N_MC, d1))
    xt = (z if convention == "sample" else m1) @ prim.W.T
    m2 = x @ sec.A2.T + xt @ sec.B2.T
    z2 = m2 + np.sqrt(sec.s2) * rng.normal(size=(N_MC, d2))
    kl = 0.5 * np.sum((m2 - xt @ sec.P2.T) ** 2, 1) + 0.5 * np.sum(sec.s2 - 1 - np.log(sec.s2))
    final = xt @ (np.eye(n) + sec.V2).T + z2 @ sec.W2.T
    _assert_within_mc(kl, parts.rate)
    _assert_within_mc(np.sum((x - final) ** 2, 1), parts.distortion)
    _assert_within_mc(np.sum((x - xt) ** 2, 1), parts.copy_distortion)


def test_sample_change_against_monte_carlo():
    """E||mu~(z2, x~) - x~||^2 and its components in a random orthonormal basis, sampling the generative model."""
    rng = np.random.default_rng(2)
    n, d1, d2 = 4, 3, 5
    prim, sec = _random_primary(rng, n, d1), _random_secondary(rng, n, d2)
    U, _ = np.linalg.qr(rng.normal(size=(n, n)))
    change = su.sample_change(prim, sec, U)
    xt = rng.normal(size=(N_MC, d1)) @ prim.W.T  # z ~ p(z) = N(0, I)
    z2 = xt @ sec.P2.T + rng.normal(size=(N_MC, d2))  # z2 ~ p(z2|x~) = N(P2 x~, I)
    delta = xt @ sec.V2.T + z2 @ sec.W2.T  # mu~ - x~
    _assert_within_mc(np.sum(delta**2, 1), change.total)
    proj = delta @ U
    for k in range(n):
        _assert_within_mc(proj[:, k] ** 2, change.per_component[k])
    assert change.per_component.sum() == pytest.approx(change.total, rel=1e-12)  # orthonormal basis: rounding


# --- the copy start ------------------------------------------------------------------------------------------


def test_copy_start_is_gamma_only_for_the_sample_convention():
    """V2 = 0, W2 = 0: distortion2 = E||x - x~||^2; = the primary's distortion (eq. 4) for x~ at a posterior
    sample, smaller by tr(W1 diag(s1) W1^T) for x~ at the posterior mean."""
    rng = np.random.default_rng(3)
    n = 5
    Sigma = _random_psd(rng, n)
    prim = _random_primary(rng, n, 4)
    gamma = rd.linear_vae_parts(prim, Sigma, np.eye(n)).distortion
    copy = _copying_secondary(n)
    samp = su.conditional_linear_vae_parts(prim, copy, Sigma, "sample")
    mean = su.conditional_linear_vae_parts(prim, copy, Sigma, "posterior_mean")
    # exact identities; rounding ~1e-15 relative on O(1) traces
    assert samp.distortion == pytest.approx(gamma, rel=1e-12)
    assert samp.copy_distortion == pytest.approx(gamma, rel=1e-12)
    assert samp.rate == 0.0 and mean.rate == 0.0
    gap = np.trace((prim.W * prim.s) @ prim.W.T)
    assert mean.distortion == pytest.approx(gamma - gap, rel=1e-12) and gap > 0
    # at the rate-optimal primary the posterior-mean copy gives sum_coded theta1^2/mu_i + sum_uncoded mu_i < gamma
    mu = np.arange(1, 9, dtype=float) ** -2
    opt = su.two_stage_optimum(mu, 0.2, 0.05)
    pm = su.conditional_linear_vae_parts(opt.primary, _copying_secondary(8), np.diag(mu), "posterior_mean")
    expected = np.sum(np.where(mu > opt.theta1, opt.theta1**2 / mu, mu))
    assert pm.copy_distortion == pytest.approx(expected, rel=1e-12) and pm.copy_distortion < 0.2


# --- the optimal secondary: brute force ----------------------------------------------------------------------


def _lagrangian_by_joint_covariance(p, prim, Sigma, convention, beta):
    """D2 + beta R2 from the block covariance of (x, x~), written out here (not via successive's algebra)."""
    n = Sigma.shape[0]
    A2, B2, P2, V2, W2 = (p[k * n * n:(k + 1) * n * n].reshape(n, n) for k in range(5))
    log_s2 = p[5 * n * n:]
    s2 = np.exp(log_s2)
    lat = prim.A @ Sigma @ prim.A.T + (np.diag(prim.s) if convention == "sample" else 0.0)
    C = np.block([[Sigma, Sigma @ prim.A.T @ prim.W.T], [prim.W @ prim.A @ Sigma, prim.W @ lat @ prim.W.T]])
    kl_map = np.hstack([A2, B2 - P2])  # z2 posterior mean minus prior mean, as a map of (x, x~)
    err_map = np.hstack([np.eye(n) - W2 @ A2, -(np.eye(n) + V2 + W2 @ B2)])  # x - mu~ without the z2 noise
    rate = 0.5 * np.trace(kl_map @ C @ kl_map.T) + 0.5 * np.sum(s2 - 1 - log_s2)
    dist = np.trace(err_map @ C @ err_map.T) + np.sum((W2 * W2).sum(0) * s2)
    return dist + beta * rate


@pytest.mark.parametrize("convention", su.CONVENTIONS)
@pytest.mark.parametrize("seed", range(2))
def test_optimal_secondary_attains_the_brute_force_minimum(seed, convention):
    """n = 3: minimise D2 + beta2 R2 over all 48 secondary parameters (A2, B2, P2, V2, W2, log s2) with L-BFGS
    from random starts; the closed-form optimum (at beta2 = 2 theta2) must reach the same value."""
    rng = np.random.default_rng(10 + seed)
    n = 3
    Sigma = _random_psd(rng, n)
    gamma = 0.5 * np.trace(Sigma)  # leaves the smallest component(s) uncoded by the primary
    prim = su.two_stage_optimum(Sigma, gamma, gamma).primary
    gamma_t = 0.4 * np.trace(su.conditional_source(prim, Sigma, convention).covariance)  # a positive secondary rate
    opt = su.two_stage_optimum(Sigma, gamma, gamma_t, convention=convention)
    beta = 2 * opt.theta2
    exact = opt.distortion2 + beta * opt.rate2
    p_opt = np.concatenate([opt.secondary.A2.ravel(), opt.secondary.B2.ravel(), opt.secondary.P2.ravel(),
                            opt.secondary.V2.ravel(), opt.secondary.W2.ravel(), np.log(opt.secondary.s2)])
    # the two routes to the objective agree at the optimum (exact algebra; rounding)
    assert _lagrangian_by_joint_covariance(p_opt, prim, Sigma, convention, beta) == pytest.approx(exact, rel=1e-10)
    best = min(
        optimize.minimize(_lagrangian_by_joint_covariance, rng.normal(size=5 * n * n + n) * 0.3,
                          args=(prim, Sigma, convention, beta), method="L-BFGS-B",
                          options={"gtol": 1e-11, "maxiter": 20000, "maxfun": 10**6}).fun
        for _ in range(3)
    )
    assert best >= exact - 1e-9  # the closed form is a lower bound (conditional rate-distortion); margin: rounding
    assert best == pytest.approx(exact, rel=1e-5)  # L-BFGS with finite-difference gradients stops within ~1e-7


# --- successive refinability and the derived quantities -------------------------------------------------------

spectra = st.lists(st.floats(min_value=1e-2, max_value=1e2), min_size=1, max_size=10)


@given(mu=spectra, frac=st.floats(min_value=0.02, max_value=0.98), frac_t=st.floats(min_value=0.02, max_value=1.0))
def test_successive_refinability(mu, frac, frac_t):
    """R(gamma) + rate2 = R(gamma~) (Equitz & Cover 1991), distortion2 = gamma~, change = gamma - gamma~."""
    mu = np.array(mu)
    gamma = frac * mu.sum()
    gamma_t = frac_t * gamma
    opt = su.two_stage_optimum(mu, gamma, gamma_t)
    # Var(x|x~) = mu_i - (mu_i - theta1) cancels digits: relative rounding up to eps mu_max / theta1 <~ 1e-9 here
    tol = 1e-7
    assert opt.rate1 == pytest.approx(float(rd.rate_distortion(mu, gamma)), rel=tol, abs=tol)
    assert opt.rate_total == pytest.approx(opt.rate_single, rel=tol, abs=tol)
    assert opt.distortion1 == pytest.approx(gamma, rel=tol)
    assert opt.distortion2 == pytest.approx(gamma_t, rel=tol)
    # the same water level as a single stage at gamma~
    assert opt.theta2 == pytest.approx(su.water_level_for_distortion(mu, gamma_t), rel=tol)
    assert opt.elbo_two_stage == pytest.approx(opt.elbo_single, rel=tol, abs=tol)
    assert opt.elbo_two_stage >= opt.elbo_primary - tol  # refining never lowers this ELBO
    assert opt.sample_change == pytest.approx(gamma - gamma_t, rel=tol, abs=tol * gamma)
    expected = np.maximum(0.0, np.minimum(opt.theta1, mu) - opt.theta2)
    np.testing.assert_allclose(opt.innovation_variance, expected, rtol=tol, atol=tol * gamma)


def test_rotated_source_gives_the_same_optimum():
    """Sigma = Q diag(mu) Q^T: the same rates and the same per-eigencomponent innovation as diag(mu)."""
    rng = np.random.default_rng(4)
    mu = np.sort(np.exp(rng.normal(size=6)))[::-1]
    Q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    a = su.two_stage_optimum(mu, 0.3 * mu.sum(), 0.05 * mu.sum())
    b = su.two_stage_optimum((Q * mu) @ Q.T, 0.3 * mu.sum(), 0.05 * mu.sum())
    # eigen-solver rounding, ~1e-14 of the largest eigenvalue, amplified by 1/theta in the logs
    for f in ("rate1", "rate2", "distortion2", "sample_change", "elbo_two_stage"):
        assert getattr(b, f) == pytest.approx(getattr(a, f), rel=1e-9)
    np.testing.assert_allclose(b.innovation_variance, a.innovation_variance, rtol=1e-9, atol=1e-12)


def test_two_stage_samples_are_distributed_as_single_stage_samples():
    """Cov(final mean sample) = (I + V2 + W2 P2) W1 W1^T (.)^T + W2 W2^T equals W W^T of the single VAE at gamma~."""
    rng = np.random.default_rng(5)
    Sigma = _random_psd(rng, 5)
    opt = su.two_stage_optimum(Sigma, 0.4, 0.1)
    sec, W1 = opt.secondary, opt.primary.W
    L = np.eye(5) + sec.V2 + sec.W2 @ sec.P2
    cov_two = L @ W1 @ W1.T @ L.T + sec.W2 @ sec.W2.T
    single = rd.optimal_linear_vae(Sigma, np.eye(5), 2 * opt.theta2)
    np.testing.assert_allclose(cov_two, single.W @ single.W.T, atol=1e-12)  # O(1) entries, rounding


def _model_log_likelihood(opt, Sigma):
    """E_{x ~ N(0, Sigma)} log p(x) of the two-stage generative model, exactly: x = final + N(0, gamma~/n I)."""
    n = Sigma.shape[0]
    sec, W1 = opt.secondary, opt.primary.W
    L = np.eye(n) + sec.V2 + sec.W2 @ sec.P2
    C = L @ W1 @ W1.T @ L.T + sec.W2 @ sec.W2.T + opt.distortion2 / n * np.eye(n)
    _, logdet = np.linalg.slogdet(C)
    return -0.5 * (n * np.log(2 * np.pi) + logdet + np.trace(np.linalg.solve(C, Sigma)))


@pytest.mark.parametrize("gamma_t", [0.3, 0.05])
def test_two_stage_elbo_bounds_the_model_likelihood(gamma_t):
    """ELBO2 = -(n/2) log(2 pi e gamma~/n) - R1 - R2 <= E log p_model(x) <= E log N(x; 0, Sigma); at gamma~ below
    n min(mu) every component is coded and all three coincide."""
    n = 8
    C = _dct_basis(n)
    Sigma = (C * np.arange(1, n + 1, dtype=float) ** -2.0) @ C.T
    opt = su.two_stage_optimum(Sigma, 0.6, gamma_t)
    model = _model_log_likelihood(opt, Sigma)
    assert opt.elbo_two_stage <= model + 1e-10  # rounding of slogdet and solve on O(1) matrices
    assert model <= opt.data_log_likelihood + 1e-10  # cross-entropy >= entropy
    if gamma_t < n * (1 / n**2):  # flat region: gamma~ <= n min(mu)
        assert opt.elbo_two_stage == pytest.approx(opt.data_log_likelihood, abs=1e-10)
    else:
        assert opt.elbo_two_stage < model - 1e-3  # a strict gap (the Gaussian decoder is not the model's marginal)


def test_posterior_mean_convention_is_not_a_code():
    """x~ = W1 A1 x reveals the coded components: rate1 + rate2 < R(gamma~), and the formal ELBO exceeds E log p(x)."""
    mu = np.arange(1, 9, dtype=float) ** -2
    pm = su.two_stage_optimum(mu, 0.2, 0.05, convention="posterior_mean")
    samp = su.two_stage_optimum(mu, 0.2, 0.05)
    assert pm.rate2 == 0.0 and pm.rate_total < pm.rate_single - 1.0
    assert pm.elbo_two_stage > pm.data_log_likelihood + 1.0
    assert samp.elbo_two_stage <= samp.data_log_likelihood + 1e-10  # rounding


def test_worked_example_numbers():
    """n = 8, spectrum k^-2 in the DCT basis, gamma = 0.2, gamma~ = 0.05 (the shared-sweep source)."""
    n = 8
    C = _dct_basis(n)
    mu = np.arange(1, n + 1, dtype=float) ** -2
    opt = su.two_stage_optimum((C * mu) @ C.T, 0.2, 0.05, basis=C)
    # theta1 from 6 theta1 + 1/49 + 1/64 = 0.2; theta2 = 0.05 / 8 (every component coded at gamma~)
    assert opt.theta1 == pytest.approx((0.2 - 1 / 49 - 1 / 64) / 6, rel=1e-12)
    assert opt.theta2 == pytest.approx(0.05 / 8, rel=1e-10)
    assert opt.rate1 == pytest.approx(0.5 * np.sum(np.log(mu[:6] / opt.theta1)), rel=1e-10)
    assert opt.rate_total == pytest.approx(0.5 * np.sum(np.log(mu / opt.theta2)), rel=1e-10)
    np.testing.assert_allclose(opt.spectrum, mu, rtol=1e-12)  # the DCT basis diagonalises Sigma
    np.testing.assert_allclose(opt.innovation_variance, np.minimum(opt.theta1, mu) - opt.theta2, rtol=1e-9)


# --- MB Sec. 5: error allocation at a fixed distortion -------------------------------------------------------


def _brute_force_min_rate(mu, gamma):
    """min sum_i 1/2 log(mu_i / e_i) s.t. sum_i e_i = gamma, 0 < e_i <= mu_i (SLSQP on log e; no water-filling)."""
    u0 = np.log(mu * gamma / mu.sum())
    res = optimize.minimize(lambda u: 0.5 * np.sum(np.log(mu) - u), u0, jac=lambda u: -0.5 * np.ones_like(u),
                            bounds=[(None, np.log(m)) for m in mu],
                            constraints=({"type": "eq", "fun": lambda u: np.exp(u).sum() / gamma - 1.0},),
                            method="SLSQP", options={"ftol": 1e-14, "maxiter": 1000})
    assert res.success, res.message
    return res.fun


@pytest.mark.parametrize("seed", range(3))
def test_water_filling_allocation_minimises_the_rate_at_fixed_distortion(seed):
    rng = np.random.default_rng(20 + seed)
    mu = np.exp(rng.normal(size=4) * 1.2)
    for frac in (0.05, 0.3, 0.7):
        gamma = frac * mu.sum()
        opt = su.optimal_error_spectrum(mu, gamma)
        assert opt.component_error.sum() == pytest.approx(gamma, rel=1e-12)  # rounding
        assert opt.rate == pytest.approx(float(rd.rate_distortion(mu, gamma)), rel=1e-12)
        assert opt.rate == pytest.approx(_brute_force_min_rate(mu, gamma), abs=1e-6)  # SLSQP converges to ~1e-7
        # 20000 random allocations summing to gamma (Dirichlet centred on e proportional to mu), the feasible ones
        # (e_i <= mu_i) kept: none is cheaper
        e = rng.dirichlet(4 * mu / mu.mean(), size=20000) * gamma
        e = e[np.all(e <= mu, axis=1)]
        assert e.shape[0] > 1000
        assert np.all(su.rate_at_allocation(mu, e) >= opt.rate - 1e-12)  # rounding


def _diagonal_vae(mu, e, U):
    """A linear VAE diagonal in the eigenbasis U with error e_i per component and q(z) = p(z)."""
    s = np.minimum(e / mu, 1.0)
    a = np.sqrt((1 - s) / mu)
    return rd.LinearVAEParams(A=a[:, None] * U.T, s=s, W=U * (a * mu))


def test_rate_at_allocation_is_the_rate_of_the_matching_linear_vae():
    """For the diagonal linear VAE with s_i = e_i / mu_i, linear_vae_parts' rate = rate_at_allocation, its
    distortion = sum e, and its error spectrum in the DCT basis is e."""
    n = 8
    C = _dct_basis(n)
    mu = np.arange(1, n + 1, dtype=float) ** -2
    Sigma = (C * mu) @ C.T
    for tilt in (0.0, 0.5, 1.0, 2.0):
        e = su.tilted_allocation(mu, 0.2, tilt)
        params = _diagonal_vae(mu, e, C)
        parts = rd.linear_vae_parts(params, Sigma, np.eye(n))
        # exact identities; rounding ~1e-15 on O(1) traces and logs
        assert parts.rate == pytest.approx(float(su.rate_at_allocation(mu, e)), rel=1e-10)
        assert parts.distortion == pytest.approx(0.2, rel=1e-10)
        assert parts.aggregate_kl == pytest.approx(0.0, abs=1e-10)
        np.testing.assert_allclose(su.linear_vae_error_spectrum(params, Sigma, C), e, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("seed", range(4))
def test_any_linear_vae_pays_at_least_its_allocation_rate(seed):
    """rate >= I(x; W z) >= sum_i R_i(e_i) >= R(D) for a random (non-diagonal) linear VAE."""
    rng = np.random.default_rng(30 + seed)
    n = 5
    Sigma = _random_psd(rng, n)
    w, U = np.linalg.eigh(Sigma)
    params = _random_primary(rng, n, 4)
    parts = rd.linear_vae_parts(params, Sigma, np.eye(n))
    e = su.linear_vae_error_spectrum(params, Sigma, U)
    assert e.sum() == pytest.approx(parts.distortion, rel=1e-12)  # orthonormal basis: rounding
    alloc = float(su.rate_at_allocation(w, e))
    assert parts.rate >= alloc - 1e-12
    assert alloc >= float(rd.rate_distortion(w, e.sum())) - 1e-12


def test_error_share_and_high_frequency_first_allocation():
    """k^-2 spectrum in the DCT basis at gamma = 0.2: water-filling drops the highest frequencies (most of the error
    sits there); coding high frequencies first (tilt 2) moves error to low frequencies and costs rate."""
    mu = np.arange(1, 9, dtype=float) ** -2
    opt = su.optimal_error_spectrum(mu, 0.2)
    assert opt.coded.tolist() == [True] * 6 + [False] * 2  # a low-frequency prefix
    early = su.tilted_allocation(mu, 0.2, 2.0)
    assert early.sum() == pytest.approx(0.2, rel=1e-12)  # Brent to machine precision
    assert su.error_share_above(opt.component_error, 4) > su.error_share_above(early, 4)
    assert su.rate_at_allocation(mu, early) > opt.rate + 0.1
    np.testing.assert_allclose(su.tilted_allocation(mu, 0.2, 0.0), opt.component_error, rtol=1e-12)
    # known answer: shares of a flat error
    assert su.error_share_above(np.ones(8), 6) == pytest.approx(0.25)
    np.testing.assert_allclose(su.error_share_above(np.ones((3, 8)), 0), 1.0)


def test_bad_inputs_name_the_parameter():
    mu = np.array([1.0, 0.5])
    with pytest.raises(ValueError, match="convention"):
        su.two_stage_optimum(mu, 0.5, 0.1, convention="mean")
    with pytest.raises(ValueError, match="gamma_tilde"):
        su.two_stage_optimum(mu, 0.5, 0.6)
    with pytest.raises(ValueError, match="gamma"):
        su.two_stage_optimum(mu, 2.0, 0.1)
    with pytest.raises(ValueError, match="cutoff"):
        su.error_share_above(mu, 3)
    with pytest.raises(ValueError, match="basis"):
        su.two_stage_optimum(mu, 0.5, 0.1, basis=np.ones((2, 2)))
