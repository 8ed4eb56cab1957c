"""NL26 eqs. (45)-(46) (claim NL26.T46): the optimal posterior variances of the linear-Gaussian VAE.

With eq. (44) (``proofs/nl26_e44.py``) and the KL of ``proofs/nl26_kl.py``, the objective
``E d_M(x, Z) + beta KL`` depends on the variances ``s`` only through ``sum_i l_i(s_i)``,

    l_i(s) = c_i s + beta g(s),        g(s) = (s - 1 - log s) / 2        (eq. 45),

and ``l_i''(s) = beta / (2 s^2) > 0``: strictly convex on ``(0, inf)``. ``l_i'(s) = c_i + beta (1 - 1/s) / 2``
vanishes only at ``s*_i = beta / (beta + 2 c_i)`` (eq. 46), which lies in ``(0, 1]`` for ``c_i >= 0``.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from toyvae.proofs import nl26_e44, nl26_kl
from toyvae.proofs._derivation import Derivation, Steps, max_relative

__all__ = ["derive", "check_against_library"]

c = sp.Symbol("c", nonnegative=True)
beta, s = sp.symbols("beta s", positive=True)


@functools.cache
def derive() -> Derivation:
    steps = Steps()
    # eq. (45): the s-dependent part of E d_M + beta KL, with the 3 x 2 model of nl26_e44
    e44 = nl26_e44.derive().results
    kl = sum(m**2 for m in nl26_e44.mu) / 2 + sum(nl26_kl.g_expr(si) for si in nl26_e44.s)
    objective = e44["expected_distortion"] + beta * kl
    separable = sum(e44["c"][i] * nl26_e44.s[i] + beta * nl26_kl.g_expr(nl26_e44.s[i]) for i in range(nl26_e44.N_LATENT))
    rest = sp.expand(objective - separable)
    steps.holds(not any(rest.has(si) for si in nl26_e44.s),
                "E d_M + beta KL = const(x, mu) + sum_i (c_i s_i + beta g(s_i)) (eq. 45, 3 x 2 model)")
    ell = c * s + beta * nl26_kl.g_expr(s)
    second = sp.diff(ell, s, 2)
    steps.equal(second, beta / (2 * s**2), "l''(s) = beta / (2 s^2) > 0: strictly convex")
    first = sp.diff(ell, s)
    steps.equal(first, c + beta * (1 - 1 / s) / 2, "l'(s) = c + beta (1 - 1/s) / 2")
    roots = sp.solve(sp.Eq(first, 0), s)
    steps.holds(len(roots) == 1, "l'(s) = 0 has one root")
    s_star = sp.simplify(roots[0])
    steps.equal(s_star, beta / (beta + 2 * c), "the unique minimiser is s* = beta / (beta + 2c) (eq. 46)")
    steps.equal(1 - s_star, 2 * c / (beta + 2 * c), "1 - s* = 2c / (beta + 2c) >= 0: s* in (0, 1]")
    return steps.finish("nl26_t46", ("NL26.T46",), {"s_star": s_star, "ell": ell, "ell_second_derivative": second})


def check_against_library() -> float:
    """Lambdified ``s*`` vs ``linear_gaussian.optimal_posterior_variance`` on a grid of ``(c, beta)``."""
    from toyvae.theory import linear_gaussian

    f = sp.lambdify((c, beta), derive().results["s_star"], modules="numpy")
    cc, bb = np.meshgrid([0.0, 1e-3, 0.5, 2.0, 1e3], [1e-4, 0.1, 1.0, 30.0])
    return max_relative(f(cc, bb), linear_gaussian.optimal_posterior_variance(cc, bb))
