"""BS20, the remark after Theorem 1: is r = 0 a local minimum as soon as R > sigma sqrt(D - 1)?

The remark says that ``r = 0`` is a local maximum of eq. (8) for ``R < sigma sqrt(D - 1)`` and a local
minimum for larger ``R``. The curvature at ``r = 0`` (``proofs/bs20_t1.py``) is

    kappa = (R^2 / (D sigma^2) - 1) / sigma^2 = (R^2 - D sigma^2) / (D sigma^4),

whose sign is that of ``R^2 - D sigma^2``: negative (a strict local maximum) for every
``R < sigma sqrt(D)``. In the window ``sigma sqrt(D - 1) < R < sigma sqrt(D)`` the remark is therefore
wrong: ``r = 0`` is still a strict local (indeed global, see ``bs20_t1_sharp``) maximum. At
``R = sigma sqrt(D - 1/2)``, the middle of the window in ``R^2``, ``kappa = -1 / (2 D sigma^2)``.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from toyvae.proofs import bs20_t1
from toyvae.proofs._derivation import Derivation, Steps, max_relative

__all__ = ["derive", "check_against_library"]

R, sigma = sp.symbols("R sigma", positive=True)
D = sp.Symbol("D", positive=True)
u = sp.Symbol("u", positive=True)  # position in the window: R^2 = sigma^2 (D - 1 + u), 0 < u < 1


@functools.cache
def derive() -> Derivation:
    steps = Steps()
    kappa = bs20_t1.derive().results["curvature_at_zero"].subs(sp.Symbol("D", positive=True), D)
    steps.equal(kappa, (R**2 - D * sigma**2) / (D * sigma**4),
                "curvature at r = 0 (from bs20_t1) = (R^2 - D sigma^2) / (D sigma^4)")
    in_window = sp.factor(kappa.subs(R, sigma * sp.sqrt(D - 1 + u)))
    steps.equal(in_window, (u - 1) / (D * sigma**2),
                "in the window R^2 = sigma^2 (D - 1 + u), 0 < u < 1, the curvature is (u - 1) / (D sigma^2)")
    steps.holds(sp.ask(sp.Q.negative((u - 1) / (D * sigma**2)), sp.Q.positive(u) & sp.Q.positive(1 - u)
                       & sp.Q.positive(D) & sp.Q.positive(sigma)),
                "which is negative for 0 < u < 1: r = 0 is a strict local maximum there, against the remark")
    mid = sp.simplify(kappa.subs(R, sigma * sp.sqrt(D - sp.Rational(1, 2))))
    steps.equal(mid, -1 / (2 * D * sigma**2), "at R = sigma sqrt(D - 1/2) the curvature is -1 / (2 D sigma^2)")
    steps.equal(kappa.subs(R, sigma * sp.sqrt(D)), 0,
                "the curvature changes sign at R = sigma sqrt(D), not at sigma sqrt(D - 1)")
    results = {"curvature_at_zero": kappa, "curvature_mid_window": mid,
               "curvature_at_paper_threshold": sp.simplify(kappa.subs(R, sigma * sp.sqrt(D - 1)))}
    return steps.finish("bs20_r1", ("BS20.R1",), results)


def check_against_library() -> float:
    """The lambdified mid-window curvature vs ``2 log_marginal(h) / h^2`` at ``h = 1e-4 sigma``.

    ``log_marginal`` is even in r and 0 at r = 0, so the finite difference has an ``O(h^2)`` error
    (~1e-8 of the curvature's scale ``1 / sigma^2``, which normalises the discrepancy).
    """
    from toyvae.theory import hypersphere

    mid = sp.lambdify((sigma, D), derive().results["curvature_mid_window"], modules="numpy")
    worst = 0.0
    for D_val in (2, 3, 5, 10, 100):
        for sigma_val in (0.3, 1.0, 2.0):
            R_val = sigma_val * np.sqrt(D_val - 0.5)
            h = 1e-4 * sigma_val
            fd = 2 * hypersphere.log_marginal(h, R_val, sigma_val, D_val) / h**2
            worst = max(worst, max_relative(mid(sigma_val, D_val), fd, scale=1 / sigma_val**2))
    return worst
