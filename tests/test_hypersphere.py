"""``toyvae.theory.hypersphere`` against independent oracles (Berger & Sebag 2020, Sec. 3.1).

* ``log_marginal``: a 50-digit mpmath quadrature of the angular integral of eq. (8),
  ``J(a) = int_0^pi sin^{D-2}(phi) e^{a cos phi} dphi`` (not the Bessel closed form);
* ``log_marginal_derivative``: finite differences of ``log_marginal`` and mpmath's numerical
  derivative of ``log 0F1``;
* ``optimal_radius``: brute-force maximisation on a dense grid and ``scipy.optimize``, and the
  stationarity equation ``r = R I_{D/2}(a) / I_{D/2-1}(a)`` with mpmath's ``besseli``.
"""

from __future__ import annotations

import functools

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from toyvae.theory import hypersphere as hs

QUAD_DPS = 50


# ---------------------------------------------------------------------------------------------
# The oracle: log J(a) - log J(0) by quadrature of eq. (8)'s angular integral
# ---------------------------------------------------------------------------------------------


def _log_integrand(phi: np.ndarray, D: int, a: float) -> np.ndarray:
    """float64 log of ``sin^{D-2}(phi) 4 sinh^2(a cos(phi) / 2)`` (of ``sin^{D-2}`` when a = 0)."""
    with np.errstate(divide="ignore"):
        out = (D - 2) * np.log(np.sin(phi)) if D > 2 else np.zeros_like(phi)
        if a > 0:
            x = a * np.cos(phi) / 2
            log_2sinh = np.where(x < 20, np.log(2 * np.sinh(np.minimum(x, 20))), x + np.log1p(-np.exp(-2 * x)))
            out = out + 2 * log_2sinh
    return out


def _break_points(D: int, a: float) -> list:
    """Break points on [0, pi/2] where the integrand has fallen by e^0.5, e^2, e^18 and e^130 from its peak.

    The log-integrand is concave on (0, pi/2) (a sum of ``log sin`` and ``log sinh`` of a concave
    positive function), so the integrand is unimodal: the pieces left out beyond the e^-130 points
    are below ``(pi/2) e^-130 < 1e-56`` of the peak value, far under the 50-digit target.
    """
    phi = np.linspace(0.0, np.pi / 2, 400001)
    h = _log_integrand(phi, D, a)
    peak = int(np.argmax(h))
    points = [mp.mpf(phi[peak])]
    lo, hi = mp.mpf(0), mp.pi / 2
    for drop in (0.5, 2.0, 18.0, 130.0):
        below = h < h[peak] - drop
        left = np.nonzero(below[:peak])[0]
        right = np.nonzero(below[peak:])[0]
        lo = mp.mpf(phi[left[-1]]) if left.size else mp.mpf(0)
        hi = mp.mpf(phi[peak + right[0]]) if right.size else mp.pi / 2
        points += [lo, hi]
    return sorted(set(points))


@functools.cache
def _angular_integral_at_zero(D: int) -> mp.mpf:
    """``J(0) = 2 int_0^{pi/2} sin^{D-2}`` by quadrature (50 digits)."""
    with mp.workdps(QUAD_DPS):
        return 2 * mp.quad(lambda p: mp.sin(p) ** (D - 2), _break_points(D, 0.0), maxdegree=6)


def log_angular_ratio(D: int, a: float) -> mp.mpf:
    """``log J(a) - log J(0)`` by 50-digit tanh-sinh quadrature.

    ``J(a) - J(0) = int_0^{pi/2} sin^{D-2}(phi) 4 sinh^2(a cos(phi) / 2) dphi`` (fold phi -> pi - phi),
    a positive integrand, so small ``a`` loses nothing to cancellation; ``J(0) = 2 int_0^{pi/2} sin^{D-2}``.
    """
    with mp.workdps(QUAD_DPS):
        m = D - 2
        a_mp = mp.mpf(a)
        j0 = _angular_integral_at_zero(D)
        if a == 0:
            return mp.mpf(0)
        excess = mp.quad(lambda p: mp.sin(p) ** m * 4 * mp.sinh(a_mp * mp.cos(p) / 2) ** 2,
                         _break_points(D, a), maxdegree=6)
        return mp.log1p(excess / j0)


def test_oracle_agrees_with_hypergeometric_series():
    """The quadrature oracle itself against mpmath's 0F1 (DLMF 10.32.2): it is right to ~1e-20."""
    for D, a in [(2, 3.0), (7, 40.0), (1000, 1e3), (100000, 10.0)]:
        with mp.workdps(QUAD_DPS):
            ref = mp.log(mp.hyp0f1(mp.mpf(D) / 2, mp.mpf(a) ** 2 / 4))
            assert abs(log_angular_ratio(D, a) - ref) <= mp.mpf(1e-20) * abs(ref)


# ---------------------------------------------------------------------------------------------
# log_marginal: differences between two radii, D from 2 to 1e5, a = r R / sigma^2 from 0 to 1e6
# ---------------------------------------------------------------------------------------------

# the accuracy requirement for differences of eq. (8) between two radii
REL = 1e-9

QUICK_CASES = [(D, a) for D in (2, 3, 51, 100000) for a in (1e-6, 0.7, 30.0, 2.5e3, 1e6)]


def _check_difference(D: int, a: float, R: float = 1.7, sigma: float = 0.6) -> None:
    """Compare ``log_marginal(r1) - log_marginal(r2)`` with the quadrature, for a1 = a, a2 = a / 3."""
    var = sigma * sigma
    r1, r2 = a * var / R, a * var / (3 * R)
    got = float(hs.log_marginal(r1, R, sigma, D) - hs.log_marginal(r2, R, sigma, D))
    with mp.workdps(QUAD_DPS):
        integral = log_angular_ratio(D, a) - log_angular_ratio(D, a / 3)
        quadratic = -(mp.mpf(r1) ** 2 - mp.mpf(r2) ** 2) / (2 * mp.mpf(var))
        ref = quadratic + integral
    # the integral part alone (log J(a1) - log J(a2) > 0, no cancellation): relative REL, plus the
    # rounding of the quadratic part that is subtracted to expose it (a few ulps of |quadratic|,
    # which dominates when sigma >> R: then r^2 / sigma^2 = a^2 sigma^2 / R^2 is huge)
    got_integral = got - float(quadratic)
    eps = np.finfo(np.float64).eps
    assert abs(got_integral - float(integral)) <= REL * float(integral) + 4 * eps * abs(float(quadratic)), (D, a)
    # the full difference: relative REL of the size of its two parts (the difference itself can
    # pass through 0 where the two parts cancel, which no relative test of the difference survives)
    scale = abs(float(quadratic)) + float(integral)
    assert abs(got - float(ref)) <= REL * scale, (D, a, got, float(ref))


@pytest.mark.parametrize(("D", "a"), QUICK_CASES)
def test_log_marginal_differences_match_quadrature(D, a):
    _check_difference(D, a)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_log_marginal_differences_match_quadrature_wide(seed):
    """Log-uniform D in [2, 1e5] and a in [1e-6, 1e6], 15 cases per seed."""
    rng = np.random.default_rng(seed)
    for _ in range(15):
        D = int(np.round(10 ** rng.uniform(np.log10(2), 5)))
        a = float(10 ** rng.uniform(-6, 6))
        _check_difference(D, a, R=float(10 ** rng.uniform(-2, 2)), sigma=float(10 ** rng.uniform(-2, 2)))


def test_log_marginal_is_zero_at_r0_and_finite_on_extreme_grid():
    D = np.array([2, 3, 4, 5, 100, 101, 1000, 100000])[:, None]
    a = np.concatenate([[0.0], np.geomspace(1e-12, 1e6, 400)])[None, :]
    R, sigma = 3.0, 0.05
    r = a * sigma**2 / R
    values = hs.log_marginal(r, R, sigma, D)
    assert values.shape == (8, 401)
    assert np.all(np.isfinite(values))
    assert np.all(values[:, 0] == 0.0)
    deriv = hs.log_marginal_derivative(r, R, sigma, D)
    assert np.all(np.isfinite(deriv))


def test_log_likelihood_is_a_normalised_density_in_x():
    """``log_likelihood`` integrates to 1 over x in R^D (radial integral for D = 3, r = 0.8, sigma = 0.5)."""
    from scipy import integrate

    D, r, sigma = 3, 0.8, 0.5
    area = 4 * np.pi  # |S^2|
    value, err = integrate.quad(
        lambda R: area * R ** (D - 1) * np.exp(hs.log_likelihood(r, R, sigma, D)), 1e-12, 20.0, limit=200
    )
    # quad's own error estimate (~1e-10) times a safety factor; the tail beyond R = 20 is < e^-700
    assert abs(value - 1.0) <= 1e-8


# ---------------------------------------------------------------------------------------------
# log_marginal_derivative
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("D", "a"), [(2, 0.3), (2, 50.0), (3, 4.0), (10, 1e3), (101, 60.0), (4000, 7e3)])
def test_derivative_matches_mpmath_and_finite_differences(D, a):
    R, sigma = 1.3, 0.4
    var = sigma * sigma
    r = a * var / R
    got = float(hs.log_marginal_derivative(r, R, sigma, D))
    with mp.workdps(40):
        # d/dr [-r^2 / (2 var) + log 0F1(; D/2; (r R / var)^2 / 4)], differentiated numerically by mpmath
        f = lambda rr: -rr**2 / (2 * var) + mp.log(mp.hyp0f1(mp.mpf(D) / 2, (rr * R / var) ** 2 / 4))  # noqa: E731
        ref = float(mp.diff(f, mp.mpf(r)))
    scale = r / var + R / var  # sizes of the two terms of (R rho - r) / sigma^2
    # rho is accurate to ~1e-15 relative (test_bessel); 1e-13 of the terms' size
    assert abs(got - ref) <= 1e-13 * scale, (got, ref)
    # central difference of log_marginal: truncation h^2 |f'''| / 6 and rounding eps |f| / h
    h = 1e-5 * max(r, var / R)
    fd = float(hs.log_marginal(r + h, R, sigma, D) - hs.log_marginal(r - h, R, sigma, D)) / (2 * h)
    f_size = abs(float(hs.log_marginal(r, R, sigma, D))) + r * r / var
    assert abs(fd - got) <= 1e-7 * scale + 1e-15 * f_size / h


# ---------------------------------------------------------------------------------------------
# optimal_radius and the thresholds
# ---------------------------------------------------------------------------------------------


def _grid_argmax(R: float, sigma: float, D: int, n: int = 20001) -> tuple[float, float]:
    r = np.linspace(0.0, 1.2 * R, n)
    values = hs.log_marginal(r, R, sigma, D)
    i = int(np.argmax(values))
    return r[i], r[1] - r[0]


@pytest.mark.parametrize("D", [2, 3, 5, 30, 1000])
@pytest.mark.parametrize("ratio", [0.05, 0.3, 0.7, 0.95, 0.999, 1.0, 1.2])
def test_optimal_radius_matches_brute_force(D, ratio):
    """Grid argmax (spacing dr) and bounded scipy maximisation agree with r*."""
    R = 2.0
    sigma = ratio * float(hs.sharp_threshold(R, D))
    r_star = float(hs.optimal_radius(R, sigma, D))
    r_grid, dr = _grid_argmax(R, sigma, D)
    assert abs(r_grid - r_star) <= dr  # the grid argmax is within one spacing of the true one
    best = optimize.minimize_scalar(
        lambda r: -float(hs.log_marginal(r, R, sigma, D)), bounds=(0.0, 1.2 * R), method="bounded",
        options={"xatol": 1e-12}
    )
    # no grid point and no scipy optimum beats r* (beyond rounding of log_marginal's value)
    tol = 1e-12 * (1 + R * R / sigma**2)
    assert float(hs.log_marginal(r_star, R, sigma, D)) >= -best.fun - tol
    assert float(hs.log_marginal(r_star, R, sigma, D)) >= float(hs.log_marginal(r_grid, R, sigma, D)) - tol
    if ratio >= 1.0:
        assert r_star == 0.0
    else:
        assert r_star > 0.0


@given(
    R=st.floats(min_value=1e-3, max_value=1e3),
    D=st.integers(min_value=2, max_value=100000),
    ratio=st.floats(min_value=1.0, max_value=20.0),
)
def test_collapse_exactly_at_and_above_sharp_threshold(R, D, ratio):
    sigma = ratio * float(hs.sharp_threshold(R, D))
    assert hs.optimal_radius(R, sigma, D) == 0.0
    # and the sufficient threshold of Theorem 1 is indeed sufficient
    assert hs.optimal_radius(R, max(sigma, float(hs.sufficient_threshold(R, D))), D) == 0.0


@given(
    R=st.floats(min_value=1e-3, max_value=1e3),
    D=st.integers(min_value=2, max_value=100000),
    gap=st.floats(min_value=1e-6, max_value=0.9),
)
def test_no_collapse_just_below_sharp_threshold(R, D, gap):
    """Below R / sqrt(D) (including the window between the two thresholds) r* > 0 and it beats r = 0."""
    sigma = (1 - gap) * float(hs.sharp_threshold(R, D))
    r_star = float(hs.optimal_radius(R, sigma, D))
    assert 0.0 < r_star < R
    # the gain over r = 0 is positive (r = 0 is a saddle-free minimum direction: curvature > 0)
    gain = float(hs.log_marginal(r_star, R, sigma, D))
    assert gain >= 0.0
    assert float(hs.log_marginal_derivative(r_star * 0.5, R, sigma, D)) > 0.0


@settings(max_examples=30)
@given(
    R=st.floats(min_value=1e-2, max_value=1e2),
    D=st.integers(min_value=2, max_value=300),
    ratio=st.floats(min_value=0.1, max_value=0.999),
)
def test_optimal_radius_is_stationary(R, D, ratio):
    """r* = R I_{D/2}(a*) / I_{D/2-1}(a*) with a* = r* R / sigma^2, mpmath's 0F1 on the right.

    (a* < R^2 / sigma^2 <= 3e4 here, where mpmath is fast; test_bessel covers the ratio up to 1e6.)
    """
    sigma = ratio * float(hs.sharp_threshold(R, D))
    r_star = float(hs.optimal_radius(R, sigma, D))
    a = r_star * R / sigma**2
    with mp.workdps(30):
        # I_{nu+1} / I_nu = a / (2 (nu + 1)) 0F1(; nu + 2; a^2/4) / 0F1(; nu + 1; a^2/4), nu = D/2 - 1
        q = mp.mpf(a) ** 2 / 4
        rho = a / mp.mpf(D) * mp.hyp0f1(mp.mpf(D) / 2 + 1, q, maxterms=10**6) / mp.hyp0f1(mp.mpf(D) / 2, q, maxterms=10**6)
        rhs = float(R * rho)
    # r* is solved to a bracket of relative width 1e-13 in a; near the threshold the stationarity
    # equation is flat (r* ~ sqrt(1 - ratio^2)), which amplifies the ~1e-15 error of rho by ~1/(1-ratio^2)
    assert abs(rhs - r_star) <= 1e-12 * r_star / (1 - ratio**2)


@pytest.mark.parametrize("D", [2, 3, 10, 100])
def test_radius_tends_to_R_as_sigma_vanishes(D):
    R = 1.5
    sigmas = R * np.geomspace(0.5 / np.sqrt(D), 1e-4, 12)
    ratio = hs.optimal_radius(R, sigmas, D) / R
    assert np.all(np.diff(ratio) > 0)  # increases as sigma decreases
    # large-a expansion rho ~ 1 - (D - 1) / (2 a): r*/R = 1 - (D - 1) s^2 / 2 + O(D^2 s^4), s = sigma / R
    # (plus 2e-13: optimal_radius brackets a* to a relative width of 1e-13)
    s2 = (sigmas[-3:] / R) ** 2
    assert np.all(np.abs(ratio[-3:] - (1 - (D - 1) * s2 / 2)) <= D**2 * s2**2 + 2e-13)


def test_thresholds_values_and_vectorisation():
    R = np.array([1.0, 2.0, 3.0])
    D = np.array([2, 5, 10001])
    np.testing.assert_allclose(hs.sharp_threshold(R, D), R / np.sqrt(D), rtol=1e-15)
    np.testing.assert_allclose(hs.sufficient_threshold(R, D), R / np.sqrt(D - 1.0), rtol=1e-15)
    sigma = np.array([[0.5], [1.0]])  # broadcast to (2, 3)
    assert hs.optimal_radius(R, sigma, D).shape == (2, 3)
