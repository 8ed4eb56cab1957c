"""Decoder likelihoods and the squared-error losses they hide (BS20 Sec. 3.2-3.3, the slides, the Q&A).

* Gaussian decoder (``shared/claims.md`` convention):
  ``-log N(x; m, sigma^2 I) = |x - m|^2 / (2 sigma^2) + (D / 2) log(2 pi sigma^2)``.
* A squared-error loss ``w |x - m|^2`` is, up to a constant in ``m``, a Gaussian decoder with
  ``sigma^2 = 1 / (2 w)``: the summed squared error (``w = 1``) is ``sigma^2 = 1/2`` (BS20 Sec. 3.2),
  the squared error averaged over ``D`` coordinates (``w = 1 / D``) is ``sigma^2 = D / 2``.
* A weight ``lam`` on the KL of a fixed-sigma Gaussian VAE gives the same minimiser, and gradients
  scaled by ``1 / lam``, as the unweighted VAE with ``sigma' = sigma sqrt(lam)`` (BS20 Sec. 3.2).
* Learned scalar sigma (BS20 eq. 10): ``E|x - m|^2 / (2 sigma^2) + D log sigma`` is minimised at
  ``sigma^2 = E|x - m|^2 / D`` (the mean squared error per coordinate), where the reconstruction term
  becomes ``(D / 2) log(2 pi e MSE)`` (the slides' "(D/2) log MSE + const").
"""

from __future__ import annotations

import numpy as np

from toyvae import _validate

__all__ = [
    "gaussian_nll",
    "bernoulli_nll",
    "sigma_for_squared_error",
    "squared_error_weight",
    "sigma_for_kl_weight",
    "optimal_scalar_sigma",
    "profiled_gaussian_nll",
]

_LOG_2PI = np.log(2 * np.pi)


def _coordinates_shape(**arrays: np.ndarray) -> tuple[int, ...]:
    """The broadcast shape of the named arrays, which must have a last (coordinate) axis."""
    shape = _validate.broadcast_shape(**arrays)
    if len(shape) == 0:
        first = next(iter(arrays))
        raise ValueError(f"{first} must have the coordinates on a last axis (at least 1-D), got a scalar")
    return shape


def gaussian_nll(x, mean, sigma) -> np.ndarray:
    """``-log N(x; mean, diag(sigma^2))`` in nats, with its constant, summed over the last axis.

    ``sigma`` is a scalar (isotropic decoder) or an array broadcastable to ``x`` (per-coordinate).
    ``x`` and ``mean`` broadcast to at least one axis. ``+inf`` only where the value is beyond
    float64 (``(x - mean) / sigma`` above ~1e154).
    """
    x = _validate.as_finite("x", x)
    mean = _validate.as_finite("mean", mean)
    sigma = _validate.positive("sigma", sigma)
    shape = _coordinates_shape(x=x, mean=mean, sigma=sigma)
    sigma = np.broadcast_to(sigma, shape)
    with np.errstate(over="ignore"):
        z = (x - mean) / sigma
        overflowed = ~np.isfinite(z)
        if np.any(overflowed):  # x - mean overflows for x = 1e308, mean = -1e308 even where z is moderate
            z = np.where(overflowed, x / sigma - mean / sigma, z)
        return np.sum(0.5 * z * z + np.log(sigma) + 0.5 * _LOG_2PI, axis=-1)


def bernoulli_nll(x, logits) -> np.ndarray:
    """``-log Bernoulli(x; sigmoid(logits))`` summed over the last axis: the binary cross-entropy.

    Written as ``softplus(l) - x l`` (stable for any logit); ``x`` may be any value in [0, 1]
    (then it is the cross-entropy against a soft target).
    """
    x = _validate.probability("x", x)
    logits = _validate.as_finite("logits", logits)
    _coordinates_shape(x=x, logits=logits)
    return np.sum(np.logaddexp(0.0, logits) - x * logits, axis=-1)


def squared_error_weight(sigma) -> np.ndarray:
    """The weight ``w = 1 / (2 sigma^2)`` that a Gaussian decoder puts on ``|x - m|^2``.

    Evaluated as ``(0.5 / sigma) / sigma``: ``sigma^2`` would underflow below 1e-154; ``+inf``
    only where ``w`` itself is beyond float64 (``sigma`` below ~5e-155).
    """
    sigma = _validate.positive("sigma", sigma)
    with np.errstate(over="ignore"):
        return 0.5 / sigma / sigma


def sigma_for_squared_error(*, reduction: str = "sum", D: int | None = None, weight: float = 1.0) -> float:
    """The decoder sigma implied by a squared-error reconstruction loss.

    Args:
        reduction: ``"sum"`` for ``weight * sum_i (x_i - m_i)^2`` or ``"mean"`` for
            ``weight * mean_i (x_i - m_i)^2`` over ``D`` coordinates.
        D: number of coordinates (needed for ``"mean"``).
        weight: the factor in front of the loss, a scalar ``> 0``.

    Returns:
        ``sigma = sqrt(1 / (2 w))`` with ``w = weight`` (sum) or ``weight / D`` (mean): ``sqrt(1/2)``
        for the plain summed error, ``sqrt(D / 2)`` for the plain mean. Evaluated as
        ``sqrt(1/2) sqrt(D) / sqrt(weight)``, finite for every weight in float64 (``1 / (2 w)``
        overflows for subnormal weights).
    """
    weight = _validate.scalar("weight", _validate.positive("weight", weight))
    if D is not None:
        D = _validate.scalar("D", _validate.dimension("D", D, minimum=1))
    if not isinstance(reduction, str) or reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
    if reduction == "mean" and D is None:
        raise ValueError("D: the mean reduction needs the number of coordinates D")
    coordinates = D if reduction == "mean" else 1.0
    return float(np.sqrt(0.5) * np.sqrt(coordinates) / np.sqrt(weight))


def sigma_for_kl_weight(sigma, lam) -> np.ndarray:
    """BS20 Sec. 3.2: a KL weight ``lam`` with decoder ``sigma`` acts as ``sigma' = sigma sqrt(lam)``.

    ``+inf`` where ``sigma'`` is above float64; ``ValueError`` where it underflows to 0 (a decoder
    sigma of 0 is no decoder).
    """
    sigma = _validate.positive("sigma", sigma)
    lam = _validate.positive("lam", lam)
    _validate.broadcast_shape(sigma=sigma, lam=lam)
    with np.errstate(over="ignore"):
        out = sigma * np.sqrt(lam)
    if np.any(out == 0):
        raise ValueError("sigma, lam: sigma * sqrt(lam) is below the smallest float64 (5e-324) for "
                         f"sigma {_validate._show(sigma)}, lam {_validate._show(lam)}")
    return out


def optimal_scalar_sigma(squared_error, D) -> np.ndarray:
    """BS20 eq. (10) minimised over a scalar sigma: ``sigma* = sqrt(E|x - m|^2 / D)``.

    Evaluated as ``sqrt(E|x - m|^2) / sqrt(D)`` (the quotient would underflow for tiny errors
    and large ``D`` although ``sigma*`` is well inside float64).

    Args:
        squared_error: the expected summed squared error ``E|x - m|^2`` (``> 0``).
        D: number of coordinates.
    """
    squared_error = _validate.positive("squared_error", squared_error)
    D = _validate.dimension("D", D, minimum=1)
    _validate.broadcast_shape(squared_error=squared_error, D=D)
    return np.sqrt(squared_error) / np.sqrt(D.astype(np.float64))


def profiled_gaussian_nll(mse, D) -> np.ndarray:
    """The Gaussian NLL at the optimal scalar sigma: ``(D / 2) (log(2 pi mse) + 1)``.

    ``mse`` is the squared error per coordinate, ``E|x - m|^2 / D`` (the slides' SL.Sigma).
    """
    mse = _validate.positive("mse", mse)
    D = _validate.dimension("D", D, minimum=1)
    _validate.broadcast_shape(mse=mse, D=D)
    return 0.5 * D.astype(np.float64) * (_LOG_2PI + np.log(mse) + 1.0)
