"""Modified Bessel functions of the first kind in log space, for any order and argument.

The hypersphere marginal of Berger & Sebag (2020, eq. 8) needs ``log I_nu(a)`` for orders
``nu = (D - 2) / 2`` up to 5e4 and arguments up to 1e6 in the paper's settings (and up to
4.6e18 and 1.8e308 at the edges of float64), where ``I_nu`` itself under- or overflows. We work with the *normalised* function

    F_nu(a) = Gamma(nu + 1) (2 / a)^nu I_nu(a) = 0F1(; nu + 1; a^2 / 4),     F_nu(0) = 1,

which is what the marginal needs (the factor ``a^-nu`` comes with the integral), and evaluate
``log F_nu(a)`` by one of three routes, each where it is accurate:

1. *power series* of ``0F1`` (DLMF 10.25.2) when ``a^2 <= nu + 1``: positive terms, and with
   ``q = a^2 / 4 <= (nu + 1) / 4`` the ratio of term ``k + 1`` to term ``k`` is
   ``q / ((k + 1)(nu + 1 + k)) <= 1 / (4 (k + 1))``, so the terms after the first ``K`` add at most
   ``1 / (4^K (K + 1)!)`` of the sum ``F - 1``; ``K = 15`` puts that below 1e-21;
2. for orders ``nu < 50``: the closed forms ``F_0 = e^a i0e(a)``, ``F_{1/2} = sinh(a) / a``,
   ``F_1 = 2 e^a i1e(a) / a`` (D = 2, 3, 4; Cephes, DLMF 10.49.1 for ``nu = 1/2``), otherwise
   ``scipy.special.ive`` (Amos' algorithm, exponentially scaled), and beyond ``a = 1e8`` (ive
   returns NaN from ``a ~ 2e9``) Hankel's large-argument expansion (DLMF 10.40.1);
3. Debye's *uniform asymptotic expansion* for orders ``nu >= 50`` (DLMF 10.41.3 with the
   polynomials ``u_k`` of DLMF 10.41.10, generated here by the recursion DLMF 10.41.11),
   rearranged so that ``log Gamma(nu + 1)`` and ``nu log(2 / a)`` cancel analytically:

       log F_nu(nu z) = nu (w - log1p(w / 2)) - log1p(w) / 2 + S(nu) + log sum_k u_k(t) / nu^k,

   with ``w = sqrt(1 + z^2) - 1``, ``t = 1 / sqrt(1 + z^2)`` and ``S(nu)`` the Stirling
   remainder of ``log Gamma(nu + 1)``. The sum keeps the terms up to the first one whose bound
   ``max_t |u_k(t)| / nu^k`` is below 1e-17 (11 terms at ``nu = 50``, 7 at ``nu = 500``).

The ratio ``rho_nu(a) = I_{nu + 1}(a) / I_nu(a) = a / (2 (nu + 1)) * F_{nu + 1}(a) / F_nu(a)``
needs the *step* ``log F_{nu+1}(a) - log F_nu(a)``, which is small while both logs are ~a; it has
its own routes (:func:`log_normalised_bessel_i_step`) so that nothing large is differenced: the
term-wise difference of the two series, ratios of ``ive`` (or ``i1e / i0e``, ``coth a - 1/a``),
and the difference of the two Debye forms taken analytically. Measured against mpmath: ``log F``
to ~3e-14 relative (the Amos route, which adds and subtracts ``log Gamma(nu + 1)``), ``rho`` to
~1e-15 relative up to ``a = 1e6`` (``tests/test_bessel.py``).

Extremes (``tests/test_extremes.py``). Every route is written so that nothing over- or underflows
before the result does: arguments up to the largest float64 (1.8e308; ``log(2 pi a)`` as a sum of
logarithms, ``F_{1/2}`` and ``F_1`` as sums of logarithms) and orders up to 1e300 (the Debye
variables in units of ``nu``). Two companions serve the hypersphere: ``log F_nu(a) - a``
(:func:`_log_normalised_bessel_i_scaled`, with ``a`` subtracted inside each route, so that
``log p(x; r)`` keeps its digits when ``a`` is large), and its Hankel form for ``a`` beyond
float64, given ``log a``. ``log I_nu`` for ``nu >= 50`` goes through Stirling's series and Debye's
form of ``I_nu`` itself, so that no two terms of size ``nu log nu`` are subtracted.

Speed: one order for the whole array (the usual case, ``D`` a scalar) is handled without
per-element orders, so the 10^6-point grid of ``benchmarks/bench_log_marginal.py`` costs about
0.15 s on one core for any D (0.6-0.8 s before these routes were streamlined).
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial import Polynomial
from scipy import special

from toyvae import _validate

__all__ = ["log_normalised_bessel_i", "log_normalised_bessel_i_step", "log_bessel_i", "bessel_i_ratio"]

_DEBYE_MIN_ORDER = 50.0
_DEBYE_MAX_TERMS = 11  # u_0 .. u_10
_DEBYE_TOLERANCE = 1e-17  # stop at the first term whose bound max_t |u_k(t)| / nu^k is below this
_HANKEL_MIN_ARG = 1e8  # scipy.special.ive returns NaN beyond a ~ 2e9
_HANKEL_TERMS = 5
_SERIES_TERMS = 15  # tail after 15 terms < 1 / (4^15 16!) < 1e-21 of F - 1 (module docstring)
_LOG_2 = np.log(2.0)
_LOG_2PI = np.log(2 * np.pi)


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


_U = _debye_polynomials(_DEBYE_MAX_TERMS)
# u_k(t) = t^k P_k(t^2): the coefficients of P_k, highest power first (for Horner's scheme)
_P = [u.coef[k::2][::-1].copy() for k, u in enumerate(_U)]
_U_MAX = np.array([np.max(np.abs(u(np.linspace(0.0, 1.0, 20001)))) for u in _U])


def _stirling_remainder(nu) -> np.ndarray:
    """log Gamma(nu + 1) - (nu log nu - nu + log(2 pi nu) / 2), DLMF 5.11.1 (nu >= 50: error < 1e-20)."""
    inv = 1.0 / nu
    inv2 = inv * inv
    return inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)))


def _log_f_series(nu, a: np.ndarray) -> np.ndarray:
    """``log1p`` of the 0F1 series tail ``sum_{k>=1} q^k / (k! (nu+1)_k)``, nested (Horner) form."""
    q = a * a / 4
    acc = np.ones_like(q)
    for k in range(_SERIES_TERMS - 1, 0, -1):  # acc <- 1 + q acc / ((k + 1)(nu + 1 + k))
        acc *= q
        acc /= k + 1  # two divisions: (k + 1)(nu + 1 + k) overflows for nu near 1.8e308
        acc /= nu + 1 + k
        acc += 1.0
    acc *= q
    acc /= nu + 1
    return np.log1p(acc)


def _hankel_sum(nu, a: np.ndarray) -> np.ndarray:
    """``sqrt(2 pi a) e^{-a} I_nu(a) = sum_k (-1)^k a_k(nu) / a^k`` (DLMF 10.40.1), for ``a > 1e8``, ``nu < 50``.

    ``a_k(nu) = prod_{j<=k} (4 nu^2 - (2j - 1)^2) / (8 j)``: each term is at most
    ``4 nu^2 / (8 a) < 2e-5`` of the one before, so 5 terms reach 1e-21; the exponentially small
    second part of DLMF 10.40.1 is below e^{-2e8}.
    """
    mu = 4 * nu * nu
    term = np.ones_like(a)
    total = np.ones_like(a)
    for j in range(1, _HANKEL_TERMS):
        term = -term * ((mu - (2 * j - 1) ** 2) / (8 * j)) / a  # (8 j a) would overflow near 1.8e308
        total = total + term
    return total


def _log_f_amos_scaled(nu, a: np.ndarray) -> np.ndarray:
    """``log F_nu(a) - a`` from Amos' scaled ``ive`` (valid to a ~ 2e9), or from the Hankel sum beyond 1e8.

    ``log(2 pi x)`` is taken as ``log(2 pi) + log(x)``, so that nothing overflows up to the largest
    float64 argument.
    """
    out = np.empty(a.shape)
    hankel = a > _HANKEL_MIN_ARG
    _fill(out, ~hankel, lambda n, x: np.log(special.ive(n, x)), nu, a)
    _fill(out, hankel, lambda n, x: np.log(_hankel_sum(n, x)) - 0.5 * (_LOG_2PI + np.log(x)), nu, a)
    return out + special.gammaln(nu + 1) + nu * np.log(2 / a)


def _log_f_small_order_scaled(nu, a: np.ndarray) -> np.ndarray:
    """``log F_nu(a) - a`` for ``nu < 50`` outside the series region: closed forms for D = 2, 3, 4, else Amos.

    The closed forms ``F_0 = e^a i0e(a)``, ``F_{1/2} = e^a (1 - e^{-2a}) / (2a)`` and
    ``F_1 = 2 e^a i1e(a) / a`` are evaluated as sums of logarithms (``2 a`` and ``i1e(a) / a``
    would over- and underflow near the largest float64 argument).
    """
    if np.ndim(nu) == 0:
        if nu == 0.0:
            return np.log(special.i0e(a))
        if nu == 0.5:
            # 1 - e^{-2a} is 1 in float64 from a = 19; capping a keeps 2a from overflowing
            return np.log(-np.expm1(-2 * np.minimum(a, 400.0))) - _LOG_2 - np.log(a)
        if nu == 1.0:
            return np.log(special.i1e(a)) + _LOG_2 - np.log(a)
    return _log_f_amos_scaled(nu, a)


def _debye_sum(nu, t: np.ndarray) -> np.ndarray:
    """``sum_k u_k(t) / nu^k``, up to the first term whose bound ``max|u_k| / nu^k`` is below 1e-17."""
    bounds = _U_MAX * np.min(nu) ** -np.arange(_DEBYE_MAX_TERMS, dtype=np.float64)  # nu^k overflows for huge nu
    small = np.nonzero(bounds < _DEBYE_TOLERANCE)[0]
    n_terms = int(small[0]) if small.size else _DEBYE_MAX_TERMS
    # u_k(t) / nu^k = x^k P_k(y) with x = t / nu, y = t^2: Horner in x over Horner in y
    x = t / nu
    y = t * t
    total = np.zeros_like(t)
    for k in range(n_terms - 1, -1, -1):
        p = np.full_like(t, _P[k][0])
        for c in _P[k][1:]:
            p *= y
            p += c
        total *= x
        total += p
    return total


def _debye_variables(nu, a: np.ndarray):
    """``z = a / nu``, ``root = sqrt(1 + z^2)``, ``w = root - 1`` (without cancellation) and ``t = 1 / root``."""
    z = a / nu
    root = np.hypot(1.0, z)  # sqrt(1 + z^2) without overflow
    w = z * (z / (1 + root))  # = root - 1 without cancellation
    return z, root, w, 1 / root


def _log_f_debye(nu, a: np.ndarray) -> np.ndarray:
    z, root, w, t = _debye_variables(nu, a)
    return nu * (w - np.log1p(w / 2)) - np.log1p(w) / 2 + _stirling_remainder(nu) + np.log(_debye_sum(nu, t))


def _log_f_debye_scaled(nu, a: np.ndarray) -> np.ndarray:
    """:func:`_log_f_debye` minus ``a``, with ``nu w - a`` written without cancellation:

    ``nu w - a = nu z (z - 1 - root) / (1 + root) = -a (1 + 1 / (root + z)) / (1 + root)``
    (using ``root - z = 1 / (root + z)``), a negative term of size ``a`` for large ``z``.
    """
    z, root, w, t = _debye_variables(nu, a)
    lead = -(a / (1 + root)) * (1 + 1 / (root + z))
    return lead - nu * np.log1p(w / 2) - np.log1p(w) / 2 + _stirling_remainder(nu) + np.log(_debye_sum(nu, t))


def _log_i_debye(nu, a: np.ndarray) -> np.ndarray:
    """``log I_nu(nu z)`` by DLMF 10.41.3 directly: ``nu eta - log(2 pi nu) / 2 - log(1 + z^2) / 4 + log sum``,
    ``eta = sqrt(1 + z^2) + log(z / (1 + sqrt(1 + z^2)))``.

    Equal to ``log F_nu(a) - log Gamma(nu + 1) + nu log(a / 2)``, but without the two terms of size
    ``nu log nu`` that cancel (for ``nu = a = 1e300`` they are ~7e302 against a result of 5e299).
    """
    z, root, w, t = _debye_variables(nu, a)
    eta = root + np.log(z / (1 + root))
    return nu * eta - 0.5 * (_LOG_2PI + np.log(nu)) - 0.5 * np.log(root) + np.log(_debye_sum(nu, t))


def _log_power_over_gamma(nu, a: np.ndarray) -> np.ndarray:
    """``nu log(a / 2) - log Gamma(nu + 1)``: the factor that turns ``F_nu`` into ``I_nu``.

    For ``nu >= 50`` through Stirling's series (DLMF 5.11.1), ``nu (1 + log(a / 2) - log nu) -
    log(2 pi nu) / 2 - S(nu)``, which stays finite where ``nu log(a / 2)`` and ``log Gamma(nu + 1)``
    both overflow (``nu = 1e307``, ``a = 1e300``). ``log a - log 2`` rather than ``log(a / 2)``:
    ``a / 2`` underflows to 0 at the smallest subnormal ``a``.
    """
    log_half_a = np.log(a) - _LOG_2
    if np.all(nu < _DEBYE_MIN_ORDER):
        return nu * log_half_a - special.gammaln(nu + 1)
    nu_big = np.maximum(nu, _DEBYE_MIN_ORDER)  # keeps the discarded branch of np.where finite
    stirling = nu * (1 + log_half_a - np.log(nu_big)) - 0.5 * (_LOG_2PI + np.log(nu_big)) - _stirling_remainder(nu_big)
    return np.where(nu >= _DEBYE_MIN_ORDER, stirling, nu * log_half_a - special.gammaln(nu + 1))


def _fill(out: np.ndarray, mask: np.ndarray, fn, nu, a: np.ndarray) -> None:
    """``out[mask] = fn(nu[mask], a[mask])``, skipping the indexing when the mask is all or nothing."""
    if not mask.any():  # also the empty array
        return
    if mask.all():
        out[...] = fn(nu, a)
    else:
        out[mask] = fn(nu if np.ndim(nu) == 0 else nu[mask], a[mask])


def _evaluate(nu, a, series, debye, small_order) -> np.ndarray:
    """Broadcast ``nu`` and ``a`` and apply each route where it is accurate (module docstring):
    ``series`` where ``a^2 <= nu + 1``, else ``debye`` for ``nu >= 50`` and ``small_order`` below."""
    nu = np.asarray(nu, np.float64)
    a = np.asarray(a, np.float64)
    shape = np.broadcast_shapes(nu.shape, a.shape)
    a = np.broadcast_to(a, shape)
    # one order for all elements: keep it a scalar, so each route works with scalar coefficients
    nu = nu.reshape(()) if nu.size == 1 else np.broadcast_to(nu, shape)
    out = np.empty(shape)
    in_series = a <= np.sqrt(nu + 1)  # a^2 <= nu + 1, without overflow for huge a
    large_order = nu >= _DEBYE_MIN_ORDER
    _fill(out, in_series, series, nu, a)
    _fill(out, ~in_series & large_order, debye, nu, a)
    _fill(out, ~in_series & ~large_order, small_order, nu, a)
    return out[()] if out.ndim == 0 else out


def _log_normalised_bessel_i(nu, a) -> np.ndarray:
    """``log F_nu(a)`` without argument checks (see :func:`log_normalised_bessel_i`)."""
    return _evaluate(nu, a, _log_f_series, _log_f_debye, lambda n, x: _log_f_small_order_scaled(n, x) + x)


def _log_normalised_bessel_i_scaled(nu, a) -> np.ndarray:
    """``log F_nu(a) - a`` (``<= 0``) without argument checks; the subtraction of ``a`` is done inside
    each large-argument route, so no digits are lost when ``log F ~ a`` is large."""
    return _evaluate(nu, a, lambda n, x: _log_f_series(n, x) - x, _log_f_debye_scaled, _log_f_small_order_scaled)


def _log_normalised_bessel_i_scaled_beyond(nu, log_a) -> np.ndarray:
    """``log F_nu(a) - a`` for an argument ``a = exp(log_a)`` beyond float64 (``a > 1.8e308``).

    Hankel's expansion (DLMF 10.40.1) to leading order: ``log F_nu(a) - a = log Gamma(nu + 1) +
    nu log 2 - log(2 pi) / 2 - (nu + 1/2) log a + O(nu^2 / a)``; for ``nu`` up to 1e18 the
    correction is below 1e-270.
    """
    nu = np.asarray(nu, np.float64)
    return special.gammaln(nu + 1) + nu * _LOG_2 - 0.5 * _LOG_2PI - (nu + 0.5) * log_a


def _log_bessel_i(nu, a) -> np.ndarray:
    """``log I_nu(a)`` without argument checks (``a > 0``)."""
    return _evaluate(
        nu,
        a,
        lambda n, x: _log_f_series(n, x) + _log_power_over_gamma(n, x),
        _log_i_debye,
        lambda n, x: _log_f_small_order_scaled(n, x) + x + _log_power_over_gamma(n, x),
    )


def _log_f_step_debye(nu, a: np.ndarray) -> np.ndarray:
    """``log F_{nu+1}(a) - log F_nu(a)`` from the Debye form of both, with the O(a) parts subtracted
    analytically (both logs are ~a, so differencing them would lose ~log10(a) digits).

    With ``s = sqrt(nu^2 + a^2)`` the leading part of ``log F_nu`` is
    ``s - nu - nu log((nu + s) / (2 nu)) - log(s / nu) / 2``; its step in ``nu`` is written with
    ``s' - s = (2 nu + 1) / (s' + s)`` and ``log1p`` of small quotients only.
    """
    # in units of the orders (r0 = s / nu, r1 = s' / (nu + 1)), so that nothing overflows when
    # nu and a are both near the largest float64
    r0 = np.hypot(1.0, a / nu)
    r1 = np.hypot(1.0, a / (nu + 1))
    ds = (2 + 1 / nu) / (r1 * (1 + 1 / nu) + r0)  # s' - s = (2 nu + 1) / (s' + s)
    lead = (ds - 1
            - np.log((1 + r1) / 2)
            - nu * (np.log1p((1 + ds) / nu / (1 + r0)) - np.log1p(1 / nu))
            - 0.5 * (np.log1p(ds / nu / r0) - np.log1p(1 / nu)))
    return lead + _log_f_debye_rest(nu + 1, a) - _log_f_debye_rest(nu, a)


def _log_f_debye_rest(nu, a: np.ndarray) -> np.ndarray:
    """The O(1/nu) part of :func:`_log_f_debye`: Stirling remainder plus ``log sum_k u_k(t) / nu^k``."""
    t = 1 / np.hypot(1.0, a / nu)
    return _stirling_remainder(nu) + np.log(_debye_sum(nu, t))


def _ratio_amos(nu, a: np.ndarray) -> np.ndarray:
    """``I_{nu+1}(a) / I_nu(a)`` from ``ive`` (or from Hankel sums beyond a = 1e8)."""
    out = np.empty(a.shape)
    hankel = a > _HANKEL_MIN_ARG
    _fill(out, ~hankel, lambda n, x: special.ive(n + 1, x) / special.ive(n, x), nu, a)
    _fill(out, hankel, lambda n, x: _hankel_sum(n + 1, x) / _hankel_sum(n, x), nu, a)
    return out


def _log_f_step_small_order(nu, a: np.ndarray) -> np.ndarray:
    """``log F_{nu+1}(a) - log F_nu(a)`` for ``nu < 50`` from ratios of scaled Bessel functions."""
    ratio = None
    if np.ndim(nu) == 0:
        if nu == 0.0:
            ratio = special.i1e(a) / special.i0e(a)
        elif nu == 0.5:
            ratio = 1 / np.tanh(a) - 1 / a  # I_{3/2} / I_{1/2}, DLMF 10.49.1
    if ratio is None:
        ratio = _ratio_amos(nu, a)
    return np.log(ratio * (2 * (nu + 1)) / a)


def _log_f_step_series(nu, a: np.ndarray) -> np.ndarray:
    """``log F_{nu+1} - log F_nu = log1p((T_{nu+1} - T_nu) / (1 + T_nu))`` on the series route.

    ``T_nu = sum_k t_k`` is the tail ``F_nu - 1`` with ``t_k = q^k / (k! (nu + 1)_k)``, and the
    difference is summed term by term, ``T_{nu+1} - T_nu = -sum_k t_k k / (nu + 1 + k)``, so that
    nothing cancels (same truncation as :func:`_log_f_series`).
    """
    q = a * a / 4
    term = np.ones_like(q)
    tail = np.zeros_like(q)
    diff = np.zeros_like(q)
    for k in range(1, _SERIES_TERMS + 1):
        term = term * q / k / (nu + k)
        tail += term
        diff += term * (k / (nu + 1 + k))
    return np.log1p(-diff / (1 + tail))


def _log_normalised_bessel_i_step(nu, a) -> np.ndarray:
    """``log F_{nu+1}(a) - log F_nu(a)`` without argument checks (in the series region ``a^2 <= nu + 1``
    both orders are in the series region too)."""
    return _evaluate(nu, a, _log_f_step_series, _log_f_step_debye, _log_f_step_small_order)


def _orders_and_arguments(nu, a, *, a_positive: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Checked ``nu >= -1/2`` and ``a >= 0`` (``> 0`` with ``a_positive``), broadcastable to each other."""
    nu = _validate.as_finite("nu", nu)
    if np.any(nu < -0.5):
        raise ValueError(f"nu must be >= -1/2, got {float(np.min(nu))!r}")
    a = _validate.positive("a", a) if a_positive else _validate.nonnegative("a", a)
    _validate.broadcast_shape(nu=nu, a=a)
    return nu, a


def log_normalised_bessel_i(nu, a) -> np.ndarray:
    """``log F_nu(a) = log[Gamma(nu + 1) (2 / a)^nu I_nu(a)]`` (= 0 at ``a = 0``), float64.

    Args:
        nu: order, ``nu >= -1/2`` (broadcast with ``a``).
        a: argument, ``a >= 0``.

    Returns:
        ``log F_nu(a)``, finite for every finite input (orders and arguments up to the largest
        float64, ~1.8e308).
    """
    nu, a = _orders_and_arguments(nu, a)
    return _log_normalised_bessel_i(nu, a)


def log_normalised_bessel_i_step(nu, a) -> np.ndarray:
    """``log F_{nu+1}(a) - log F_nu(a) = log[2 (nu + 1) I_{nu+1}(a) / (a I_nu(a))]``, float64.

    Computed without differencing two large logarithms (for ``a`` = 1e6 each is ~1e6, which would
    leave an absolute error ~1e-10); strictly decreasing in ``a`` from 0 at ``a = 0``.
    """
    nu, a = _orders_and_arguments(nu, a)
    return _log_normalised_bessel_i_step(nu, a)


def log_bessel_i(nu, a) -> np.ndarray:
    """``log I_nu(a)`` for ``nu >= -1/2``, ``a > 0``, without under- or overflow.

    ``log F_nu(a) + nu log(a / 2) - log Gamma(nu + 1)``; for ``nu >= 50`` the last two terms go
    through Stirling's series and, outside the power-series region, Debye's form of ``log I_nu``
    is used directly, so that terms of size ``nu log nu`` never cancel. Finite wherever ``log I_nu``
    is within float64 (e.g. ``nu = a = 1e300`` gives 5.3e299); ``-inf`` only where it is below
    about -1.8e308 (``nu = 1e306``, ``a = 1e-300``).
    """
    nu, a = _orders_and_arguments(nu, a, a_positive=True)
    with np.errstate(over="ignore"):  # -inf is the answer where log I_nu is below -1.8e308
        return _log_bessel_i(nu, a)


def bessel_i_ratio(nu, a) -> np.ndarray:
    """``rho_nu(a) = I_{nu+1}(a) / I_nu(a)`` (``= 0`` at ``a = 0``), relative error ~1e-15."""
    nu, a = _orders_and_arguments(nu, a)
    return (a / 2) / (nu + 1) * np.exp(_log_normalised_bessel_i_step(nu, a))
