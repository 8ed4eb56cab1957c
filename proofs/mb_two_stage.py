"""MB Sec. 4, eqs. 5-6 (claim MB.2stage): a two-stage linear VAE on one Gaussian component is successively refinable.

One component ``x ~ N(0, mu)``, water levels ``mu > theta1 > theta2 > 0`` (written ``theta2 = t``,
``theta1 = t + d1``, ``mu = t + d1 + d2`` with ``t, d1, d2 > 0`` so that every square root is real).

1. Primary, the optimal linear VAE at ``theta1``: ``s1 = theta1/mu``, ``a1 = sqrt((1 - s1)/mu)``,
   ``w1 = a1 mu``. Its Lagrangian ``(1 - w a)^2 mu + w^2 s + 2 theta1 (a^2 mu/2 + g(s))`` is stationary there;
   distortion ``theta1``, rate ``1/2 log(mu/theta1)``.
2. Reconstruction at a posterior sample (MB eq. 5), ``x~ = w1 z``, ``z ~ N(a1 x, s1)``:
   ``Var x~ = Cov(x, x~) = mu - theta1``, so ``E[x|x~] = x~`` and ``Var(x|x~) = theta1``; the copy has
   ``E(x - x~)^2 = theta1 = gamma``. At the posterior mean, ``x~ = w1 a1 x``: ``Var(x|x~) = 0`` and the copy
   has ``E(x - x~)^2 = theta1^2/mu``.
3. Secondary with every parameter free, ``(a2, b2, s2, p2, v2, w2)``: ``v2`` and ``m = b2 - p2`` enter
   quadratically and are eliminated exactly; what remains is a scalar linear VAE on the residual of variance
   ``nu = Var(x|x~)``, whose least rate at distortion ``D`` is ``1/2 log(nu/D)`` (optimise ``w2``, then ``s2`` at
   fixed ``D``). At ``D = theta2``: ``rate2 = 1/2 log(theta1/theta2)`` and ``rate1 + rate2 = 1/2 log(mu/theta2)``.
   The explicit optimum (``b2 = -a2``, ``p2 = v2 = 0``, ``w2 = a2 theta1``, ``s2 = theta2/theta1``) is a
   stationary point of ``D2 + 2 theta2 R2`` in all six parameters.
4. Sample change (generation: ``z ~ N(0, 1)``, ``x~ = w1 z``, ``z2 ~ N(p2 x~, 1)``): ``E(mu~ - x~)^2 =
   (v2 + w2 p2)^2 w1^2 + w2^2``, at the optimum ``theta1 - theta2``; the final mean sample has variance
   ``mu - theta2``, that of the single VAE at ``theta2``. A component the primary does not code
   (``theta2 < mu <= theta1``): ``nu = mu``, ``rate2 = 1/2 log(mu/theta2)``, change ``mu - theta2``.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from toyvae.proofs._derivation import Derivation, Steps, max_relative
from toyvae.proofs.nl26_kl import g_expr

__all__ = ["derive", "check_against_library"]

t, d1, d2 = sp.symbols("t d1 d2", positive=True)  # theta2, theta1 - theta2, mu - theta1
mu_, theta1_, theta2_ = sp.symbols("mu theta1 theta2", positive=True)  # names of the lambdified results
a, w, s = sp.symbols("a w s", real=True)
s_pos, rho, nu, u = sp.symbols("s_pos rho nu u", positive=True)
a2, b2, p2, v2, w2, m = sp.symbols("a2 b2 p2 v2 w2 m", real=True)
s2 = sp.Symbol("s2", positive=True)

theta2 = t
theta1 = t + d1
mu = t + d1 + d2


def _lagrangian(var, beta):
    """Scalar linear VAE on ``N(0, var)``: ``(1 - w a)^2 var + w^2 s + beta (a^2 var / 2 + g(s))``."""
    return (1 - w * a) ** 2 * var + w**2 * s + beta * (a**2 * var / 2 + g_expr(s))


def _optimum(var, level):
    s_opt = level / var
    a_opt = sp.sqrt((1 - s_opt) / var)
    return {s: s_opt, a: a_opt, w: a_opt * var}


@functools.cache
def derive() -> Derivation:
    steps = Steps()
    by_theta = {t: theta2_, d1: theta1_ - theta2_, d2: mu_ - theta1_}

    # 1. primary
    L1 = _lagrangian(mu, 2 * theta1)
    opt1 = _optimum(mu, theta1)
    for v in (a, w, s):
        steps.equal(sp.diff(L1, v).subs(opt1), 0,
                    f"primary: dL/d{v} = 0 at s1 = theta1/mu, a1 = sqrt((1-s1)/mu), w1 = a1 mu")
    s1, a1, w1 = opt1[s], opt1[a], opt1[w]
    dist1 = (1 - w1 * a1) ** 2 * mu + w1**2 * s1
    rate1 = a1**2 * mu / 2 + g_expr(s1)
    steps.equal(dist1, theta1, "primary distortion (decoder at a posterior sample) = theta1")
    steps.equal(rate1, sp.log(mu / theta1) / 2, "primary rate = 1/2 log(mu/theta1) = R(theta1)")

    # 2. the conditional source x | x~
    var_t = w1**2 * (a1**2 * mu + s1)  # x~ = w1 (a1 x + sqrt(s1) eps)
    cov_t = w1 * a1 * mu
    steps.equal(var_t, mu - theta1, "sample convention: Var x~ = mu - theta1")
    steps.equal(cov_t, mu - theta1, "Cov(x, x~) = mu - theta1, so E[x|x~] = x~")
    nu_sample = mu - cov_t**2 / var_t
    steps.equal(nu_sample, theta1, "Var(x|x~) = theta1: x = x~ + N(0, theta1), the backward test channel")
    steps.equal(mu - 2 * cov_t + var_t, theta1, "copy (mu~ = x~): E(x - x~)^2 = theta1 = gamma")
    var_pm = (w1 * a1) ** 2 * mu  # x~ = w1 a1 x
    nu_pm = mu - cov_t**2 / var_pm
    steps.equal(nu_pm, 0, "posterior-mean convention: Var(x|x~) = 0, x~ determines x")
    copy_pm = mu - 2 * cov_t + var_pm
    steps.equal(copy_pm, theta1**2 / mu, "posterior-mean copy: E(x - x~)^2 = theta1^2/mu < theta1")

    # 3. secondary, every parameter free; (x, x~) moments of the sample convention
    def moments(u, vv):  # E[(u x + vv x~)^2]
        return u**2 * mu + 2 * u * vv * cov_t + vv**2 * var_t

    R2 = moments(a2, b2 - p2) / 2 + g_expr(s2)
    D2 = moments(1 - w2 * a2, -(1 + v2 + w2 * b2)) + w2**2 * s2
    L2 = D2 + 2 * theta2 * R2
    # 3a. v2 enters D2 as a convex quadratic; its minimiser, and what D2 becomes
    v_root = sp.solve(sp.diff(D2, v2), v2)
    steps.holds(len(v_root) == 1 and sp.simplify(sp.diff(D2, v2, 2) - 2 * var_t) == 0,
                "d^2 D2/dv2^2 = 2 Var x~ > 0: one minimiser over v2")
    steps.equal(D2.subs(v2, v_root[0]), (1 - w2 * a2) ** 2 * nu_sample + w2**2 * s2,
                "min over v2: D2 = (1 - w2 a2)^2 Var(x|x~) + w2^2 s2")
    # 3b. R2 depends on b2, p2 through m = b2 - p2 only; minimise over m
    R2m = (a2**2 * mu + 2 * a2 * m * cov_t + m**2 * var_t) / 2 + g_expr(s2)
    m_root = sp.solve(sp.diff(R2m, m), m)
    steps.holds(len(m_root) == 1, "R2 is a convex quadratic in m = b2 - p2: one minimiser")
    steps.equal(R2m.subs(m, m_root[0]), a2**2 * nu_sample / 2 + g_expr(s2),
                "min over m: R2 = a2^2 Var(x|x~)/2 + g(s2), a linear VAE on the residual")
    # 3c. scalar linear VAE on variance nu: least rate at distortion D = rho nu is 1/2 log(1/rho)
    Dw = (1 - w * a) ** 2 * nu + w**2 * s_pos
    w_root = sp.solve(sp.diff(Dw, w), w)
    steps.holds(len(w_root) == 1 and sp.simplify(sp.diff(Dw, w, 2) - 2 * (a**2 * nu + s_pos)) == 0,
                "D is a convex quadratic in w (second derivative 2 (a^2 nu + s) > 0): one minimiser")
    steps.equal(Dw.subs(w, w_root[0]), nu * s_pos / (a**2 * nu + s_pos), "min over w: D = nu s / (a^2 nu + s)")
    # fix D = rho nu (0 < rho <= 1): then u = a^2 nu = s (1 - rho)/rho, and the rate u/2 + g(s) is a function of s
    u_rho = s_pos * (1 - rho) / rho
    steps.equal((nu * s_pos / (u + s_pos)).subs(u, u_rho), rho * nu, "a^2 nu = s (1 - rho)/rho gives D = rho nu")
    rate_rho = u_rho / 2 + g_expr(s_pos)
    steps.equal(sp.diff(rate_rho, s_pos, 2), 1 / (2 * s_pos**2), "at fixed D the rate is strictly convex in s")
    s_root = sp.solve(sp.diff(rate_rho, s_pos), s_pos)
    steps.holds(len(s_root) == 1 and sp.simplify(s_root[0] - rho) == 0, "its unique minimiser is s = rho = D/nu")
    least_rate = sp.simplify(rate_rho.subs(s_pos, rho))
    steps.equal(least_rate, -sp.log(rho) / 2, "least rate at distortion D: 1/2 log(nu/D)")
    rate2 = least_rate.subs(rho, theta2 / nu_sample)
    steps.equal(rate2, sp.log(theta1 / theta2) / 2, "secondary at theta2: rate2 = 1/2 log(theta1/theta2)")
    steps.equal(rate1 + rate2, sp.log(mu / theta2) / 2,
                "rate1 + rate2 = 1/2 log(mu/theta2) = R(theta2): successively refinable (Equitz & Cover 1991)")
    # 3d. the explicit optimum is stationary in all six parameters
    s2_opt = theta2 / theta1
    a2_opt = sp.sqrt((1 - s2_opt) / theta1)
    opt2 = {a2: a2_opt, b2: -a2_opt, s2: s2_opt, p2: 0, v2: 0, w2: a2_opt * theta1}
    for v in (a2, b2, s2, p2, v2, w2):
        steps.equal(sp.diff(L2, v).subs(opt2), 0, f"secondary: dL2/d{v} = 0 at the explicit optimum")
    steps.equal(D2.subs(opt2), theta2, "its distortion is theta2 = gamma~")
    steps.equal(R2.subs(opt2), rate2, "its rate is 1/2 log(theta1/theta2)")

    # 4. sample change under the generative model
    change = (v2 + w2 * p2) ** 2 * w1**2 + w2**2
    change_opt = change.subs(opt2)
    steps.equal(change_opt, theta1 - theta2,
                "E(mu~ - x~)^2 = (v2 + w2 p2)^2 w1^2 + w2^2 = theta1 - theta2 at the optimum")
    steps.equal(w1**2 + change_opt, mu - theta2,
                "final mean sample variance mu - theta2 = the single VAE's at theta2 (its w^2 = (1 - theta2/mu) mu)")
    # a component only the secondary codes (theta2 < mu <= theta1): x~ = 0, nu = mu
    mu_low = t + d1  # any value in (theta2, theta1]: here theta1 itself, the boundary case
    steps.equal(least_rate.subs(rho, theta2 / mu_low), sp.log(mu_low / theta2) / 2,
                "uncoded by the primary: rate2 = 1/2 log(mu/theta2)")
    w_low = _optimum(mu_low, theta2)[w]
    steps.equal(w_low**2, mu_low - theta2, "... and its sample change is mu - theta2")

    results = {
        "rate1": sp.simplify((sp.log(mu / theta1) / 2).subs(by_theta)),
        "rate2": sp.simplify(rate2.subs(by_theta)),
        "rate_total": sp.simplify((rate1 + rate2).subs(by_theta)),
        "conditional_variance": sp.simplify(nu_sample.subs(by_theta)),
        "copy_distortion_posterior_mean": sp.simplify(copy_pm.subs(by_theta)),
        "sample_change": sp.simplify(change_opt.subs(by_theta)),
        "least_rate": least_rate,
    }
    return steps.finish("mb_two_stage", ("MB.2stage",), results)


def check_against_library() -> float:
    """Lambdified rates, conditional variance, copy distortion and sample change vs
    ``toyvae.theory.successive`` on single components and on the n = 8 spectrum ``k^-2``."""
    from toyvae.theory import rate_distortion as rd
    from toyvae.theory import successive as su

    res = derive().results
    lam = {k: sp.lambdify((mu_, theta1_, theta2_), res[k], modules="numpy") for k in
           ("rate1", "rate2", "rate_total", "conditional_variance", "copy_distortion_posterior_mean", "sample_change")}
    # broadcast: a lambdified constant in mu (e.g. theta1 - theta2) returns a scalar for an array mu
    f = {k: (lambda fn: lambda m_, a_, b_: np.broadcast_to(fn(m_, a_, b_), np.shape(m_)))(fn) for k, fn in lam.items()}
    worst = 0.0
    for mu_v, th1, th2 in ((1.0, 0.5, 0.1), (3.0, 0.01, 1e-4), (0.2, 0.19, 0.05), (50.0, 2.0, 1.9)):
        # one component: D(theta) = theta, so gamma = theta1 and gamma~ = theta2
        opt = su.two_stage_optimum(np.array([mu_v]), th1, th2)
        src = su.conditional_source(opt.primary, np.array([[mu_v]]))
        zero = su.SecondaryParams(*(np.zeros((1, 1)),) * 2, np.ones(1), *(np.zeros((1, 1)),) * 3)
        copy_pm = su.conditional_linear_vae_parts(opt.primary, zero, np.array([[mu_v]]), "posterior_mean")
        pairs = ((f["rate1"], opt.rate1), (f["rate2"], opt.rate2), (f["rate_total"], opt.rate_total),
                 (f["conditional_variance"], src.covariance[0, 0]),
                 (f["copy_distortion_posterior_mean"], copy_pm.copy_distortion),
                 (f["sample_change"], opt.sample_change))
        for sym, lib in pairs:
            worst = max(worst, max_relative(lib, sym(mu_v, th1, th2)))
    # n = 8, spectrum k^-2, gamma = 0.2, gamma~ = 0.05: coded components from the primary's formula, the rest
    # from the uncoded-component steps (rate2 = 1/2 log(mu/theta2), change = mu - theta2)
    spec = np.arange(1, 9, dtype=float) ** -2
    opt = su.two_stage_optimum(spec, 0.2, 0.05)
    th1, th2 = opt.theta1, opt.theta2
    coded, refined = spec > th1, (spec > th2) & (spec <= th1)
    rate2 = np.sum(f["rate2"](spec[coded], th1, th2)) + np.sum(np.log(spec[refined] / th2) / 2)
    per = np.where(coded, f["sample_change"](np.where(coded, spec, 1.0), th1, th2), np.where(refined, spec - th2, 0.0))
    for lib, sym in ((opt.rate2, rate2), (opt.rate_total, float(rd.rate_distortion(spec, 0.05))),
                     (opt.innovation_variance, per), (opt.sample_change, per.sum())):
        worst = max(worst, max_relative(lib, sym, scale=1e-3))  # scale: the smallest nonzero share is ~1e-2
    return worst
