"""NL26 (claim NL26.Iso): equal metric coefficients give an isotropic optimal posterior, unequal ones do not.

``A_post(s) = Var_i(log s_i)`` (population variance over the ``d`` latent dimensions) satisfies
``Var_i y_i = (1 / (2 d^2)) sum_{i,j} (y_i - y_j)^2``, so ``A_post = 0`` iff all ``log s_i`` are equal.
With ``s*(c) = beta / (beta + 2c)`` (eq. 46), ``d s*/dc = -2 beta / (beta + 2c)^2 < 0``: ``s*`` is strictly
decreasing, hence injective, in ``c``. So all ``c_i`` equal => all ``s*_i`` equal => ``A_post = 0``; and some
``c_i != c_j`` => ``s*_i != s*_j`` => ``A_post > 0``.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from toyvae.proofs._derivation import Derivation, Steps, max_relative

__all__ = ["derive", "check_against_library"]

beta = sp.Symbol("beta", positive=True)
c = sp.Symbol("c", nonnegative=True)
d = 3
cs = sp.symbols(f"c0:{d}", nonnegative=True)
ys = sp.symbols(f"y0:{d}", real=True)


def _s_star(ci):
    return beta / (beta + 2 * ci)


def _population_variance(values):
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / len(values)


@functools.cache
def derive() -> Derivation:
    steps = Steps()
    steps.equal(_population_variance(ys), sum((yi - yj) ** 2 for yi in ys for yj in ys) / (2 * d**2),
                "Var_i y_i = (1/(2 d^2)) sum_{i,j} (y_i - y_j)^2: zero iff all y_i are equal (d = 3 shown)")
    ds = sp.diff(_s_star(c), c)
    steps.equal(ds, -2 * beta / (beta + 2 * c) ** 2, "ds*/dc = -2 beta / (beta + 2c)^2 < 0: s* strictly decreasing in c")
    steps.holds(sp.ask(sp.Q.negative(ds), sp.Q.positive(beta) & sp.Q.nonnegative(c)), "the derivative is negative")
    a_post = _population_variance([sp.log(_s_star(ci)) for ci in cs])
    steps.equal(a_post.subs({ci: c for ci in cs}), 0, "all c_i = c gives A_post(s*) = 0")
    diff_log = sp.log(_s_star(cs[0])) - sp.log(_s_star(cs[1]))
    steps.equal(sp.expand_log(diff_log, force=True),
                sp.log(beta + 2 * cs[1]) - sp.log(beta + 2 * cs[0]),
                "log s*_i - log s*_j = log(beta + 2 c_j) - log(beta + 2 c_i): nonzero iff c_i != c_j, so A_post > 0")
    return steps.finish("nl26_iso", ("NL26.Iso",), {"a_post": a_post, "ds_star_dc": ds})


def check_against_library() -> float:
    """Lambdified ``A_post(s*(c))`` vs ``posterior_anisotropy(optimal_posterior_variance(c, beta))``."""
    from toyvae.theory import linear_gaussian

    f = sp.lambdify((cs, beta), derive().results["a_post"], modules="numpy")
    rng = np.random.default_rng(5)
    worst = 0.0
    for _ in range(20):
        cv = np.exp(rng.normal(size=d))
        bv = float(np.exp(rng.normal()))
        ref = linear_gaussian.posterior_anisotropy(linear_gaussian.optimal_posterior_variance(cv, bv))
        worst = max(worst, max_relative(f(cv, bv), ref))
    return worst
