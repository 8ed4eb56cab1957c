"""The sharp collapse threshold for BS20 Theorem 1 (ours, claim BS20.T1-sharp): sigma_c = R / sqrt(D).

With ``a = r R / sigma^2``, ``nu = (D - 2) / 2`` and ``F_nu(a) = Gamma(nu + 1) (2 / a)^nu I_nu(a)``, eq. (8) is
``log p(r) = -r^2 / (2 sigma^2) + log F_nu(a) + const`` (see ``proofs/bs20_t1.py``).

1. *Stationarity.* ``d/da log F_nu = I_nu'/I_nu - nu/a = rho_nu(a) = I_{nu+1}(a) / I_nu(a)`` by the
   recurrence ``I_{nu-1} - I_{nu+1} = (2 nu / a) I_nu`` (DLMF 10.29.1, checked here term by term on the
   power series), so ``d/dr log p = (R rho_nu(a) - r) / sigma^2 = (R a / sigma^2)(rho_nu(a)/a - sigma^2/R^2)``:
   ``r = R I_{D/2}(a) / I_{D/2 - 1}(a)`` at a stationary point ``r > 0``.
2. *Near a = 0*: ``rho_nu(a) / a = 1/D - a^2 / (D^2 (D + 2)) + O(a^4)`` (from the series of ``F_nu``).
3. *Global monotonicity* of ``h(a) = rho_nu(a) / a`` on ``(0, inf)``. Symbolic part: ``rho_nu`` obeys the
   Riccati equation ``rho' = 1 - (2 nu + 1) rho / a - rho^2``, hence
   ``a h'(a) = 1 - 2 (nu + 1) rho / a - rho^2``, which is negative exactly when
   ``rho > a / (nu + 1 + sqrt((nu + 1)^2 + a^2))`` (the positive root of the quadratic). Cited part: that
   inequality is Amos' lower bound for ``I_{nu+1} / I_nu`` (D. E. Amos, Math. Comp. 28 (1974) 239-251,
   valid for ``nu >= 0``, i.e. ``D >= 2``); it is spot-checked numerically here, not proved.
4. Hence ``h`` falls strictly from ``1/D`` to 0 and the sign of ``d/dr log p`` on ``r > 0`` is the sign of
   ``h(a) - sigma^2 / R^2``: for ``sigma^2 / R^2 >= 1/D`` it is negative everywhere (``r* = 0`` is the global
   maximum), below it is positive then negative (one interior maximum). The sharp threshold is
   ``sigma_c = R / sqrt(D)``; the paper's ``R / sqrt(D - 1)`` is sufficient but not necessary.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from scipy import special

from toyvae.proofs._derivation import Derivation, Steps, max_relative

__all__ = ["derive", "check_against_library"]

a, R, sigma = sp.symbols("a R sigma", positive=True)
r = sp.Symbol("r", positive=True)
nu = sp.Symbol("nu", nonnegative=True)
D = sp.Symbol("D", positive=True)
m = sp.Symbol("m", integer=True, positive=True)


def _F_series(order, q, terms: int):
    """0F1(; order + 1; q) truncated: F_order(a) with q = a^2 / 4 (DLMF 10.25.2)."""
    return sum(q**k / (sp.factorial(k) * sp.rf(order + 1, k)) for k in range(terms))


@functools.cache
def derive() -> Derivation:
    steps = Steps()
    I = lambda order: sp.besseli(order, a)  # noqa: E731

    # recurrence I_{nu-1} - I_{nu+1} = (2 nu / a) I_nu, term by term: coefficient of (a/2)^{2m + nu - 1}
    lhs = 1 / (sp.factorial(m) * sp.gamma(m + nu)) - 1 / (sp.factorial(m - 1) * sp.gamma(m + nu + 1))
    steps.equal(lhs, nu / (sp.factorial(m) * sp.gamma(m + nu + 1)),
                "recurrence I_{nu-1} - I_{nu+1} = (2nu/a) I_nu holds coefficient by coefficient of the power series")
    recurrence = {I(nu - 1): I(nu + 1) + 2 * nu / a * I(nu), I(nu + 2): I(nu) - 2 * (nu + 1) / a * I(nu + 1)}

    log_F = sp.log(sp.gamma(nu + 1) * (2 / a) ** nu * I(nu))
    rho = I(nu + 1) / I(nu)
    steps.equal(sp.diff(log_F, a).subs(recurrence), rho,
                "d/da log F_nu(a) = I_{nu+1}(a) / I_nu(a) = rho_nu(a)")
    aa = r * R / sigma**2
    log_p = -(r**2) / (2 * sigma**2) + log_F.subs(a, aa)
    dlogp = sp.diff(log_p, r).subs({I(nu - 1).subs(a, aa): (I(nu + 1) + 2 * nu / a * I(nu)).subs(a, aa)})
    rho_r = rho.subs(a, aa)
    steps.equal(dlogp, (R * rho_r - r) / sigma**2, "d/dr log p = (R rho_nu(rR/s^2) - r) / s^2")
    steps.equal((R * rho_r - r) / sigma**2, (R * aa / sigma**2) * (rho_r / aa - sigma**2 / R**2),
                "= (R a / s^2)(rho_nu(a)/a - s^2/R^2): its sign on r > 0 is that of rho_nu(a)/a - s^2/R^2")
    stationarity = sp.Eq(r, R * I(D / 2).subs(a, aa) / I(D / 2 - 1).subs(a, aa))
    steps.equal((R * rho_r).subs(nu, D / 2 - 1), stationarity.rhs,
                "stationary r > 0: r = R I_{D/2}(a) / I_{D/2-1}(a) (nu = D/2 - 1)")

    # small-a expansion of rho_nu(a)/a = F_{nu+1}(a) / (2 (nu + 1) F_nu(a))
    q = a**2 / 4
    h_series = _F_series(nu + 1, q, 4) / (2 * (nu + 1) * _F_series(nu, q, 4))
    expansion = sp.series(h_series, a, 0, 4).removeO()
    expected = 1 / D - a**2 / (D**2 * (D + 2))
    steps.equal(expansion.subs(nu, D / 2 - 1), expected,
                "rho_nu(a)/a = 1/D - a^2 / (D^2 (D + 2)) + O(a^4): decreasing near a = 0, from 1/D")
    steps.equal(sp.limit(h_series, a, 0).subs(nu, D / 2 - 1), 1 / D, "rho_nu(a)/a -> 1/D as a -> 0")

    # Riccati equation and h'(a) < 0 <=> Amos' lower bound
    rho_diff = sp.diff(rho, a).subs(recurrence)
    steps.equal(rho_diff, 1 - (2 * nu + 1) * rho / a - rho**2,
                "Riccati: rho_nu' = 1 - (2nu + 1) rho_nu / a - rho_nu^2")
    y = sp.Symbol("y", positive=True)  # stands for rho_nu(a)
    h_prime_times_a = (1 - (2 * nu + 1) * y / a - y**2) - y / a  # a (rho/a)' = rho' - rho/a
    steps.equal(h_prime_times_a, 1 - 2 * (nu + 1) * y / a - y**2, "a (rho/a)' = 1 - 2 (nu+1) rho / a - rho^2")
    amos = a / (nu + 1 + sp.sqrt((nu + 1) ** 2 + a**2))
    steps.equal(h_prime_times_a.subs(y, amos), 0,
                "the quadratic 1 - 2(nu+1) y/a - y^2 vanishes at Amos' bound y = a / (nu+1 + sqrt((nu+1)^2 + a^2)) "
                "and decreases in y > 0, so (rho/a)' < 0 iff rho_nu(a) > Amos' bound")
    grid = np.geomspace(1e-3, 1e3, 400)
    worst_gap = np.inf
    monotone = True
    for D_val in (2, 3, 4, 10, 50):
        nu_val = (D_val - 2) / 2
        rho_val = special.ive(nu_val + 1, grid) / special.ive(nu_val, grid)
        bound = grid / (nu_val + 1 + np.sqrt((nu_val + 1) ** 2 + grid**2))
        worst_gap = min(worst_gap, float(np.min((rho_val - bound) / bound)))
        monotone &= bool(np.all(np.diff(rho_val / grid) < 0))
    steps.numeric(0.0 if monotone else 1.0, 0.0,
                  "rho_nu(a)/a is strictly decreasing on 400 points of [1e-3, 1e3] for D in {2,3,4,10,50}")
    steps.numeric(0.0 if worst_gap > 0 else -worst_gap, 0.0,
                  "Amos' bound rho_nu > a / (nu+1 + sqrt((nu+1)^2 + a^2)) holds on that grid (cited, not proved here)")

    sharp = R / sp.sqrt(D)
    steps.equal((sigma**2 / R**2 - 1 / D).subs(sigma, sharp), 0,
                "r* = 0 iff s^2/R^2 >= sup rho/a = 1/D: the sharp threshold is sigma_c = R / sqrt(D)")
    results = {
        "dlogp_dr": ((R * rho_r - r) / sigma**2).subs(nu, D / 2 - 1),
        "stationarity_rhs": stationarity.rhs,
        "rho_over_a_expansion": expected,
        "sharp_threshold": sharp,
    }
    return steps.finish("bs20_t1_sharp", ("BS20.T1-sharp", "BS20.T1"), results)


def check_against_library() -> float:
    """Lambdified results vs ``hypersphere``: ``sharp_threshold``, ``log_marginal_derivative`` and
    ``optimal_radius`` (its radius must solve the lambdified stationarity equation).

    Bessel functions are evaluated with ``scipy.special.ive`` (exponentially scaled; the scaling cancels in
    the ratio) at arguments below 1e3.
    """
    from toyvae.theory import hypersphere

    res = derive().results
    mods = [{"besseli": lambda v, x: special.ive(v, x)}, "numpy"]
    dlogp = sp.lambdify((r, R, sigma, D), res["dlogp_dr"], modules=mods)
    stat = sp.lambdify((r, R, sigma, D), res["stationarity_rhs"], modules=mods)
    sharp = sp.lambdify((R, D), res["sharp_threshold"], modules="numpy")
    worst = 0.0
    for D_val in (2, 3, 5, 10, 40):
        R_val = 1.3
        worst = max(worst, max_relative(sharp(R_val, D_val), hypersphere.sharp_threshold(R_val, D_val)))
        sigma_c = R_val / np.sqrt(D_val)
        for frac in (0.3, 0.6, 0.9):
            s = frac * sigma_c
            r_star = hypersphere.optimal_radius(R_val, s, D_val)
            worst = max(worst, max_relative(stat(r_star, R_val, s, D_val), r_star))
            for r_val in (0.1 * R_val, 0.5 * R_val, R_val):
                # scale 1/sigma: the size of each of the two terms R rho / s^2 and r / s^2 (r ~ R)
                worst = max(worst, max_relative(dlogp(r_val, R_val, s, D_val),
                                                hypersphere.log_marginal_derivative(r_val, R_val, s, D_val),
                                                scale=R_val / s**2))
    return worst
