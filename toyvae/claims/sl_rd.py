"""SL claims: rate-distortion curve, ELBO surgery, aggregated posterior (slides "VAE: Rate-Distortion Curve &
Aggregated Posterior"), on trained linear-Gaussian VAEs (exact evaluation) and on nonlinear VAEs trained on image
patches (Monte Carlo): declarations only. Measurements: :mod:`toyvae.experiments.sl_measure`.
"""

from __future__ import annotations

import numpy as np

from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim
from toyvae.evidence import Exact, Ordering, Rules, Within
from toyvae.experiments import sl_measure as sm

__all__ = ["check_rd", "check_surgery", "check_aggpost", "check_elbo4", "rd_rules", "SURGERY_RULES", "AGGPOST_RULES",
           "ELBO4_RULES"]

MC_K = 4.0
RD_GAP = 0.02  # relative gap above the exact curve that counts as "on the curve" (converged betas)
GAP_PREFIX = "rel gap above R(D) "


def rd_rules(evidence) -> Rules:
    """The consistency check, and one 'on the curve' rule per configuration the plan trained with beta >= 0.05
    (chosen from the evidence's names only)."""
    configs = sorted(k[len(GAP_PREFIX):] for k in evidence if k.startswith(GAP_PREFIX))
    return Rules(core=(
        Within(name="on or above R(D)", a="R(D) - rate", high=1e-9,
               says="consistency check: no trained point lies below its exact rate-distortion curve (any encoder's "
                    "rate is at least I_q >= R(D))"),
    ) + tuple(
        Ordering(name=f"on the curve: {c}", a=RD_GAP, b=GAP_PREFIX + c,
                 says=f"{c}: the trained rate lies less than {RD_GAP:.0%} above R(D) at its distortion",
                 if_false="the trained beta-VAE stays materially above the exact curve")
        for c in configs))


@claim(
    id="SL.RD",
    source="SL slides 'Rate-Distortion Curve'; Alemi et al. 2018 Fig. 1",
    statement="beta sweeps of trained VAEs lie on or above the exact rate-distortion curve of a Gaussian source "
    "(reverse water-filling over the metric-weighted spectrum), and approach it at the optimum.",
    expected=Verdict.OPEN,
    kind="trained",
    rules=rd_rules,
    expected_full=Verdict.CONFIRMED,
    full_note="full profile run on the CPU, 2026-12-06 (results/full_profile/nl26_sl_mb_linear.json): confirmed; 5 seeds x 12000 steps put every configuration with beta >= 0.05 within 2% of R(D), the diagonal metric at beta 0.05 included",
    tolerances=(Tolerance("below_curve", 1e-9, "nats; exact float64 evaluation of the trained parameters, rounding only"),
                Tolerance("rel_gap", RD_GAP, "per configuration with beta >= 0.05, the relative gap (rate - R(D))/R(D) "
                          "below 2% (paired t over seeds): the final Adam steps of a cosine schedule leave about 1% in "
                          "the rate; smaller betas, whose weakest components need many more steps, are reported only")),
    finding=(
    "Consistency check: no trained point lies below its exact curve (largest R(D) - rate -1.5e-4 nats over 45 "
    "points). Informative: for 8 of the 9 configurations with beta >= 0.05 the rate is shown less than 2% above "
    "R(D) (median relative gaps 0.000-0.003); for the diagonal metric at beta = 0.05 the gaps are 0.6%, 1.7%, "
    "0.6% over the 3 seeds (t = 2.7 < 4.30), unresolved, so the verdict is open. Smaller betas (0.01, 0.025: 10%, "
    "3%) are reported, not judged. Before: confirmed (median gap <= 2% with no test over seeds). Full profile "
    "(5 seeds, 12000 steps, batch 512; CPU run 2026-12-06, results/full_profile/): confirmed. The longer training "
    "closes the diagonal metric's gap at beta = 0.05 (now about 0.02%), and all 14 judged configurations lie within "
    "2% of R(D) (no point below it over 75)."
    ),
)
def check_rd(profile: Profile) -> Outcome:
    m = sm.measure_rd(profile)
    q = m.numbers
    gaps = {k: v for k, v in q["median_rel_gap"].items()}
    return Outcome(
        evidence=m.evidence, measured=q, figure_data=m.figure_data,
        summary=f"[consistency check + gap; {q['points']} trained points, {len(q['seeds'])} seeds] max (R(D) - rate) "
        f"{q['max_below_curve']:.1e} nats; median relative gap above the curve: "
        + ", ".join(f"{k} {v:.3f}" for k, v in gaps.items()),
    )


SURGERY_RULES = Rules(core=(
    Within(name="closed form", a="closed-form relative gap", high=1e-10,
           says="consistency check: rate = I_q + KL(q(z)||p(z)) to 1e-10 (relative) in closed form for every trained "
                "linear VAE"),
    Within(name="Monte Carlo, linear", a="linear Monte Carlo |z|", high=MC_K,
           says=f"consistency check: the Monte Carlo estimates of I_q and KL(q(z)||p(z)) of a trained linear VAE within "
                f"{MC_K:g} standard errors of the closed forms"),
    Within(name="Monte Carlo, patches", a="patch Monte Carlo |z|", high=MC_K,
           says=f"consistency check: for the patch VAEs the Monte Carlo rate matches the exact rate within {MC_K:g} "
                "standard errors"),
))


@claim(
    id="SL.Surgery",
    source="SL slides 'Blame the ELBO' (ELBO decomposition; Hoffman & Johnson 2016)",
    statement="E_x KL(q(z|x) || p(z)) = I_q(x; z) + KL(q(z) || p(z)): exactly for linear-Gaussian VAEs (closed form, "
    "and by Monte Carlo), and by Monte Carlo with error bars for a nonlinear VAE trained on image patches.",
    expected=Verdict.CONFIRMED,
    kind="trained",
    rules=SURGERY_RULES,
    expected_full=Verdict.CONFIRMED,
    full_note="full profile run on the CPU, 2026-12-06 (results/full_profile/nl26_sl_mb_linear.json): confirmed",
    tolerances=(
        Tolerance("closed_form_rel", 1e-10, "three closed forms in float64 with log-determinants of 8x8 matrices"),
        Tolerance("mc_sigmas", MC_K, "Monte Carlo: |estimate - exact| <= 4 se (two-sided normal tail 6e-5)"),
    ),
    finding=(
    "Consistency check (an identity: it fails only through a bug): it holds to 1.5e-13 (relative) in closed form "
    "for every trained linear VAE, within 1.7 Monte Carlo standard errors for a trained linear VAE and within 0.5 "
    "for the patch VAEs (every seed; empirical aggregated posterior over 1000 patches). Informative split, patch "
    "VAE seed 0: rate 6.84 = I_q 3.10 + KL(q(z)||p(z)) 3.76 nats. Before: confirmed."
    ),
)
def check_surgery(profile: Profile) -> Outcome:
    m = sm.measure_surgery(profile)
    q = m.numbers
    return Outcome(
        evidence=m.evidence, measured=q,
        summary=f"[consistency check] closed form max rel {q['closed_form_max_rel']:.1e}; linear MC |z| "
        f"{max(q['linear_mc_z']):.2f}; patches ({len(q['patch_z'])} seeds): seed 0 rate {q['patch_rate'][0]:.3f} vs I "
        f"{q['patch_I'][0]:.3f}+-{q['patch_I_se'][0]:.3f} + KLagg {q['patch_KLagg'][0]:.3f}+-{q['patch_KLagg_se'][0]:.3f};"
        f" max |z| {max(q['patch_z']):.2f} (log N = {q['log_N']:.2f})",
    )


AGGPOST_RULES = Rules(
    core=(Ordering(name="KL_agg falls with beta", a=0.0, b="slope of log KL_agg vs log beta",
                   says="patch VAEs: KL(q(z)||p(z)) shrinks as beta grows (each seed's least-squares slope of log KL "
                        "against log beta over the trained betas is negative, paired t over seeds)",
                   if_false="the aggregated posterior moves no closer to the prior as beta grows"),),
    refinements=(Exact(name="zero at the linear optimum", a="linear optimum largest |KL_agg|", tol=1e-10,
                       says="for the linear-Gaussian optimum KL(q(z)||p(z)) = 0 for every beta (a^2 mu + s = 1 per "
                            "active latent): the shrinkage is a property of models that miss the optimum"),),
)


@claim(
    id="SL.AggPost",
    source="SL slides 'Aggregated Posterior'",
    statement="KL(q(z) || p(z)) shrinks as beta grows. Measured on nonlinear VAEs trained on image patches (Monte Carlo "
    "over the empirical aggregated posterior); for the linear-Gaussian optimum it is exactly 0 for every beta.",
    expected=Verdict.REFINED,
    kind="trained",
    rules=AGGPOST_RULES,
    expected_full=Verdict.REFINED,
    full_note="full profile run on the CPU, 2026-12-06 (results/full_profile/nl26_sl_mb_linear.json): refined",
    tolerances=(Tolerance("closed_form", 1e-10, "nats, float64 rounding of the closed form at the optimum"),),
    finding=(
    "Refined in the quick profile: on patches KL(q(z)||p) falls with beta (12.70/4.33/1.97/0.91/0.43 nats at beta "
    "= 0.1/0.3/0.6/1.2/3; each seed's slope of log KL against log beta -1.13/-0.91/-1.12, t = 15), and, the "
    "refinement, the linear-Gaussian optimum has KL(q(z)||p) = 0 for every beta (1e-16), so the shrinkage is a "
    "property of models that miss the optimum. Before: refined (neighbour and end-to-end t tests)."
    ),
)
def check_aggpost(profile: Profile) -> Outcome:
    m = sm.measure_aggpost(profile)
    q = m.numbers
    fmt = lambda v: "/".join(f"{x:.3f}" for x in v)  # noqa: E731
    return Outcome(
        evidence=m.evidence, measured=q, figure_data=m.figure_data,
        summary=f"[{len(q['seeds'])} seeds] patches, beta {fmt(q['betas'])}: KL(q(z)||p) (mean) "
        f"{fmt(np.mean(q['patch_KLagg'], axis=0))}; slope of log KL vs log beta per seed {fmt(q['slopes'])}; linear "
        f"optimum max |KLagg| {max(abs(v) for v in q['linear_optimum_KLagg']):.1e}, trained linear (mean) "
        f"{fmt(np.mean(q['linear_trained_KLagg'], axis=1))}",
    )


ELBO4_TOL = 1e-12  # relative to |ELBO| + H + 1: float64 sums of log-determinants of 8x8 matrices

ELBO4_RULES = Rules(core=(
    Within(name="four-term identity", a="identity relative gap", high=ELBO4_TOL,
           says="consistency check: ELBO + H[q(x)] = (1) E log p(x|z)/p(x) - (2) I_q(x; z) - (3) KL(q(x)||p(x)) - (4) "
                "KL(q(z)||p(z)) in closed form, for the optimal linear VAE at 23 betas and three random linear VAEs"),
    Within(name="closed forms vs Monte Carlo", a="Monte Carlo |z| of the four terms", high=MC_K,
           says=f"consistency check: each closed-form term matches its Monte Carlo estimate over q(x) q(z|x) within "
                f"{MC_K:g} standard errors (an optimal and a random model)"),
    Exact(name="(4) = 0 at the optimum", a="optimum KL(q(z)||p(z))", tol=ELBO4_TOL,
          says="at the optimal linear VAE the aggregated posterior is the prior: term (4) vanishes for every beta"),
    Exact(name="(3) = 0 while every component is coded", a="optimum KL(q(x)||p(x)), every component coded",
          tol=ELBO4_TOL,
          says="while every component is coded (beta/2 below the smallest variance) the model's marginal p(x) is the "
               "data's: term (3) vanishes, so the ELBO equals E log q(x), the data's log-likelihood"),
    Within(name="(3) > 0 once a component is dropped", a="optimum KL(q(x)||p(x)), a component dropped", low=1e-8,
           says="once a component falls below the water level its model variance is beta/2, not the data's: term (3) "
                "is positive, and the ELBO falls below the log-likelihood"),
))


@claim(
    id="SL.ELBO4",
    source="SL slides 'Blame the ELBO' (the four-term decomposition of Esmaeili et al. 2019, HFVAE)",
    statement="The ELBO plus the data's entropy splits into four terms, (1) E log p(x|z)/p(x) - (2) I_q(x; z) - (3) "
    "KL(q(x)||p(x)) - (4) KL(q(z)||p(z)): checked in closed form (and by Monte Carlo) for linear-Gaussian VAEs with a "
    "Gaussian decoder N(Wz, sigma^2 I) on the shared Gaussian source, where each term of the optimum is known.",
    expected=Verdict.CONFIRMED,
    kind="closed form",
    rules=ELBO4_RULES,
    tolerances=(Tolerance("identity", ELBO4_TOL, "relative to |ELBO| + H + 1: float64 rounding of log-determinants of "
                          "8x8 matrices"),
                Tolerance("mc_sigmas", MC_K, "Monte Carlo (200000 draws): |estimate - closed form| <= 4 se; a standard "
                          "error below 1e-10 nats is taken as 1e-10 (rounding of O(10) log-densities)"),
                Tolerance("dropped", 1e-8, "nats: the smallest (3) once a component is dropped is 6e-5 at the first beta "
                          "past the smallest variance of the grid")),
    finding=(
    "Confirmed in closed form (no training): the identity holds to 1e-15 (relative) for the optimal linear VAE at 23 "
    "betas and for three random linear VAEs, and each of the four closed forms matches its Monte Carlo estimate (|z| "
    "<= 1). At the optimum (decoder variance beta/2) term (4) is 0 for every beta, and term (3) is 0 exactly while "
    "every component is coded (beta/2 < min mu = 1/64): there the ELBO is the data's log-likelihood, which is "
    "why the exact ELBO of MB.F6 is flat; once a component is dropped (3) grows (6e-5 to 9.8 nats over the grid), "
    "so the ELBO's loss at large beta is the model marginal's mismatch, not the aggregated posterior's."
    ),
)
def check_elbo4(profile: Profile) -> Outcome:
    m = sm.measure_elbo_decomposition()
    q = m.numbers
    o = q["optimum"]
    i = q["betas"].index(min(q["betas"], key=lambda b: abs(np.log(b / 0.4))))
    return Outcome(
        evidence=m.evidence, measured=q, figure_data=m.figure_data,
        summary=f"[closed form, n = 8; Monte Carlo {q['n_samples']} draws] at beta = {q['betas'][i]:.3g}: (1) "
        f"{o['term1'][i]:.3f} - (2) {o['term2'][i]:.3f} - (3) {o['term3'][i]:.3f} - (4) {o['term4'][i]:.1e} = ELBO + H "
        f"{o['elbo'][i] + q['entropy']:.3f}; largest identity gap {max(m.evidence['identity relative gap']):.1e}; "
        f"Monte Carlo |z| <= {max(q['monte_carlo_z']):.2f}",
    )
