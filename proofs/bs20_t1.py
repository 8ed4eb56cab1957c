"""Berger & Sebag (2020), Theorem 1: eq. (8) -> eq. (9), the Bessel closed form, the curvature at r = 0.

Eq. (8) is, up to constants, ``log p(r) = -r^2 / (2 sigma^2) + log J(r)`` with

    J(r) = int_0^pi sin^{D-2}(phi) exp(a cos phi) dphi,        a = r R / sigma^2.

1. *Eq. (9).* Differentiating under the integral and integrating ``cos phi sin^{D-2} phi e^{a cos phi}``
   by parts (the boundary term ``sin^{D-1} e^{a cos} / (D - 1)`` vanishes at 0 and pi) gives

       e^{r^2 / (2 sigma^2)} dp/dr = (r / sigma^2) int_0^pi (R^2 sin^2 phi / ((D - 1) sigma^2) - 1)
                                      sin^{D-2}(phi) e^{a cos phi} dphi.

   The paper prints the exponent of eq. (9) as ``r R cos(phi)``, without the ``1 / sigma^2`` of ``a``:
   a typo (the two agree only for sigma = 1); the sign argument is unaffected. Bounding
   ``sin^2 <= 1`` gives the paper's sufficient condition ``R^2 <= (D - 1) sigma^2`` for ``dp/dr < 0``.
2. *Closed form* (DLMF 10.32.2), derived term by term: expand ``e^{a cos phi}``; odd powers of
   ``cos`` integrate to 0 (reflection ``phi -> pi - phi``), even ones give Euler's Beta integral
   ``int_0^pi sin^{2 nu} cos^{2m} = B(nu + 1/2, m + 1/2)`` (substitution ``t = sin^2 phi``); the
   Legendre duplication formula turns each term into the ``m``-th term of
   ``sqrt(pi) Gamma(nu + 1/2) (2 / a)^nu I_nu(a)``, ``nu = (D - 2) / 2``.
3. *Curvature at r = 0*: ``J(a) = J(0) (1 + a^2 / (2 D) + O(a^4))``, so
   ``d^2/dr^2 log p |_{r=0} = (R^2 / (D sigma^2) - 1) / sigma^2``.
"""

from __future__ import annotations

import functools

import mpmath
import sympy as sp

from toyvae.proofs._derivation import Derivation, Steps, max_relative

__all__ = ["derive", "check_against_library"]

phi = sp.Symbol("phi", real=True)
r = sp.Symbol("r", nonnegative=True)
R, sigma = sp.symbols("R sigma", positive=True)
Dm1 = sp.Symbol("D_m1", positive=True)  # D - 1 > 0, so sin^{D-1} vanishes at 0 and pi
D = Dm1 + 1
a = sp.Symbol("a", positive=True)
nu = sp.Symbol("nu", nonnegative=True)
m = sp.Symbol("m", integer=True, nonnegative=True)


def beta_fn(p, q):
    """Euler's Beta function B(p, q) = Gamma(p) Gamma(q) / Gamma(p + q) (DLMF 5.12.1)."""
    return sp.gamma(p) * sp.gamma(q) / sp.gamma(p + q)


@functools.cache
def derive() -> Derivation:
    steps = Steps()
    aa = r * R / sigma**2
    weight = sp.sin(phi) ** (D - 2) * sp.exp(aa * sp.cos(phi))

    # --- 1. eq. (8) -> eq. (9) -------------------------------------------------------------
    J = sp.Integral(weight, (phi, 0, sp.pi))
    p = sp.exp(-(r**2) / (2 * sigma**2)) * J  # eq. (8) without its constant
    dp = sp.diff(p, r)  # sympy differentiates under the integral sign (Leibniz rule)
    dJ_integrand = sp.diff(weight, r)
    steps.equal(dJ_integrand, (R / sigma**2) * sp.cos(phi) * weight,
                "d/dr of the integrand of eq. (8) is (R / sigma^2) cos(phi) times it")
    steps.equal(dp, sp.exp(-(r**2) / (2 * sigma**2)) * (-r / sigma**2 * J + sp.Integral(dJ_integrand, (phi, 0, sp.pi))),
                "product rule: dp/dr = e^{-r^2/2s^2} (-r/s^2 J + int d/dr integrand)")

    boundary = sp.sin(phi) ** (D - 1) * sp.exp(aa * sp.cos(phi)) / (D - 1)
    steps.equal(sp.diff(boundary, phi),
                sp.cos(phi) * weight - aa * sp.sin(phi) ** D * sp.exp(aa * sp.cos(phi)) / (D - 1),
                "integration by parts: d/dphi[sin^{D-1} e^{a cos} / (D-1)] = cos sin^{D-2} e^{a cos} - a sin^D e^{a cos} / (D-1)")
    steps.equal(boundary.subs(phi, sp.pi) - boundary.subs(phi, 0), 0,
                "the boundary term vanishes at phi = 0 and phi = pi (D > 1)")
    # hence int cos sin^{D-2} e^{a cos} = a / (D-1) int sin^D e^{a cos}; insert into dp/dr
    ibp_integrand = (R / sigma**2) * aa * sp.sin(phi) ** D * sp.exp(aa * sp.cos(phi)) / (D - 1)
    combined = -r / sigma**2 * weight + ibp_integrand
    eq9 = (r / sigma**2) * (R**2 * sp.sin(phi) ** 2 / ((D - 1) * sigma**2) - 1) * weight
    steps.equal(combined, eq9,
                "collecting under one integral gives eq. (9): (r/s^2)(R^2 sin^2 / ((D-1) s^2) - 1) sin^{D-2} e^{a cos}")
    printed = (r / sigma**2) * (R**2 * sp.sin(phi) ** 2 / ((D - 1) * sigma**2) - 1) * sp.sin(phi) ** (D - 2) \
        * sp.exp(r * R * sp.cos(phi))
    steps.holds(sp.simplify(eq9 - printed) != 0 and sp.simplify((eq9 - printed).subs(sigma, 1)) == 0,
                "eq. (9) as printed (exponent r R cos phi) is a typo: it matches the derivation only at sigma = 1")
    bracket = R**2 * sp.sin(phi) ** 2 / ((D - 1) * sigma**2) - 1
    steps.equal(bracket - (R**2 / ((D - 1) * sigma**2) - 1), -R**2 * sp.cos(phi) ** 2 / ((D - 1) * sigma**2),
                "sin^2 <= 1: the bracket is at most R^2/((D-1) s^2) - 1, so R^2 <= (D-1) s^2 gives dp/dr < 0 for r > 0")

    # --- 2. closed form of the angular integral, term by term --------------------------------
    odd = sp.sin(phi) ** (2 * nu) * sp.cos(phi) ** (2 * m + 1)
    steps.equal(odd.subs(phi, sp.pi - phi), -odd,
                "odd powers: sin^{2nu} cos^{2m+1} is odd under phi -> pi - phi, so it integrates to 0 on [0, pi]")
    S, C = sp.symbols("S C", positive=True)  # sin(phi), cos(phi) on (0, pi/2)
    t = S**2
    jac = 2 * S * C  # dt/dphi
    steps.equal((t ** (nu - sp.Rational(1, 2)) * (1 - t) ** (m - sp.Rational(1, 2)) / 2 * jac).subs(C, sp.sqrt(1 - S**2)),
                (S ** (2 * nu) * C ** (2 * m)).subs(C, sp.sqrt(1 - S**2)),
                "t = sin^2 phi turns sin^{2nu} cos^{2m} dphi on (0, pi/2) into t^{nu-1/2} (1-t)^{m-1/2} dt / 2; "
                "with the reflection, int_0^pi = B(nu + 1/2, m + 1/2)")
    for nu_val, m_val in [(0, 0), (0, 2), (sp.Rational(1, 2), 1), (1, 1), (sp.Rational(3, 2), 2), (2, 0)]:
        exact = sp.integrate(sp.sin(phi) ** (2 * nu_val) * sp.cos(phi) ** (2 * m_val), (phi, 0, sp.pi))
        steps.equal(exact, beta_fn(nu_val + sp.Rational(1, 2), m_val + sp.Rational(1, 2)),
                    f"exact integral equals the Beta form for nu = {nu_val}, m = {m_val}")
    series_term = a ** (2 * m) / sp.factorial(2 * m) * beta_fn(nu + sp.Rational(1, 2), m + sp.Rational(1, 2))
    closed_form = sp.sqrt(sp.pi) * sp.gamma(nu + sp.Rational(1, 2)) * (2 / a) ** nu * sp.besseli(nu, a)
    # m-th term of sqrt(pi) Gamma(nu + 1/2) (2/a)^nu I_nu(a), with I_nu(a) = sum (a/2)^{2m+nu} / (m! Gamma(m+nu+1))
    bessel_term = sp.sqrt(sp.pi) * sp.gamma(nu + sp.Rational(1, 2)) * (a / 2) ** (2 * m) / (sp.factorial(m) * sp.gamma(m + nu + 1))
    steps.equal(sp.gamma(m + sp.Rational(1, 2)), sp.factorial(2 * m) * sp.sqrt(sp.pi) / (4**m * sp.factorial(m)),
                "Legendre duplication: Gamma(m + 1/2) = (2m)! sqrt(pi) / (4^m m!)")
    steps.equal(sp.gammasimp(series_term / bessel_term), 1,
                "term m of the expanded integral equals term m of sqrt(pi) Gamma(nu+1/2) (2/a)^nu I_nu(a)")
    worst = 0.0
    for nu_val, a_val in [(0, 0.3), (0.5, 2.0), (1.5, 7.0), (4.0, 15.0)]:
        quad = mpmath.quad(lambda x: mpmath.sin(x) ** (2 * nu_val) * mpmath.exp(a_val * mpmath.cos(x)), [0, mpmath.pi])
        closed = sp.N(closed_form.subs({nu: nu_val, a: a_val}), 30)
        worst = max(worst, float(abs(quad - closed) / abs(quad)))
    steps.numeric(worst, 1e-12, "closed form vs mpmath quadrature at (nu, a) in {(0,.3),(.5,2),(1.5,7),(4,15)}")

    # --- 3. curvature of log p at r = 0 --------------------------------------------------------
    coeff = lambda k: bessel_term.subs(m, k)  # noqa: E731  (coefficient of a^{2k}, up to the common factor)
    ratio = sp.gammasimp(coeff(1) / coeff(0))
    nu_of_D = (D - 2) / 2
    steps.equal(ratio.subs(nu, nu_of_D), a**2 / (2 * D),
                "J(a) = J(0) (1 + a^2 / (2D) + O(a^4)): the ratio of the first two series terms is 1/(2D) per a^2")
    log_p_series = -(r**2) / (2 * sigma**2) + sp.log(1 + aa**2 / (2 * D))  # O(a^4) does not reach the 2nd derivative
    curvature = sp.diff(log_p_series, r, 2).subs(r, 0)
    steps.equal(curvature, (R**2 / (D * sigma**2) - 1) / sigma**2,
                "d^2/dr^2 log p at r = 0 is (R^2 / (D sigma^2) - 1) / sigma^2")

    # log p(r) - log p(0) in terms of the closed form; the value at a = 0 is the m = 0 term
    at_zero = bessel_term.subs(m, 0)
    steps.equal(at_zero, beta_fn(nu + sp.Rational(1, 2), sp.Rational(1, 2)),
                "the angular integral at a = 0 is B(nu + 1/2, 1/2), the m = 0 term")
    Dsym = sp.Symbol("D", positive=True)
    log_marginal = (-(r**2) / (2 * sigma**2) + sp.log(closed_form / at_zero)).subs(a, aa).subs(nu, (Dsym - 2) / 2)
    results = {
        "eq9_integrand": eq9.subs(Dm1, Dsym - 1),
        "bessel_closed_form": closed_form,
        "curvature_at_zero": curvature.subs(Dm1, Dsym - 1),
        "log_marginal": log_marginal,
    }
    return steps.finish("bs20_t1", ("BS20.T1",), results)


def check_against_library() -> float:
    """Lambdified log p(r) - log p(0) and curvature vs ``hypersphere.log_marginal``.

    The curvature is compared with ``2 log_marginal(h) / h^2`` at ``h = 1e-4 sigma`` (log_marginal is
    even in r and 0 at r = 0; the truncation is ``O(h^2)``, ~1e-8 relative), scaled by ``1 / sigma^2``,
    the size of the curvature's terms.
    """
    from toyvae.theory import hypersphere

    res = derive().results
    Dsym = sp.Symbol("D", positive=True)
    log_marginal = sp.lambdify((r, R, sigma, Dsym), res["log_marginal"], modules=["scipy", "numpy"])
    curvature = sp.lambdify((R, sigma, Dsym), res["curvature_at_zero"], modules="numpy")
    worst = 0.0
    for D_val in (2, 3, 5, 10):
        for R_over_sigma in (0.5, 1.0, 2.0, 4.0):
            for r_over_R in (0.25, 0.5, 1.0, 1.5):
                sigma_val = 0.7
                R_val = R_over_sigma * sigma_val
                r_val = r_over_R * R_val
                worst = max(worst, max_relative(log_marginal(r_val, R_val, sigma_val, D_val),
                                                hypersphere.log_marginal(r_val, R_val, sigma_val, D_val)))
            h = 1e-4 * sigma_val
            fd = 2 * hypersphere.log_marginal(h, R_val, sigma_val, D_val) / h**2
            worst = max(worst, max_relative(curvature(R_val, sigma_val, D_val), fd, scale=1 / sigma_val**2))
    return worst
