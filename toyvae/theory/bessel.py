"""Modified Bessel functions of the first kind in log space, for any order and argument.

The hypersphere marginal of Berger & Sebag (2020, eq. 8) needs ``log I_nu(a)`` for orders
``nu = (D - 2) / 2`` up to 5e4 and arguments up to 1e6, where ``I_nu`` itself under- or
overflows float64. We work with the *normalised* function

    F_nu(a) = Gamma(nu + 1) (2 / a)^nu I_nu(a) = 0F1(; nu + 1; a^2 / 4),     F_nu(0) = 1,

which is what the marginal needs (the factor ``a^-nu`` comes with the integral), and evaluate
``log F_nu(a)`` by one of three routes, each where it is accurate:

1. *power series* of ``0F1`` (DLMF 10.25.2) when ``a^2 / 4 <= (nu + 1) / 4``: positive terms,
   each term at most a quarter of the one before, 40 terms reach float64 rounding;
2. ``scipy.special.ive`` (Amos' algorithm, exponentially scaled) for orders ``nu < 50``;
3. Debye's *uniform asymptotic expansion* for orders ``nu >= 50`` (DLMF 10.41.3 with the
   polynomials ``u_k`` of DLMF 10.41.10, generated here by the recursion DLMF 10.41.11),
   rearranged so that ``log Gamma(nu + 1)`` and ``nu log(2 / a)`` cancel analytically:

       log F_nu(nu z) = nu (w - log1p(w / 2)) - log1p(z^2) / 4 + S(nu) + log sum_k u_k(t) / nu^k,

   with ``w = sqrt(1 + z^2) - 1``, ``t = 1 / sqrt(1 + z^2)`` and ``S(nu)`` the Stirling
   remainder of ``log Gamma(nu + 1)``. With terms up to ``u_8`` and ``nu >= 50`` the truncation
   error is below 1e-15 (the first omitted term is O(nu^-9)).

The ratio ``rho_nu(a) = I_{nu + 1}(a) / I_nu(a)`` follows from
``rho_nu(a) = a / (2 (nu + 1)) * F_{nu + 1}(a) / F_nu(a)``.
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial import Polynomial
from scipy import special

__all__ = ["log_normalised_bessel_i", "log_bessel_i", "bessel_i_ratio"]

_DEBYE_MIN_ORDER = 50.0
_DEBYE_TERMS = 9  # u_0 .. u_8
_SERIES_TERMS = 40


def _debye_polynomials(n: int) -> list[Polynomial]:
    """u_0..u_{n-1} of DLMF 10.41.10 by the recursion DLMF 10.41.11:

    u_{k+1}(t) = t^2 (1 - t^2) u_k'(t) / 2 + (1/8) int_0^t (1 - 5 s^2) u_k(s) ds.
    """
    t = Polynomial([0.0, 1.0])
    polys = [Polynomial([1.0])]
    for _ in range(n - 1):
        u = polys[-1]
        integrand = (1 - 5 * t**2) * u
        polys.append(0.5 * t**2 * (1 - t**2) * u.deriv() + integrand.integ(lbnd=0) / 8)
    return polys


_U = _debye_polynomials(_DEBYE_TERMS)


def _stirling_remainder(nu: np.ndarray) -> np.ndarray:
    """log Gamma(nu + 1) - (nu log nu - nu + log(2 pi nu) / 2), DLMF 5.11.1 (nu >= 50: error < 1e-20)."""
    inv = 1.0 / nu
    inv2 = inv * inv
    return inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)))


def _log_f_series(nu: np.ndarray, a: np.ndarray) -> np.ndarray:
    q = a * a / 4
    term = np.ones_like(q)
    tail = np.zeros_like(q)  # F - 1, summed apart from the leading 1 so that log1p keeps tiny values
    for k in range(_SERIES_TERMS):
        term = term * q / ((k + 1) * (nu + 1 + k))
        tail = tail + term
    return np.log1p(tail)


def _log_f_scipy(nu: np.ndarray, a: np.ndarray) -> np.ndarray:
    return special.gammaln(nu + 1) + nu * np.log(2 / a) + np.log(special.ive(nu, a)) + a


def _log_f_debye(nu: np.ndarray, a: np.ndarray) -> np.ndarray:
    z = a / nu
    root = np.sqrt(1 + z * z)
    w = z * z / (1 + root)  # = root - 1 without cancellation
    t = 1 / root
    inv = 1 / nu
    series = np.zeros_like(z)
    for u in reversed(_U):  # Horner in 1/nu
        series = series * inv + u(t)
    return nu * (w - np.log1p(w / 2)) - np.log1p(z * z) / 4 + _stirling_remainder(nu) + np.log(series)


def log_normalised_bessel_i(nu, a) -> np.ndarray:
    """``log F_nu(a) = log[Gamma(nu + 1) (2 / a)^nu I_nu(a)]`` (= 0 at ``a = 0``), float64.

    Args:
        nu: order, ``nu >= -1/2`` (broadcast with ``a``).
        a: argument, ``a >= 0``.

    Returns:
        ``log F_nu(a)``, finite for every finite input (no overflow up to a = 1e300).
    """
    nu, a = np.broadcast_arrays(np.asarray(nu, np.float64), np.asarray(a, np.float64))
    out = np.empty(nu.shape)
    series = a * a <= nu + 1
    debye = ~series & (nu >= _DEBYE_MIN_ORDER)
    amos = ~series & ~debye
    out[series] = _log_f_series(nu[series], a[series])
    out[debye] = _log_f_debye(nu[debye], a[debye])
    out[amos] = _log_f_scipy(nu[amos], a[amos])
    return out[()] if out.ndim == 0 else out


def log_bessel_i(nu, a) -> np.ndarray:
    """``log I_nu(a)`` for ``nu >= -1/2``, ``a > 0``, without under- or overflow."""
    nu = np.asarray(nu, np.float64)
    a = np.asarray(a, np.float64)
    return log_normalised_bessel_i(nu, a) - special.gammaln(nu + 1) + nu * np.log(a / 2)


def bessel_i_ratio(nu, a) -> np.ndarray:
    """``rho_nu(a) = I_{nu+1}(a) / I_nu(a)`` (``= 0`` at ``a = 0``), relative error ~1e-13."""
    nu = np.asarray(nu, np.float64)
    a = np.asarray(a, np.float64)
    return a / (2 * (nu + 1)) * np.exp(log_normalised_bessel_i(nu + 1, a) - log_normalised_bessel_i(nu, a))
