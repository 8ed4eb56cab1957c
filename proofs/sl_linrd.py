"""Slides (SL.LinRD): with the optimal decoder sigma the negative ELBO of the water-filling code is
``R + (n/2) log(2 pi e D/n)``; it equals the source's differential entropy while every principal component is coded
and exceeds it once one is dropped; in the plane of rate against the reconstruction term the curve is the straight
line of slope -1 (Alemi et al.'s boundary) in that regime.

Derivation, for a source with principal variances ``mu_i`` and water level ``theta`` (component errors
``d_i = min(theta, mu_i)``, ``R = sum_i (1/2) log(mu_i / d_i)``, ``D = sum_i d_i``):

1. the Gaussian reconstruction term ``D/(2 sigma^2) + (n/2) log(2 pi sigma^2)`` at ``sigma^2 = D/n`` is
   ``(n/2) log(2 pi e D/n)``;
2. ``R + (n/2) log(2 pi e D/n) - h(X) = (n/2) log(mean d) - (1/2) sum_i log d_i`` for every number of coded
   components (asserted for n = 3 and each split into coded and dropped components);
3. while every component is coded (``d_i = theta``) that is 0;
4. it is ``n/2`` times the log of the arithmetic over the geometric mean of the ``d_i``: non-negative, and zero only
   when all ``d_i`` are equal (the two-term case exactly: ``(a + b)^2 - 4ab = (a - b)^2``; the n-term case is Jensen's
   inequality for the concave log, spot-checked numerically);
5. in the coded regime, along the curve (theta as parameter) ``dR / d[(n/2) log D] = -1``: a straight line in
   (reconstruction term, rate) with slope -1, while ``R`` against ``D`` itself has ``d^2R/dD^2 = n/(2 D^2) > 0``
   (curved);
6. a beta weight on the KL with the optimal sigma gives ``(n/2) log(D/n) + beta R = const + (beta - 1) R`` in that
   regime: beta = 1 is indifferent along the line, beta < 1 pushes the rate up, beta > 1 down to the first dropped
   component.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from toyvae.proofs._derivation import Derivation, Steps, max_relative

__all__ = ["derive", "check_against_library"]

N = 3
theta, D, sigma2, n_sym, beta = sp.symbols("theta D sigma2 n beta", positive=True)
mus = sp.symbols(f"mu1:{N + 1}", positive=True)
a, b = sp.symbols("a b", positive=True)


def _excess_expression(d):
    """``(n/2) log(mean d) - (1/2) sum log d``: the claimed form of -ELBO(sigma*) - h(X)."""
    n = len(d)
    return sp.Rational(n, 2) * sp.log(sum(d) / n) - sp.Rational(1, 2) * sum(sp.log(v) for v in d)


@functools.cache
def derive() -> Derivation:
    steps = Steps()
    rec = D / (2 * sigma2) + n_sym / 2 * sp.log(2 * sp.pi * sigma2)
    at_opt = rec.subs(sigma2, D / n_sym)
    steps.equal(sp.expand_log(at_opt, force=True),
                sp.expand_log(n_sym / 2 * sp.log(2 * sp.pi * sp.E * D / n_sym), force=True),
                "the reconstruction term at sigma^2 = D/n is (n/2) log(2 pi e D/n)")
    steps.equal(sp.diff(rec, sigma2).subs(sigma2, D / n_sym), 0, "sigma^2 = D/n is its stationary point")

    h = sp.Rational(1, 2) * sum(sp.log(2 * sp.pi * sp.E * m) for m in mus)
    for k in range(N, -1, -1):  # k coded components (the largest), N - k dropped (d_i = mu_i)
        d = [theta] * k + list(mus[k:])
        R = sum(sp.Rational(1, 2) * sp.log(m / v) for m, v in zip(mus, d))
        neg_elbo = R + sp.Rational(N, 2) * sp.log(2 * sp.pi * sp.E * sum(d) / N)
        steps.equal(sp.expand_log(neg_elbo - h, force=True), sp.expand_log(_excess_expression(d), force=True),
                    f"n = {N}, {k} coded: -ELBO(sigma*) - h(X) = (n/2) log mean d - (1/2) sum log d")
        if k == N:
            steps.equal(sp.expand_log(neg_elbo - h, force=True), 0,
                        "every component coded: -ELBO(sigma*) = h(X) exactly, for every water level")
            # the line: R and the reconstruction term (n/2) log(2 pi e D/n), both functions of theta
            x = sp.Rational(N, 2) * sp.log(2 * sp.pi * sp.E * sum(d) / N)
            steps.equal(sp.diff(R, theta) / sp.diff(x, theta), -1,
                        "in that regime dR / d[(n/2) log(2 pi e D/n)] = -1: a straight line of slope -1")
            R_of_D = R.subs(theta, D / N)
            steps.equal(sp.diff(R_of_D, D, 2), sp.Rational(N, 2) / D**2,
                        "while R against D itself has d^2R/dD^2 = n/(2 D^2) > 0: curved, not linear")
            obj = sp.Rational(N, 2) * sp.log(sum(d) / N) + beta * R
            steps.equal(sp.diff(obj, theta) - (beta - 1) * sp.diff(R, theta), 0,
                        "a KL weight beta with the optimal sigma: the objective is const + (beta - 1) R along the line")
    two = sp.log((a + b) / 2) - sp.log(a) / 2 - sp.log(b) / 2
    steps.equal(sp.expand_log(2 * two, force=True),
                sp.expand_log(sp.log((a + b) ** 2 / (4 * a * b)), force=True),
                "two terms: 2 x excess = log((a + b)^2 / (4 a b))")
    steps.equal((a + b) ** 2 - 4 * a * b, (a - b) ** 2,
                "(a + b)^2 - 4ab = (a - b)^2 >= 0: excess >= 0, zero iff a = b (AM >= GM)")
    rng = np.random.default_rng(0)
    f = sp.lambdify([tuple(mus), theta], _excess_expression(list(mus)), modules="numpy")
    worst = min(f(tuple(rng.uniform(0.01, 5.0, N)), 1.0) for _ in range(200))
    steps.numeric(-worst, 0.0, "n = 3, 200 random unequal error vectors: (n/2)(log AM - log GM) > 0 (Jensen)")
    return steps.finish("sl_linrd", ("SL.LinRD",), {"excess": _excess_expression(list(mus)), "h": h})


def check_against_library() -> float:
    """The lambdified excess ``(n/2)(log AM - log GM)`` of the component errors, evaluated on water-filling
    errors, against :func:`toyvae.theory.gaussian_codes.elbo_line_excess`, and ``h`` against its entropy."""
    from toyvae.theory import gaussian_codes as gc

    res = derive().results
    excess = sp.lambdify([tuple(mus)], res["excess"], modules="numpy")
    h = sp.lambdify([tuple(mus)], res["h"], modules="numpy")
    rng = np.random.default_rng(3)
    worst = 0.0
    for _ in range(20):
        mu = np.sort(rng.uniform(0.05, 4.0, N))[::-1]
        for t in (0.01, mu[2], 0.5 * (mu[1] + mu[2]), 2 * mu[0]):
            d = np.minimum(t, mu)
            # scale 1 nat: the excess is exactly 0 in the coded regime, where both sides are rounding
            worst = max(worst, max_relative(gc.elbo_line_excess(mu, t), excess(tuple(d)), scale=1.0))
        worst = max(worst, max_relative(gc.gaussian_entropy(mu), h(tuple(mu)), scale=1.0))
    return worst
