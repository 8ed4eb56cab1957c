"""BS20 Sec. 3.2 (claim BS20.S32-mse): squared-error losses are Gaussian decoders with a fixed sigma.

``-log N(x; f, sigma^2 I) = |x - f|^2 / (2 sigma^2) + (D/2) log(2 pi sigma^2)``. A loss ``w |x - f|^2`` has the
same gradients in ``f`` as this NLL iff ``1 / (2 sigma^2) = w``, i.e. ``sigma^2 = 1 / (2 w)``:

* summed squared error (``w = 1``): ``sigma^2 = 1/2``, and then NLL = SE + (D/2) log pi;
* squared error averaged over the ``D`` coordinates (``w = 1/D``): ``sigma^2 = D / 2``.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from toyvae.proofs._derivation import Derivation, Steps, max_relative

__all__ = ["derive", "check_against_library"]

s2, w = sp.symbols("sigma2 w", positive=True)
Dsym = sp.Symbol("D", positive=True, integer=True)
n_coords = 3
x = sp.symbols(f"x0:{n_coords}", real=True)
f = sp.symbols(f"f0:{n_coords}", real=True)


@functools.cache
def derive() -> Derivation:
    steps = Steps()
    se = sum((xi - fi) ** 2 for xi, fi in zip(x, f))
    density = sp.Mul(*[sp.exp(-((xi - fi) ** 2) / (2 * s2)) / sp.sqrt(2 * sp.pi * s2) for xi, fi in zip(x, f)])
    nll = -sp.expand_log(sp.log(density), force=True)
    steps.equal(nll, se / (2 * s2) + sp.Rational(n_coords, 2) * sp.log(2 * sp.pi * s2),
                "-log of the product of D Gaussian densities is SE / (2 sigma^2) + (D/2) log(2 pi sigma^2)")
    solved = sp.solve(sp.Eq(1 / (2 * s2), w), s2)
    steps.equal(solved[0], 1 / (2 * w), "matching the weight of SE: 1 / (2 sigma^2) = w gives sigma^2 = 1 / (2w)")
    sum_sigma2 = solved[0].subs(w, 1)
    mean_sigma2 = solved[0].subs(w, 1 / Dsym)
    steps.equal(sum_sigma2, sp.Rational(1, 2), "summed squared error (w = 1): sigma^2 = 1/2")
    steps.equal(nll.subs(s2, sum_sigma2) - se, sp.Rational(n_coords, 2) * sp.log(sp.pi),
                "then NLL - SE = (D/2) log(pi), a constant in f")
    steps.equal(mean_sigma2, Dsym / 2, "mean over D coordinates (w = 1/D): sigma^2 = D / 2")
    steps.equal(sp.diff(nll.subs(s2, n_coords * sp.Rational(1, 2)) - se / n_coords, f[0]), 0,
                "with sigma^2 = D/2 the NLL and the mean squared error have the same gradient in f")
    results = {"sigma2_sum": sum_sigma2, "sigma2_mean": mean_sigma2, "sigma2_for_weight": solved[0]}
    return steps.finish("bs20_s32_mse", ("BS20.S32-mse",), results)


def check_against_library() -> float:
    """Lambdified ``sqrt(sigma^2)`` vs ``likelihoods.sigma_for_squared_error`` (sum, mean, weights), and
    ``gaussian_nll(sigma = sqrt(1/2)) - SE`` vs ``(D/2) log pi`` at random points."""
    from toyvae.theory import likelihoods

    res = derive().results
    for_weight = sp.lambdify(w, sp.sqrt(res["sigma2_for_weight"]), modules="numpy")
    for_mean = sp.lambdify(Dsym, sp.sqrt(res["sigma2_mean"]), modules="numpy")
    worst = max_relative(float(sp.sqrt(res["sigma2_sum"])), likelihoods.sigma_for_squared_error(reduction="sum"))
    for weight in (0.1, 1.0, 7.0):
        worst = max(worst, max_relative(for_weight(weight), likelihoods.sigma_for_squared_error(weight=weight)))
    for D_val in (1, 2, 10, 784):
        worst = max(worst, max_relative(for_mean(D_val), likelihoods.sigma_for_squared_error(reduction="mean", D=D_val)))
    rng = np.random.default_rng(1)
    for D_val in (1, 5, 50):
        xv, fv = rng.normal(size=(2, D_val))
        nll = likelihoods.gaussian_nll(xv, fv, np.sqrt(0.5))
        worst = max(worst, max_relative(nll - np.sum((xv - fv) ** 2), D_val / 2 * np.log(np.pi), scale=abs(nll)))
    return worst
