"""NL26 eq. (44): the expected quadratic distortion under a diagonal Gaussian posterior.

For ``Z ~ N(mu, diag s)`` write ``Z = mu + diag(sqrt s) eps``, ``eps ~ N(0, I)``. Then
``d_M(x, Z) = (x - W Z)^T G (x - W Z)`` (no factor 1/2) is a polynomial of degree 2 in ``eps``; taking its
expectation with the standard normal moments (``E eps_i = 0``, ``E eps_i eps_j = delta_ij``) gives

    E d_M(x, Z) = (x - W mu)^T G (x - W mu) + sum_i c_i s_i,        c_i = (W^T G W)_ii.

Shown with a generic symbolic 3 x 2 decoder ``W`` and a symmetric 3 x 3 metric ``G``.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from toyvae.proofs._derivation import Derivation, Steps, max_relative

__all__ = ["derive", "check_against_library", "N_OUT", "N_LATENT"]

N_OUT, N_LATENT = 3, 2
W = sp.Matrix(N_OUT, N_LATENT, lambda i, j: sp.Symbol(f"W{i}{j}", real=True))
G = sp.Matrix(N_OUT, N_OUT, lambda i, j: sp.Symbol(f"G{min(i, j)}{max(i, j)}", real=True))  # symmetric
x = sp.Matrix(sp.symbols(f"x0:{N_OUT}", real=True))
mu = sp.Matrix(sp.symbols(f"mu0:{N_LATENT}", real=True))
s = sp.Matrix(sp.symbols(f"s0:{N_LATENT}", positive=True))
eps = sp.symbols(f"eps0:{N_LATENT}", real=True)


def _standard_normal_moment(k: int) -> int:
    """E eps^k for eps ~ N(0, 1): 0 for odd k, (k - 1)!! for even k."""
    return 0 if k % 2 else int(sp.factorial2(k - 1)) if k else 1


def _expectation(poly_expr):
    """E over independent standard normal eps of a polynomial in eps (exact, monomial by monomial)."""
    poly = sp.Poly(sp.expand(poly_expr), *eps)
    return sum(coef * sp.Mul(*[_standard_normal_moment(k) for k in monom])
               for monom, coef in zip(poly.monoms(), poly.coeffs()))


@functools.cache
def derive() -> Derivation:
    steps = Steps()
    steps.holds(G == G.T, "G is symmetric")
    Z = mu + sp.Matrix([sp.sqrt(s[i]) * eps[i] for i in range(N_LATENT)])
    residual = x - W * Z
    d_M = (residual.T * G * residual)[0, 0]
    expected = _expectation(d_M)
    r_mu = x - W * mu
    c = [(W.T * G * W)[i, i] for i in range(N_LATENT)]
    cross = (-2 * (r_mu.T * G * W * sp.Matrix(eps))[0, 0])
    steps.equal(_expectation(cross), 0, "the cross term -2 (x - W mu)^T G W diag(sqrt s) eps has mean 0")
    quad = sp.Matrix(eps).T * sp.diag(*[sp.sqrt(si) for si in s]) * W.T * G * W * sp.diag(*[sp.sqrt(si) for si in s]) \
        * sp.Matrix(eps)
    steps.equal(_expectation(quad[0, 0]), sum(ci * si for ci, si in zip(c, s)),
                "E[eps^T B eps] = tr B with B = diag(sqrt s) W^T G W diag(sqrt s): sum_i c_i s_i")
    formula = (r_mu.T * G * r_mu)[0, 0] + sum(ci * si for ci, si in zip(c, s))
    steps.equal(expected, formula, "E d_M(x, Z) = (x - W mu)^T G (x - W mu) + sum_i c_i s_i (eq. 44)")
    return steps.finish("nl26_e44", ("NL26.E44",), {"expected_distortion": formula, "c": sp.ImmutableMatrix(c)})


def _symbols():
    return (list(x), list(mu), list(s), list(W), [G[i, j] for i in range(N_OUT) for j in range(i, N_OUT)])


def check_against_library() -> float:
    """Lambdified eq. (44) and ``c`` vs ``linear_gaussian.expected_distortion`` and ``metric_coefficients`` at
    random ``x, mu, s, W`` and random symmetric positive definite ``G``."""
    from toyvae.theory import linear_gaussian

    res = derive().results
    args = _symbols()
    e44 = sp.lambdify(args, res["expected_distortion"], modules="numpy")
    cf = sp.lambdify(args, res["c"], modules="numpy")
    rng = np.random.default_rng(4)
    worst = 0.0
    for _ in range(20):
        xv, mv, sv = rng.normal(size=N_OUT), rng.normal(size=N_LATENT), np.exp(rng.normal(size=N_LATENT))
        Wv = rng.normal(size=(N_OUT, N_LATENT))
        A = rng.normal(size=(N_OUT, N_OUT))
        Gv = A @ A.T + 0.1 * np.eye(N_OUT)
        vals = (list(xv), list(mv), list(sv), list(Wv.ravel()), [Gv[i, j] for i in range(N_OUT) for j in range(i, N_OUT)])
        worst = max(worst, max_relative(e44(*vals), linear_gaussian.expected_distortion(xv, mv, sv, Wv, Gv)))
        worst = max(worst, max_relative(np.ravel(cf(*vals)), linear_gaussian.metric_coefficients(Wv, Gv)))
    return worst
