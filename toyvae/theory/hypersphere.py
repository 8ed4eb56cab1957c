"""Data on a hypersphere, fixed decoder sigma: Berger & Sebag (2020), Theorem 1 and what it implies.

Setting (BS20, Sec. 3.1). Data ``x`` uniform on the sphere ``S_{D-1}(R)`` in ``R^D``; decoder
``N(mu, sigma^2 I)`` with a fixed ``sigma``; in the limit of unlimited capacity and data the optimal
law of the decoder mean is uniform on a concentric sphere of radius ``r``, and the log-likelihood
of a data point is, as a function of ``r`` (BS20 eq. 8),

    log p(x; r) = -r^2 / (2 sigma^2) + log int_0^pi sin^{D-2}(phi) exp(a cos phi) dphi + const,
    a = r R / sigma^2.

The angular integral has the closed form (DLMF 10.32.2)

    int_0^pi sin^{2 nu}(phi) e^{a cos phi} dphi = sqrt(pi) Gamma(nu + 1/2) (2 / a)^nu I_nu(a),
    nu = (D - 2) / 2,

so that, with the normalised Bessel function ``F_nu(a) = Gamma(nu + 1) (2 / a)^nu I_nu(a)``,

    log p(x; r) = -r^2 / (2 sigma^2) + log F_nu(r R / sigma^2) + C(R, sigma, D).

:func:`log_marginal` returns ``log p(x; r) - log p(x; 0)``, so differences between radii are
exactly differences of eq. (8). Because the angle between ``x`` and a uniform point of the sphere of
means has density proportional to ``sin^{D-2}``, the full density is

    log p(x; r) = -D/2 log(2 pi sigma^2) - (R^2 + r^2) / (2 sigma^2) + log F_nu(r R / sigma^2),

so the dropped constant is ``log p(x; 0) = -D/2 log(2 pi sigma^2) - R^2 / (2 sigma^2)`` (the decoder
density at distance R from the centre); :func:`log_likelihood` adds it back.

The collapse threshold (ours, claim BS20.T1-sharp). ``d/dr log p = (R rho_nu(a) - r) / sigma^2``
with ``rho_nu = I_{nu+1} / I_nu``. Since ``rho_nu(a) / a`` decreases strictly from ``1 / D`` (at
``a = 0``) to 0, a stationary point ``r > 0`` exists iff ``sigma^2 / R^2 < 1 / D``, and then it is
unique and it is the global maximum. Hence

    r* = 0   iff   sigma >= R / sqrt(D)           (``sharp_threshold``),

whereas the paper's Theorem 1 states the sufficient condition ``sigma >= R / sqrt(D - 1)``
(``sufficient_threshold``), which is obtained by bounding ``sin^2 <= 1`` in eq. (9).
"""

from __future__ import annotations

import numpy as np

from toyvae import _validate
from toyvae.theory.bessel import _log_normalised_bessel_i as log_normalised_bessel_i
from toyvae.theory.bessel import _log_normalised_bessel_i_scaled as log_normalised_bessel_i_scaled
from toyvae.theory.bessel import _log_normalised_bessel_i_scaled_beyond as log_normalised_bessel_i_scaled_beyond
from toyvae.theory.bessel import _log_normalised_bessel_i_step as log_normalised_bessel_i_step

__all__ = [
    "log_marginal",
    "log_likelihood",
    "log_marginal_derivative",
    "sufficient_threshold",
    "sharp_threshold",
    "optimal_radius",
]

# Below this (D - 1) sigma^2 / R^2, r* / R = 1 - (D - 1) sigma^2 / (2 R^2) + O(D^2 sigma^4 / R^4) rounds to
# 1 in float64 (the correction is under a quarter of the spacing of floats just below 1, 1.1e-16).
_NEGLIGIBLE = 2e-17


def _order(D: np.ndarray) -> np.ndarray:
    return (D.astype(np.float64) - 2) / 2.0


def _sphere_arguments(r, R, sigma, D):
    """Checked ``r >= 0``, ``R > 0``, ``sigma > 0``, integer ``D >= 2``, broadcastable to one shape."""
    r = _validate.nonnegative("r", r)
    R = _validate.positive("R", R)
    sigma = _validate.positive("sigma", sigma)
    D = _validate.dimension("D", D)
    _validate.broadcast_shape(r=r, R=R, sigma=sigma, D=D)
    return r, R, sigma, D


def _scale_free(r, R, sigma):
    """``u = r / sigma``, ``v = R / sigma`` and ``a = u v = r R / sigma^2``: eq. (8) depends on these only.

    Forming ``sigma^2`` first would underflow for ``sigma < 1e-154`` (and overflow above 1e154) even
    when ``R / sigma`` is moderate. ``a`` is ``inf`` only where ``r R / sigma^2`` is beyond float64.
    """
    with np.errstate(over="ignore"):
        u = r / sigma
        v = R / sigma
        return u, v, u * v


def _log_a(r, R, sigma) -> np.ndarray:
    """``log(r R / sigma^2)`` from logarithms, for arguments ``a`` beyond float64 (then ``r > 0``)."""
    return np.log(r) + np.log(R) - 2 * np.log(sigma)


def _scaled_bessel(nu, a, r, R, sigma) -> np.ndarray:
    """``log F_nu(a) - a`` (``<= 0``), also where ``a = r R / sigma^2`` overflows float64."""
    finite = np.isfinite(a)
    if np.all(finite):
        return log_normalised_bessel_i_scaled(nu, a)
    nu, a, r, R, sigma = np.broadcast_arrays(nu, a, r, R, sigma)
    out = np.empty(a.shape)
    out[finite] = log_normalised_bessel_i_scaled(nu[finite], a[finite])
    beyond = ~finite
    out[beyond] = log_normalised_bessel_i_scaled_beyond(nu[beyond], _log_a(r[beyond], R[beyond], sigma[beyond]))
    return out


def log_marginal(r, R, sigma, D) -> np.ndarray:
    """BS20 eq. (8) in log space, relative to its value at ``r = 0``.

    ``log p(x; r) - log p(x; 0) = -r^2 / (2 sigma^2) + log F_nu(r R / sigma^2)``, with
    ``nu = (D - 2) / 2`` and ``F_nu`` the normalised Bessel function (see the module docstring).
    The r-independent constant that is dropped is ``log p(x; 0) = -D/2 log(2 pi sigma^2) -
    R^2 / (2 sigma^2)``; in terms of eq. (8) as printed, it is ``log int_0^pi sin^{D-2}(phi) dphi``
    together with the constants the paper removes.

    The value depends on ``r / sigma`` and ``R / sigma`` only, and is computed from them, so it is
    the same for ``sigma`` = 1e-200 and 1e200 with ``r`` and ``R`` scaled alike. Where
    ``r R / sigma^2`` overflows float64 it is written as ``(r / sigma) (R - r / 2) / sigma +
    (log F_nu(a) - a)`` with Hankel's expansion of the last term: ``+-inf`` only where the value
    itself is beyond float64.

    Args:
        r: radius of the sphere of decoder means, ``r >= 0``.
        R: radius of the data sphere, ``R > 0``.
        sigma: fixed decoder standard deviation, ``sigma > 0``.
        D: ambient dimension, an integer ``>= 2``.
        All arguments broadcast against each other.

    Returns:
        float64 array (or scalar) of log-likelihood differences in nats, never NaN.
    """
    r, R, sigma, D = _sphere_arguments(r, R, sigma, D)
    nu = _order(D)
    u, v, a = _scale_free(r, R, sigma)
    with np.errstate(over="ignore"):
        u2 = u * u
    direct = np.isfinite(a) & np.isfinite(u2)
    if np.all(direct):
        return -u2 / 2 + log_normalised_bessel_i(nu, a)
    # -u^2/2 + log F(a) = u (v - u/2) + (log F(a) - a), with v - u/2 = (R - r/2) / sigma exactly
    with np.errstate(over="ignore", invalid="ignore"):
        lead = np.where(R == r / 2, 0.0, u * ((R - r / 2) / sigma))
        beyond = lead + _scaled_bessel(nu, a, r, R, sigma)
        inside = -u2 / 2 + log_normalised_bessel_i(nu, np.where(direct, a, 0.0))
    out = np.where(direct, inside, beyond)
    return out[()] if out.ndim == 0 else out


def log_likelihood(r, R, sigma, D) -> np.ndarray:
    """The full ``log p(x; r)`` in nats per data point: :func:`log_marginal` plus its constant.

    ``log p(x; r) = log E_mu N(x; mu, sigma^2 I)`` with ``mu`` uniform on ``S_{D-1}(r)`` and ``|x| = R``;
    the best a VAE with this decoder can reach (its ELBO is at most this, BS20 eq. 3). Computed as

        log p(x; r) = -D/2 log(2 pi) - D log sigma - (R - r)^2 / (2 sigma^2) + (log F_nu(a) - a),

    the same quantity as ``log_marginal - D/2 log(2 pi sigma^2) - R^2 / (2 sigma^2)`` without its two
    large terms of opposite sign (``a = r R / sigma^2``): never NaN, ``-inf`` only where
    ``(R - r)^2 / sigma^2`` overflows (the value is then below -1.8e308).
    """
    r, R, sigma, D = _sphere_arguments(r, R, sigma, D)
    nu = _order(D)
    _, _, a = _scale_free(r, R, sigma)
    Df = D.astype(np.float64)
    with np.errstate(over="ignore"):
        gap = (R - r) / sigma
        quadratic = gap * gap / 2
    return -Df / 2 * np.log(2 * np.pi) - Df * np.log(sigma) - quadratic + _scaled_bessel(nu, a, r, R, sigma)


def log_marginal_derivative(r, R, sigma, D) -> np.ndarray:
    """``d/dr`` of :func:`log_marginal`: ``(R rho_nu(r R / sigma^2) - r) / sigma^2``.

    ``rho_nu = I_{nu+1} / I_nu`` with ``nu = (D - 2) / 2`` (so ``I_{D/2} / I_{D/2 - 1}``). Zero at
    ``r = 0`` and at the optimal radius; stationarity reads ``r = R I_{D/2}(a) / I_{D/2-1}(a)``.
    Computed as ``((R / sigma) rho - r / sigma) / sigma`` (no ``sigma^2``, which under- or overflows
    for ``sigma`` beyond 1e+-154); where ``a`` overflows float64, ``rho = 1 - (nu + 1/2) / a`` (DLMF
    10.40.1) gives ``(R - r) / sigma^2 - (nu + 1/2) / r``.
    """
    r, R, sigma, D = _sphere_arguments(r, R, sigma, D)
    nu = _order(D)
    u, v, a = _scale_free(r, R, sigma)
    direct = np.isfinite(a)
    a_in = np.where(direct, a, 0.0)
    rho = (a_in / 2) / (nu + 1) * np.exp(log_normalised_bessel_i_step(nu, a_in))  # I_{nu+1} / I_nu
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        inside = (v * rho - u) / sigma
        beyond = (R - r) / sigma / sigma - (nu + 0.5) / r
    out = np.where(direct, inside, beyond)
    return out[()] if out.ndim == 0 else out


def sufficient_threshold(R, D) -> np.ndarray:
    """The paper's Theorem 1: the VAE collapses to ``r = 0`` when ``sigma >= R / sqrt(D - 1)``."""
    R = _validate.positive("R", R)
    D = _validate.dimension("D", D)
    _validate.broadcast_shape(R=R, D=D)
    return R / np.sqrt(D.astype(np.float64) - 1.0)


def sharp_threshold(R, D) -> np.ndarray:
    """The exact collapse threshold ``R / sqrt(D)``: ``r* = 0`` iff ``sigma >= R / sqrt(D)``.

    Proof sketch (``proofs/bs20_t1_sharp.py`` has the symbolic parts): the curvature of
    :func:`log_marginal` at ``r = 0`` is ``(R^2 / (D sigma^2) - 1) / sigma^2``, and ``rho_nu(a) / a``
    is strictly decreasing from ``1 / D``, so the stationarity equation has a root ``r > 0`` iff
    ``R^2 / sigma^2 > D``.
    """
    R = _validate.positive("R", R)
    D = _validate.dimension("D", D)
    _validate.broadcast_shape(R=R, D=D)
    return R / np.sqrt(D.astype(np.float64))


def optimal_radius(R, sigma, D, *, rtol: float = 1e-13) -> np.ndarray:
    """The global maximiser ``r*(sigma) >= 0`` of BS20 eq. (8) over ``r >= 0``.

    ``r* / R`` depends only on ``s = sigma / R`` and ``D``, and is computed from them. ``r* = 0``
    for ``sigma >= R / sqrt(D)``; below, ``r* / R = s^2 a*`` where ``a* > 0`` is the unique root of
    ``log F_{nu+1}(a) - log F_nu(a) = log(D s^2)`` (that is, ``rho_nu(a) / a = s^2``), bracketed in
    ``(0, 1 / s^2)`` because ``rho_nu < 1``. Solved by vectorised bisection on ``log a`` (the left
    side is strictly decreasing in ``a``), so every element converges; ``rtol`` is the width of the
    final bracket of ``log a``, hence about the relative error of ``r*``. Where
    ``(D - 1) s^2 < 2e-17``, ``r* / R = 1 - (D - 1) s^2 / 2 + O(D^2 s^4)`` (the large-argument
    expansion of ``rho_nu``) rounds to 1 and ``r* = R`` is returned.

    Returns:
        float64 array broadcast from the arguments; ``r* / R -> 1`` as ``sigma -> 0``.
    """
    R = _validate.positive("R", R)
    sigma = _validate.positive("sigma", sigma)
    D = _validate.dimension("D", D)
    rtol = _validate.scalar("rtol", _validate.nonnegative("rtol", rtol))
    _validate.broadcast_shape(R=R, sigma=sigma, D=D)
    R, sigma, D = np.broadcast_arrays(R, sigma, D)
    Df = D.astype(np.float64)
    nu = _order(D)
    s = sigma / R  # underflows to 0 only where r* = R to float64 precision
    out = np.zeros(R.shape)
    # decide collapse with the very expression of `sharp_threshold`, so that the two agree to the last
    # bit; where rounding leaves target >= 0 just below it, r* is returned as 0
    below = sigma < R / np.sqrt(Df)
    far = below & ((Df - 1) * s * s < _NEGLIGIBLE)
    out[far] = R[far]
    with np.errstate(divide="ignore"):
        target = np.log(Df * s * s)  # < 0 exactly below the sharp threshold
    live = below & ~far & (target < 0)
    if np.any(live):
        nu_l, target_l, s_l = nu[live], target[live], s[live]

        def excess(a):  # strictly decreasing in a, from 0 at a = 0 to -inf
            return log_normalised_bessel_i_step(nu_l, a) - target_l

        hi = -2 * np.log(s_l)  # log a_max = log(R^2 / sigma^2); rho < 1 puts the root below it
        lo = np.full_like(hi, np.log(np.finfo(np.float64).tiny))
        # the curvature gives a* ~ sqrt(-2 (D + 2) target) near the threshold: start just below it
        guess = np.log(np.sqrt(-target_l * (Df[live] + 2) * 2.0)) - 2.0
        positive = excess(np.exp(guess)) > 0
        lo = np.where(positive, np.maximum(lo, guess), lo)
        hi = np.where(positive, hi, np.minimum(hi, guess))
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            positive = excess(np.exp(mid)) > 0
            lo = np.where(positive, mid, lo)
            hi = np.where(positive, hi, mid)
            if np.all(hi - lo < rtol):
                break
        a_star = np.exp(0.5 * (lo + hi))
        out[live] = R[live] * (s_l * s_l * a_star)
    return out[()] if out.ndim == 0 else out
