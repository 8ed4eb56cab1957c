"""Closed forms at the edges of float64, against oracles that share no code with them.

Oracles: mpmath at high precision (Bessel functions, closed forms such as ``F_{1/2}(a) = sinh(a) / a``,
root finding), DLMF's uniform expansion evaluated in mpmath with its own polynomials, rigorous bounds
on Bessel-function ratios (Amos 1974), and the scale invariance of the hypersphere problem (eq. 8
depends on ``r / sigma`` and ``R / sigma`` only). Where a value is beyond float64 the functions must
return ``+-inf`` (never NaN, never a wrong finite number) or raise a ``ValueError`` naming the input.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from toyvae.theory import bessel, hypersphere as hs, likelihoods as lk, linear_gaussian as lg, rate_distortion as rd

EPS = np.finfo(np.float64).eps
HUGE = np.finfo(np.float64).max  # 1.8e308
SCALES = [1e-300, 1e-200, 1e-100, 1e-10, 1.0, 1e10, 1e100, 1e200, 1e290]


# ---------------------------------------------------------------------------------------------
# Oracles
# ---------------------------------------------------------------------------------------------


def amos_radius_bounds(D: int, s: float) -> tuple[mp.mpf, mp.mpf]:
    """Bounds on ``r* / R`` from Amos (1974): ``x / (nu + 1 + sqrt(x^2 + (nu + 1)^2)) <= I_{nu+1}(x) / I_nu(x)
    <= x / (nu + sqrt(x^2 + nu^2))`` for ``nu >= 0``.

    ``r* / R = s^2 a*`` with ``rho_nu(a*) / a* = s^2`` and ``rho_nu(a) / a`` decreasing; putting each
    bound in place of ``rho_nu`` and solving gives ``a_lo <= a* <= a_hi`` in closed form:
    ``a_lo = sqrt((1/s^2 - nu - 1)^2 - (nu + 1)^2)``, ``a_hi = sqrt(1/s^4 - 2 nu / s^2)``. Their
    relative gap is O(1 / nu): a tight oracle for large D.
    """
    nu = (mp.mpf(D) - 2) / 2
    inv = 1 / mp.mpf(s) ** 2
    a_lo = mp.sqrt((inv - nu - 1) ** 2 - (nu + 1) ** 2)
    a_hi = mp.sqrt(inv**2 - 2 * nu * inv)
    return a_lo / inv, a_hi / inv


def mp_optimal_radius(D: int, s: float) -> mp.mpf:
    """``r* / R`` by mpmath: the root of ``I_{nu+1}(a) / I_nu(a) = a s^2`` inside the Amos bracket."""
    nu = (mp.mpf(D) - 2) / 2
    s2 = mp.mpf(s) ** 2
    lo, hi = amos_radius_bounds(D, s)
    root = mp.findroot(lambda a: mp.besseli(nu + 1, a) / mp.besseli(nu, a) - a * s2, (lo / s2, hi / s2),
                       solver="illinois")
    return root * s2


def debye_log_i(nu, a) -> mp.mpf:
    """``log I_nu(nu z)`` by DLMF 10.41.3, with ``u_1..u_3`` as printed in DLMF 10.41.10, in mpmath.

    For ``nu >= 1e8`` the first omitted term is below ``|u_4| / nu^4 < 1e-32`` relative.
    """
    nu, a = mp.mpf(nu), mp.mpf(a)
    z = a / nu
    root = mp.sqrt(1 + z * z)
    t = 1 / root
    eta = root + mp.log(z / (1 + root))
    u1 = (3 * t - 5 * t**3) / 24
    u2 = (81 * t**2 - 462 * t**4 + 385 * t**6) / 1152
    u3 = (30375 * t**3 - 369603 * t**5 + 765765 * t**7 - 425425 * t**9) / 414720
    series = 1 + u1 / nu + u2 / nu**2 + u3 / nu**3
    return nu * eta - mp.log(2 * mp.pi * nu) / 2 - mp.log(root) / 2 + mp.log(series)


def log_gamma_power(nu, a) -> mp.mpf:
    """``log Gamma(nu + 1) - nu log(a / 2)``: turns ``log I_nu`` into ``log F_nu``."""
    return mp.loggamma(mp.mpf(nu) + 1) - mp.mpf(nu) * mp.log(mp.mpf(a) / 2)


def test_amos_bounds_hold_where_mpmath_can_check_them():
    """The oracle's own premise, on a grid of orders and arguments (mpmath at 30 digits)."""
    with mp.workdps(30):
        for nu in [0, 0.5, 3, 49.5, 400]:
            for x in [1e-3, 0.7, 9.0, 150.0, 4e3]:
                rho = mp.besseli(nu + 1, x) / mp.besseli(nu, x)
                assert x / (nu + 1 + mp.sqrt(x**2 + (nu + 1) ** 2)) <= rho <= x / (nu + mp.sqrt(x**2 + nu**2))


# ---------------------------------------------------------------------------------------------
# hypersphere: scale invariance and the optimal radius
# ---------------------------------------------------------------------------------------------


def _scale_tolerance(D: int, factor: float) -> float:
    """Two bisections with rtol = 1e-13 in log a (each within 5e-14 of its own root), plus the effect of
    ``s = sigma / R`` being rounded differently at each scale (an ulp of s moves ``1 - D s^2`` by
    ~2 eps, and ``r*`` goes like its square root near the threshold, so the relative change is about
    ``eps / (1 - D s^2)``); a factor 4 of margin on both."""
    gap = 1 - 1 / factor**2  # 1 - D s^2
    return 4 * (1e-13 + EPS / gap)


@pytest.mark.parametrize("D", [2, 3, 8, 100, 2**40])
@pytest.mark.parametrize("factor", [1.001, 1.5, 1e3])
def test_optimal_radius_is_scale_free_and_matches_the_oracle(D, factor):
    """``r* / R`` for R / sigma = factor * sqrt(D) at sigma from 1e-300 to 1e290 (before the fix: 0 at
    sigma = 1e-200 and 1e200, "collapsed", where sigma = 1 gave 0.86 R)."""
    ratio = factor * np.sqrt(D)
    reference = float(hs.optimal_radius(ratio, 1.0, D)) / ratio
    for scale in SCALES:
        got = float(hs.optimal_radius(ratio * scale, scale, D)) / (ratio * scale)
        assert abs(got - reference) <= _scale_tolerance(D, factor) * reference, (scale, got, reference)
    s = 1 / ratio
    with mp.workdps(30):
        if D <= 100:
            oracle = mp_optimal_radius(D, s)
            # bisection to 1e-13 in log a, plus the step function's absolute error ~1e-15 turned into
            # a root shift of eps / (1 - D s^2) near the threshold (as above)
            assert abs(reference - float(oracle)) <= _scale_tolerance(D, factor) * float(oracle)
        lo, hi = amos_radius_bounds(D, s)
        # a rigorous bracket, widened by the bisection's 1e-13
        assert float(lo) * (1 - 2e-13) <= reference <= float(hi) * (1 + 2e-13)


@given(
    log_scale=st.floats(min_value=-300.0, max_value=290.0),
    D=st.integers(min_value=2, max_value=200),
    log_factor=st.floats(min_value=0.01, max_value=4.0),
)
def test_optimal_radius_depends_on_sigma_over_R_only(log_scale, D, log_factor):
    """Random scales and dimensions: the same ``r* / R`` in any units."""
    ratio = 10**log_factor * np.sqrt(D)
    scale = 10.0**log_scale
    reference = float(hs.optimal_radius(ratio, 1.0, D)) / ratio
    got = float(hs.optimal_radius(ratio * scale, scale, D)) / (ratio * scale)
    assert abs(got - reference) <= _scale_tolerance(D, 10**log_factor) * reference


@pytest.mark.parametrize("D", [2**40, 2**53 + 1, 2**62, 2**63 - 1])
@pytest.mark.parametrize("factor", [1.01, 3.0, 1e4])
def test_optimal_radius_at_huge_dimensions(D, factor):
    """D up to 2**63 - 1 (the int64 limit; beyond it a ValueError, see test_bad_inputs.py). The Amos
    bracket is ~1/nu wide there: at most 4e-12 relative, tighter than the bisection's 1e-13 from 2**43."""
    ratio = factor * np.sqrt(float(D))
    got = float(hs.optimal_radius(ratio, 1.0, D)) / ratio
    with mp.workdps(40):
        lo, hi = amos_radius_bounds(D, 1 / ratio)
    # the bisection's 1e-13, plus 1/(1 - D s^2) ulps of s (as in _scale_tolerance)
    slack = 2e-13 + 4 * EPS / (1 - 1 / factor**2)
    assert float(lo) * (1 - slack) <= got <= float(hi) * (1 + slack), (got, float(lo), float(hi))


def test_optimal_radius_far_below_the_threshold_is_R():
    """``r* / R = 1 - (D - 1) s^2 / 2 + ...`` rounds to 1 once ``(D - 1) s^2 < 2e-17``; no overflow of
    ``R^2 / sigma^2`` on the way (R / sigma up to 1e300)."""
    for R, sigma in [(1e300, 1.0), (1.0, 1e-300), (1e150, 1e-150), (3.0, 1e-9)]:
        assert hs.optimal_radius(R, sigma, 5) == R
    # just below the switch the bisection agrees to its rtol
    s = np.sqrt(2.1e-17 / 4)
    assert abs(hs.optimal_radius(1.0, s, 5) - (1 - 2 * s * s)) <= 2e-13


@pytest.mark.parametrize("D", [2, 3, 5, 1000])
def test_log_marginal_likelihood_derivative_in_any_units(D):
    """Eq. (8) and its derivative at (r, R, sigma) = (0.7, 3, 0.5) times 1e-300 ... 1e290, against mpmath."""
    r, R, sigma = 0.7, 3.0, 0.5
    u, v = r / sigma, R / sigma
    with mp.workdps(40):
        nu = (mp.mpf(D) - 2) / 2
        a = mp.mpf(u) * mp.mpf(v)
        log_f = mp.log(mp.hyp0f1(nu + 1, a**2 / 4))
        marginal = -mp.mpf(u) ** 2 / 2 + log_f
        rho = mp.besseli(nu + 1, a) / mp.besseli(nu, a)
        derivative_sigma1 = mp.mpf(v) * rho - mp.mpf(u)  # the derivative times sigma
        likelihood_sigma1 = -mp.mpf(D) / 2 * mp.log(2 * mp.pi) - (mp.mpf(v) - mp.mpf(u)) ** 2 / 2 + log_f - a
    for scale in SCALES:
        rs, Rs, ss = r * scale, R * scale, sigma * scale
        # u and v are rounded once each: a relative 2 eps of terms of size u^2 + a ~ 6
        assert abs(float(hs.log_marginal(rs, Rs, ss, D)) - float(marginal)) <= 8 * EPS * (1 + u * u + u * v)
        assert abs(float(hs.log_marginal_derivative(rs, Rs, ss, D)) * ss - float(derivative_sigma1)) <= (
            8 * EPS * (v + u))
        # plus D log(sigma), a term of size up to 1000 * 690: its rounding, a few eps of it
        expected = float(likelihood_sigma1 - D * mp.log(mp.mpf(ss)))
        got = float(hs.log_likelihood(rs, Rs, ss, D))
        assert abs(got - expected) <= 8 * EPS * (abs(D * np.log(ss)) + D + u * v + v * v)


def test_hypersphere_beyond_float64_argument():
    """``a = r R / sigma^2`` above 1.8e308. D = 3 has the closed form ``F_{1/2}(a) = sinh(a) / a``, evaluated
    by mpmath at 900 digits (the terms cancel to ~400 digits)."""
    with mp.workdps(900):

        def exact(r, R, sigma):
            r, R, sigma = mp.mpf(r), mp.mpf(R), mp.mpf(sigma)
            a = r * R / sigma**2
            log_f = mp.log(mp.sinh(a) / a)
            marginal = -(r**2) / (2 * sigma**2) + log_f
            likelihood = -mp.mpf(3) / 2 * mp.log(2 * mp.pi * sigma**2) - (R**2 + r**2) / (2 * sigma**2) + log_f
            derivative = (R * (mp.coth(a) - 1 / a) - r) / sigma**2  # rho_{1/2} = coth a - 1/a (DLMF 10.49.1)
            return marginal, likelihood, derivative

        # r = 2R: -u^2/2 + a cancels exactly and only -log(2a) remains, finite
        m, lik, der = exact(2e200, 1e200, 1.0)
        # r = R: log p(x; r) has no (R - r)^2 term left; the derivative is -R / a = -1e-200
        m2, lik2, der2 = exact(1e200, 1e200, 1.0)
    # finite results: relative rounding of a few eps (terms are logarithms of ~1e400)
    assert float(hs.log_marginal(2e200, 1e200, 1.0, 3)) == pytest.approx(float(m), rel=1e-13)
    assert float(hs.log_likelihood(1e200, 1e200, 1.0, 3)) == pytest.approx(float(lik2), rel=1e-13)
    assert float(hs.log_marginal_derivative(1e200, 1e200, 1.0, 3)) == pytest.approx(float(der2), rel=1e-13)
    assert float(hs.log_marginal_derivative(2e200, 1e200, 1.0, 3)) == pytest.approx(float(der), rel=1e-13)
    # values truly beyond float64 come back as infinities of the right sign, never NaN
    assert m2 > HUGE and hs.log_marginal(1e200, 1e200, 1.0, 3) == np.inf
    assert lik < -HUGE and hs.log_likelihood(2e200, 1e200, 1.0, 3) == -np.inf


def test_thresholds_at_the_int64_limit():
    """``R / sqrt(D)`` and ``R / sqrt(D - 1)`` for D near 2**63: one conversion, one sqrt, one division."""
    for D in [2**53 + 1, 2**62 + 12345, 2**63 - 1]:
        with mp.workdps(40):
            sharp, sufficient = 1 / mp.sqrt(D), 1 / mp.sqrt(D - 1)
        assert float(hs.sharp_threshold(1.0, D)) == pytest.approx(float(sharp), rel=3 * EPS)
        assert float(hs.sufficient_threshold(1.0, D)) == pytest.approx(float(sufficient), rel=3 * EPS)


# ---------------------------------------------------------------------------------------------
# Bessel functions: arguments up to the largest float64, orders up to 1e300
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("nu", [0.0, 0.5, 1.0, 3.5, 49.5, 50.0, 1e4])
@pytest.mark.parametrize("a", [1e200, 1e300, HUGE])
def test_bessel_at_the_largest_arguments(nu, a):
    """Before the fix, orders 0.5 to 49.5 gave -inf at a = 1.8e308 (``2 a``, ``2 pi a`` and ``i1e(a) / a``
    overflowed or underflowed). mpmath's besseli (its asymptotic series) at 40 digits."""
    with mp.workdps(40):
        log_i = mp.log(mp.besseli(nu, a))
        ratio = mp.besseli(nu + 1, a) / mp.besseli(nu, a)
    # log I ~ a: relative rounding of a few eps; rho: a few eps of a ratio of scaled values
    assert float(bessel.log_bessel_i(nu, a)) == pytest.approx(float(log_i), rel=4 * EPS)
    assert float(bessel.log_normalised_bessel_i(nu, a)) == pytest.approx(float(log_i + log_gamma_power(nu, a)), rel=4 * EPS)
    assert float(bessel.bessel_i_ratio(nu, a)) == pytest.approx(float(ratio), rel=1e-15)


@pytest.mark.parametrize("nu", [1e8, 1e18, 1e100, 1e300])
@pytest.mark.parametrize("z", [1e-3, 1.0, 1e3])
def test_bessel_at_huge_orders(nu, z):
    """Orders up to 1e300 in Debye's region (a = nu z), against DLMF 10.41.3 in mpmath. Before the fix,
    ``log_bessel_i`` subtracted terms of size nu log nu (7e302 for nu = 1e300) to get ~5e299."""
    a = nu * z
    with mp.workdps(60):
        log_i = debye_log_i(nu, a)
        log_f = log_i + log_gamma_power(nu, a)
    # the float64 routes round terms of the size of the result: a few eps, relative
    assert float(bessel.log_bessel_i(nu, a)) == pytest.approx(float(log_i), rel=8 * EPS)
    assert float(bessel.log_normalised_bessel_i(nu, a)) == pytest.approx(float(log_f), rel=8 * EPS)


def log_0f1_series(nu, a) -> mp.mpf:
    """``log 0F1(; nu + 1; a^2 / 4)`` summed term by term from its definition (DLMF 10.25.2) in mpmath;
    for ``a^2 <= nu + 1`` each term is at most a quarter of the one before."""
    b, q = mp.mpf(nu) + 1, mp.mpf(a) ** 2 / 4
    term, total, k = mp.mpf(1), mp.mpf(0), 0
    while term > mp.eps * (1 + total):
        term = term * q / ((k + 1) * (b + k))
        total += term
        k += 1
    return mp.log1p(total)


@pytest.mark.parametrize(("nu", "a"), [(1e18, 1e-300), (1e18, 3e8), (1e100, 1.0), (1e300, 1e100), (1e300, 5e-324)])
def test_bessel_at_huge_orders_in_the_series_region(nu, a):
    """``a^2 <= nu + 1``: the 0F1 series by definition, in mpmath at 40 digits (``log1p`` keeps
    ``F - 1 ~ a^2 / (4 nu)`` however small)."""
    with mp.workdps(40):
        log_f = log_0f1_series(nu, a)
        log_i = log_f - log_gamma_power(nu, a)
    # log F is computed as log1p of the float64 series: relative eps (abs: below the smallest float)
    assert float(bessel.log_normalised_bessel_i(nu, a)) == pytest.approx(float(log_f), rel=4 * EPS, abs=1e-320)
    # log I = log F + nu log(a/2) - log Gamma(nu + 1) via Stirling: terms of size |log I|, a few eps
    assert float(bessel.log_bessel_i(nu, a)) == pytest.approx(float(log_i), rel=8 * EPS)


def test_log_bessel_i_beyond_float64_is_minus_infinity():
    """nu = 1.7e308, a = 1: log I = -1.7e308 (1 + log(2 nu) - 1) ~ -1.2e311, below float64."""
    assert bessel.log_bessel_i(1.7e308, 1.0) == -np.inf
    assert np.isfinite(bessel.log_bessel_i(1.7e308, 1.7e308))  # 9.06e307: nu eta with eta(1) = 0.533


# ---------------------------------------------------------------------------------------------
# linear-Gaussian VAE: c and beta across the whole float64 range
# ---------------------------------------------------------------------------------------------

C_BETA = [1e-300, 1e-100, 1.0, 1e100, 1e300, HUGE]


def _mp_s_and_g(c, beta):
    s = mp.mpf(beta) / (mp.mpf(beta) + 2 * mp.mpf(c))
    return s, (s - 1 - mp.log(s)) / 2


@pytest.mark.parametrize("c", C_BETA)
@pytest.mark.parametrize("beta", C_BETA)
def test_posterior_variance_and_variance_kl_at_extremes(c, beta):
    """Before the fix: beta + 2c overflowed (s* = 0 for c = beta = 1.8e308, where s* = 1/3) and the
    variance-KL was inf or NaN where 2c/beta overflowed (it is finite: log(2c/beta) / 2 at most 710)."""
    with mp.workdps(700):  # g ~ (c / beta)^2 can be 1e-300 next to terms of size 1
        s, g = _mp_s_and_g(c, beta)
    # s* = 1 / (1 + 2c/beta): three roundings; subnormal s* (below 2.2e-308) keeps fewer bits
    assert abs(float(lg.optimal_posterior_variance(c, beta)) - float(s)) <= 4 * EPS * float(s) + 5e-324
    assert float(lg.optimal_variance_kl(np.array([c]), beta)) == pytest.approx(float(g), rel=1e-14, abs=1e-300)


@pytest.mark.parametrize("c", [[1.0, 2.0], [1e-300, 1.0, 1e300], [1e300], [1e-300]])
@pytest.mark.parametrize("target", [1e-300, 1e-30, 1e-3, 1.0, 100.0, 700.0, 1e10])
def test_beta_for_variance_kl_across_float64(c, target):
    """The inverse either meets the target (checked in mpmath) or says that the target needs a beta outside
    the normal float64 range, which mpmath confirms; before the fix it complained about "beta" (its
    internal variable) or returned a wrong finite beta (4.9e-24 for c = 1e300, target = 1e10)."""
    c = np.array(c)

    def V(beta):
        with mp.workdps(700):
            return sum(_mp_s_and_g(ci, beta)[1] for ci in c)

    reachable = V(np.finfo(np.float64).tiny) >= target >= V(HUGE)
    if not reachable:
        with pytest.raises(ValueError, match=r"^target=.* needs beta (below|above)"):
            lg.beta_for_variance_kl(c, target)
        return
    beta = lg.beta_for_variance_kl(c, target)
    # Brent on log beta with xtol 1e-14 and |d log V / d log beta| <= 2: V to ~1e-13 relative
    assert float(V(beta)) == pytest.approx(target, rel=1e-10)


def test_posterior_anisotropy_and_g_across_float64():
    s = np.array([1e-300, 1.0, 1e300, 5e-324, HUGE])
    with mp.workdps(50):
        logs = [mp.log(mp.mpf(x)) for x in s]
        mean = sum(logs) / len(logs)
        var = sum((x - mean) ** 2 for x in logs) / len(logs)
        gs = [(mp.mpf(x) - 1 - mp.log(mp.mpf(x))) / 2 for x in s]
    # a variance of 5 logs of size ~700: rounding of the mean and squares, a few eps
    assert float(lg.posterior_anisotropy(s)) == pytest.approx(float(var), rel=1e-14)
    np.testing.assert_allclose(lg.g(s), [float(x) for x in gs], rtol=4 * EPS)


def test_empty_latent_sums_are_zero_by_documentation():
    """A sum over no latents is 0 (documented); a variance over none is an error (test_bad_inputs.py)."""
    assert lg.optimal_variance_kl(np.empty(0), 1.0) == 0.0
    assert lg.variance_kl(np.empty(0)) == 0.0
    assert lg.kl_standard_normal(np.empty(0), np.empty(0)).total == 0.0


# ---------------------------------------------------------------------------------------------
# rate-distortion: spectra spanning 1e-300 .. 1e300
# ---------------------------------------------------------------------------------------------

SPECTRUM = np.array([1e300, 3.0, 1.0, 1e-300])


@pytest.mark.parametrize("theta", [5e-301, 1e-200, 0.5, 2.0, 1e299])
def test_reverse_water_filling_across_float64(theta):
    """Before the fix ``mu / theta`` overflowed (rate = inf where it is 1036 nats)."""
    with mp.workdps(40):
        rate = sum(mp.log(mp.mpf(m) / mp.mpf(theta)) / 2 for m in SPECTRUM if m > theta)
    point = rd.reverse_water_filling(SPECTRUM, theta)
    # a sum of <= 4 logarithms of size <= 690: a few eps of the largest
    assert float(point.rate) == pytest.approx(float(rate), rel=8 * EPS)
    assert float(point.distortion) == pytest.approx(float(np.minimum(theta, SPECTRUM).sum()), rel=4 * EPS)


def _mp_water_level(mu, D) -> mp.mpf:
    """The theta with sum_i min(theta, mu_i) = D, by bisection on log theta in mpmath (brute force)."""
    lo, hi = mp.log(mp.mpf(D) / len(mu)) - 1, mp.log(max(mu)) + 1
    for _ in range(200):
        mid = (lo + hi) / 2
        if sum(min(mp.exp(mid), mp.mpf(m)) for m in mu) < D:
            lo = mid
        else:
            hi = mid
    return mp.exp((lo + hi) / 2)


@pytest.mark.parametrize("D", [1e-300, 1e-200, 1.0, 3.5, 1e299])
def test_rate_distortion_across_float64(D):
    with mp.workdps(40):
        theta = _mp_water_level(SPECTRUM, mp.mpf(D))
        rate = sum(mp.log(mp.mpf(m) / theta) / 2 for m in SPECTRUM if m > theta)
    # theta is found to ~eps relative; each log(mu / theta) then to a few eps of its size (<= 1400)
    assert rd.rate_distortion(SPECTRUM, D) == pytest.approx(float(rate), rel=8 * EPS, abs=4 * EPS)


# ---------------------------------------------------------------------------------------------
# likelihoods
# ---------------------------------------------------------------------------------------------


def test_likelihoods_across_float64():
    with mp.workdps(40):
        # sigma = 1e-200 with errors of the same size: moderate z, log sigma = -460
        x, m, s = mp.mpf(3e-200), mp.mpf(-1e-200), mp.mpf(1e-200)
        nll_small = 2 * ((x - m) ** 2 / (2 * s * s) + mp.log(s) + mp.log(2 * mp.pi) / 2) / 2
        # x - mean = 2e308 overflows float64, (x - mean) / sigma = 2e8 does not
        big = (2 * mp.mpf(1e308) / mp.mpf(1e300)) ** 2 / 2 + mp.log(mp.mpf(1e300)) + mp.log(2 * mp.pi) / 2
        weight = 1 / (2 * mp.mpf(1e-150) ** 2)
        sigma_sub = mp.sqrt(1 / (2 * mp.mpf(1e-320)))
        sigma_mean = mp.sqrt(mp.mpf(2**62) / (2 * mp.mpf(1e-300)))
        scalar_sigma = mp.sqrt(mp.mpf(5e-324) / mp.mpf(2**62))
    # three-term sums: a few eps of the largest term
    assert float(lk.gaussian_nll([3e-200], [-1e-200], 1e-200)) == pytest.approx(float(nll_small), rel=4 * EPS)
    assert float(lk.gaussian_nll([1e308], [-1e308], 1e300)) == pytest.approx(float(big), rel=4 * EPS)
    assert float(lk.squared_error_weight(1e-150)) == pytest.approx(float(weight), rel=4 * EPS)
    assert lk.squared_error_weight(1e-200) == np.inf  # 5e399: beyond float64
    # 1e-320 is subnormal, stored to ~1e-4 relative: compare with the value actually stored
    assert lk.sigma_for_squared_error(weight=1e-320) == pytest.approx(float(mp.sqrt(1 / (2 * mp.mpf(np.float64(1e-320))))),
                                                                      rel=4 * EPS)
    assert float(sigma_sub) > 7e159  # finite (before the fix: inf, from 1 / (2 w))
    assert lk.sigma_for_squared_error(reduction="mean", D=2**62, weight=1e-300) == pytest.approx(float(sigma_mean), rel=4 * EPS)
    # 5e-324 is the smallest subnormal: exactly 2**-1074, so the oracle is exact
    assert float(lk.optimal_scalar_sigma(5e-324, 2**62)) == pytest.approx(float(scalar_sigma), rel=4 * EPS)
    assert lk.sigma_for_kl_weight(1e300, 1e300) == np.inf  # 1e450: beyond float64


# ---------------------------------------------------------------------------------------------
# two-stage (successive refinement) and the optimal linear VAE at wide spectra
# ---------------------------------------------------------------------------------------------

from toyvae.theory import successive as su  # noqa: E402


def _mp_two_stage(mu, gamma, gamma_t):
    """Water-filling oracle in mpmath (40 digits), sharing no code with the package: the water levels by
    bisection, ``R(gamma)``, ``R(gamma~)``, the conditional spectrum ``min(theta1, mu_i)`` and the second
    stage's rate ``sum_i 1/2 log(min(theta1, mu_i) / theta2)`` over the components above ``theta2``."""
    with mp.workdps(40):
        t1 = _mp_water_level(mu, mp.mpf(gamma))
        t2 = _mp_water_level(mu, mp.mpf(gamma_t))
        r1 = sum(mp.log(mp.mpf(m) / t1) / 2 for m in mu if m > t1)
        cond = [min(t1, mp.mpf(m)) for m in mu]
        r2 = sum(mp.log(c / t2) / 2 for c in cond if c > t2)
        single = sum(mp.log(mp.mpf(m) / t2) / 2 for m in mu if m > t2)
        return {"theta1": t1, "theta2": t2, "rate1": r1, "rate2": r2, "single": single, "cond": cond}


# the example (variances 1e4 .. 1e-8, a component 12 orders below the largest, coded by the primary),
# and the same spectrum shapes moved across float64: the rates depend on the spectrum's shape only.
WIDE = [(np.array([1e4, 1.0, 1e-4, 1e-8]), 2e-8, 4e-9),
        (np.array([1e4, 1.0, 1e-4, 1e-8]), 3.5e-8, 2e-8),
        (np.array([1e4, 1.0, 1e-4, 1e-8]), 1.5, 1e-6)]
WIDE += [(mu * scale, g * scale, gt * scale) for scale in (1e-290, 1e-150, 1e150, 1e290) for mu, g, gt in WIDE[:2]]


@pytest.mark.parametrize(("mu", "gamma", "gamma_t"), WIDE)
def test_successive_refinement_at_wide_spectra_against_mpmath(mu, gamma, gamma_t):
    """R(gamma) + rate2 = R(gamma~) and Cov(x | x~) = diag(min(theta1, mu_i)) at spectra spanning 12 orders,
    anywhere in float64. Before the fix the pseudo-inverse in ``conditional_source`` dropped the 1e-8
    component (its x~ variance 1e-8 - theta1 is below 1e-12 of the largest): rate2 came out log(2)/2 =
    0.347 nats above the oracle, and ``Var(x | x~) = mu - (mu - theta1)`` lost every digit of small
    ``theta1 / mu``."""
    oracle = _mp_two_stage(mu, gamma, gamma_t)
    opt = su.two_stage_optimum(mu, gamma, gamma_t)
    # Tolerances: the smallest posterior variance here is theta1 / mu_max = 5e-13; the closed forms compute
    # every quantity from products of a few float64 numbers each rounded to eps (no subtraction of nearly
    # equal terms in the conditional variance), so each rate, a sum of <= 8 logarithms of size <= 17,
    # is good to ~100 eps absolute; 1e-12 leaves room and is 3e11 times below the fault (0.347 nats).
    tol = 1e-12
    assert opt.rate1 == pytest.approx(float(oracle["rate1"]), abs=tol)
    assert opt.rate2 == pytest.approx(float(oracle["rate2"]), abs=tol)
    assert opt.rate_total == pytest.approx(float(oracle["single"]), abs=2 * tol)
    assert opt.rate_single == pytest.approx(float(oracle["single"]), abs=tol)
    assert opt.theta2 == pytest.approx(float(oracle["theta2"]), rel=1e-13)  # an exact inversion, a few eps
    src = su.conditional_source(opt.primary, np.diag(mu))
    # each conditional variance mu_i * s_i from a handful of roundings: relative 1e-13 (about 500 eps)
    np.testing.assert_allclose(np.diag(src.covariance), [float(c) for c in oracle["cond"]], rtol=1e-13)
    # and the distortions are met (relative, a sum of four positive terms each good to a few eps)
    assert opt.distortion1 == pytest.approx(gamma, rel=1e-13)
    assert opt.distortion2 == pytest.approx(gamma_t, rel=1e-13)
    # the posterior-mean reading: x~ determines the coded components (conditional variance 0, to rounding of
    # size eps * mu_i) and leaves the others at mu_i (exactly: they are untouched)
    pm = np.diag(su.conditional_source(opt.primary, np.diag(mu), "posterior_mean").covariance)
    coded = mu > float(oracle["theta1"])
    np.testing.assert_allclose(pm[~coded], mu[~coded], rtol=1e-14)
    assert np.all(np.abs(pm[coded]) <= 16 * EPS * mu[coded])


@pytest.mark.parametrize("mu", [np.array([1e150, 1.0, 1e-150]), np.array([1e300, 3.0, 1.0, 1e-300]),
                                np.array([1e4, 1.0, 1e-4, 1e-8]), np.array([1e16, 1.0])])
@pytest.mark.parametrize("beta", [2e-300, 1e-10, 1e-6, 1.0, 10.0])
def test_optimal_linear_vae_reaches_the_water_filling_point_or_refuses(mu, beta):
    """Either the parameters ``optimal_linear_vae`` returns have the rate and distortion of the water-filling
    point (mpmath), or it raises a ValueError naming beta. Before the fix, spectra 1e150..1e-150 gave a
    distortion of 1.2e118 at beta = 1 (the water-filling value is 1.0): the float64 gains a, w of a component
    with theta / mu far below eps leave 1 - w a at rounding size eps, not theta / mu, and that error is
    multiplied by mu."""
    Sigma, G = np.diag(mu), np.eye(mu.size)
    theta = beta / 2
    with mp.workdps(40):
        rate = float(sum(mp.log(mp.mpf(m) / mp.mpf(theta)) / 2 for m in mu if m > theta))
        dist = float(sum(min(mp.mpf(theta), mp.mpf(m)) for m in mu))
    try:
        params = rd.optimal_linear_vae(Sigma, G, beta)
    except ValueError as err:
        assert str(err).startswith(f"beta={beta!r} is too small")
        # refused only where some component has theta / mu below float64's resolution
        assert theta / mu.max() < EPS
        return
    parts = rd.linear_vae_parts(params, Sigma, G)
    # rate: <= 4 logarithms of size <= 350 each good to a few eps; distortion: a sum of positive terms,
    # each within ~10 eps relative when theta / mu >= eps (1 - w a is theta / mu plus a few eps of rounding)
    assert parts.rate == pytest.approx(rate, rel=16 * EPS, abs=1e-13)
    assert parts.distortion == pytest.approx(dist, rel=64 * EPS)
    # at the optimum the aggregated posterior is the prior: I_q = rate (log det of a matrix ~ I, few eps)
    assert parts.mutual_information == pytest.approx(rate, rel=16 * EPS, abs=1e-13)
