"""Q&A (QA.1): the Gaussian decoder NLL is the squared error plus a constant; the Bernoulli NLL is the BCE.

* ``-log N(x; f, sigma^2 I) = |x - f|^2 / (2 sigma^2) + (D/2) log(2 pi sigma^2)``: the second term does not
  depend on the decoder output ``f``, so minimising the NLL in ``f`` is minimising the squared error
  (weighted by ``1 / (2 sigma^2)``).
* ``-log Bernoulli(x; p) = -(x log p + (1 - x) log(1 - p))``, the binary cross-entropy; with logits,
  ``p = sigmoid(l)``, it is ``softplus(l) - x l``.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from toyvae.proofs._derivation import Derivation, Steps, max_relative

__all__ = ["derive", "check_against_library"]

s = sp.Symbol("sigma", positive=True)
n_coords = 3
x = sp.symbols(f"x0:{n_coords}", real=True)
f = sp.symbols(f"f0:{n_coords}", real=True)
xb = sp.Symbol("x_b", real=True)  # a Bernoulli target in [0, 1]
p = sp.Symbol("p", positive=True)
logit = sp.Symbol("l", real=True)


@functools.cache
def derive() -> Derivation:
    steps = Steps()
    se = sum((xi - fi) ** 2 for xi, fi in zip(x, f))
    density = sp.Mul(*[sp.exp(-((xi - fi) ** 2) / (2 * s**2)) / (s * sp.sqrt(2 * sp.pi)) for xi, fi in zip(x, f)])
    nll = -sp.expand_log(sp.log(density), force=True)
    const = sp.Rational(n_coords, 2) * sp.log(2 * sp.pi * s**2)
    steps.equal(nll, se / (2 * s**2) + const, "-log N(x; f, sigma^2 I) = |x - f|^2 / (2 sigma^2) + (D/2) log(2 pi sigma^2)")
    steps.holds(all(not sp.simplify(nll - se / (2 * s**2)).has(fi) for fi in f),
                "NLL - SE / (2 sigma^2) does not depend on f")
    bern = p**xb * (1 - p) ** (1 - xb)
    bce = -(xb * sp.log(p) + (1 - xb) * sp.log(1 - p))
    steps.equal(-sp.expand_log(sp.log(bern), force=True), bce, "-log Bernoulli(x; p) = -(x log p + (1-x) log(1-p))")
    sig = 1 / (1 + sp.exp(-logit))
    softplus = sp.log(1 + sp.exp(logit))
    in_logits = bce.subs(p, sig)
    steps.equal(sp.expand_log(sp.expand(in_logits - (softplus - xb * logit)), force=True)
                .rewrite(sp.exp).simplify(), 0,
                "with p = sigmoid(l): BCE = softplus(l) - x l")
    return steps.finish("qa1", ("QA.1",), {"gaussian_nll": nll, "gaussian_constant": const, "bce": bce,
                                           "bce_logits": softplus - xb * logit})


def check_against_library() -> float:
    """Lambdified Gaussian NLL and BCE vs ``likelihoods.gaussian_nll`` and ``bernoulli_nll`` at random points."""
    from toyvae.theory import likelihoods

    res = derive().results
    g = sp.lambdify((x, f, s), res["gaussian_nll"], modules="numpy")
    b = sp.lambdify((xb, logit), res["bce_logits"], modules="numpy")
    bce_p = sp.lambdify((xb, p), res["bce"], modules="numpy")
    rng = np.random.default_rng(2)
    worst = 0.0
    for _ in range(20):
        xv, fv = rng.normal(size=(2, n_coords))
        sv = rng.uniform(0.05, 3.0)
        worst = max(worst, max_relative(g(xv, fv, sv), likelihoods.gaussian_nll(xv, fv, sv)))
        t = rng.uniform(0, 1)
        lv = rng.normal(scale=4.0)
        ref = likelihoods.bernoulli_nll(np.array([t]), np.array([lv]))
        worst = max(worst, max_relative(b(t, lv), ref), max_relative(bce_p(t, 1 / (1 + np.exp(-lv))), ref))
    return worst
