"""BS20 Sec. 3.2: a KL weight lambda on a fixed-sigma Gaussian VAE is the decoder sigma' = sigma sqrt(lambda).

Per data point, with decoder mean ``f`` (a function of the parameters ``theta``) and ``K`` the KL term,

    L_lambda(theta; sigma)  = |x - f|^2 / (2 sigma^2) + (D/2) log(2 pi sigma^2) + lambda K,
    L_1(theta; sigma')      = |x - f|^2 / (2 sigma'^2) + (D/2) log(2 pi sigma'^2) + K.

With ``sigma' = sigma sqrt(lambda)``: ``L_lambda = lambda L_1 + c(sigma, lambda, D)``, where ``c`` does not
depend on ``theta``; hence ``grad L_lambda = lambda grad L_1`` and both have the same minimisers.

Adam (Kingma & Ba 2015; as in Optax: ``update = -lr m_hat / (sqrt(v_hat) + eps)``) is invariant to a
constant positive gradient scale except through ``eps``: feeding it ``lambda g`` scales ``m`` by
``lambda`` and ``v`` by ``lambda^2``, so the update equals the one for ``g`` with ``eps / lambda``.
So training ``L_lambda`` and ``L_1(sigma')`` with Adam gives the same trajectory when ``eps`` is negligible.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from toyvae.proofs._derivation import Derivation, Steps, max_relative

__all__ = ["derive", "check_against_library"]

sigma, lam, lr, eps = sp.symbols("sigma lambda lr epsilon", positive=True)
b1, b2 = sp.symbols("beta_1 beta_2", positive=True)
theta = sp.Symbol("theta", real=True)
n_coords = 3  # a generic small output dimension D
x = sp.symbols(f"x0:{n_coords}", real=True)
f = [sp.Function(f"f{i}")(theta) for i in range(n_coords)]
K = sp.Function("K")(theta)


def _nll(s):
    return sum((xi - fi) ** 2 for xi, fi in zip(x, f)) / (2 * s**2) + sp.Rational(n_coords, 2) * sp.log(2 * sp.pi * s**2)


def _adam_moments(grads):
    """Adam's bias-corrected moments (m_hat, v_hat) after ``len(grads)`` steps, for one parameter."""
    mom, vel = 0, 0
    for g in grads:
        mom = b1 * mom + (1 - b1) * g
        vel = b2 * vel + (1 - b2) * g**2
    t = len(grads)
    return mom / (1 - b1**t), vel / (1 - b2**t)


def _adam_update(m_hat, v_hat, epsilon):
    return -lr * m_hat / (sp.sqrt(v_hat) + epsilon)


@functools.cache
def derive() -> Derivation:
    steps = Steps()
    weighted = _nll(sigma) + lam * K
    sigma_prime = sigma * sp.sqrt(lam)
    unweighted = _nll(sigma_prime) + K
    difference = sp.expand(sp.expand_log(weighted - lam * unweighted, force=True))
    steps.holds(not difference.has(theta) and all(not difference.has(xi) for xi in x),
                "L_lambda(sigma) - lambda L_1(sigma sqrt(lambda)) is free of theta and x (a constant)")
    steps.equal(difference, sp.Rational(n_coords, 2) * (sp.log(2 * sp.pi * sigma**2) - lam * sp.log(2 * sp.pi * sigma**2 * lam)),
                "the constant is (D/2)[log(2 pi sigma^2) - lambda log(2 pi sigma^2 lambda)]")
    steps.equal(sp.diff(weighted, theta), lam * sp.diff(unweighted, theta),
                "gradients: d/dtheta L_lambda(sigma) = lambda d/dtheta L_1(sigma sqrt(lambda))")
    g = sp.symbols("g1:4", real=True)
    m_hat, v_hat = _adam_moments(g)
    m_scaled, v_scaled = _adam_moments([lam * gi for gi in g])
    steps.equal(m_scaled, lam * m_hat, "Adam's first moment is linear: three steps on lambda g give lambda m_hat")
    steps.equal(v_scaled, lam**2 * v_hat, "its second moment is quadratic: lambda^2 v_hat")
    M = sp.Symbol("m_hat", real=True)
    V = sp.Symbol("v_hat", positive=True)  # a sum of squares with positive weights
    scaled = _adam_update(lam * M, lam**2 * V, eps)
    steps.equal(scaled, _adam_update(M, V, eps / lam),
                "the update -lr lambda m / (sqrt(lambda^2 v) + eps) is the update for g with eps / lambda")
    steps.holds(sp.simplify(scaled - _adam_update(M, V, eps)) != 0,
                "with eps > 0 it differs from the update for g (the equivalence is exact only at eps = 0)")
    steps.equal(scaled.subs(eps, 0), _adam_update(M, V, 0), "at eps = 0 Adam is exactly invariant to the scale")
    results = {"sigma_prime": sigma_prime, "constant": difference, "adam_eps_equivalent": eps / lam}
    return steps.finish("bs20_s32", ("BS20.S32",), results)


def check_against_library() -> float:
    """Lambdified ``sigma sqrt(lambda)`` vs ``likelihoods.sigma_for_kl_weight`` on a grid, and the
    lambdified constant vs ``gaussian_nll`` differences (``L_lambda - lambda L_1(sigma')`` at random ``x, f``)."""
    from toyvae.theory import likelihoods

    res = derive().results
    sp_fn = sp.lambdify((sigma, lam), res["sigma_prime"], modules="numpy")
    const = sp.lambdify((sigma, lam), res["constant"], modules="numpy")
    rng = np.random.default_rng(0)
    worst = 0.0
    for s in (0.01, 0.3, 1.0, 5.0):
        for lv in (1e-3, 0.5, 1.0, 4.0, 100.0):
            worst = max(worst, max_relative(sp_fn(s, lv), likelihoods.sigma_for_kl_weight(s, lv)))
            xv, fv = rng.normal(size=(2, n_coords))
            kl = rng.uniform(0, 3)
            lhs = likelihoods.gaussian_nll(xv, fv, s) + lv * kl
            rhs = lv * (likelihoods.gaussian_nll(xv, fv, s * np.sqrt(lv)) + kl)
            # scale: the two summands, whose difference is the constant
            worst = max(worst, max_relative(lhs - rhs, const(s, lv), scale=abs(lhs) + abs(rhs)))
    return worst
