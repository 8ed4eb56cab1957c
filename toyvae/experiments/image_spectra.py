"""NL26.Spectrum and MB.S5-pca: the principal-component spectra of the natural-image data the package uses, and
Gaussian codes of those spectra (NL26 Sec. 3.2, Fig. 7 caption; MB Sec. 5, the PCA analogy).

Data (no download), each with three replicates:

* **patches**: 8x8 grey patches of scikit-learn's two sample photos drawn as the patch VAEs of NL26.C1 / SL draw
  theirs (:func:`toyvae.data.patches.image_patches`, 5000 per set, seeds 0, 1, 2), standardised by one global scale
  (the shape of the spectrum kept);
* **crops**: every 16x16x3 colour crop (stride 1, no flips; pixels k/255) of each photo of :mod:`toyvae.data.photos`
  at the 16-pixel scale (the photo shrunk 4x, so a crop spans the field of a 64-pixel crop): china and flower,
  which SCALE trains on, and the held-out grace_hopper; one spectrum per photo (13340 to 15225 crops each).

Per set: the principal variances ``mu`` (sample covariance), the share of the variance in the top ``k``, the number
of components that hold 50/90/99%, and MB's count: how many bottom components hold as much variance as the top
``k'`` (:func:`toyvae.theory.gaussian_codes.bottom_components_to_match`). Gaussian codes of each spectrum at total
distortions ``D`` = 50, 20, 10, 5, 2% of the variance: reverse water-filling's ``R(D)`` against the code that keeps
the top ``k`` components with a common error (every ``k`` that reaches ``D``), and, on the seed-0 patches, against
a brute-force minimisation of the Gaussian rate over the per-component errors (SLSQP). No verdicts.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import optimize

from toyvae.data import patches, photos
from toyvae.experiments._cache import cached
from toyvae.experiments.measurement import Measurement
from toyvae.profiles import Profile
from toyvae.theory import gaussian_codes as gc
from toyvae.theory import rate_distortion as rd

__all__ = ["spectra", "set_names", "D_FRACTIONS", "K_TOP", "brute_force_rate", "measure_spectra",
           "PATCH_N", "CROP_SIZE", "CROP_STRIDE", "BOTTOM_CAP_NOTE"]

PATCH_N = 5_000
PATCH_SIZE = 8
CROP_SIZE = 16
CROP_STRIDE = 1
D_FRACTIONS = (0.5, 0.2, 0.1, 0.05, 0.02)
K_TOP = (1, 2, 3)  # MB's k' (the "top few")
BOTTOM_CAP_NOTE = ("where even all the other components together hold less than the top k', the count is recorded "
                   "as d - k' + 1 (more than all of them)")


def set_names() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(patch sets, crop sets): their names, the replicates of each kind."""
    return (tuple(f"patches, seed {s}" for s in (0, 1, 2)),
            tuple(f"crops, {p}" for p in photos.TRAIN_PHOTOS + photos.HELD_OUT_PHOTOS))


@functools.cache
def spectra() -> dict[str, np.ndarray]:
    """Principal variances (descending, rounding below 0 clipped to 0) of each data set (module docstring)."""
    from threadpoolctl import threadpool_limits  # scikit-learn's dependency

    out = {}
    with threadpool_limits(1):  # BLAS threads only contend on the shared 2-core machine (10-90x slower)
        for name, s in zip(set_names()[0], (0, 1, 2)):
            out[name] = patches.covariance_spectrum(np.asarray(patches.image_patches(PATCH_N, PATCH_SIZE, seed=s),
                                                               np.float64))
        for name, p in zip(set_names()[1], photos.TRAIN_PHOTOS + photos.HELD_OUT_PHOTOS):
            x = photos.grid_crops((p,), size=CROP_SIZE, stride=CROP_STRIDE).reshape(-1, 3 * CROP_SIZE**2) / 255.0
            out[name] = patches.covariance_spectrum(x)
    return {k: np.clip(v, 0.0, None) for k, v in out.items()}


def _count_for_share(mu: np.ndarray, p: float) -> int:
    return int(np.searchsorted(gc.variance_share(mu), p) + 1)


def brute_force_rate(mu: np.ndarray, D: float) -> float:
    """``min sum_i (1/2) log(mu_i / d_i)`` over ``0 < d_i <= mu_i`` with ``sum_i d_i = D`` by SLSQP on ``log d_i``
    (no water-filling formula; start: the same fraction ``D / sum(mu)`` of every variance)."""
    mu = np.asarray(mu, np.float64)
    log_mu = np.log(mu)
    x0 = log_mu + np.log(D / mu.sum())
    cons = {"type": "eq", "fun": lambda v: (np.exp(v).sum() - D) / D, "jac": lambda v: np.exp(v) / D}
    res = optimize.minimize(lambda v: 0.5 * np.sum(log_mu - v), x0, jac=lambda v: -0.5 * np.ones_like(v),
                            bounds=[(None, b) for b in log_mu], constraints=[cons], method="SLSQP",
                            options={"ftol": 1e-14, "maxiter": 1000})
    return float(res.fun)


def _fig(values, digits: int = 4):
    arr = np.asarray(values, dtype=np.float64)
    flat = [None if not np.isfinite(v) else float(f"{v:.{digits}g}") for v in arr.ravel().tolist()]
    return np.array(flat, dtype=object).reshape(arr.shape).tolist() if arr.ndim else flat[0]


@cached
def measure_spectra(profile: Profile = Profile.QUICK) -> Measurement:
    """Both claims' evidence (leading axis: the three replicates of a kind; module docstring). ``profile`` is
    accepted for a uniform interface: nothing here is trained (cached: both claims read it)."""
    specs = spectra()
    kinds = dict(zip(("patches", "crops"), set_names()))
    evidence, numbers, figure = {}, {"sets": {}}, {"shares": {}, "spectra": {}, "codes": {}}
    below_wf, at_wf, oracle_gap = [], [], []
    for kind, names in kinds.items():
        tenth, ratios = [], {k: [] for k in K_TOP}
        for name in names:
            mu = specs[name]
            d = mu.size
            pos = mu[mu > 0]
            tenth.append(float(gc.variance_share(mu)[int(np.ceil(d / 10)) - 1]))
            row = {"dimension": d, "share_top_1": float(gc.variance_share(mu)[0]),
                   "share_top_3": float(gc.variance_share(mu)[2]), "share_top_10": float(gc.variance_share(mu)[9]),
                   "share_top_tenth": tenth[-1], **{f"components_for_{int(p * 100)}%": _count_for_share(mu, p)
                                                    for p in (0.5, 0.9, 0.99)}}
            for k in K_TOP:
                b = gc.bottom_components_to_match(pos, k)
                ratios[k].append((d - k + 1 if b is None else b) / k)
                row[f"bottom_components_to_match_top_{k}"] = b
            codes = []
            for f in D_FRACTIONS:
                D = f * float(mu.sum())
                R = float(rd.rate_distortion(pos, D))
                theta = _water_level(pos, D)
                k_wf = int(np.sum(pos > theta))
                tops = _top_k_rates(pos, D)
                finite = np.isfinite(tops)
                below_wf.append(float(np.min(tops[finite]) - R))
                at_wf.append(abs(gc.top_k_rate(pos, k_wf, D) - R))
                double = min(2 * k_wf, pos.size)
                k_min = int(np.argmax(finite) + 1)
                codes.append({"fraction": f, "R_water_filling": R, "k_water_filling": k_wf,
                              "R_top_2k": gc.top_k_rate(pos, double, D), "k_min": k_min,
                              "R_top_kmin": gc.top_k_rate(pos, k_min, D)})
                if name == names[0] and kind == "patches":
                    oracle_gap.append(abs(brute_force_rate(pos, D) - R) / (R + 1.0))
            row["codes"] = codes
            numbers["sets"][name] = row
            figure["shares"][name] = _fig(gc.variance_share(mu)[: min(d, 200)])
            figure["spectra"][name] = _fig(mu[: min(d, 200)] / mu.sum())
            figure["codes"][name] = codes
        evidence[f"{kind}: share of the top tenth of components"] = np.array(tenth)
        for k in K_TOP:
            evidence[f"{kind}: bottom components per top component, k' = {k}"] = np.array(ratios[k])
    evidence["top-k code rate minus R(D), best k"] = np.array(below_wf)
    evidence["top-k code at the water-filling count minus R(D)"] = np.array(at_wf)
    evidence["R(D) vs brute-force minimum (relative)"] = np.array(oracle_gap)
    numbers.update({"d_fractions": list(D_FRACTIONS), "k_top": list(K_TOP), "bottom_cap": BOTTOM_CAP_NOTE,
                    "patch_n": PATCH_N, "crop_size": CROP_SIZE, "crop_stride": CROP_STRIDE,
                    "oracle_gap_max": float(max(oracle_gap)), "below_wf_min": float(min(below_wf)),
                    "at_wf_max": float(max(at_wf))})
    figure["d_fractions"] = list(D_FRACTIONS)
    return Measurement(evidence=evidence, numbers=numbers, figure_data=figure)


def _top_k_rates(mu: np.ndarray, D: float) -> np.ndarray:
    """The rates of the top-k codes for every ``k = 1..n`` at once (``inf`` where the dropped tail exceeds ``D``):
    :func:`toyvae.theory.gaussian_codes.top_k_rate` vectorised over ``k``."""
    n = mu.size
    k = np.arange(1, n + 1)
    tail = mu.sum() - np.cumsum(mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = (D - tail) / k
        ratio = np.where(np.arange(n)[None, :] < k[:, None], mu[None, :] / delta[:, None], 1.0)
        rates = 0.5 * np.sum(np.log(np.maximum(ratio, 1.0)), axis=1)
    return np.where(tail < D, rates, np.inf)


def _water_level(mu: np.ndarray, D: float) -> float:
    """The water level ``theta`` with ``sum_i min(theta, mu_i) = D`` (bisection on a monotone function)."""
    return float(optimize.brentq(lambda t: np.minimum(t, mu).sum() - D, 0.0, float(mu.max()), xtol=1e-300,
                                 rtol=4 * np.finfo(float).eps))
