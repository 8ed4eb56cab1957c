"""Power of the rules' tests at a given number of seeds (exact, from Student's t and chi-square laws).

Seeds are independent replications, so every rule's test statistic is a one-sample Student t over
seeds. For a per-seed difference ``d ~ N(delta, sd^2)`` and ``n`` seeds:

* :func:`ordering_power` -- probability that the two-sided test at level ``alpha`` says HOLDS
  (``t > t_{1-alpha/2, n-1}``) when the true mean difference is ``delta`` (noncentral t with
  noncentrality ``delta sqrt(n) / sd``).
* :func:`equivalence_power` -- probability that two one-sided tests at level ``alpha`` (TOST) put the
  mean inside ``(-margin, margin)``: given the sample standard deviation ``s``, HOLDS iff
  ``|mean - 0| < margin - t_{1-alpha, n-1} s / sqrt(n)``; the mean is normal and ``(n-1) s^2 / sd^2``
  is chi-square with ``n - 1`` degrees of freedom, so the probability is one integral over ``s``.
* :func:`seeds_for_power` -- the smallest ``n`` whose power reaches a target (80% by default), by
  bisection (power grows with ``n``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.stats

__all__ = ["ordering_power", "equivalence_power", "noninferiority_power", "seeds_for_power"]


def _check(n: int, sd: float) -> None:
    if int(n) != n or n < 2:
        raise ValueError(f"power needs at least 2 seeds, got n={n!r}")
    if not (np.isfinite(sd) and sd > 0):
        raise ValueError(f"power needs a positive finite seed standard deviation, got sd={sd!r}")


def ordering_power(n: int, delta: float, sd: float, alpha: float = 0.05) -> float:
    """P(two-sided paired t at level ``alpha`` says HOLDS | true mean difference ``delta``)."""
    _check(n, sd)
    crit = scipy.stats.t.ppf(1 - alpha / 2, n - 1)
    return float(scipy.stats.nct.sf(crit, n - 1, delta * np.sqrt(n) / sd))


def noninferiority_power(n: int, delta: float, margin: float, sd: float, alpha: float = 0.05) -> float:
    """P(one-sided test at ``alpha`` says the mean exceeds ``-margin`` | true mean ``delta``)."""
    _check(n, sd)
    crit = scipy.stats.t.ppf(1 - alpha, n - 1)
    return float(scipy.stats.nct.sf(crit, n - 1, (delta + margin) * np.sqrt(n) / sd))


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(128)


def equivalence_power(n: int, margin: float, sd: float, delta: float = 0.0, alpha: float = 0.05) -> float:
    """P(TOST at ``alpha`` says ``|mean| < margin`` | true mean ``delta``).

    One integral over the sample standard deviation ``s`` (128-node Gauss-Legendre where the law of ``s`` has its
    mass and the test can pass, ``s < margin sqrt(n) / t_{1-alpha, n-1}``; tests compare it with simulation).
    """
    _check(n, sd)
    if margin <= 0:
        return 0.0
    df = n - 1
    crit = scipy.stats.t.ppf(1 - alpha, df)
    s_max = margin * np.sqrt(n) / crit  # beyond it the interval cannot fit inside the margin
    # where the law of s has all but 1e-12 of its mass (for many seeds it is a narrow peak about sd)
    s_lo = sd * np.sqrt(scipy.stats.chi2.ppf(1e-12, df) / df)
    s_hi = min(s_max, sd * np.sqrt(scipy.stats.chi2.isf(1e-12, df) / df))
    if s_hi <= s_lo:
        return 0.0
    s = s_lo + 0.5 * (s_hi - s_lo) * (_NODES + 1.0)
    half = margin - crit * s / np.sqrt(n)
    se = sd / np.sqrt(n)
    p = scipy.stats.norm.cdf((half - delta) / se) - scipy.stats.norm.cdf((-half - delta) / se)
    # density of s: (n-1) s^2 / sd^2 ~ chi2(df)  =>  f(s) = chi2.pdf(df s^2 / sd^2) * 2 df s / sd^2
    density = scipy.stats.chi2.pdf(df * s * s / sd**2, df) * 2 * df * s / sd**2
    value = 0.5 * (s_hi - s_lo) * float(np.sum(_WEIGHTS * p * density))
    return float(min(max(value, 0.0), 1.0))


def seeds_for_power(power: Callable[[int], float], target: float = 0.8, n_max: int = 1000) -> int | None:
    """The smallest ``n >= 2`` with ``power(n) >= target``; None when even ``n_max`` seeds fall short."""
    if power(n_max) < target:
        return None
    lo, hi = 1, n_max  # power(lo) < target <= power(hi); power grows with n (bisection)
    if power(2) >= target:
        return 2
    lo = 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if power(mid) >= target else (mid, hi)
    return hi
