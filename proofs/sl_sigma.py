"""Slides (SL.Sigma): decoupling the decoder sigma from beta; the optimal sigma_x is the RMSE.

The reconstruction term of a Gaussian decoder with a learned scalar ``sigma_x`` over ``D`` coordinates is
``rec(sigma_x) = D MSE / (2 sigma_x^2) + (D/2) log(2 pi sigma_x^2)``, with ``MSE`` the squared error per
coordinate. Minimising over ``sigma_x`` gives ``sigma_x^2 = MSE`` (``sigma_x = sqrt(MSE)``, the root mean
squared error), and there ``rec = (D/2) log MSE + (D/2)(1 + log 2 pi)``: the slides' "(D/2) log MSE + const".
Its gradient in the decoder mean is that of the MSE divided by ``MSE`` itself (a self-adjusting weight).
"""

from __future__ import annotations

import functools

import sympy as sp

from toyvae.proofs._derivation import Derivation, Steps, max_relative

__all__ = ["derive", "check_against_library"]

mse, sx, D = sp.symbols("MSE sigma_x D", positive=True)


@functools.cache
def derive() -> Derivation:
    steps = Steps()
    rec = D * mse / (2 * sx**2) + D / 2 * sp.log(2 * sp.pi * sx**2)
    stationary = sp.solve(sp.Eq(sp.diff(rec, sx), 0), sx)
    steps.holds(len(stationary) == 1, "d rec / d sigma_x = 0 has one positive root")
    steps.equal(stationary[0], sp.sqrt(mse), "the root is sigma_x = sqrt(MSE)")
    steps.equal(sp.diff(rec, sx), D * (sx**2 - mse) / sx**3,
                "d rec / d sigma_x = D (sigma_x^2 - MSE) / sigma_x^3: negative below, positive above: a global minimum")
    at_opt = rec.subs(sx, stationary[0])
    const = D / 2 * (1 + sp.log(2 * sp.pi))
    steps.equal(sp.expand_log(at_opt, force=True), sp.expand_log(D / 2 * sp.log(mse) + const, force=True),
                "at the optimum rec = (D/2) log MSE + (D/2)(1 + log 2 pi)")
    steps.equal(sp.diff(D / 2 * sp.log(mse), mse), D / (2 * mse),
                "d/dMSE of (D/2) log MSE is D / (2 MSE): the MSE gradient reweighted by 1 / MSE")
    return steps.finish("sl_sigma", ("SL.Sigma",), {"sigma_x": stationary[0], "reconstruction_at_optimum": at_opt,
                                                    "constant": const})


def check_against_library() -> float:
    """Lambdified ``sqrt(MSE)`` and ``rec`` at the optimum vs ``likelihoods.optimal_scalar_sigma(D MSE, D)`` and
    ``profiled_gaussian_nll(MSE, D)``."""
    from toyvae.theory import likelihoods

    res = derive().results
    sig = sp.lambdify(mse, res["sigma_x"], modules="numpy")
    rec = sp.lambdify((mse, D), res["reconstruction_at_optimum"], modules="numpy")
    worst = 0.0
    for D_val in (1, 3, 64):
        for m_val in (1e-3, 0.05, 1.0, 9.0):
            worst = max(worst, max_relative(sig(m_val), likelihoods.optimal_scalar_sigma(D_val * m_val, D_val)))
            worst = max(worst, max_relative(rec(m_val, D_val), likelihoods.profiled_gaussian_nll(m_val, D_val),
                                            scale=D_val))  # scale: the constant (D/2)(1 + log 2 pi) ~ D
    return worst
