"""NL26 Theorem 41 (surjectivity of the variance-KL map).

``V(beta) = sum_i g(s*_i(beta))`` with ``s*_i = beta / (beta + 2 c_i)`` and ``g(s) = (s - 1 - log s) / 2``.
By the chain rule, ``g'(s*_i) = -c_i / beta`` and ``ds*_i/dbeta = 2 c_i / (beta + 2 c_i)^2``, so

    dV/dbeta = -sum_i 2 c_i^2 / (beta (beta + 2 c_i)^2),

which is ``< 0`` as soon as some ``c_i > 0`` (the terms with ``c_i = 0`` vanish). For ``c_i > 0``,
``g(s*_i) -> +inf`` as ``beta -> 0+`` (``s*_i -> 0``) and ``-> 0`` as ``beta -> inf`` (``s*_i -> 1``).
So ``V`` is continuous and strictly decreasing from ``+inf`` to 0: every target ``V > 0`` is met by exactly
one ``beta``.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from toyvae.proofs import nl26_kl
from toyvae.proofs._derivation import Derivation, Steps, max_relative

__all__ = ["derive", "check_against_library"]

beta = sp.Symbol("beta", positive=True)
c = sp.Symbol("c", positive=True)
d = 3
cs = sp.symbols(f"c0:{d}", nonnegative=True)


def _term(ci):
    return nl26_kl.g_expr(beta / (beta + 2 * ci))


@functools.cache
def derive() -> Derivation:
    steps = Steps()
    s = sp.Symbol("s", positive=True)
    g_prime_at_star = sp.diff(nl26_kl.g_expr(s), s).subs(s, beta / (beta + 2 * c))
    steps.equal(g_prime_at_star, -c / beta, "g'(s*) = (1 - 1/s*)/2 = -c / beta")
    steps.equal(sp.diff(beta / (beta + 2 * c), beta), 2 * c / (beta + 2 * c) ** 2, "ds*/dbeta = 2c / (beta + 2c)^2")
    V = sum(_term(ci) for ci in cs)
    dV = sp.diff(V, beta)
    closed = -sum(2 * ci**2 / (beta * (beta + 2 * ci) ** 2) for ci in cs)
    steps.equal(dV, closed, "dV/dbeta = -sum_i 2 c_i^2 / (beta (beta + 2 c_i)^2) (d = 3 shown)")
    steps.holds(sp.ask(sp.Q.negative(-2 * c**2 / (beta * (beta + 2 * c) ** 2)), sp.Q.positive(c) & sp.Q.positive(beta)),
                "each term with c_i > 0 is negative, those with c_i = 0 vanish: dV/dbeta < 0 if some c_i > 0")
    steps.equal(closed.subs({ci: 0 for ci in cs}), 0, "with every c_i = 0, V is constant (= 0)")
    steps.holds(sp.limit(_term(c), beta, 0, "+") == sp.oo, "g(s*) -> +inf as beta -> 0+ for c > 0")
    steps.equal(sp.limit(_term(c), beta, sp.oo), 0, "g(s*) -> 0 as beta -> inf")
    return steps.finish("nl26_t41", ("NL26.T41",), {"V": V, "dV_dbeta": closed})


def check_against_library() -> float:
    """Lambdified ``V`` vs ``optimal_variance_kl``; lambdified ``dV/dbeta`` vs a central difference of
    ``optimal_variance_kl`` (step ``h = 1e-5 beta``: truncation ~1e-10 relative; rounding, the library's ~1e-15
    relative error on V times V / (h dV/dbeta), reaches ~1e-8 at beta = 0.01);
    ``beta_for_variance_kl(c, V(beta))`` vs ``beta``."""
    from toyvae.theory import linear_gaussian

    res = derive().results
    V = sp.lambdify((cs, beta), res["V"], modules="numpy")
    dV = sp.lambdify((cs, beta), res["dV_dbeta"], modules="numpy")
    worst = 0.0
    for cv in ([1.0, 1.0, 1.0], [0.1, 2.0, 30.0], [0.0, 0.0, 5.0]):
        cv = np.array(cv)
        for bv in (0.01, 0.3, 1.0, 10.0):
            worst = max(worst, max_relative(V(cv, bv), linear_gaussian.optimal_variance_kl(cv, bv)))
            h = 1e-5 * bv
            fd = (linear_gaussian.optimal_variance_kl(cv, bv + h) - linear_gaussian.optimal_variance_kl(cv, bv - h)) / (2 * h)
            worst = max(worst, max_relative(dV(cv, bv), fd))
            worst = max(worst, max_relative(linear_gaussian.beta_for_variance_kl(cv, V(cv, bv)), bv))
    return worst
