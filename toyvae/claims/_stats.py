"""The statistics every trained verdict uses: seeds are the unit of evidence.

* :func:`ordering` — is ``a > b``? The paired (same-seed: common random numbers) differences over
  seeds, their t statistic against the two-sided 95% Student-t quantile with n - 1 degrees of
  freedom: "holds" above it, "reversed" below minus it, "unresolved" in between (a 5% false call
  per ordering for normal seed noise).
* :func:`equivalence` — is a per-seed quantity equal to a target within a stated margin? The 95%
  confidence interval of its mean over seeds (Student t): inside ``[-margin, margin]``:
  "equivalent"; entirely outside: "different"; otherwise "unresolved" (two one-sided tests).
* :func:`trend` — is a recorded history still drifting at the end? The window is cut into batches
  (means of consecutive blocks, nearly independent), and the least-squares slope of the batch means
  over time is compared with its standard error: |t| below the 95% quantile: "settled".
"""

from __future__ import annotations

import numpy as np
import scipy.stats

__all__ = ["T_LEVEL", "t_critical", "paired_t", "ordering", "equivalence", "trend", "mean_se"]

T_LEVEL = 0.975  # two-sided 95%


def t_critical(n: int) -> float:
    """Two-sided 95% Student-t quantile for the mean of ``n`` values (``n - 1`` degrees of freedom)."""
    return float(scipy.stats.t.ppf(T_LEVEL, n - 1)) if n > 1 else float("inf")


def mean_se(values) -> tuple[float, float]:
    """Mean and standard error over the first axis (seeds)."""
    v = np.asarray(values, np.float64)
    se = v.std(axis=0, ddof=1) / np.sqrt(v.shape[0]) if v.shape[0] > 1 else np.zeros_like(v[0])
    return v.mean(axis=0), se


def paired_t(a, b) -> float:
    """t statistic of the mean of the per-seed differences ``a - b`` (+-inf when they never vary)."""
    d = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    if d.size < 2:
        return float(np.sign(d.mean()) * np.inf) if d.mean() != 0 else 0.0
    se = d.std(ddof=1) / np.sqrt(d.size)
    return float(d.mean() / se) if se > 0 else float(np.sign(d.mean()) * np.inf)


def ordering(a, b) -> tuple[str, float]:
    """("holds" | "reversed" | "unresolved", t) for the claim ``a > b`` over paired seeds."""
    t = paired_t(a, b)
    crit = t_critical(np.asarray(a).size)
    return ("holds" if t > crit else "reversed" if t < -crit else "unresolved"), t


def equivalence(values, margin: float) -> tuple[str, float, float]:
    """("equivalent" | "different" | "unresolved", low, high): the 95% CI of the mean of ``values``
    (per seed, already centred on the target: e.g. log(measured / predicted)) against ``[-margin, margin]``."""
    v = np.asarray(values, np.float64).ravel()
    m = float(v.mean())
    half = t_critical(v.size) * (v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("inf")
    lo, hi = m - half, m + half
    if -margin <= lo and hi <= margin:
        return "equivalent", lo, hi
    if hi < -margin or lo > margin:
        return "different", lo, hi
    return "unresolved", lo, hi


def trend(history, batches: int = 10) -> tuple[bool, float, float]:
    """(settled, t of the slope, relative drift over the window) of a 1-D recorded history window.

    ``drift`` is slope x window length / mean: the relative change a straight line through the
    batch means makes over the window.
    """
    h = np.asarray(history, np.float64).ravel()
    if h.size < 2 * batches:
        raise ValueError(f"need at least {2 * batches} records for {batches} batches, got {h.size}")
    n = h.size - h.size % batches
    means = h[-n:].reshape(batches, -1).mean(axis=1)
    t_axis = np.arange(batches, dtype=np.float64)
    fit = scipy.stats.linregress(t_axis, means)
    t = float(fit.slope / fit.stderr) if fit.stderr > 0 else (0.0 if fit.slope == 0 else float(np.inf))
    drift = float(fit.slope * batches / means.mean()) if means.mean() != 0 else float("nan")
    return abs(t) < float(scipy.stats.t.ppf(T_LEVEL, batches - 2)), t, drift
