"""BS20.S32-water: a fixed decoder sigma ignores the directions whose variance is below sigma^2 (Berger & Sebag 2020,
Sec. 3.2), checked against a brute-force optimiser of the linear VAE and on the digits F-VAE.

Closed form (:func:`toyvae.theory.gaussian_codes.coded_by_sigma`): with the ELBO (beta = 1) of a Gaussian decoder
``N(W z, sigma^2 I)`` the optimal linear VAE codes exactly the principal directions with ``mu_i > sigma^2``, at rate
``sum_i (1/2) log(mu_i / sigma^2)_+``.

Oracle: the linear VAE's exact expected negative ELBO as a function of ALL its parameters ``(A, log s, W)``,

    f = [tr((I - W A) Sigma (I - W A)^T) + sum_i c_i s_i] / (2 sigma^2) + (1/2) tr(A Sigma A^T) + sum_i g(s_i),

(``c_i = |W e_i|^2``, ``g(s) = (s - 1 - log s)/2``; the constant ``(n/2) log 2 pi sigma^2`` left out) minimised by
L-BFGS from random starts with its analytic gradient, on rotated covariances, so nothing of the water-filling
structure is assumed. Coded directions of the optimiser's result: the singular values of ``W A`` (the mean
reconstruction map; at the optimum ``1 - sigma^2/mu_i`` on coded directions, 0 elsewhere) above
:data:`CODED_CUT`.

Digits: the F-VAE trained with the summed squared error (sigma^2 = 1/2, BS20.S32-mse) of
:func:`toyvae.experiments.digits.run` (BS20.T2tab / BS20.S43's runs; pixels v/16 in [0, 1]), its held-out rate beside
the Gaussian code of the training digits' covariance at sigma^2 = 1/2, and LS-VAE's (learned sigma) rate.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import optimize, stats

from toyvae.experiments import digits as dg
from toyvae.experiments.measurement import Measurement
from toyvae.profiles import Profile
from toyvae.theory import gaussian_codes as gc

__all__ = ["negative_elbo_and_gradient", "brute_force", "water_spectra", "sigma2_grid", "measure_water",
           "CODED_CUT", "digits_spectrum", "MSE_SIGMA2"]

CODED_CUT = 0.01  # singular value of W A that counts as coded (predicted: 0 or >= 0.125 on the grids below)
MSE_SIGMA2 = 0.5  # the summed squared error's sigma^2 (BS20 Sec. 3.2)


def _unpack(theta: np.ndarray, n: int, d: int):
    A = theta[: d * n].reshape(d, n)
    log_s = theta[d * n: d * n + d]
    W = theta[d * n + d:].reshape(n, d)
    return A, log_s, W


def negative_elbo_and_gradient(theta: np.ndarray, Sigma: np.ndarray, sigma2: float, d: int):
    """``f`` of the module docstring and its gradient in the flat parameters ``(A, log s, W)``."""
    n = Sigma.shape[0]
    A, log_s, W = _unpack(theta, n, d)
    s = np.exp(log_s)
    M = np.eye(n) - W @ A
    MS = M @ Sigma
    c = np.sum(W**2, axis=0)
    D = np.trace(MS @ M.T) + c @ s
    R = 0.5 * np.trace(A @ Sigma @ A.T) + 0.5 * np.sum(s - 1 - log_s)
    f = D / (2 * sigma2) + R
    gA = -(W.T @ MS) / sigma2 + A @ Sigma
    gW = (-(MS @ A.T) + W * s) / sigma2
    gls = (c * s) / (2 * sigma2) + 0.5 * (s - 1)
    return f, np.concatenate([gA.ravel(), gls, gW.ravel()])


def brute_force(Sigma: np.ndarray, sigma2: float, *, restarts: int = 2, seed: int = 0) -> dict:
    """The best of ``restarts`` L-BFGS minimisations of ``f`` from random starts (d = n latents): objective, rate,
    distortion, the singular values of ``W A`` and the number above :data:`CODED_CUT`."""
    n = Sigma.shape[0]
    rng = np.random.default_rng(seed)
    best = None
    for _ in range(restarts):
        x0 = np.concatenate([rng.normal(size=n * n) * 0.5, rng.normal(size=n) * 0.5, rng.normal(size=n * n) * 0.5])
        res = optimize.minimize(negative_elbo_and_gradient, x0, args=(Sigma, sigma2, n), jac=True, method="L-BFGS-B",
                                options={"maxiter": 20000, "maxfun": 40000, "ftol": 1e-15, "gtol": 1e-11})
        if best is None or res.fun < best.fun:
            best = res
    A, log_s, W = _unpack(best.x, n, n)
    s = np.exp(log_s)
    sv = np.linalg.svd(W @ A, compute_uv=False)
    rate = 0.5 * np.trace(A @ Sigma @ A.T) + 0.5 * np.sum(s - 1 - log_s)
    return {"objective": float(best.fun), "rate": float(rate), "singular_values": sv,
            "coded": int(np.sum(sv > CODED_CUT)), "gradient_norm": float(np.linalg.norm(best.jac))}


def water_spectra() -> dict[str, np.ndarray]:
    """The shared source's k^-2 (n = 8) and a random spectrum (n = 5, seed 7) whose consecutive variances differ by
    a factor 2^0.5 to 2^2 (so the grid of sigma^2 below keeps every direction clearly coded or not)."""
    rng = np.random.default_rng(7)
    return {"shared source (k^-2, n = 8)": np.arange(1, 9, dtype=float) ** -2.0,
            "random (n = 5)": 2.0 ** -np.cumsum(rng.uniform(0.5, 2.0, 5))}


def sigma2_grid(mu: np.ndarray) -> np.ndarray:
    """``sigma^2`` below the smallest variance, at the geometric midpoints of consecutive variances, and above the
    largest: the optimal number of coded directions is then ``n, n - 1, ..., 0``."""
    mu = np.sort(mu)
    return np.concatenate([[mu[0] / 2], np.sqrt(mu[:-1] * mu[1:]), [2 * mu[-1]]])


def digits_spectrum() -> np.ndarray:
    """Principal variances of the training digits (the 1497 images :func:`toyvae.experiments.digits.split` trains
    on), pixels v/16 in [0, 1], descending."""
    train_x, _ = dg.split()
    mu = np.linalg.eigvalsh(np.cov(np.asarray(train_x, np.float64).T))[::-1]
    return mu


def _fig(values, digits: int = 4):
    arr = np.asarray(values, dtype=np.float64)
    flat = [None if not np.isfinite(v) else float(f"{v:.{digits}g}") for v in arr.ravel().tolist()]
    return np.array(flat, dtype=object).reshape(arr.shape).tolist() if arr.ndim else flat[0]


@functools.cache
def _brute_force_grid() -> tuple:
    """``(spectrum name, mu, sigma^2, brute-force result)`` over :func:`water_spectra` and :func:`sigma2_grid`, each
    covariance a Haar-random rotation of its spectrum (seeds fixed; computed once per process)."""
    out = []
    for i, (name, mu) in enumerate(water_spectra().items()):
        n = mu.size
        Q = stats.ortho_group.rvs(n, random_state=21 + i)
        Sigma = (Q * mu) @ Q.T
        for j, s2 in enumerate(sigma2_grid(mu)):
            out.append((name, mu, float(s2), brute_force(Sigma, float(s2), seed=100 * i + j)))
    return tuple(out)


def measure_water(profile: Profile = Profile.QUICK) -> Measurement:
    """BS20.S32-water's evidence: per spectrum and sigma^2 the brute-force optimum against the closed form; the
    digits F-VAE's held-out rate beside the Gaussian code at sigma^2 = 1/2, and LS-VAE's."""
    from threadpoolctl import threadpool_limits  # scikit-learn's dependency

    count_gap, rate_gap, objective_gap, rows = [], [], [], []
    with threadpool_limits(1):  # 8x8 matrices: BLAS threads only contend (15x slower on a loaded 2-core machine)
        grid = _brute_force_grid()
    for name, mu, s2, bf in grid:
        k, R = gc.coded_by_sigma(mu, s2)
        theta = gc.water_level_of_sigma(s2)
        D = float(np.sum(np.minimum(theta, mu)))
        f_closed = D / (2 * s2) + R
        count_gap.append(bf["coded"] - k)
        rate_gap.append(abs(bf["rate"] - R))
        objective_gap.append((bf["objective"] - f_closed) / (abs(f_closed) + 1.0))
        rows.append({"spectrum": name, "sigma2": float(s2), "coded_closed": k, "coded_brute": bf["coded"],
                     "rate_closed": R, "rate_brute": bf["rate"], "gradient_norm": bf["gradient_norm"]})
    mu_d = digits_spectrum()
    k_d, R_d = gc.coded_by_sigma(np.clip(mu_d, 1e-300, None), MSE_SIGMA2)
    result = dg.run(profile)
    m = result.metrics["raw"]
    ls_sigma = result.runs["raw"].history["sigma"][result.runs["raw"].index("LS"), :, -1]
    k_ls = [gc.coded_by_sigma(np.clip(mu_d, 1e-300, None), float(s) ** 2) for s in ls_sigma]
    evidence = {
        "brute-force coded count - closed form": np.array(count_gap, float),
        "|brute-force rate - closed form|": np.array(rate_gap),
        "brute-force objective - closed-form minimum": np.array(objective_gap),
        "digits: Gaussian-code rate at sigma^2 = 1/2": np.full(len(m["F"]["rate"]), R_d),
        "digits: F-VAE rate": np.asarray(m["F"]["rate"], float),
        "digits: LS-VAE rate": np.asarray(m["LS"]["rate"], float),
        "digits: LS-VAE sigma^2": np.asarray(ls_sigma, float) ** 2,
    }
    numbers = {
        "grid": rows, "largest_rate_gap": float(max(rate_gap)), "largest_objective_gap": float(max(objective_gap)),
        "smallest_objective_gap": float(min(objective_gap)),
        "digits_scale": "pixels v/16 in [0, 1] (sklearn digits, v in 0..16), the 1497 training images",
        "digits_top_variances": [float(v) for v in mu_d[:6]], "digits_total_variance": float(mu_d.sum()),
        "digits_directions_above_half": k_d, "digits_varying_directions": int(np.sum(mu_d > 1e-12)),
        "digits_share_above_half": float(mu_d[:k_d].sum() / mu_d.sum()),
        "digits_gaussian_rate_half": R_d,
        "digits_gaussian_distortion_half": float(np.sum(np.minimum(MSE_SIGMA2, mu_d))),
        "digits_F_rate": np.asarray(m["F"]["rate"], float).tolist(),
        "digits_F_sq_err_per_image": (64 * np.asarray(m["F"]["sq_err"], float)).tolist(),
        "digits_LS_rate": np.asarray(m["LS"]["rate"], float).tolist(),
        "digits_LS_sigma": np.asarray(ls_sigma, float).tolist(),
        "digits_LS_gaussian_code": [{"directions": k, "rate": r} for k, r in k_ls],
        "seeds": list(result.plan.seeds),
    }
    figure = {
        "digits_spectrum": _fig(mu_d[mu_d > 1e-12]), "mse_sigma2": MSE_SIGMA2,
        "ls_sigma2": _fig(np.asarray(ls_sigma, float) ** 2),
        "F_rate": _fig(m["F"]["rate"]), "LS_rate": _fig(m["LS"]["rate"]), "gaussian_rate_half": R_d,
        "gaussian_rate_ls": _fig([r for _, r in k_ls]),
        "grid_sigma2": _fig([r["sigma2"] for r in rows]), "grid_closed": [r["coded_closed"] for r in rows],
        "grid_brute": [r["coded_brute"] for r in rows], "grid_spectrum": [r["spectrum"] for r in rows],
        "spectra": {name: _fig(mu) for name, mu in water_spectra().items()},
    }
    return Measurement(evidence=evidence, numbers=numbers, figure_data=figure)
