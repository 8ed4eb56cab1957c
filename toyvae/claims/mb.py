"""MB claims ("Mind your bits and errors", App. B.2, Fig. 6, Sec. 3) on linear-Gaussian VAEs: declarations only.

Distortion-targeted training (:func:`toyvae.experiments.linear_vae.train_distortion_targeted`): the model minimises
``(1 - lambda) R + lambda D`` (eq. 9), ``lambda`` ascends ``lambda (D - gamma)`` (eq. 10). Source: the shared-sweep
Gaussian (n = 8, spectrum k^-2 in the DCT basis); distortion = summed squared error; rates in nats. The measurements
are :mod:`toyvae.experiments.mb_measure`; the rules below judge them (:mod:`toyvae.evidence`).
"""

from __future__ import annotations

import numpy as np

from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim
from toyvae.evidence import Equivalence, Exact, Ordering, Rules, Settled, Within
from toyvae.experiments import linear_vae as lv
from toyvae.experiments import mb_measure as mm

__all__ = ["check_lag", "check_f6", "check_mi", "check_f1", "LAG_RULES", "F6_RULES", "MI_RULES", "F1_RULES"]

BETA_MARGIN = 0.1  # relative: averaged beta vs the water-filling beta* (equivalence margin, log 1.1)
D_TOL = 0.05  # relative: window-averaged distortion vs gamma
SETTLE_MATERIALITY = 0.05  # relative drift of beta between the halves of the final window
EXACT_TOL = 1e-9  # nats: float64 closed forms

LAG_RULES = Rules(
    premises=tuple(
        Settled(name=f"beta settled {g:g}", history=f"beta window {g:g}", materiality=SETTLE_MATERIALITY,
                says=f"at gamma = {g:g} the multiplier's beta has settled: its mean moves by less than "
                     f"{SETTLE_MATERIALITY:.0%} between the halves of the final {mm.WINDOW:.0%} of the steps",
                if_false="beta still drifts by more than the materiality bound, so its window average is not the "
                         "fixed point")
        for g in lv.MB_GAMMAS),
    core=tuple(
        Equivalence(name=f"D at gamma {g:g}", a=f"D/gamma {g:g}", b=1.0, margin=D_TOL, requires=(),
                    says=f"the window-averaged distortion is at its target gamma = {g:g} (within {D_TOL:.0%})",
                    if_false="the multiplier does not hold D at gamma")
        for g in lv.MB_GAMMAS) + tuple(
        Equivalence(name=f"beta = beta* {g:g}", a=f"log beta/beta* {g:g}", b=0.0, margin=float(np.log1p(BETA_MARGIN)),
                    requires=(f"beta settled {g:g}",),
                    says=f"at gamma = {g:g} the averaged beta = (1 - lambda)/lambda equals the water-filling "
                         f"beta* = 2 theta(gamma) within a factor {1 + BETA_MARGIN:g}",
                    if_false="the fixed point of distortion targeting is not the rate-distortion optimum's beta")
        for g in lv.MB_GAMMAS),
)


@claim(
    id="MB.Lag",
    source="MB App. B.2-B.3 and Fig. 9",
    statement="Distortion-targeted training drives the distortion to the target gamma quickly (Fig. 9), and its fixed "
    "point is a beta-VAE with beta = (1 - lambda)/lambda: for a Gaussian source that beta must be the water-filling "
    "beta* = 2 theta(gamma) of the exact rate-distortion curve.",
    expected=Verdict.OPEN,
    kind="trained",
    rules=LAG_RULES,
    expected_full=Verdict.CONFIRMED,
    full_note="full profile run on the CPU, 2026-12-06 (results/full_profile/nl26_sl_mb_linear.json): confirmed; with 40000 steps beta settles at every gamma, which the quick run's 6000 did not reach at gamma = 0.1, 0.2",
    tolerances=(
        Tolerance("rel_distortion", D_TOL, "window-averaged batch distortion vs gamma: the multiplier's noise moves "
                  "D by a few percent from block to block; 5% is 'at the target' (TOST over seeds)"),
        Tolerance("beta_margin", BETA_MARGIN, "averaged beta vs beta*: log(beta/beta*) within +-log 1.1 by TOST over "
                  "seeds (ours: the paper states no number)"),
        Tolerance("settle_materiality", SETTLE_MATERIALITY, "beta settled: the relative drift between the halves of the "
                  "final window below 5%, half the beta margin, so that the remaining drift cannot by itself carry the "
                  "window average across the +-10% margin (TOST over seeds; seeds are independent, so the test is valid "
                  "whatever the autocorrelation within a history)"),
    ),
    finding=(
    "Open in the quick profile (3 seeds, 6000 steps, averages over the last 20%): D is at every target within 5% "
    "(TOST; 0.096/0.201/0.400/0.791 for gamma = 0.1/0.2/0.4/0.8, reached within 10% after 230-2700 steps), and "
    "where the multiplier has settled (gamma = 0.4 and 0.8: drift between the final window's halves -0.2% and "
    "+2.6%, inside the 5% materiality bound) the averaged beta equals the water-filling beta* within a factor 1.1 "
    "(0.155/0.531 vs 0.156/0.545). At gamma = 0.1 beta still drifts (+23% between the window's halves, CI "
    "10%..36%) and at 0.2 the drift is unresolved (-2%, CI -6%..+2%), so beta = beta* is untestable there "
    "(premise not met), not a pass. Before: open (slope t-test on autocorrelated block means, no materiality "
    "bound). Full profile (5 seeds, 40000 steps; CPU run 2026-12-06, results/full_profile/): confirmed. The longer "
    "run lets beta settle at every gamma (drift between the final window's halves below 0.1%), so the premise "
    "that failed in quick holds, and the averaged beta equals beta* within 0.5% at all four targets."
    ),
)
def check_lag(profile: Profile) -> Outcome:
    m = mm.measure_lag(profile)
    q = m.numbers
    return Outcome(
        evidence=m.evidence, measured=q, figure_data=m.figure_data,
        summary=f"[{len(q['seeds'])} seeds, {q['steps']} steps, averages over the last {mm.WINDOW:.0%}] gamma "
        + "/".join(f"{g:g}" for g in q["gamma"]) + ": D " + "/".join(f"{v:.3f}" for v in q["D_window_mean_over_seeds"])
        + "; beta " + "/".join(f"{v:.3f}" for v in q["beta_window_mean_over_seeds"]) + " vs water-filling beta* "
        + "/".join(f"{v:.3f}" for v in q["beta_star"]) + "; steps to 1.1 gamma "
        + "/".join(str(int(np.mean(v))) for v in q["steps_to_10pct"]),
    )


F6_PAIRS = tuple(zip(lv.MB_GAMMAS[:-1], lv.MB_GAMMAS[1:]))

F6_RULES = Rules(
    core=tuple(
        Ordering(name=f"rate falls {a:g} -> {b:g}", a=f"rate {a:g}", b=f"rate {b:g}",
                 says=f"the trained rate at gamma = {a:g} exceeds that at {b:g}",
                 if_false="a larger distortion target does not lower the rate")
        for a, b in F6_PAIRS) + (
        Within(name="exact ELBO never rises", a="exact ELBO largest rise", high=EXACT_TOL,
               says="the exact ELBO (optimal scalar decoder variance) never rises with gamma: it favours high-rate "
                    "models (closed form)"),),
    refinements=(
        Exact(name="ELBO flat where every component is coded", a="exact ELBO - E log p(x) where every component is coded",
              tol=EXACT_TOL,
              says="for a Gaussian source the exact ELBO equals E log p(x) for every gamma <= n min(mu) (every "
                   "component coded), so it favours high rate only weakly"),),
)


@claim(
    id="MB.F6",
    source="MB Fig. 6",
    statement="The rate falls as the distortion target grows, and the ELBO favours high-rate models. ELBO here: "
    "Gaussian decoder with the optimal scalar variance sigma^2 = D/n, ELBO = -(n/2) log(2 pi e D/n) - R.",
    expected=Verdict.REFINED,
    kind="trained",
    rules=F6_RULES,
    expected_full=Verdict.REFINED,
    full_note="full profile run on the CPU, 2026-12-06 (results/full_profile/nl26_sl_mb_linear.json): refined",
    tolerances=(Tolerance("exact", EXACT_TOL, "nats, float64 rounding of the closed forms"),),
    finding=(
    "Refined in the quick profile: the trained rate falls with gamma between every pair of neighbouring targets "
    "(7.79/4.27/2.05/0.67 nats at gamma = 0.1/0.2/0.4/0.8 vs exact 6.92/4.22/2.04/0.65; paired t 54 to 856 over 3 "
    "seeds), the exact ELBO never rises with gamma (closed form), and, the refinement, for a Gaussian source it "
    "is flat at E log p(x) = -0.747 nats for every gamma <= n min(mu) = 0.125 (every component coded, to 2e-15), "
    "so it favours high rate only weakly. Before: refined (same reading, hand-written branches)."
    ),
)
def check_f6(profile: Profile) -> Outcome:
    m = mm.measure_f6(profile)
    q = m.numbers
    rates = np.asarray(q["rate"]).mean(axis=0)
    return Outcome(
        evidence=m.evidence, measured=q, figure_data=m.figure_data,
        summary="rate (mean of seeds) " + "/".join(f"{v:.2f}" for v in rates) + " vs exact "
        + "/".join(f"{v:.2f}" for v in q["rate_exact"]) + " (gamma " + "/".join(f"{g:g}" for g in q["gamma"])
        + f"); exact ELBO = E log p(x) = {q['log_likelihood']:.3f} for gamma <= {q['flat_up_to_gamma']:.3f}",
    )


MI_RULES = Rules(
    core=(
        Within(name="rate >= I_q, linear", a="linear rate - I_q", low=-1e-10,
               says="consistency check: rate - I_q = KL(q(z)||p(z)) >= 0 for every trained linear VAE (exact, float64)"),
        Exact(name="equality at the optimum", a="optimal linear VAE rate - I_q", tol=1e-10,
              says="consistency check: rate = I_q exactly at the optimal linear VAE, whose aggregated posterior is the "
                   "prior"),
        Within(name="rate >= I_q, patches", a="patch (rate - I_q) / se", low=-4.0,
               says="consistency check: rate - I_q >= 0 for every patch VAE, within 4 Monte Carlo standard errors"),
    ),
)


@claim(
    id="MB.MI",
    source="MB Sec. 3 (citing Alemi et al. 2018)",
    statement="The rate E_x KL(q(z|x) || p(z)) upper-bounds I_q(X; Z), with equality iff q(z) = p(z).",
    expected=Verdict.CONFIRMED,
    kind="trained",
    rules=MI_RULES,
    expected_full=Verdict.CONFIRMED,
    full_note="full profile run on the CPU, 2026-12-06 (results/full_profile/nl26_sl_mb_linear.json): confirmed",
    tolerances=(Tolerance("linear", 1e-10, "nats, float64 rounding of closed forms"),
                Tolerance("mc_sigmas", 4.0, "patch models: I estimated by Monte Carlo; the bound may be exceeded by "
                          "at most 4 se")),
    finding=(
    "Consistency check (rate - I_q = KL(q(z)||p(z)) >= 0 for any model; it fails only through a bug): it holds "
    "for all 87 trained linear VAEs (exact; smallest gap 1.5e-6 nats), with equality at the optimal linear VAE "
    "(gap 0), and for all 12 patch VAEs (Monte Carlo, at least 34 standard errors above 0). The informative "
    "number is the gap KL(q(z)||p(z)) itself: median 0.000 nats (largest 0.28) for the trained linear models, "
    "0.99-4.57 nats for the patch VAEs. Before: confirmed."
    ),
)
def check_mi(profile: Profile) -> Outcome:
    m = mm.measure_mi(profile)
    q = m.numbers
    z = np.asarray(q["patch_gap_z"])
    return Outcome(
        evidence=m.evidence, measured=q,
        summary=f"[consistency check] linear: min(rate - I) {q['linear_min_gap']:.1e}, median {q['linear_median_gap_KLagg']:.3f}"
        f" nats over {q['linear_models']} trained models, optimum {q['linear_optimum_gap']:.1e}; patches ({z.size} models): "
        f"(rate - I)/se min {z.min():.0f}, gap KL(q(z)||p) {np.min(q['patch_gap_KLagg']):.2f}.."
        f"{np.max(q['patch_gap_KLagg']):.2f} nats",
    )


F1_RULES = Rules(
    core=(
        Exact(name="targeting reaches D = gamma", a="distortion at the fixed point - gamma", tol=EXACT_TOL,
              says="consistency check: the distortion-targeted fixed point (the beta-VAE optimum at beta* = 2 "
                   "theta(gamma)) has distortion gamma"),
        Exact(name="same fixed point while every component is coded", a="mismatch, every component coded",
              tol=1e-12,
              says="for gamma <= n min(mu) the water level equals the learned variance, theta(gamma) = gamma/n, so the "
                   "distortion-targeted fixed point with sigma^2 = gamma/n is a fixed point of the learned-variance ELBO"),
        Within(name="learned-variance gradient vanishes there", a="gradient norm, every component coded", high=1e-6,
               says="consistency check: the gradient of the exact learned-variance ELBO over (A, log s, W, log "
                    "sigma^2) vanishes at those points (central differences)"),
        Within(name="no shared fixed point once a component is dropped", a="gradient norm, a component dropped",
               low=1e-3,
               says="for gamma > n min(mu) the distortion-targeted fixed point is not a fixed point of the learned "
                    "variance (theta(gamma) > gamma/n; its ELBO gradient is non-zero)"),
    ),
    refinements=(
        Exact(name="a flat ridge of fixed points", a="ELBO - E log p(x), every component coded", tol=EXACT_TOL,
              says="the shared fixed points form a continuum, gamma anywhere in (0, n min(mu)], all with ELBO = E log "
                   "p(x): on a Gaussian source a learned variance does not select a distortion (no restoring force "
                   "along the ridge), while a distortion target does"),
    ),
)


@claim(
    id="MB.F1",
    source="MB Sec. 2 and Fig. 1",
    statement="A VAE with a trainable decoder variance and a distortion-targeted VAE trained to the same mean squared "
    "error reach the same model: checked exactly for linear-Gaussian VAEs on the shared Gaussian source (n = 8), where "
    "the learned variance sits at sigma^2 = D/n and distortion targeting at the beta-VAE optimum beta* = 2 theta(gamma).",
    expected=Verdict.REFINED,
    kind="closed form",
    rules=F1_RULES,
    tolerances=(Tolerance("exact", EXACT_TOL, "nats / squared error: float64 closed forms"),
                Tolerance("mismatch", 1e-12, "relative: theta(gamma) n / gamma - 1, float64 rounding"),
                Tolerance("gradient", 1e-6, "central differences with step 1e-5 on O(1) terms: error ~1e-10; 1e-6 is zero"),
                Tolerance("no_fixed_point", 1e-3, "the smallest gradient norm past n min(mu) on the 13-point grid is 0.11")),
    finding=(
    "Refined, in closed form (no training; 13 targets from 0.01 to 1.5): while every component is coded (gamma <= n "
    "min(mu) = 0.125) the distortion-targeted fixed point at gamma, with sigma^2 = gamma/n, is exactly a fixed point of "
    "the learned-variance ELBO (theta(gamma) = gamma/n to rounding; ELBO gradient 9e-10), so the two reach the same "
    "model; beyond it they part (theta(gamma) > gamma/n, gradient 0.11 to 2.1). The refinement: those shared fixed points "
    "form a flat ridge, every gamma in (0, 0.125] with ELBO = E log p(x) (to 3e-15), so on a Gaussian source the "
    "learned variance does not select a distortion while a target does. The instability MB reports in training (deep "
    "hierarchical VAEs) is not checked here."
    ),
)
def check_f1(profile: Profile) -> Outcome:
    m = mm.measure_fixed_points()
    q = m.numbers
    return Outcome(
        evidence=m.evidence, measured=q, figure_data=m.figure_data,
        summary=f"[closed form, n = 8, {len(q['gammas'])} targets] shared fixed point for gamma <= "
        f"{q['every_component_coded_up_to']:.3g}: largest mismatch {m.evidence['mismatch, every component coded']:.1e}, "
        f"gradient {m.evidence['gradient norm, every component coded']:.1e}; beyond: smallest mismatch "
        f"{m.evidence['mismatch, a component dropped']:.3g}, gradient {m.evidence['gradient norm, a component dropped']:.3g}",
    )
