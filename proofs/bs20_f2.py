"""BS20 Figure 2: the D = 2 case in closed form, and where its maximum leaves r = 0.

For ``D = 2`` the angular integral of eq. (8) is ``int_0^pi e^{a cos phi} dphi = pi I_0(a)``, derived term
by term: odd powers of ``cos`` integrate to 0, even ones give Wallis' integral
``int_0^pi cos^{2m} = pi (2m)! / (4^m (m!)^2)``, and ``a^{2m} / (2m)!`` times it is ``pi (a/2)^{2m} / (m!)^2``,
the ``m``-th term of ``pi I_0(a)``. So, with ``a = r R / sigma^2``,

    log p(r) = -r^2 / (2 sigma^2) + log I_0(r R / sigma^2) + const,

whose curvature at ``r = 0`` is ``(R^2 / (2 sigma^2) - 1) / sigma^2``: the maximum leaves ``r = 0`` at
``R / sigma = sqrt(2)`` (the paper's "R/sigma ~ sqrt 2"; it is exact, the D = 2 case of R / sqrt(D)).
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from scipy import special

from toyvae.proofs._derivation import Derivation, Steps, max_relative

__all__ = ["derive", "check_against_library"]

phi = sp.Symbol("phi", real=True)
a, R, sigma = sp.symbols("a R sigma", positive=True)
r = sp.Symbol("r", nonnegative=True)
m = sp.Symbol("m", integer=True, nonnegative=True)


@functools.cache
def derive() -> Derivation:
    steps = Steps()
    odd = sp.cos(phi) ** (2 * m + 1)
    steps.equal(odd.subs(phi, sp.pi - phi), -odd, "odd powers of cos integrate to 0 on [0, pi] (phi -> pi - phi)")
    wallis = sp.pi * sp.factorial(2 * m) / (4**m * sp.factorial(m) ** 2)
    beta = sp.gamma(sp.Rational(1, 2)) * sp.gamma(m + sp.Rational(1, 2)) / sp.gamma(m + 1)
    steps.equal(beta, wallis, "int_0^pi cos^{2m} = B(1/2, m + 1/2) = pi (2m)! / (4^m (m!)^2) (Wallis)")
    for m_val in range(4):
        steps.equal(sp.integrate(sp.cos(phi) ** (2 * m_val), (phi, 0, sp.pi)), wallis.subs(m, m_val),
                    f"exact integral of cos^{2 * m_val} over [0, pi] matches Wallis' formula")
    term = a ** (2 * m) / sp.factorial(2 * m) * wallis
    steps.equal(term, sp.pi * (a / 2) ** (2 * m) / sp.factorial(m) ** 2,
                "term m of the expansion of int e^{a cos} is term m of pi I_0(a) = pi sum (a/2)^{2m} / (m!)^2")
    steps.equal(sp.summation(sp.pi * (a / 2) ** (2 * m) / sp.factorial(m) ** 2, (m, 0, sp.oo)), sp.pi * sp.besseli(0, a),
                "the series sums to pi I_0(a)")
    log_p = -(r**2) / (2 * sigma**2) + sp.log(sp.besseli(0, r * R / sigma**2))  # = log p(r) - log p(0), since I_0(0) = 1
    # curvature from the series of I_0: I_0(a) = 1 + a^2/4 + O(a^4)
    series_log_p = -(r**2) / (2 * sigma**2) + sp.log(1 + (r * R / sigma**2) ** 2 / 4)
    curvature = sp.diff(series_log_p, r, 2).subs(r, 0)
    steps.equal(curvature, (R**2 / (2 * sigma**2) - 1) / sigma**2,
                "curvature at r = 0 is (R^2 / (2 sigma^2) - 1) / sigma^2")
    transition = sp.solve(sp.Eq(curvature.subs(R, sp.Symbol("k", positive=True) * sigma), 0), sp.Symbol("k", positive=True))
    steps.equal(transition[0], sp.sqrt(2), "it changes sign at R / sigma = sqrt(2)")
    # numeric spot-check of where the maximiser over r leaves 0 (dense grid in r / sigma)
    rr = np.linspace(0.0, 4.0, 4001)
    def argmax(k):  # R / sigma = k, sigma = 1
        return rr[np.argmax(-rr**2 / 2 + np.log(special.i0(rr * k)))]
    leaves = [argmax(k) for k in (1.30, 1.40, 1.43, 1.50)]
    steps.numeric(float(leaves[0] + leaves[1]) + float(leaves[2] <= 0) + float(leaves[3] <= 0), 0.0,
                  "grid argmax over r / sigma is 0 at R/sigma = 1.30, 1.40 and positive at 1.43, 1.50")
    results = {"angular_integral": sp.pi * sp.besseli(0, a), "log_marginal": log_p, "curvature_at_zero": curvature,
               "transition_R_over_sigma": transition[0]}
    return steps.finish("bs20_f2", ("BS20.F2",), results)


def check_against_library() -> float:
    """Lambdified ``-r^2/(2 s^2) + log I_0(r R / s^2)`` vs ``hypersphere.log_marginal(r, R, s, 2)`` (which is
    relative to r = 0, where log I_0 = 0, so the two must agree exactly), and the transition
    ``sqrt(2) sigma`` vs ``sharp_threshold(R, 2)``."""
    from toyvae.theory import hypersphere

    res = derive().results
    f = sp.lambdify((r, R, sigma), res["log_marginal"], modules=["scipy", "numpy"])
    worst = 0.0
    for k in (0.5, 1.0, 1.4142, 2.0, 3.0):
        for r_over_sigma in (0.2, 0.7, 1.5, 3.0):
            sigma_val = 0.8
            worst = max(worst, max_relative(f(r_over_sigma * sigma_val, k * sigma_val, sigma_val),
                                            hypersphere.log_marginal(r_over_sigma * sigma_val, k * sigma_val, sigma_val, 2)))
    R_val = 2.0
    t = float(res["transition_R_over_sigma"])
    worst = max(worst, max_relative(R_val / t, hypersphere.sharp_threshold(R_val, 2)))
    return worst
