"""Gaussian codes of a Gaussian source in closed form: the ELBO line of the optimal decoder sigma, the components a
fixed sigma codes, and truncated principal-component codes against reverse water-filling (float64, nats).

Notation (``toyvae.theory.rate_distortion``): a source ``x ~ N(0, Sigma)`` in R^n with principal variances
``mu_1 >= ... >= mu_n > 0``; reverse water-filling at level ``theta`` gives each component the squared error
``d_i = min(theta, mu_i)``, total distortion ``D = sum_i d_i`` (squared error, no factor 1/2) and rate
``R = sum_i (1/2) log(mu_i / d_i)``.

**The ELBO line** (SL slides "Decoupling sigma_x and beta"; Alemi et al. 2018, "Fixing a broken ELBO"). A Gaussian
decoder ``N(x_hat, sigma^2 I)`` at its optimal ``sigma^2 = D/n`` has the negative ELBO

    -ELBO(sigma*) = R + (n/2) log(2 pi e D / n),

and since ``h(X) = (1/2) sum_i log(2 pi e mu_i)``, on the water-filling curve

    -ELBO(sigma*) - h(X) = (n/2) [log mean_i d_i - mean_i log d_i] >= 0,

``n/2`` times the log of the arithmetic over the geometric mean of the component errors (``proofs/sl_linrd.py``):
zero while every component is coded (all ``d_i = theta``), positive once one is dropped. For any model the negative
ELBO is at least ``h(X)`` (Gibbs' inequality): ``R + (n/2) log(2 pi e D/n) = h(X)`` is Alemi et al.'s boundary,
a straight line of slope -1 in the plane of rate against the reconstruction term.

**Details below sigma** (Berger & Sebag 2020, Sec. 3.2). A fixed-sigma Gaussian decoder with KL weight ``beta`` has
the loss ``|x - x_hat|^2 / (2 sigma^2) + beta KL + const``, i.e. ``(1 / 2 sigma^2)(D + 2 beta sigma^2 R)``: the
beta-VAE of ``D + beta' R`` with ``beta' = 2 beta sigma^2``, whose water level is ``theta = beta'/2 = beta sigma^2``.
A principal direction is coded iff its variance exceeds ``beta sigma^2`` (``sigma^2`` for the ELBO, beta = 1).

**Truncated principal-component codes** (MB Sec. 5's PCA analogy; NL26 Sec. 3.2). A code that keeps the top ``k``
components, each with the same squared error ``delta``, and drops the rest, has at total distortion ``D`` the
error ``delta = (D - tail_k)/k`` per kept component (``tail_k = sum_{i > k} mu_i``; possible iff
``tail_k < D``) and rate ``sum_{i <= k} (1/2) log(mu_i / delta)_+``; reverse water-filling is the optimum it is
compared with.
"""

from __future__ import annotations

import numpy as np

from toyvae import _validate

__all__ = ["gaussian_entropy", "negative_elbo_optimal_sigma", "elbo_line_excess", "water_level_of_sigma",
           "coded_by_sigma", "variance_share", "top_k_rate", "bottom_components_to_match"]


def _spectrum(spectrum) -> np.ndarray:
    mu = _validate.positive("spectrum", spectrum)
    if mu.ndim != 1 or mu.size == 0:
        raise ValueError(f"spectrum must be a non-empty 1-D array of variances, got shape {mu.shape}")
    return np.sort(mu)[::-1]


def _variances(spectrum) -> np.ndarray:
    """A non-negative spectrum with a positive sum (a sample covariance may have zero eigenvalues), descending."""
    mu = _validate.nonnegative("spectrum", spectrum)
    if mu.ndim != 1 or mu.size == 0 or not mu.sum() > 0:
        raise ValueError(f"spectrum must be a non-empty 1-D array of variances >= 0 with a positive sum, got shape "
                         f"{mu.shape}")
    return np.sort(mu)[::-1]


def gaussian_entropy(spectrum) -> float:
    """``h(X) = (1/2) sum_i log(2 pi e mu_i)`` in nats for ``N(0, Sigma)`` with principal variances ``mu``."""
    mu = _spectrum(spectrum)
    return float(0.5 * np.sum(np.log(2 * np.pi * np.e * mu)))


def negative_elbo_optimal_sigma(rate, distortion, n: int):
    """``R + (n/2) log(2 pi e D / n)``: the negative ELBO of a Gaussian decoder at its optimal ``sigma^2 = D/n``
    (``D`` the expected total squared error over ``n`` coordinates)."""
    n = int(_validate.dimension("n", n, minimum=1))
    R = _validate.as_finite("rate", rate)
    D = _validate.positive("distortion", distortion)
    return R + 0.5 * n * np.log(2 * np.pi * np.e * D / n)


def elbo_line_excess(spectrum, theta) -> np.ndarray:
    """``-ELBO(sigma*) - h(X)`` on the water-filling curve at level(s) ``theta``, as ``(n/2)(log mean d - mean log d)``
    with ``d_i = min(theta, mu_i)`` (module docstring); the same shape as ``theta``, >= 0."""
    mu = _spectrum(spectrum)
    theta = _validate.positive("theta", theta)
    d = np.minimum(theta[..., None], mu)
    n = mu.size
    log_d = np.log(d)
    top = log_d.max(-1, keepdims=True)  # log mean d, from the largest term (no overflow at any scale)
    log_mean = top[..., 0] + np.log(np.mean(np.exp(log_d - top), axis=-1))
    return np.maximum(0.5 * n * (log_mean - log_d.mean(-1)), 0.0)  # AM >= GM; max() clips rounding below 0


def water_level_of_sigma(sigma2, beta=1.0) -> float:
    """``theta = beta sigma^2``: the water level of a fixed-sigma Gaussian decoder with KL weight ``beta``."""
    return float(_validate.scalar("sigma2", _validate.positive("sigma2", sigma2))
                 * _validate.scalar("beta", _validate.positive("beta", beta)))


def coded_by_sigma(spectrum, sigma2, beta=1.0) -> tuple[int, float]:
    """``(number of coded principal directions, rate in nats)`` of the optimal fixed-sigma linear VAE: the
    directions with ``mu_i > beta sigma^2``, and ``R = sum_i (1/2) log(mu_i / (beta sigma^2))_+``."""
    mu = _spectrum(spectrum)
    theta = water_level_of_sigma(sigma2, beta)
    coded = mu > theta
    return int(coded.sum()), float(0.5 * np.sum(np.log(mu[coded] / theta)))


def variance_share(spectrum) -> np.ndarray:
    """Cumulative share of the total variance held by the top ``k = 1..n`` principal components."""
    mu = _variances(spectrum)
    return np.cumsum(mu) / mu.sum()


def top_k_rate(spectrum, k: int, distortion) -> float:
    """Rate (nats) of the code that keeps the top ``k`` components with a common squared error and drops the rest,
    at total distortion ``D`` (module docstring); ``inf`` where the dropped tail alone exceeds ``D``."""
    mu = _spectrum(spectrum)
    k = int(_validate.dimension("k", k, minimum=1))
    if k > mu.size:
        raise ValueError(f"k must be at most the number of components {mu.size}, got {k}")
    D = float(_validate.scalar("distortion", _validate.positive("distortion", distortion)))
    tail = float(mu[k:].sum())
    if tail >= D:
        return float("inf")
    delta = (D - tail) / k
    return float(0.5 * np.sum(np.log(np.maximum(mu[:k] / delta, 1.0))))


def bottom_components_to_match(spectrum, k_top: int) -> int | None:
    """MB Sec. 5's PCA analogy: the number of bottom components whose variance (the squared error their removal
    saves) adds up to at least that of the top ``k_top``; None when all the rest together hold less."""
    mu = _variances(spectrum)
    k_top = int(_validate.dimension("k_top", k_top, minimum=1))
    target = mu[:k_top].sum()
    bottom = np.cumsum(mu[k_top:][::-1])
    hit = np.nonzero(bottom >= target)[0]
    return int(hit[0] + 1) if hit.size else None
