"""``toyvae.theory.bessel`` against mpmath (hyp0f1 and besseli at 40 digits), across its branch boundaries.

Routes of ``log F_nu(a)``: power series for ``a^2 <= nu + 1``; closed forms (nu = 0, 1/2, 1) or
``scipy.special.ive`` / Hankel for ``nu < 50``; Debye's expansion for ``nu >= 50``. The oracle is
``log 0F1(; nu + 1; a^2 / 4)`` evaluated by mpmath, which shares no code with any route.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scipy.special import gammaln

from toyvae.theory import bessel

DPS = 40

# log F = log Gamma(nu+1) + nu log(2/a) + log ive + a on the Amos route adds and subtracts terms of
# size ~150 for nu < 50, so its absolute rounding is ~150 eps ~ 3e-14; the other routes are
# better. 1e-13 * max(1, |log F|) covers that with a factor 3.
LOG_F_TOL = 1e-13
# rho = a / (2 (nu + 1)) exp(step) with step built from ratios of ive values (or Debye terms):
# a few ulps of each, measured worst 1e-15 on the grid below; 1e-13 leaves margin for Amos.
RATIO_TOL = 1e-13

ORDERS = [0.0, 0.5, 1.0, 1.5, 2.0, 7.5, 49.0, 49.5, 50.0, 50.5, 51.0, 200.0, 4999.0, 49999.0]


def _log_f_ref(nu: float, a: float) -> mp.mpf:
    with mp.workdps(DPS):
        return mp.log(mp.hyp0f1(mp.mpf(nu) + 1, mp.mpf(a) ** 2 / 4, maxterms=10**6))


def _arguments(nu: float) -> list[float]:
    """Points on both sides of the series boundary a = sqrt(nu + 1), and around a = nu."""
    edge = np.sqrt(nu + 1)
    return [1e-7, 0.5 * edge, edge * (1 - 1e-12), edge * (1 + 1e-12), 2 * edge, max(nu, 3.0), min(3 * nu + 10, 2e4), 2e3]


CASES = [(nu, a) for nu in ORDERS for a in _arguments(nu)]


@pytest.mark.parametrize(("nu", "a"), CASES)
def test_log_normalised_bessel_i_matches_mpmath(nu, a):
    ref = float(_log_f_ref(nu, a))
    got = float(bessel.log_normalised_bessel_i(nu, a))
    assert abs(got - ref) <= LOG_F_TOL * max(1.0, abs(ref)), (nu, a, got, ref)


@pytest.mark.parametrize(("nu", "a"), CASES)
def test_bessel_i_ratio_matches_mpmath(nu, a):
    with mp.workdps(DPS):
        ref = float(mp.besseli(nu + 1, a, maxterms=10**7) / mp.besseli(nu, a, maxterms=10**7))
    got = float(bessel.bessel_i_ratio(nu, a))
    assert abs(got - ref) <= RATIO_TOL * ref, (nu, a, got, ref)


@pytest.mark.parametrize("nu", [0.0, 0.5, 1.0, 3.0, 49.5, 50.0, 4999.0])
def test_step_matches_mpmath(nu):
    """``log F_{nu+1} - log F_nu`` is its own route (no difference of two large logs)."""
    for a in [1e-3, 2 * np.sqrt(nu + 1), 1e4, 1e6]:
        with mp.workdps(DPS):
            ref = _log_f_ref(nu + 1, a) - _log_f_ref(nu, a)
            ref = float(ref)
        got = float(bessel.log_normalised_bessel_i_step(nu, a))
        # absolute error ~1e-15 (a few ulps of the ratio rho); relative to |step| this reaches
        # ~1e-11 just outside the series region at nu ~ 5e4, where step ~ 1e-5 (documented)
        assert abs(got - ref) <= 1e-14 + 1e-10 * abs(ref), (nu, a, got, ref)


def test_large_arguments_are_finite_and_match_asymptotics():
    """No NaN or overflow up to a = 1e300 (beyond scipy's ive, which fails near a = 2e9)."""
    nu = np.array([0.0, 0.5, 1.0, 3.0, 49.5, 50.0, 1e4])
    for a in [1e6, 1e9, 1e12, 1e300]:
        got = bessel.log_normalised_bessel_i(nu, a)
        assert np.all(np.isfinite(got))
        # log F = a - (nu + 1/2) log a + log(Gamma(nu + 1) 2^nu / sqrt(2 pi)) + O(nu^2 / a) (DLMF 10.40.1)
        lead = a - (nu + 0.5) * np.log(a) + gammaln(nu + 1) + nu * np.log(2) - 0.5 * np.log(2 * np.pi)
        # tolerance: the O((4 nu^2 - 1) / (8 a)) correction plus rounding of terms of size a
        assert np.all(np.abs(got - lead) <= (4 * nu**2 + 1) / (8 * a) + 4e-16 * a + 1e-12)
        assert np.all(np.isfinite(bessel.bessel_i_ratio(nu, a)))


def test_hankel_route_joins_amos_route():
    """Across a = 1e8, where orders < 50 switch from ive to the Hankel sum."""
    nu = np.array([2.0, 7.5, 30.0, 49.0])
    below = bessel.log_normalised_bessel_i(nu, 1e8 * (1 - 1e-15))
    above = bessel.log_normalised_bessel_i(nu, 1e8 * (1 + 1e-15))
    # the two arguments differ by 2e-7, and d log F / da ~ 1: jump budget 2e-7 plus rounding of 1e8
    assert np.all(np.abs(above - below) <= 3e-7)
    x = mp.mpf(1e8 * (1 + 1e-15))
    for n, value in zip(nu, above):
        with mp.workdps(DPS):
            ref = mp.loggamma(n + 1) + n * mp.log(2 / x) + mp.log(mp.besseli(n, x))
        # values ~1e8: relative rounding 1e-16 of the terms, i.e. absolute ~1e-8
        assert abs(value - float(ref)) <= 1e-15 * 1e8


@given(
    nu=st.sampled_from([0.0, 0.5, 1.0, 2.5, 10.0, 49.5, 50.0, 123.5, 5000.0]),
    rel=st.floats(min_value=1e-14, max_value=1e-6),
)
def test_continuous_across_series_boundary(nu, rel):
    """The jump at a = sqrt(nu + 1) is no larger than the function's change over the gap."""
    edge = np.sqrt(nu + 1)
    lo = float(bessel.log_normalised_bessel_i(nu, edge * (1 - rel)))
    hi = float(bessel.log_normalised_bessel_i(nu, edge * (1 + rel)))
    slope = edge / (2 * (nu + 1))  # d log F / da = rho_nu(a) <= a / (2 (nu + 1))
    assert 0 <= hi - lo <= 2 * rel * edge * slope + 2 * LOG_F_TOL


@pytest.mark.parametrize("a", [5.0, 20.0, 75.0, 400.0, 1e5])
def test_continuous_across_debye_order(a):
    """The order 50 separates Amos (below) from Debye (at and above)."""
    gap = 1e-9
    lo = float(bessel.log_normalised_bessel_i(50.0 - gap, a))
    hi = float(bessel.log_normalised_bessel_i(50.0, a))
    # d log F / d nu is negative with |.| <= log(1 + a / nu) + 1 (log F(nu, a) ~ a - nu log(...)),
    # so the change over the gap is ~1e-8 at most; plus the rounding budget of both sides
    assert abs(hi - lo) <= gap * (np.log1p(a / 50) + 1) + 2 * LOG_F_TOL * max(1.0, abs(hi))


def test_array_orders_agree_with_scalar_orders():
    """Per-element orders (as in optimal_radius) take the same routes as one scalar order."""
    a = np.geomspace(1e-3, 1e6, 50)
    for nu in [0.0, 0.5, 1.0, 6.5, 50.0, 999.0]:
        scalar = bessel.log_normalised_bessel_i(nu, a)
        arrayed = bessel.log_normalised_bessel_i(np.full_like(a, nu), a)
        # different code paths (closed forms vs ive; vector vs scalar coefficients): a few ulps
        np.testing.assert_allclose(arrayed, scalar, rtol=1e-13, atol=1e-300)
        np.testing.assert_allclose(
            bessel.bessel_i_ratio(np.full_like(a, nu), a), bessel.bessel_i_ratio(nu, a), rtol=1e-13
        )


def test_log_bessel_i_matches_mpmath():
    for nu, a in [(0.0, 0.1), (0.5, 3.0), (20.0, 1e3), (300.0, 50.0), (2e4, 3e4)]:
        with mp.workdps(DPS):
            ref = float(mp.log(mp.besseli(nu, a, maxterms=10**7)))
        # log I_nu adds log Gamma(nu + 1) ~ 1.8e5 and nu log(a / 2) back: rounding ~ eps times those
        assert abs(float(bessel.log_bessel_i(nu, a)) - ref) <= 1e-14 * (abs(ref) + 2e5 * (nu > 1e3) + 10)


def test_value_at_zero_is_exact():
    assert bessel.log_normalised_bessel_i(7.5, 0.0) == 0.0
    assert bessel.bessel_i_ratio(7.5, 0.0) == 0.0


def test_empty_and_scalar_shapes():
    assert bessel.log_normalised_bessel_i(np.empty(0), 2.0).shape == (0,)
    assert bessel.log_normalised_bessel_i(60.0, np.empty((0, 3))).shape == (0, 3)
    assert bessel.bessel_i_ratio(np.empty(0), np.empty(0)).shape == (0,)
    assert np.ndim(bessel.log_normalised_bessel_i(3.0, 2.0)) == 0
