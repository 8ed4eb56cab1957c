"""The linear-Gaussian VAE of "How neural losses shape VAE latents" (NL26, Appendix D).

Conventions (``shared/claims.md``):

* KL to the standard normal prior (NL26 Fig. 1):
  ``KL(N(mu, diag s) || N(0, I)) = |mu|^2 / 2 + sum_i g(s_i)``, ``g(s) = (s - 1 - log s) / 2``;
  the second sum is the *variance-KL*.
* Quadratic distortion with metric ``G`` and no factor 1/2: ``d_M(x, z) = (x - W z)^T G (x - W z)``.
* For ``Z ~ N(mu, diag s)`` (NL26 eq. 44):
  ``E d_M(x, Z) = (x - W mu)^T G (x - W mu) + sum_i c_i s_i`` with ``c_i = (W^T G W)_ii``.
* The objective ``E d_M + beta KL`` separates in ``s`` as ``const + sum_i (c_i s_i + beta g(s_i))``
  (eq. 45); each term is strictly convex (``g'' = 1 / (2 s^2)``) and is minimised at (eq. 46)
  ``s*_i = beta / (beta + 2 c_i)``.
* Theorem 41: with some ``c_i > 0``, ``beta -> sum_i g(s*_i(beta))`` decreases strictly from
  ``+inf`` to 0, so every positive variance-KL target is met by exactly one ``beta``
  (:func:`beta_for_variance_kl`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import optimize

from toyvae import _validate

__all__ = [
    "KLParts",
    "g",
    "kl_standard_normal",
    "metric_coefficients",
    "expected_distortion",
    "optimal_posterior_variance",
    "variance_kl",
    "optimal_variance_kl",
    "beta_for_variance_kl",
    "posterior_anisotropy",
]


def _x_minus_log1p(x: np.ndarray) -> np.ndarray:
    """``x - log(1 + x)`` for ``x > -1`` without cancellation near 0 (series for |x| < 0.01)."""
    x = np.asarray(x, np.float64)
    small = np.abs(x) < 1e-2
    xs = np.where(small, x, 0.0)
    # x^2/2 - x^3/3 + x^4/4 - ...: 8 terms leave an error below |x|^10 / 10 < 1e-21
    series = sum((-1) ** k * xs**k / k for k in range(2, 10))
    direct = np.where(small, 0.0, x) - np.log1p(np.where(small, 0.0, x))
    return np.where(small, series, direct)


def _x_minus_log(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``x - log s`` for ``s = 1 + x``, both given: ``log1p(x)`` near ``s = 1`` (there ``x = s - 1`` is
    exact), ``log s`` below ``s = 1/2`` (where ``log1p`` of a rounded ``x`` near -1 loses digits)."""
    s = np.asarray(s, np.float64)
    with np.errstate(divide="ignore"):
        return np.where(s < 0.5, x - np.log(s), _x_minus_log1p(np.where(s < 0.5, 0.0, x)))


def g(s) -> np.ndarray:
    """Variance part of the KL for one coordinate: ``g(s) = (s - 1 - log s) / 2`` (NL26 Fig. 1).

    ``g(1) = 0``, ``g > 0`` elsewhere, ``g'(s) = (1 - 1/s) / 2``, ``g''(s) = 1 / (2 s^2)``.
    Evaluated as ``(x - log1p(x)) / 2`` with ``x = s - 1`` (accurate near ``s = 1``), and as
    ``(x - log s) / 2`` below ``s = 1/2`` (accurate down to the smallest positive ``s``).
    """
    s = _validate.positive("s", s)
    return 0.5 * _x_minus_log(s - 1.0, s)


class KLParts(NamedTuple):
    """``KL(N(mu, diag s) || N(0, I))`` split as in NL26 Fig. 1 (nats, summed over the last axis)."""

    mean: np.ndarray  # |mu|^2 / 2
    variance: np.ndarray  # sum_i g(s_i)
    total: np.ndarray  # mean + variance


def kl_standard_normal(mu, s) -> KLParts:
    """KL from ``N(mu, diag s)`` to ``N(0, I)``, split into its mean and variance parts.

    Args:
        mu: means, shape ``(..., d)``.
        s: variances (not standard deviations), shape broadcastable to ``mu``, ``s > 0``.
    """
    mu = _validate.as_finite("mu", mu)
    s = _validate.positive("s", s)
    mean = 0.5 * np.sum(mu * mu, axis=-1)
    var = np.sum(g(np.broadcast_to(s, np.broadcast_shapes(mu.shape, s.shape))), axis=-1)
    return KLParts(mean=mean, variance=var, total=mean + var)


def metric_coefficients(W, G) -> np.ndarray:
    """``c_i = (W^T G W)_ii`` (NL26 eq. 44), for a decoder ``W`` (n x d) and a PSD metric ``G`` (n x n)."""
    W = _validate.as_finite("W", W)
    G = _validate.as_finite("G", G)
    if W.ndim != 2 or G.shape != (W.shape[0], W.shape[0]):
        raise ValueError(f"G must be square with the row count of W; got W {W.shape}, G {G.shape}")
    return np.einsum("ji,jk,ki->i", W, G, W)


def expected_distortion(x, mu, s, W, G) -> np.ndarray:
    """NL26 eq. (44): ``E d_M(x, Z) = (x - W mu)^T G (x - W mu) + sum_i c_i s_i`` for ``Z ~ N(mu, diag s)``."""
    x = _validate.as_finite("x", x)
    mu = _validate.as_finite("mu", mu)
    s = _validate.nonnegative("s", s)
    W = _validate.as_finite("W", W)
    G = _validate.as_finite("G", G)
    residual = x - mu @ W.T
    return np.einsum("...i,ij,...j->...", residual, G, residual) + np.sum(metric_coefficients(W, G) * s, axis=-1)


def optimal_posterior_variance(c, beta) -> np.ndarray:
    """NL26 eq. (46): ``s*_i = beta / (beta + 2 c_i)``, the unique minimiser of ``c_i s + beta g(s)``.

    Args:
        c: metric coefficients ``c_i >= 0`` (broadcast with ``beta``).
        beta: KL weight, ``beta > 0``.
    """
    c = _validate.nonnegative("c", c)
    beta = _validate.positive("beta", beta)
    return beta / (beta + 2.0 * c)


def variance_kl(s, axis: int = -1) -> np.ndarray:
    """The variance-KL ``sum_i g(s_i)`` over ``axis``."""
    return np.sum(g(s), axis=axis)


def optimal_variance_kl(c, beta) -> np.ndarray:
    """``V(beta) = sum_i g(s*_i(beta))``: the variance-KL at the optimum (NL26 Theorem 41).

    Args:
        c: coefficients, shape ``(..., d)``; the sum runs over the last axis.
        beta: scalar or array broadcastable to ``c[..., 0]``.
    """
    c = _validate.nonnegative("c", c)
    beta = _validate.positive("beta", beta)
    # g(s*) with s* - 1 = -2c / (beta + 2c), kept exact for large beta; log s* taken from s* itself
    # when s* is small (1 + x would have lost its relative accuracy)
    beta = np.expand_dims(beta, -1)
    x = -2.0 * c / (beta + 2.0 * c)
    return 0.5 * np.sum(_x_minus_log(x, beta / (beta + 2.0 * c)), axis=-1)


def beta_for_variance_kl(c, target: float) -> float:
    """The unique ``beta > 0`` with ``sum_i g(s*_i(beta)) = target`` (NL26 Theorem 41).

    Solved with Brent's method on ``log beta``; the bracket is widened until it holds the root,
    which Theorem 41 guarantees when some ``c_i > 0``.

    Raises:
        ValueError: ``target <= 0``, a negative or non-finite ``c``, or every ``c_i = 0`` (then the
            posterior is the prior for every ``beta`` and the variance-KL is identically 0).
    """
    c = _validate.nonnegative("c", c)
    target = float(_validate.positive("target", target))
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"c must be a non-empty 1-D array of coefficients, got shape {c.shape}")
    if not np.any(c > 0):
        raise ValueError(
            "c: every c_i is 0, so s* = 1 and the variance-KL is 0 for every beta; "
            "no beta reaches a positive target (Theorem 41 needs some c_i > 0)"
        )

    def excess(log_beta: float) -> float:
        return float(optimal_variance_kl(c, np.exp(log_beta))) - target

    lo, hi = np.log(np.max(c)) - 2.0, np.log(np.max(c)) + 2.0
    while excess(lo) < 0:  # V(beta) -> inf as beta -> 0
        lo -= 4.0
    while excess(hi) > 0:  # V(beta) -> 0 as beta -> inf
        hi += 4.0
    log_beta = optimize.brentq(excess, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500)
    return float(np.exp(log_beta))


def posterior_anisotropy(s, *, aggregate: str = "per_point") -> np.ndarray:
    """Posterior anisotropy ``A_post = Var_i(log s_i)``, the population variance over latent dimensions.

    The NL26 review page does not say how ``A_post`` is aggregated over data points, so the choice
    is explicit:

    * ``"per_point"`` (default): ``Var_i log s_i`` for each row of ``s`` (shape ``(..., d)`` -> ``(...)``);
    * ``"mean_of_variances"``: ``E_x[Var_i log s_i(x)]`` over the rows of a 2-D ``s`` (n x d);
    * ``"variance_of_means"``: ``Var_i(E_x log s_i(x))`` over the rows of a 2-D ``s``.

    ``A_post = 0`` iff all ``s_i`` (of a row, or of the row means) are equal.
    """
    s = _validate.positive("s", s)
    log_s = np.log(s)
    if aggregate == "per_point":
        return np.var(log_s, axis=-1)
    if s.ndim != 2:
        raise ValueError(f"s must be 2-D (points x dimensions) for aggregate={aggregate!r}, got shape {s.shape}")
    if aggregate == "mean_of_variances":
        return np.mean(np.var(log_s, axis=1))
    if aggregate == "variance_of_means":
        return np.var(np.mean(log_s, axis=0))
    raise ValueError(
        f"aggregate must be 'per_point', 'mean_of_variances' or 'variance_of_means', got {aggregate!r}"
    )
