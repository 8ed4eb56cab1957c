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
from toyvae.theory.bessel import _log_normalised_bessel_i_step as log_normalised_bessel_i_step

__all__ = [
    "log_marginal",
    "log_likelihood",
    "log_marginal_derivative",
    "sufficient_threshold",
    "sharp_threshold",
    "optimal_radius",
]


def _order(D: np.ndarray) -> np.ndarray:
    return (D - 2) / 2.0


def log_marginal(r, R, sigma, D) -> np.ndarray:
    """BS20 eq. (8) in log space, relative to its value at ``r = 0``.

    ``log p(x; r) - log p(x; 0) = -r^2 / (2 sigma^2) + log F_nu(r R / sigma^2)``, with
    ``nu = (D - 2) / 2`` and ``F_nu`` the normalised Bessel function (see the module docstring).
    The r-independent constant that is dropped is ``log p(x; 0) = -D/2 log(2 pi sigma^2) -
    R^2 / (2 sigma^2)``; in terms of eq. (8) as printed, it is ``log int_0^pi sin^{D-2}(phi) dphi``
    together with the constants the paper removes.

    Args:
        r: radius of the sphere of decoder means, ``r >= 0``.
        R: radius of the data sphere, ``R > 0``.
        sigma: fixed decoder standard deviation, ``sigma > 0``.
        D: ambient dimension, an integer ``>= 2``.
        All arguments broadcast against each other.

    Returns:
        float64 array (or scalar) of log-likelihood differences in nats, finite everywhere.
    """
    r = _validate.nonnegative("r", r)
    R = _validate.positive("R", R)
    sigma = _validate.positive("sigma", sigma)
    D = _validate.dimension("D", D)
    var = sigma * sigma
    return -(r * r) / (2 * var) + log_normalised_bessel_i(_order(D), r * R / var)


def log_likelihood(r, R, sigma, D) -> np.ndarray:
    """The full ``log p(x; r)`` in nats per data point: :func:`log_marginal` plus its constant.

    ``log p(x; r) = log E_mu N(x; mu, sigma^2 I)`` with ``mu`` uniform on ``S_{D-1}(r)`` and ``|x| = R``;
    the best a VAE with this decoder can reach (its ELBO is at most this, BS20 eq. 3).
    """
    R_, sigma_, D_ = (_validate.positive("R", R), _validate.positive("sigma", sigma),
                      _validate.dimension("D", D))
    return log_marginal(r, R, sigma, D) - D_ / 2 * np.log(2 * np.pi * sigma_**2) - R_**2 / (2 * sigma_**2)


def log_marginal_derivative(r, R, sigma, D) -> np.ndarray:
    """``d/dr`` of :func:`log_marginal`: ``(R rho_nu(r R / sigma^2) - r) / sigma^2``.

    ``rho_nu = I_{nu+1} / I_nu`` with ``nu = (D - 2) / 2`` (so ``I_{D/2} / I_{D/2 - 1}``). Zero at
    ``r = 0`` and at the optimal radius; stationarity reads ``r = R I_{D/2}(a) / I_{D/2-1}(a)``.
    """
    r = _validate.nonnegative("r", r)
    R = _validate.positive("R", R)
    sigma = _validate.positive("sigma", sigma)
    D = _validate.dimension("D", D)
    var = sigma * sigma
    a = r * R / var
    rho = a / (2 * (_order(D) + 1)) * np.exp(log_normalised_bessel_i_step(_order(D), a))  # I_{nu+1} / I_nu
    return (R * rho - r) / var


def sufficient_threshold(R, D) -> np.ndarray:
    """The paper's Theorem 1: the VAE collapses to ``r = 0`` when ``sigma >= R / sqrt(D - 1)``."""
    R = _validate.positive("R", R)
    D = _validate.dimension("D", D)
    return R / np.sqrt(D - 1.0)


def sharp_threshold(R, D) -> np.ndarray:
    """The exact collapse threshold ``R / sqrt(D)``: ``r* = 0`` iff ``sigma >= R / sqrt(D)``.

    Proof sketch (``proofs/bs20_t1_sharp.py`` has the symbolic parts): the curvature of
    :func:`log_marginal` at ``r = 0`` is ``(R^2 / (D sigma^2) - 1) / sigma^2``, and ``rho_nu(a) / a``
    is strictly decreasing from ``1 / D``, so the stationarity equation has a root ``r > 0`` iff
    ``R^2 / sigma^2 > D``.
    """
    R = _validate.positive("R", R)
    D = _validate.dimension("D", D)
    return R / np.sqrt(D.astype(np.float64))


def optimal_radius(R, sigma, D, *, rtol: float = 1e-13) -> np.ndarray:
    """The global maximiser ``r*(sigma) >= 0`` of BS20 eq. (8) over ``r >= 0``.

    ``r* = 0`` for ``sigma >= R / sqrt(D)``; below, ``r* = sigma^2 a* / R`` where ``a* > 0`` is the
    unique root of ``log F_{nu+1}(a) - log F_nu(a) = log(D sigma^2 / R^2)`` (that is,
    ``rho_nu(a) / a = sigma^2 / R^2``), bracketed in ``(0, R^2 / sigma^2)`` because ``rho_nu < 1``.
    Solved by vectorised bisection on ``log a`` (the left side is strictly decreasing in ``a``), so
    every element converges; ``rtol`` is the relative width of the final bracket.

    Returns:
        float64 array broadcast from the arguments; ``r* / R -> 1`` as ``sigma -> 0``.
    """
    R = _validate.positive("R", R)
    sigma = _validate.positive("sigma", sigma)
    D = _validate.dimension("D", D)
    R, sigma, D = np.broadcast_arrays(R, sigma, D)
    nu = _order(D.astype(np.float64))
    var = sigma * sigma
    target = np.log(D * var / (R * R))  # < 0 exactly below the sharp threshold
    out = np.zeros(R.shape)
    # decide collapse with the very expression of `sharp_threshold`, so that the two agree to the last
    # bit; where rounding leaves target >= 0 just below it, the bisection returns a ~0 radius
    live = (sigma < R / np.sqrt(D.astype(np.float64))) & (target < 0)
    if np.any(live):
        nu_l, target_l = nu[live], target[live]

        def excess(a):  # strictly decreasing in a, from 0 at a = 0 to -inf
            return log_normalised_bessel_i_step(nu_l, a) - target_l

        hi = np.log(R[live] ** 2 / var[live])  # log a_max; rho < 1 puts the root below it
        lo = np.full_like(hi, np.log(np.finfo(np.float64).tiny))
        # the curvature gives a* ~ sqrt(-2 (D + 2) target) near the threshold: start just below it
        guess = np.log(np.sqrt(-target_l * (D[live] + 2) * 2.0)) - 2.0
        below = excess(np.exp(guess)) > 0
        lo = np.where(below, np.maximum(lo, guess), lo)
        hi = np.where(below, hi, np.minimum(hi, guess))
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            positive = excess(np.exp(mid)) > 0
            lo = np.where(positive, mid, lo)
            hi = np.where(positive, hi, mid)
            if np.all(hi - lo < rtol):
                break
        a_star = np.exp(0.5 * (lo + hi))
        out[live] = var[live] * a_star / R[live]
    return out[()] if out.ndim == 0 else out
