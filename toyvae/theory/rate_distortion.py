"""Exact rate-distortion of a Gaussian source under a weighted quadratic distortion, and the
closed-form rate, distortion and ELBO surgery of a linear-Gaussian VAE on Gaussian data.

Conventions (``shared/claims.md``): rates in nats; the distortion has no factor 1/2,
``d_G(x, xhat) = (x - xhat)^T G (x - xhat)`` with ``G`` symmetric positive semi-definite; the
VAE objective is ``E d_G + beta * E_x KL(q(z|x) || N(0, I))``.

Reverse water-filling (Cover & Thomas, Thm. 10.3.3, applied after the change of variables
``y = G^{1/2} x``, which turns ``d_G`` into squared error): with ``mu_i`` the eigenvalues of the
metric-weighted covariance ``G^{1/2} Sigma G^{1/2}`` and a water level ``theta > 0``,

    D(theta) = sum_i min(theta, mu_i),     R(theta) = sum_{mu_i > theta} (1/2) log(mu_i / theta).

Along the curve ``dD/dR = -2 theta``, so the minimiser of ``D + beta R`` sits at ``theta = beta / 2``
(NL26, Sec. 3 "water-filling formula (8)", under the conventions above).

Linear-Gaussian VAE (NL26 App. D; slides "ELBO surgery"): data ``x ~ N(0, Sigma)`` in R^n, encoder
``q(z|x) = N(A x, diag s)`` with ``z`` in R^d, decoder mean ``W z``. Its aggregated posterior is
``q(z) = N(0, S)`` with ``S = A Sigma A^T + diag s``, and

    rate        E_x KL(q(z|x) || p)  = (1/2) tr(A Sigma A^T) + sum_i g(s_i),
    distortion  E d_G(x, W z)        = tr(G (I - W A) Sigma (I - W A)^T) + sum_i c_i s_i,
    I_q(x; z)                        = (1/2) log det S - (1/2) sum_i log s_i,
    KL(q(z) || p(z))                 = (1/2) (tr S - d - log det S),

with ``g(s) = (s - 1 - log s)/2`` and ``c_i = (W^T G W)_ii``; rate = I_q + KL(q(z) || p(z)).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from toyvae import _validate
from toyvae.theory.linear_gaussian import g, metric_coefficients

_EPS = float(np.finfo(np.float64).eps)

__all__ = [
    "RDPoint",
    "LinearVAEParts",
    "LinearVAEParams",
    "metric_weighted_spectrum",
    "water_level",
    "reverse_water_filling",
    "rate_distortion",
    "linear_vae_parts",
    "optimal_linear_vae",
]


class RDPoint(NamedTuple):
    """One point of the reverse water-filling curve."""

    theta: np.ndarray  # water level
    rate: np.ndarray  # nats
    distortion: np.ndarray  # sum_i min(theta, mu_i)
    component_distortion: np.ndarray  # min(theta, mu_i), shape (..., n)


class LinearVAEParts(NamedTuple):
    """Closed-form averages of a linear-Gaussian VAE on ``x ~ N(0, Sigma)`` (module docstring)."""

    rate: float  # E_x KL(q(z|x) || N(0, I))
    distortion: float  # E_x E_q d_G(x, W z)
    mutual_information: float  # I_q(x; z)
    aggregate_kl: float  # KL(q(z) || N(0, I))
    variance_kl: float  # sum_i g(s_i)


class LinearVAEParams(NamedTuple):
    """A linear-Gaussian VAE: encoder mean ``A x`` (d x n), posterior variances ``s`` (d), decoder ``W`` (n x d)."""

    A: np.ndarray
    s: np.ndarray
    W: np.ndarray


def _psd(name: str, M) -> np.ndarray:
    M = _validate.as_finite(name, M)
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {M.shape}")
    if not np.allclose(M, M.T, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(M).max())):
        raise ValueError(f"{name} must be symmetric")
    # eigenvalues above -n * eps * ||M|| are rounding of a PSD matrix
    if np.linalg.eigvalsh(M).min() < -M.shape[0] * 1e-12 * max(1.0, np.abs(M).max()):
        raise ValueError(f"{name} must be positive semi-definite")
    return 0.5 * (M + M.T)


def _sqrtm_psd(M: np.ndarray) -> np.ndarray:
    w, V = np.linalg.eigh(M)
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def metric_weighted_spectrum(Sigma, G) -> np.ndarray:
    """Eigenvalues ``mu_i`` of ``G^{1/2} Sigma G^{1/2}``, descending (the spectrum that is water-filled).

    LAPACK's symmetric eigensolver is accurate to about ``eps * max_i mu_i`` in absolute terms:
    eigenvalues below that (a spectrum spanning 1e-300..1e300 in one matrix) come back as rounding
    noise, clipped at 0. Pass such a spectrum to :func:`reverse_water_filling` directly.
    """
    Sigma = _psd("Sigma", Sigma)
    G = _psd("G", G)
    if G.shape != Sigma.shape:
        raise ValueError(f"G must have the shape of Sigma {Sigma.shape}, got {G.shape}")
    R = _sqrtm_psd(G)
    mu = np.linalg.eigvalsh(R @ Sigma @ R)
    return np.clip(mu[::-1], 0.0, None)


def water_level(beta) -> np.ndarray:
    """``theta = beta / 2``: the water level at which ``D + beta R`` is minimised (module docstring)."""
    return 0.5 * _validate.positive("beta", beta)


def _spectrum(spectrum) -> np.ndarray:
    mu = _validate.nonnegative("spectrum", spectrum)
    if mu.ndim != 1 or mu.size == 0:
        raise ValueError(f"spectrum must be a non-empty 1-D array of eigenvalues, got shape {mu.shape}")
    return mu


def _half_log_ratio(top: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``log(top / theta) / 2`` for ``top >= theta > 0``, from ``log top - log theta`` where the quotient
    overflows (``top = 1e300``, ``theta = 1e-300``: 690.8, not ``inf``)."""
    with np.errstate(over="ignore"):
        ratio = top / theta
    with np.errstate(divide="ignore", invalid="ignore"):
        return 0.5 * np.where(np.isinf(ratio), np.log(top) - np.log(theta), np.log(ratio))


def reverse_water_filling(spectrum, theta) -> RDPoint:
    """``D(theta) = sum_i min(theta, mu_i)`` and ``R(theta) = sum_{mu_i > theta} log(mu_i / theta) / 2``.

    Args:
        spectrum: eigenvalues ``mu_i >= 0``, shape ``(n,)`` with ``n >= 1``.
        theta: water level(s) ``> 0``, any shape; the result has that shape.

    The rate is finite for every spectrum and level in float64 (``log(mu / theta)`` is taken from
    logarithms where the quotient overflows); a distortion sum beyond float64 is ``inf``.
    """
    mu = _spectrum(spectrum)
    theta = _validate.positive("theta", theta)
    t = theta[..., None]
    comp = np.minimum(t, mu)
    rate = np.sum(_half_log_ratio(np.maximum(mu, t), t), axis=-1)
    with np.errstate(over="ignore"):
        distortion = comp.sum(-1)
    return RDPoint(theta=theta, rate=rate, distortion=distortion, component_distortion=comp)


def rate_distortion(spectrum, D) -> np.ndarray:
    """``R(D)`` in nats for a Gaussian source with metric-weighted spectrum ``mu`` (reverse water-filling).

    ``D`` is a total (summed) distortion; ``R = 0`` for ``D >= sum_i mu_i``. The water level solves
    ``sum_i min(theta, mu_i) = D``, a piecewise-linear increasing function, inverted exactly on the
    sorted spectrum.
    """
    mu = np.sort(_spectrum(spectrum))  # ascending
    D = _validate.positive("D", D)
    n = mu.size
    # For theta in [mu_(k-1), mu_(k)] (k components below theta): D = sum_{j<k} mu_j + (n - k) theta.
    below = np.concatenate([[0.0], np.cumsum(mu)])  # below[k] = sum of the k smallest
    flat = D.ravel()
    theta = np.empty_like(flat)
    for idx, d in enumerate(flat):
        if d >= below[-1]:
            theta[idx] = np.inf
            continue
        theta[idx] = mu[-1]  # reached only if rounding lets every test below fail: then theta is mu_max
        for k in range(n):
            t = (d - below[k]) / (n - k)
            if t <= mu[k]:
                theta[idx] = t
                break
    theta = theta.reshape(D.shape)
    out = np.zeros(D.shape)
    active = np.isfinite(theta)
    if np.any(active):
        out[active] = reverse_water_filling(mu, theta[active]).rate
    return out if out.ndim else float(out)


def linear_vae_parts(params: LinearVAEParams, Sigma, G) -> LinearVAEParts:
    """Closed-form rate, distortion, ``I_q(x; z)`` and ``KL(q(z) || p(z))`` of a linear-Gaussian VAE.

    ``params`` is a :class:`LinearVAEParams` (or any triple ``(A, s, W)``) with ``A`` (d x n),
    ``s`` (d,), ``W`` (n x d); ``Sigma`` and ``G`` are n x n.
    """
    if not isinstance(params, tuple) or len(params) != 3:
        raise ValueError(f"params must be a LinearVAEParams(A, s, W), got {type(params).__name__}")
    A = _validate.as_finite("A", params[0])
    s = _validate.positive("s", params[1])
    W = _validate.as_finite("W", params[2])
    Sigma = _psd("Sigma", Sigma)
    G = _psd("G", G)
    if A.ndim != 2:
        raise ValueError(f"A must be a 2-D matrix (d x n), got shape {A.shape}")
    d, n = A.shape
    for name, arr, want in (("s", s, (d,)), ("W", W, (n, d)), ("Sigma", Sigma, (n, n)), ("G", G, (n, n))):
        if arr.shape != want:
            raise ValueError(f"{name} must have shape {want} to fit A {A.shape}, got {arr.shape}")
    mean_cov = A @ Sigma @ A.T
    S = mean_cov + np.diag(s)
    _, logdet_S = np.linalg.slogdet(S)
    var_kl = float(np.sum(g(s)))
    rate = 0.5 * np.trace(mean_cov) + var_kl
    R = np.eye(n) - W @ A
    distortion = np.trace(G @ R @ Sigma @ R.T) + float(np.sum(metric_coefficients(W, G) * s))
    mi = 0.5 * logdet_S - 0.5 * np.sum(np.log(s))
    agg = 0.5 * (np.trace(S) - d - logdet_S)
    return LinearVAEParts(float(rate), float(distortion), float(mi), float(agg), var_kl)


def optimal_linear_vae(Sigma, G, beta, d: int | None = None) -> LinearVAEParams:
    """A minimiser of ``E d_G + beta * rate`` over linear-Gaussian VAEs with ``d`` latents.

    Built from reverse water-filling at ``theta = beta / 2`` in the eigenbasis ``U`` of
    ``G^{1/2} Sigma G^{1/2} = U diag(mu) U^T`` (``G`` positive definite): latent ``i`` codes
    ``y_i = u_i^T G^{1/2} x`` with posterior variance ``s_i = min(theta / mu_i, 1)``, encoder gain
    ``a_i = sqrt((1 - s_i) / mu_i)`` (so the aggregated posterior is the prior) and decoder
    ``W e_i = G^{-1/2} u_i a_i mu_i``. With ``d`` below the number of active components the
    ``d`` largest are kept (the constrained optimum). Its rate and distortion are the water-filling
    values, ``R(theta)`` and ``D(theta)``.

    Range: every coded component needs ``theta / mu_i >= eps`` (float64's 2.2e-16), else ValueError naming
    ``beta``. Below it the float64 gains ``a_i``, ``w_i`` cannot represent the optimum: ``1 - w_i a_i``,
    which should be ``theta / mu_i``, is rounding of size eps, and the distortion it causes, up to
    ``eps^2 mu_i``, exceeds ``theta`` (a spectrum 1e150..1e-150 at ``beta = 1`` gave 1.2e118 for 1.0).
    At and above it the rate and distortion of the returned parameters are the water-filling values to
    a few eps relative, at any scale of the spectrum.
    """
    Sigma = _psd("Sigma", Sigma)
    G = _psd("G", G)
    if G.shape != Sigma.shape:
        raise ValueError(f"G must have the shape of Sigma {Sigma.shape}, got {G.shape}")
    theta = _validate.scalar("beta", water_level(beta))
    n = Sigma.shape[0]
    d = n if d is None else int(_validate.dimension("d", d, minimum=1))
    wG, VG = np.linalg.eigh(G)
    if wG.min() <= 0:
        raise ValueError("G must be positive definite for optimal_linear_vae")
    G_half = (VG * np.sqrt(wG)) @ VG.T
    G_mhalf = (VG / np.sqrt(wG)) @ VG.T
    mu, U = np.linalg.eigh(G_half @ Sigma @ G_half)
    order = np.argsort(mu)[::-1]
    mu, U = np.clip(mu[order], 1e-300, None), U[:, order]
    A = np.zeros((d, n))
    W = np.zeros((n, d))
    s = np.ones(d)
    for i in range(min(d, n)):
        if mu[i] > theta:
            s[i] = theta / mu[i]
            if s[i] < _EPS:
                raise ValueError(f"beta={2 * theta!r} is too small for an eigenvalue {mu[i]:.3g}: the posterior "
                                 f"variance theta / mu = {theta:.3g} / {mu[i]:.3g} is below float64's resolution "
                                 f"{_EPS:.3g}, so float64 gains cannot hold the optimum (1 - w a would be rounding, "
                                 f"and the distortion off by up to eps^2 mu)")
            a = np.sqrt((1.0 - s[i]) / mu[i])
            A[i] = a * (U[:, i] @ G_half)
            W[:, i] = G_mhalf @ U[:, i] * a * mu[i]
    return LinearVAEParams(A=A, s=s, W=W)
