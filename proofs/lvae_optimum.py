"""BS20 eq. (10): the optimal learned scalar decoder sigma is the root mean squared error per coordinate.

With ``S = E|x - f|^2`` (summed over ``D`` coordinates) the sigma-dependent part of the Gaussian NLL is
``h(sigma) = S / (2 sigma^2) + D log sigma``. ``h'(sigma) = (D sigma^2 - S) / sigma^3`` has the sign of
``D sigma^2 - S``, so ``h`` falls, then rises: ``sigma^2 = S / D`` is the unique (global) minimiser, with
``h'' = 2 D^2 / S > 0`` there. The minimised NLL is ``(D/2)(log(2 pi S / D) + 1)``.
"""

from __future__ import annotations

import functools

import sympy as sp

from toyvae.proofs._derivation import Derivation, Steps, max_relative

__all__ = ["derive", "check_against_library"]

S, sigma, D = sp.symbols("S sigma D", positive=True)


@functools.cache
def derive() -> Derivation:
    steps = Steps()
    h = S / (2 * sigma**2) + D * sp.log(sigma)
    dh = sp.diff(h, sigma)
    steps.equal(dh, (D * sigma**2 - S) / sigma**3, "h'(sigma) = (D sigma^2 - S) / sigma^3: the sign of D sigma^2 - S")
    roots = sp.solve(sp.Eq(dh, 0), sigma)
    steps.holds(len(roots) == 1, "one positive stationary point")
    sigma_star = roots[0]
    steps.equal(sigma_star**2, S / D, "sigma*^2 = S / D, the mean squared error per coordinate")
    curvature = sp.simplify(sp.diff(h, sigma, 2).subs(sigma, sigma_star))
    steps.equal(curvature, 2 * D**2 / S, "h''(sigma*) = 2 D^2 / S > 0: a minimum (the only one, h' changes sign once)")
    full_nll = S / (2 * sigma**2) + D / 2 * sp.log(2 * sp.pi * sigma**2)
    profiled = sp.simplify(full_nll.subs(sigma, sigma_star))
    steps.equal(sp.expand_log(profiled, force=True),
                sp.expand_log(D / 2 * (sp.log(2 * sp.pi * S / D) + 1), force=True),
                "the minimised NLL is (D/2)(log(2 pi S/D) + 1)")
    return steps.finish("lvae_optimum", ("BS20.L-VAE",), {"sigma_star": sigma_star, "profiled_nll": profiled})


def check_against_library() -> float:
    """Lambdified ``sigma*`` and the profiled NLL vs ``likelihoods.optimal_scalar_sigma`` and
    ``profiled_gaussian_nll`` (argument ``mse = S / D``) on a grid of ``(S, D)``."""
    from toyvae.theory import likelihoods

    res = derive().results
    sig = sp.lambdify((S, D), res["sigma_star"], modules="numpy")
    prof = sp.lambdify((S, D), res["profiled_nll"], modules="numpy")
    worst = 0.0
    for D_val in (1, 2, 16, 784):
        for S_val in (1e-4, 0.3, 1.0, 50.0):
            worst = max(worst, max_relative(sig(S_val, D_val), likelihoods.optimal_scalar_sigma(S_val, D_val)))
            ref = likelihoods.profiled_gaussian_nll(S_val / D_val, D_val)
            worst = max(worst, max_relative(prof(S_val, D_val), ref, scale=D_val))  # scale: D/2 (log 2 pi e) ~ D
    return worst
