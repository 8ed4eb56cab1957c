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

import numbers
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
        mu: means, shape ``(..., d)`` (at least 1-D: the latent dimensions are the last axis).
        s: variances (not standard deviations), shape broadcastable to ``mu``, ``s > 0``.

    Parts beyond float64 (``|mu|`` above ~1e154) are ``+inf``; ``d = 0`` gives 0.
    """
    mu = _latent_axis("mu", _validate.as_finite("mu", mu))
    s = _validate.positive("s", s)
    shape = _validate.broadcast_shape(mu=mu, s=s)
    with np.errstate(over="ignore"):
        mean = 0.5 * np.sum(mu * mu, axis=-1)
    var = np.sum(g(np.broadcast_to(s, shape)), axis=-1)
    return KLParts(mean=mean, variance=var, total=mean + var)


def _latent_axis(name: str, arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 0:
        raise ValueError(f"{name} must have the latent dimensions on a last axis (at least 1-D), got a scalar")
    return arr


def _matrix(name: str, arr: np.ndarray, rows_cols: str) -> np.ndarray:
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix ({rows_cols}), got shape {arr.shape}")
    return arr


def _metric_for(W: np.ndarray, G: np.ndarray) -> None:
    n = W.shape[0]
    if G.shape != (n, n):
        raise ValueError(f"G must be square with the row count of W ({n} x {n}); got G {G.shape}, W {W.shape}")


def metric_coefficients(W, G) -> np.ndarray:
    """``c_i = (W^T G W)_ii`` (NL26 eq. 44), for a decoder ``W`` (n x d) and a PSD metric ``G`` (n x n)."""
    W = _matrix("W", _validate.as_finite("W", W), "n x d")
    G = _validate.as_finite("G", G)
    _metric_for(W, G)
    return np.einsum("ji,jk,ki->i", W, G, W)


def expected_distortion(x, mu, s, W, G) -> np.ndarray:
    """NL26 eq. (44): ``E d_M(x, Z) = (x - W mu)^T G (x - W mu) + sum_i c_i s_i`` for ``Z ~ N(mu, diag s)``.

    Shapes: ``x`` (..., n), ``mu`` (..., d), ``s`` (..., d) or (..., 1) or a scalar, ``W`` (n, d),
    ``G`` (n, n); the leading axes of ``x``, ``mu`` and ``s`` broadcast.
    """
    x = _latent_axis("x", _validate.as_finite("x", x))
    mu = _latent_axis("mu", _validate.as_finite("mu", mu))
    s = _validate.nonnegative("s", s)
    W = _matrix("W", _validate.as_finite("W", W), "n x d")
    G = _validate.as_finite("G", G)
    n, d = W.shape
    _metric_for(W, G)
    if x.shape[-1] != n:
        raise ValueError(f"x must have W's row count {n} on its last axis, got shape {x.shape} (W {W.shape})")
    if mu.shape[-1] != d:
        raise ValueError(f"mu must have W's column count {d} on its last axis, got shape {mu.shape} (W {W.shape})")
    if s.ndim and s.shape[-1] not in (1, d):
        raise ValueError(f"s must have W's column count {d} (or 1) on its last axis, got shape {s.shape} (W {W.shape})")
    _validate.broadcast_shape(x=x[..., 0], mu=mu[..., 0], s=s[..., 0] if s.ndim else s)  # the batch axes
    residual = x - mu @ W.T
    return np.einsum("...i,ij,...j->...", residual, G, residual) + np.sum(metric_coefficients(W, G) * s, axis=-1)


def _ratio_and_variance(c: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``q = 2 c / beta`` (``inf`` where beyond float64) and ``s* = 1 / (1 + q)`` in a form free of
    over- and premature underflow: ``1 / (1 + q)`` for ``q <= 1``, ``p / (1 + p)`` with
    ``p = beta / (2 c)`` above (``q`` overflows for ``c = 1.8e308``, ``beta = 1`` while ``s*`` =
    2.8e-309 is a float64)."""
    with np.errstate(over="ignore", divide="ignore"):
        q = 2.0 * (c / beta)
        p = 0.5 * (beta / c)  # inf where c = 0, discarded there
    s_star = np.where(q <= 1.0, 1.0 / (1.0 + q), p / (1.0 + np.where(q <= 1.0, 0.0, p)))
    return q, s_star


def optimal_posterior_variance(c, beta) -> np.ndarray:
    """NL26 eq. (46): ``s*_i = beta / (beta + 2 c_i)``, the unique minimiser of ``c_i s + beta g(s)``.

    Evaluated from the ratio ``c / beta`` only (``beta + 2 c`` would overflow for ``c`` near 1e308
    and give 0 where the answer is 1/3); it underflows to 0 only where ``s*`` is below the smallest
    float64 (5e-324).

    Args:
        c: metric coefficients ``c_i >= 0`` (broadcast with ``beta``).
        beta: KL weight, ``beta > 0``.
    """
    c = _validate.nonnegative("c", c)
    beta = _validate.positive("beta", beta)
    _validate.broadcast_shape(c=c, beta=beta)
    s_star = _ratio_and_variance(c, beta)[1]
    return s_star[()] if s_star.ndim == 0 else s_star


def _g_at_optimum(c: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """``g(s*)`` for ``s* = 1 / (1 + q)``, ``q = 2 c / beta``, for every ``c`` and ``beta`` in float64.

    ``2 g(s*) = s* - 1 - log s* = -q s* + log1p(q)``; near ``s* = 1`` (``q <= 1``) as ``x - log1p(x)``
    with ``x = s* - 1 = -q s*`` (no cancellation), below as ``(s* - 1) + log1p(q)``, with
    ``log1p(q) = log 2 + log c - log beta`` (to 1e-308 relative) where ``q`` overflows: finite
    for ``c = 1e300``, ``beta = 1e-300`` (where ``s*`` itself underflows to 0).
    """
    q, s_star = _ratio_and_variance(c, beta)
    near_one = q <= 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        log1p_q = np.where(np.isinf(q), np.log(2.0) + np.log(c) - np.log(beta), np.log1p(q))
        far = (s_star - 1.0) + log1p_q
    close = _x_minus_log1p(-np.where(near_one, q, 0.0) * s_star)
    return 0.5 * np.where(near_one, close, far)


def variance_kl(s, axis: int = -1) -> np.ndarray:
    """The variance-KL ``sum_i g(s_i)`` over ``axis`` (an empty axis gives 0: no latents, no KL)."""
    s = _latent_axis("s", _validate.positive("s", s))
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise ValueError(f"axis must be an integer, got {axis!r}")
    if not -s.ndim <= axis < s.ndim:
        raise ValueError(f"axis must lie in [{-s.ndim}, {s.ndim - 1}] for s of shape {s.shape}, got {axis}")
    return np.sum(g(s), axis=axis)


def optimal_variance_kl(c, beta) -> np.ndarray:
    """``V(beta) = sum_i g(s*_i(beta))``: the variance-KL at the optimum (NL26 Theorem 41).

    Finite for every ``c >= 0`` and ``beta > 0`` in float64 (``V ~ (d/2) log(2 c / beta)`` for
    small ``beta``, computed from logarithms where ``2 c / beta`` overflows).

    Args:
        c: coefficients, shape ``(..., d)``; the sum runs over the last axis (``d = 0`` gives 0).
        beta: scalar or array broadcastable to ``c[..., 0]``.
    """
    c = _latent_axis("c", _validate.nonnegative("c", c))
    beta = _validate.positive("beta", beta)
    beta = np.expand_dims(beta, -1)
    _validate.broadcast_shape(c=c, beta=beta)
    return np.sum(_g_at_optimum(c, beta), axis=-1)


# log beta is searched where beta is a normal float64 (full precision): [2.2e-308, 1.8e308]
_LOG_BETA_MIN = float(np.log(np.finfo(np.float64).tiny))
_LOG_BETA_MAX = float(np.log(np.finfo(np.float64).max))


def beta_for_variance_kl(c, target: float) -> float:
    """The unique ``beta > 0`` with ``sum_i g(s*_i(beta)) = target`` (NL26 Theorem 41).

    Solved with Brent's method on ``log beta``; the bracket is widened until it holds the root,
    which Theorem 41 guarantees when some ``c_i > 0``, within the normal float64 range of ``beta``.

    Raises:
        ValueError: ``target <= 0`` or not a scalar, a negative or non-finite ``c``, every
            ``c_i = 0`` (then the posterior is the prior for every ``beta`` and the variance-KL is
            identically 0), or a ``target`` whose ``beta`` lies outside float64 (below 2.2e-308
            or above 1.8e308); each message names the parameter.
    """
    c = _validate.nonnegative("c", c)
    target = _validate.scalar("target", _validate.positive("target", target))
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"c must be a non-empty 1-D array of coefficients, got shape {c.shape}")
    if not np.any(c > 0):
        raise ValueError(
            "c: every c_i is 0, so s* = 1 and the variance-KL is 0 for every beta; "
            "no beta reaches a positive target (Theorem 41 needs some c_i > 0)"
        )

    def V(log_beta: float) -> float:
        return float(np.sum(_g_at_optimum(c, np.exp(log_beta))))

    def excess(log_beta: float) -> float:
        return V(log_beta) - target

    # V decreases strictly: the targets float64 can reach lie between V(beta_max) and V(beta_min)
    if V(_LOG_BETA_MIN) < target:
        raise ValueError(f"target={target!r} needs beta below 2.2e-308 (outside float64): the variance-KL "
                         f"is {V(_LOG_BETA_MIN):.6g} there, its largest value in float64")
    if V(_LOG_BETA_MAX) > target:
        raise ValueError(f"target={target!r} needs beta above 1.8e308 (outside float64): the variance-KL "
                         f"is {V(_LOG_BETA_MAX):.6g} there, its smallest value in float64")
    mid = float(np.clip(np.log(np.max(c)), _LOG_BETA_MIN + 2.0, _LOG_BETA_MAX - 2.0))
    lo, hi = mid - 2.0, mid + 2.0
    while excess(lo) < 0:  # V(beta) -> inf as beta -> 0
        lo = max(lo - 4.0, _LOG_BETA_MIN)
    while excess(hi) > 0:  # V(beta) -> 0 as beta -> inf
        hi = min(hi + 4.0, _LOG_BETA_MAX)
    log_beta = optimize.brentq(excess, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500)
    return float(np.exp(log_beta))


_AGGREGATES = ("per_point", "mean_of_variances", "variance_of_means")


def posterior_anisotropy(s, *, aggregate: str = "per_point") -> np.ndarray:
    """Posterior anisotropy ``A_post = Var_i(log s_i)``, the population variance over latent dimensions.

    The NL26 review page does not say how ``A_post`` is aggregated over data points, so the choice
    is explicit:

    * ``"per_point"`` (default): ``Var_i log s_i`` for each row of ``s`` (shape ``(..., d)`` -> ``(...)``);
    * ``"mean_of_variances"``: ``E_x[Var_i log s_i(x)]`` over the rows of a 2-D ``s`` (n x d);
    * ``"variance_of_means"``: ``Var_i(E_x log s_i(x))`` over the rows of a 2-D ``s``.

    ``A_post = 0`` iff all ``s_i`` (of a row, or of the row means) are equal. A variance over no
    latents (``d = 0``) or a mean over no points (``n = 0``) is undefined: ``ValueError``.
    """
    if not isinstance(aggregate, str) or aggregate not in _AGGREGATES:
        raise ValueError(f"aggregate must be 'per_point', 'mean_of_variances' or 'variance_of_means', got {aggregate!r}")
    s = _latent_axis("s", _validate.positive("s", s))
    if s.shape[-1] == 0:
        raise ValueError(f"s must hold at least one latent dimension (last axis), got shape {s.shape}")
    log_s = np.log(s)
    if aggregate == "per_point":
        return np.var(log_s, axis=-1)
    if s.ndim != 2:
        raise ValueError(f"s must be 2-D (points x dimensions) for aggregate={aggregate!r}, got shape {s.shape}")
    if s.shape[0] == 0:
        raise ValueError(f"s must hold at least one point (row) for aggregate={aggregate!r}, got shape {s.shape}")
    if aggregate == "mean_of_variances":
        return np.mean(np.var(log_s, axis=1))
    return np.var(np.mean(log_s, axis=0))
