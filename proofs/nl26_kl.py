"""NL26 Fig. 1 (claim NL26.KL): KL(N(mu, diag s) || N(0, I)) = |mu|^2 / 2 + sum_i g(s_i).

Derived from the Gaussian integral: for one coordinate, with ``q = N(mu, s)`` and ``p = N(0, 1)``,
``KL = E_q[log q - log p] = int q(z) (log q(z) - log p(z)) dz = mu^2 / 2 + g(s)``, with
``g(s) = (s - 1 - log s) / 2`` (``s`` is a variance). A diagonal Gaussian and the standard normal are products
over coordinates, so the log-ratio, and with it the KL, is a sum over coordinates.
``g(1) = 0``, ``g'(s) = (1 - 1/s) / 2``, ``g''(s) = 1 / (2 s^2) > 0``: ``g`` is strictly convex with its minimum 0 at ``s = 1``.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from toyvae.proofs._derivation import Derivation, Steps, max_relative

__all__ = ["derive", "check_against_library", "g_expr"]

z = sp.Symbol("z", real=True)
mu = sp.Symbol("mu", real=True)
s = sp.Symbol("s", positive=True)


def g_expr(v):
    """``g(v) = (v - 1 - log v) / 2``."""
    return (v - 1 - sp.log(v)) / 2


def _normal_pdf(x, mean, var):
    return sp.exp(-((x - mean) ** 2) / (2 * var)) / sp.sqrt(2 * sp.pi * var)


@functools.cache
def derive() -> Derivation:
    steps = Steps()
    q = _normal_pdf(z, mu, s)
    p = _normal_pdf(z, 0, 1)
    log_ratio = sp.expand(sp.expand_log(sp.log(q) - sp.log(p), force=True))
    steps.equal(log_ratio, -((z - mu) ** 2) / (2 * s) - sp.log(s) / 2 + z**2 / 2,
                "log q(z) - log p(z) = -(z - mu)^2 / (2s) - (log s)/2 + z^2 / 2")
    moments = {k: sp.simplify(sp.integrate(q * z**k, (z, -sp.oo, sp.oo))) for k in range(3)}
    steps.equal(moments[0], 1, "the Gaussian integral: q integrates to 1")
    steps.equal(moments[1], mu, "E_q z = mu")
    steps.equal(moments[2], mu**2 + s, "E_q z^2 = mu^2 + s")
    poly = sp.Poly(log_ratio, z)
    kl_1d = sum(coef * moments[k[0]] for k, coef in zip(poly.monoms(), poly.coeffs()))
    steps.equal(kl_1d, mu**2 / 2 + g_expr(s), "KL in one coordinate = E_q[log q - log p] = mu^2 / 2 + g(s)")
    # several coordinates: the log-ratio of products is a sum
    mus = sp.symbols("mu0:3", real=True)
    ss = sp.symbols("s0:3", positive=True)
    zs = sp.symbols("z0:3", real=True)
    prod_q = sp.Mul(*[_normal_pdf(zi, mi, si) for zi, mi, si in zip(zs, mus, ss)])
    prod_p = sp.Mul(*[_normal_pdf(zi, 0, 1) for zi in zs])
    steps.equal(sp.expand_log(sp.log(prod_q) - sp.log(prod_p), force=True),
                sum(log_ratio.subs({z: zi, mu: mi, s: si}) for zi, mi, si in zip(zs, mus, ss)),
                "for diagonal covariance the log-ratio is the sum of the per-coordinate log-ratios (d = 3 shown)")
    kl = sum(mi**2 for mi in mus) / 2 + sum(g_expr(si) for si in ss)
    steps.equal(g_expr(s).subs(s, 1), 0, "g(1) = 0")
    steps.equal(sp.diff(g_expr(s), s), (1 - 1 / s) / 2, "g'(s) = (1 - 1/s) / 2, zero only at s = 1")
    g2 = sp.diff(g_expr(s), s, 2)
    steps.equal(g2, 1 / (2 * s**2), "g''(s) = 1 / (2 s^2) > 0: g is strictly convex, g >= 0 with equality at s = 1")
    return steps.finish("nl26_kl", ("NL26.KL",), {"kl_1d": sp.simplify(kl_1d), "g": g_expr(s), "g_second_derivative": g2,
                                                  "kl_3d": kl})


def check_against_library() -> float:
    """Lambdified ``g`` and the 3-D KL vs ``linear_gaussian.g`` and ``kl_standard_normal`` on a grid.

    ``g`` is compared away from ``s = 1`` (where ``g -> 0`` and the naive lambdified form loses digits to
    cancellation that the library avoids)."""
    from toyvae.theory import linear_gaussian

    res = derive().results
    g = sp.lambdify(s, res["g"], modules="numpy")
    mus = sp.symbols("mu0:3", real=True)
    ss = sp.symbols("s0:3", positive=True)
    kl = sp.lambdify((mus, ss), res["kl_3d"], modules="numpy")
    grid = np.array([1e-4, 0.01, 0.3, 0.8, 1.5, 4.0, 100.0])
    worst = max_relative(g(grid), linear_gaussian.g(grid))
    rng = np.random.default_rng(3)
    for _ in range(20):
        mv = rng.normal(size=3)
        sv = np.exp(rng.normal(size=3))
        worst = max(worst, max_relative(kl(mv, sv), linear_gaussian.kl_standard_normal(mv, sv).total))
    return worst
