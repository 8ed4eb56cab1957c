"""NL26 claims checked on *trained* models and on exact rate-distortion (Strano et al. 2026).

The NL26 source is only a review page (abstract, figure captions, eqs. 44-46, Theorem 41, Cor. 28),
so each check below says precisely what it measures. Conventions: ``shared/claims.md``
(``g(s) = (s - 1 - log s)/2``, ``d_M`` without 1/2, rates in nats). Models:

* linear-Gaussian VAEs trained by Adam (:mod:`toyvae.experiments.linear_vae`, shared sweep: data
  ``N(0, C diag(k^-2) C^T)`` in R^8, ``C`` the DCT basis);
* nonlinear VAEs on 8x8 patches of scikit-learn's sample photographs
  (:mod:`toyvae.experiments.neural_losses`: 1-Lipschitz edge-feature network, hinge discriminator,
  GECO-style rate control).

The trained claims are declarations: :mod:`toyvae.experiments.nl26_measure` measures, the rules below
judge (:func:`toyvae.evidence.decide`), :mod:`toyvae.plots.nl26` draws. Claims 1 and 2 read the paper's
sentences through the shared factories of :mod:`toyvae.evidence.readings` (SCALE.C1/C2 use the same).
"""

from __future__ import annotations

import numpy as np

from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim
from toyvae.evidence import Exact, Ordering, Rules, Within
from toyvae.evidence.readings import RATE_MATCH, SAME_RATE_MARGIN, isotropy_at_matched_rate, neural_term_reduces_rate
from toyvae.experiments import linear_vae as lv
from toyvae.experiments import neural_losses as nl
from toyvae.experiments import nl26_measure

__all__ = ["check_t46_trained", "check_f13", "check_t11", "check_c1", "check_c2", "check_c2_adv", "check_additive"]

T46_TOL = 0.1
T46_GAP = 0.05
E44_K = 4.0


def _fmt(values, digits: int = 2) -> str:
    return "/".join(f"{x:.{digits}f}" for x in np.ravel(values))


# ------------------------------------------------------------------------------------------------
# NL26.T46-trained: a consistency check
# ------------------------------------------------------------------------------------------------

T46_RULES = Rules(
    controls=(Within(name="objective near the optimum", says=f"every trained model's objective is within "
                     f"{T46_GAP:.0%} of the exact optimum (positive control: training found the optimum, so eq. 46 "
                     "is seen where it matters)", a="objective gap", high=T46_GAP),),
    core=(Within(name="eq. 46 with the own decoder", says=f"consistency check: every model's s_i within {T46_TOL} "
                 "in log of beta/(beta + 2 c_i) of its own decoder (holds at any stationary point in s)",
                 a="max |log s/s*|", high=T46_TOL),
          Within(name="eq. 44 by Monte Carlo", says=f"consistency check: the Monte Carlo mean of d_G(x, Wz) within "
                 f"{E44_K:g} standard errors of eq. 44 on a trained model", a="eq44 |z|", high=E44_K)),
)


@claim(
    id="NL26.T46-trained",
    source="Strano et al. 2026, App. D eqs. 44-46",
    statement="A linear-Gaussian VAE trained by gradient descent has posterior variances s_i = beta/(beta + 2 c_i) "
    "with c_i = (W^T G W)_ii of its trained decoder; eq. 44 holds on the trained model.",
    expected=Verdict.CONFIRMED,
    expected_full=Verdict.CONFIRMED,
    full_note="full profile run on the CPU, 2026-12-06 (results/full_profile/nl26_sl_mb_linear.json): confirmed",
    kind="trained",
    rules=T46_RULES,
    tolerances=(
        Tolerance("max_abs_log_ratio", T46_TOL, "Adam with one reparameterised sample per point: the loss in log s has "
                  "curvature beta/2 (0.025 at beta=0.05), so gradient noise leaves a few-percent error after 3000 "
                  "steps"),
        Tolerance("e44_sigmas", E44_K, "Monte Carlo with N=200000 draws per point: |mean - exact| <= 4 se "
                  "(two-sided normal tail 6e-5 per comparison)"),
        Tolerance("objective_gap", T46_GAP, "the informative number (as SCALE.T46): a trained objective more than 5% "
                  "above the exact optimum means training stopped short of it, and eq. 46 only says it is "
                  "stationary in s"),
    ),
    finding="Consistency check (eq. 46 holds at any stationary point in s, whatever W): all 27 trained linear VAEs (3 "
    "metrics x 3 betas x 3 seeds) within 0.055 in log s of beta/(beta + 2 c_i) of their own decoder "
    "(tolerance 0.1), eq. 44 by Monte Carlo within 0.96 standard errors (<= 4). The informative gap, a "
    "positive control: objectives 0.02% (median) to 1.04% (max) above the exact optimum (<= 5%). Before: "
    "confirmed (the same checks; the gap was reported but judged by no rule).",
)
def check_t46_trained(profile: Profile) -> Outcome:
    sweep = lv.shared_sweep(profile)
    m = nl26_measure.measure_t46_trained(sweep)
    q = m.numbers
    errs = m.evidence["max |log s/s*|"]
    return Outcome(
        evidence=m.evidence, measured={k: v for k, v in q.items() if k != "per_model"},
        details={"per_model": q["per_model"]}, figure_data=m.figure_data,
        summary=f"[consistency check; {q['models']} models = 3 metrics x 3 betas x {len(q['seeds'])} seeds] |log s - "
        f"log s*| max {q['max_abs_log_ratio']:.3f} (median {np.median(errs):.3f}); objective above the exact optimum: "
        f"median {q['objective_gap_to_optimum_median']:.2%}, max {q['objective_gap_max']:.2%}; eq. 44 MC max |z| "
        f"{q['e44_max_z']:.2f} (N={q['e44_draws']})",
    )


# ------------------------------------------------------------------------------------------------
# NL26.F13
# ------------------------------------------------------------------------------------------------

F13_ISO = 1e-3
F13_ANISO = 0.1
F13_REL = 0.05

F13_RULES = Rules(core=(
    Exact(name="closed form isotropic", says="the closed form's A_post is 0 for the isotropic metric (equal c_i)",
          a="A_post closed iso", reference=0.0, tol=1e-20),
    Within(name="trained isotropic flat", says=f"every seed's trained A_post is at most {F13_ISO:g} for the isotropic "
           "metric (equal posterior stds)", a="A_post trained iso", high=F13_ISO),
    Within(name="trained anisotropic spread", says=f"every seed's trained A_post exceeds {F13_ANISO:g} for the "
           "anisotropic metric (a spread of stds)", a="A_post trained aniso", low=F13_ANISO),
    Within(name="trained s at the closed form", says=f"every trained s_i within {F13_REL:.0%} of the closed form "
           "(both metrics, every seed)", a="max rel |s - s closed|", high=F13_REL),
))


@claim(
    id="NL26.F13",
    source="Strano et al. 2026, Figs. 7 and 13 (App. D.2)",
    statement="D = 16, W = I: at a common variance-KL an isotropic metric gives equal per-dimension posterior std, "
    "an anisotropic metric a spread of stds (closed form and trained linear VAE).",
    expected=Verdict.CONFIRMED,
    expected_full=Verdict.CONFIRMED,
    full_note="full profile run on the CPU, 2026-12-06 (results/full_profile/nl26_sl_mb_linear.json): confirmed",
    kind="trained",
    rules=F13_RULES,
    tolerances=(
        Tolerance("iso_A_post_trained", F13_ISO, "trained isotropic case: A_post should be 0; 1e-3 allows the "
                  "few-percent Adam noise in log s (variance of ~0.01 errors is 1e-4)"),
        Tolerance("aniso_A_post_trained", F13_ANISO, "the anisotropic closed form's A_post is about 0.3: a trained "
                  "value above 0.1 is a spread no Adam noise (1e-4) can produce"),
        Tolerance("rel_s", F13_REL, "trained vs closed-form s, Adam noise as in NL26.T46-trained"),
    ),
    finding="At 4 nats of variance-KL the isotropic metric gives a flat posterior std (0.549 for all 16 dims, A_post "
    "0 exactly) and the anisotropic c_i in [0.25, 4] a spread (0.35 to 0.83); the encoder-only trained VAE "
    "reproduces both for every seed (A_post 2e-5 vs 0.30; s within 1.1% of the closed form). Before: "
    "confirmed (the same thresholds, now Within/Exact rules).",
)
def check_f13(profile: Profile) -> Outcome:
    m = nl26_measure.measure_f13(lv.fig13_experiment(profile))
    q = m.numbers
    vkl = q["variance_kl"]
    return Outcome(
        evidence=m.evidence, measured=q, figure_data=m.figure_data,
        summary=f"[{len(q['seeds'])} seeds] variance-KL {vkl[0]:.3f}/{vkl[1]:.3f} nats; std iso {q['std_iso'][0]:.3f}.."
        f"{q['std_iso'][1]:.3f}, aniso {q['std_aniso'][0]:.3f}..{q['std_aniso'][1]:.3f}; A_post trained iso max "
        f"{max(q['A_post_trained_iso']):.1e} vs aniso min {min(q['A_post_trained_aniso']):.3f}; trained vs closed s "
        f"max rel {q['max_rel_s']:.3f}",
    )


T11_SLACK = 1e-10
T11_LIPSCHITZ = 1.0 + 1e-5
T11_TIGHT = 1e-9

T11_RULES = Rules(
    controls=(Exact(name="0.9 a violates", says="negative control: with G2 = a G1, the constant 0.9 a violates the "
                    "bound at every distortion with a positive rate (the check can fail)",
                    a="0.9 a: share of points violated", reference=1.0),
              Within(name="equality case tight", says=f"with G2 = a G1 the bound holds with equality (within "
                     f"{T11_TIGHT:g} nats)", a="equality case: max gap", high=T11_TIGHT)),
    core=(Exact(name="no violation", says="R_d2(a D + b) <= R_d1(D) at every one of 12 distortions for every random "
                "pair of metrics (a the smallest constant with G2 <= a G1)", a="violations", reference=0.0),
          Within(name="slack not negative", says=f"the smallest slack where the rate is positive is above "
                 f"-{T11_SLACK:g} nats", a="min slack where R > 0", low=-T11_SLACK),
          Within(name="Cor. 28 with linear features", says=f"R_F(L^2 D) <= R_pix(D) for random linear feature maps "
                 f"(slack above -{T11_SLACK:g} nats)", a="feature maps: min slack", low=-T11_SLACK),
          Within(name="edge network 1-Lipschitz", says="the nonlinear edge-feature network: d_phi <= d_pix pointwise "
                 "on image patches (float32 features)", a="edge network: max d_phi / d_pix", high=T11_LIPSCHITZ)),
)


@claim(
    id="NL26.T11",
    source="Strano et al. 2026, Theorem 11 and Corollary 28",
    statement="If d2 <= a d1 + b pointwise then R_d2(a D + b) <= R_d1(D); an L-Lipschitz feature map gives "
    "d_phi <= L^2 d_pix, hence R_phi(L^2 D) <= R_pix(D). Checked exactly on Gaussian sources with quadratic "
    "distortions (random PSD metrics; linear feature maps) and pointwise for the nonlinear edge-feature network.",
    expected=Verdict.CONFIRMED,
    expected_full=Verdict.CONFIRMED,  # paper-scale run on an H100, 2026-11-23 (results/)
    kind="closed form",
    rules=T11_RULES,
    tolerances=(Tolerance("rate_slack", T11_SLACK, "water-filling in float64; rates of O(10) nats round at ~1e-14"),
                Tolerance("lipschitz", T11_LIPSCHITZ, "float32 features: d_phi / d_pix rounds at ~1e-6"),
                Tolerance("equality_gap", T11_TIGHT, "float64 water-filling of a spectrum scaled by a")),
    finding="No violation of the RD ordering in 200 random Gaussian/metric pairs at 12 distortions each, with a the "
    "smallest constant with G2 <= a G1; in the equality case G2 = a G1 the bound is tight and 0.9 a violates it "
    "(negative control). Before: confirmed (the same checks as Exact/Within rules).",
)
def check_t11(profile: Profile) -> Outcome:
    m = nl26_measure.measure_t11(200 if Profile(profile) == Profile.QUICK else 2000)
    q = m.numbers
    return Outcome(
        evidence=m.evidence, measured=q,
        summary=f"{q['violations']} violations in {q['trials']}x12 (min slack where R>0 {q['min_slack_nats']:.2e} "
        f"nats); feature maps min slack {q['lipschitz_min_slack']:.2e}; equality case G2=aG1 gap "
        f"{q['equality_case_max_gap']:.1e}, with 0.9a {q['control_violations_0.9a']}/{q['control_points']} violated; "
        f"edge net max d_phi/d_pix {q['max_dphi_over_dpix']:.3f}",
    )


# ------------------------------------------------------------------------------------------------
# NL26.C1: the convex reading of "neural terms reduce the information" (shared with SCALE.C1)
# ------------------------------------------------------------------------------------------------

# seed standard deviation of log(feature / pixel control) at lambda = 0.5 in the stored quick run before this
# conversion (/tmp/before_quick.json, 3 seeds): the equivalence's power before data
C1_PILOT_SD = 0.033

C1_RULES = neural_term_reduces_rate(
    base="rate/lambda=0", neural="rate/feature lambda=0.5", control="rate/pixel control lambda=0.5",
    setting="lambda = 0.5", pilot_sd=C1_PILOT_SD,
    extra_core=(
        Within(name="linear closed form falls", says="linear-Gaussian with the edge metric (||F|| <= 1): the exact "
               "rate does not rise between consecutive lambdas", a="linear closed form: largest step in lambda",
               high=0.0, requires=()),
        Within(name="linear trained falls", says="every seed's trained linear VAE: the exact rate does not rise "
               "between consecutive lambdas", a="linear trained: largest step in lambda", high=0.0, requires=()),
        Ordering(name="feature: rate falls to lambda = 1", says="patches, edge-feature term: the rate at lambda = 1 "
                 "is below lambda = 0's", a="rate/lambda=0", b="rate/feature lambda=1", requires=()),
        Ordering(name="adversarial: rate falls to lambda = 1", says="patches, hinge adversarial term: the rate at "
                 "lambda = 1 is below lambda = 0's", a="rate/lambda=0", b="rate/adversarial lambda=1", requires=()),
    ),
)


@claim(
    id="NL26.C1",
    source="Strano et al. 2026, Sec. 3 (claim 1), Figs. 3-4",
    statement="With loss lambda d_neural + (1 - lambda) d_pix + beta KL at fixed beta, the rate at convergence falls "
    "as lambda grows: (a) quadratic edge-feature metric on the linear-Gaussian model (closed form, trained); "
    "(b) nonlinear VAE on image patches with a 1-Lipschitz edge-feature network; (c) hinge adversarial term. "
    "The pixel-only control with the same pixel weight (lambda = 0.5) tells whether the neural term or the "
    "shrinking pixel weight carries the fall.",
    expected=Verdict.OPEN,
    expected_full=Verdict.OPEN,
    full_note="full profile run on the CPU, 2026-12-06 (results/full_profile/nl26_sl_mb_linear.json): open; unresolved: what carries the fall at lambda = 0.5 (neural run vs pixel-only control, ratio 0.98, 90% CI 0.94-1.02)",
    kind="trained",
    rules=C1_RULES,
    tolerances=(
        Tolerance("same_rate_margin", SAME_RATE_MARGIN, "log ratio: the neural term's own effect at equal pixel weight "
                  "is immaterial below 5% of the rate, under a third of the falls the claim is about (17-36% at "
                  "lambda = 0.5); shared with SCALE.C1 (toyvae.evidence.readings)"),
        Tolerance("alpha", 0.05, "every ordering: two-sided paired t over seeds at 5%; the equivalence: two one-sided "
                  "tests at 5%"),
    ),
    finding="Open in the quick profile (3 seeds). The fall holds: linear closed form 4.49 -> 0.00 nats and every "
    "trained seed; patches lambda 0 -> 0.5: 7.31 -> 4.68 nats (paired t 17.2), lambda 0 -> 1 with the "
    "edge-feature term 7.31 -> 0.01 (t 30.6) and the adversarial term -> 2.19 (t 7.1). What carries it is "
    "unresolved: at lambda = 0.5 the feature run's rate is 1.018/1.036/1.084 x the pixel-only control's with "
    "the same pixel weight (ratio 1.046, 95% CI [0.96, 1.13]): neither below it (t -2.4) nor equal within 5% "
    "(power 32% at 3 seeds; 6 seeds give 80%). At lambda = 0.75 it is 8-11% above its control (reported; see "
    "NL26.C1-additive). Scope: ||F|| = 2 makes the closed-form rate non-monotone (4.49/4.71/4.90/4.74/3.48), "
    "so the fall is exact only for metrics dominated by pixel SSE. Before: confirmed (old rule: refined "
    "needed two t-tests at lambda .5 and .75 to pass, and fell through to confirmed when one was "
    "underpowered).",
)
def check_c1(profile: Profile) -> Outcome:
    m = nl26_measure.measure_c1(lv.shared_sweep(profile), nl.shared_runs(profile))
    q = m.numbers
    feat, adv, ctrl = np.array(q["patch_feature"]), np.array(q["patch_adversarial"]), np.array(
        q["pixel_only_control_lambda_.5_.75"])
    return Outcome(
        evidence=m.evidence, measured=q, figure_data=m.figure_data,
        summary=f"[{len(q['seeds'])} seeds] rate over lambda {tuple(q['lambdas'])}: linear closed "
        f"{_fmt(q['closed_form'])}, trained (mean) {_fmt(np.mean(q['trained_linear'], 0))}; ||F||=2: "
        f"{_fmt(q['closed_form_L2'])}; patches (mean) feature {_fmt(feat.mean(0))}, adversarial {_fmt(adv.mean(0))}; "
        f"pixel-only control lambda .5/.75: {_fmt(ctrl.mean(0))} (feature/control at .5 "
        f"{_fmt(feat[:, 2] / ctrl[:, 0], 3)}"
        f", at .75 {_fmt(q['feature/control_lambda_.75'], 3)})",
    )


# ------------------------------------------------------------------------------------------------
# NL26.C2: matched-rate isotropy (shared with SCALE.C2)
# ------------------------------------------------------------------------------------------------

C2_RULES = isotropy_at_matched_rate(
    settings=tuple(f"lambda={lam:g}" for lam in nl.GECO_LAMBDAS), a_post="A_post/{}", rate_error="rate/target - 1/{}",
    extra_core=(
        Within(name="linear closed form: A_post falls", says="linear-Gaussian at 3 nats: the closed-form A_post does "
               "not rise between consecutive lambdas", a="linear closed form: largest step in lambda", high=0.0,
               requires=()),
        Within(name="linear trained: A_post falls", says="every seed's trained linear VAE at 3 nats: A_post does not "
               "rise between consecutive lambdas", a="linear trained: largest step in lambda", high=0.0, requires=()),
    ),
)


@claim(
    id="NL26.C2",
    source="Strano et al. 2026, Sec. 3.2 (claim 2), Figs. 5-6",
    statement="At matched rate, a neural (here: edge-feature) distortion gives a more isotropic posterior (lower "
    "A_post) than pixel loss on anisotropic data, more so as lambda grows. A_post = Var_i log s_i; linear models: "
    "s does not depend on x; patches: mean over x of Var_i log s_i(x) ('mean_of_variances').",
    expected=Verdict.OPEN,
    expected_full=Verdict.OPEN,
    full_note="full profile run on the CPU, 2026-12-06 (results/full_profile/nl26_sl_mb_linear.json): open; premise not met: at lambda = 1 the GECO run cannot hold 3 nats (rate 0.27); lambda 0 -> 0.5 unresolved (t = 1.18)",
    kind="trained",
    rules=C2_RULES,
    tolerances=(Tolerance("rate_match", RATE_MATCH, "relative: GECO holds the batch KL at the target by a "
                          "rule on log beta; a run whose held-out rate is off by more than 10% is not at matched rate "
                          "(a premise of the comparisons it enters; shared with SCALE.C2)"),
                Tolerance("alpha", 0.05, "paired t over seeds, two-sided at 5%")),
    finding="Open in the quick profile: linear-Gaussian at 3 nats, A_post falls 1.10 -> 0.13 (closed form) and in "
    "every seed's trained model; on patches at a GECO-held 3 nats (3 seeds) A_post 0.76 (lambda 0) vs 0.75 "
    "(0.5) is unresolved (t 0.14), and the step to lambda = 1 (A_post 0.07) is untestable: its rate (1.94 "
    "nats, 2 of 3 seeds more than 10% below the target) misses the matched-rate premise; pure edge loss gains "
    "rate only slowly even with beta at its floor (e^-10) within the quick run. Before: open (the same "
    "reading; the rate match is now a premise).",
)
def check_c2(profile: Profile) -> Outcome:
    m = nl26_measure.measure_c2(lv.shared_sweep(profile), nl.shared_runs(profile))
    q = m.numbers
    rates, a_patch = np.array(q["patch_rates"]), np.array(q["patch_A_post"])
    return Outcome(
        evidence=m.evidence, measured=q, figure_data=m.figure_data,
        summary=f"[{len(q['seeds'])} seeds] linear @{lv.SWEEP_C2_RATE} nats, lambda {lv.SWEEP_LAMBDAS}: A_post closed "
        f"{_fmt(q['linear_closed_A_post'])}, trained (mean) {_fmt(np.mean(q['linear_trained_A_post'], 0))}; patches "
        f"(GECO {nl.GECO_RATE} nats) lambda {nl.GECO_LAMBDAS}: rate (mean) {_fmt(rates.mean(0))}, A_post (mean) "
        f"{_fmt(a_patch.mean(0))}; final beta {_fmt(np.mean(q['patch_final_beta'], 0))}",
    )


# ------------------------------------------------------------------------------------------------
# NL26.C2-adv: claim 2 with the hinge adversarial term at several matched rates (issue 21 item 12)
# ------------------------------------------------------------------------------------------------


def _c2_adv_rules() -> Rules:
    """One :func:`isotropy_at_matched_rate` reading per target rate (pixel -> adversarial), merged: one core
    ordering per rate (Holm across them), each testable only where both runs of that rate are matched."""
    parts = [isotropy_at_matched_rate(settings=(f"pixel @{r:g} nats", f"adversarial @{r:g} nats"),
                                      a_post="A_post/{}", rate_error="rate/target - 1/{}")
             for r in nl.ADV_MATCHED_RATES]
    return Rules(core=tuple(r for p in parts for r in p.core), premises=tuple(r for p in parts for r in p.premises))


C2_ADV_RULES = _c2_adv_rules()


@claim(
    id="NL26.C2-adv",
    source="Strano et al. 2026, Sec. 3.2 (claim 2), Fig. 6 (discriminative loss, several target rates)",
    statement="At each of several matched rates (2, 4 and 6 nats, held by a GECO multiplier), a patch VAE trained "
    "with the hinge adversarial term (0.5 d_adv + 0.5 d_pix) has a lower average per-sample posterior anisotropy "
    "A_post = mean over x of Var_i log s_i(x) than the pixel-only VAE of the same seed.",
    expected=Verdict.OPEN,
    full_note="not run: added after the 2026-12-06 CPU run of its family (nl26_sl_mb: about 1 h on 2 shared cores; ~1.5 H100 min by scripts/gpu_full.sh nl26_sl_mb)",
    kind="trained",
    rules=C2_ADV_RULES,
    tolerances=(Tolerance("rate_match", RATE_MATCH, "relative, as NL26.C2 (shared with SCALE.C2): a run whose held-out "
                          "rate is off its GECO target by more than 10% is not at matched rate, and the comparison "
                          "at that rate is untestable"),
                Tolerance("alpha", 0.05, "paired t over seeds, two-sided at 5%, Holm across the three rates")),
    finding="Open in the quick profile (3 seeds, 1500 steps; a run of its own, the shared patch runs untouched). Every "
    "run holds its target (held-out rate within 10%: pixel 1.85/3.85/5.85, adversarial 1.85/3.93/5.84 nats, "
    "mean of seeds), so all three comparisons are testable, and none is resolved: A_post pixel vs adversarial "
    "0.551 vs 0.551 at 2 nats (paired t 0.03), 1.061 vs 1.011 at 4 nats (t 1.38), 1.315 vs 1.329 at 6 nats (t "
    "-1.21); per seed adversarial/pixel 0.88-1.06. GECO's final beta for the adversarial run is about half the "
    "pixel run's (1.37 vs 2.71 at 2 nats): at a held rate the mixture behaves like the pixel loss at half weight, "
    "and the small hinge discriminator leaves the posterior's shape unchanged within seed noise. The paper "
    "(Fig. 6, discriminative loss, four target rates, two dataset-model pairs) reports lower A_post as lambda "
    "grows; it prints no numbers on the review page. New claim (issue 21 item 12).",
)
def check_c2_adv(profile: Profile) -> Outcome:
    m = nl26_measure.measure_c2_adv(nl.adversarial_matched_runs(profile))
    q = m.numbers
    rates, a = np.array(q["rates"]), np.array(q["A_post"])
    return Outcome(
        evidence=m.evidence, measured=q, figure_data=m.figure_data,
        summary=f"[{len(q['seeds'])} seeds] GECO targets {_fmt(q['rate_targets'], 0)} nats, pixel vs adversarial "
        f"(lambda {q['lam_adversarial']:g}): rate (mean) pixel {_fmt(rates[:, 0::2].mean(0))}, adversarial "
        f"{_fmt(rates[:, 1::2].mean(0))}; A_post (mean) pixel {_fmt(a[:, 0::2].mean(0), 3)}, adversarial "
        f"{_fmt(a[:, 1::2].mean(0), 3)}",
    )


# ------------------------------------------------------------------------------------------------
# NL26.C1-additive: the additive reading of the same sentence (issue 21 item 6)
# ------------------------------------------------------------------------------------------------

ADD_TOL = 1e-12

ADDITIVE_RULES = Rules(core=(
    Within(name="spectrum grows (Loewner)", says="closed form: with G_w = I + w F^T F every sorted eigenvalue of "
           "G_w^{1/2} Sigma G_w^{1/2} is non-decreasing in w (the sweep's source with the edge features and 100 random "
           "(Sigma, F))", a="closed form: smallest spectrum step (relative)", low=-ADD_TOL),
    Within(name="rate grows (closed form)", says="closed form: the optimal rate at fixed beta is non-decreasing in w",
           a="closed form: smallest rate step", low=-ADD_TOL),
    Ordering(name="trained: the added term raises the rate", says="patches: the run with the neural term added at "
             "3 x the pixel weight (lambda = 0.75 against the pixel-only control with the same pixel weight and beta) "
             "has the higher rate", a="rate/feature lambda=0.75", b="rate/pixel control lambda=0.75", log=True),
))


@claim(
    id="NL26.C1-additive",
    source="Strano et al. 2026, abstract and Sec. 3 (claim 1), read additively (issue 21 item 6)",
    statement="Read additively (a neural term added to the pixel loss at a fixed pixel weight, d_pix + w d_neural, "
    "fixed beta), augmenting the loss with a neural term INCREASES the information: the metric-weighted spectrum "
    "grows in the Loewner order, so the optimal rate grows with w (closed form); trained nonlinear VAEs on patches "
    "with the 1-Lipschitz edge-feature network (existing runs: lambda = 0.75 against the pixel-only control with the "
    "same pixel weight, w = 3) have the higher rate. The convex reading (NL26.C1) predicts the opposite.",
    expected=Verdict.CONFIRMED,
    expected_full=Verdict.OPEN,
    full_note="full profile run on the CPU, 2026-12-06 (results/full_profile/nl26_sl_mb_linear.json): open; the trained rise at w = 3 is not seen on the 5 full-size seeds (ratio 1.076/0.990/1.008/1.008/0.893, t = -0.21); the closed forms hold",
    kind="trained",
    rules=ADDITIVE_RULES,
    tolerances=(Tolerance("rounding", ADD_TOL, "float64 eigenvalues are exact to ~1e-15 of the largest one; the edge "
                          "features have a null direction (constant images), along which an eigenvalue stays equal"),
                Tolerance("alpha", 0.05, "paired t over seeds of the log rate ratio, two-sided at 5%")),
    finding="Confirmed in the quick profile. Closed form: along w = 0, 1/3, 1, 3 with G_w = I + w F^T F no sorted "
    "eigenvalue of the metric-weighted spectrum falls (smallest step -1.8e-15 of the largest: rounding along "
    "the edge features' null direction) for the sweep's source and 100 random (Sigma, F), and the optimal "
    "rate at fixed beta rises every time (edge metric 4.49 -> 7.12 nats; smallest step 0.30 nats). Trained "
    "(the existing patch runs, no new training): with the neural term added at 3 x the pixel weight (lambda = "
    "0.75 against the pixel-only control with the same pixel weight and beta) the rate is 1.079/1.099/1.114 x "
    "the control's (paired t of the log ratio 10.0); at w = 1 (lambda = 0.5) 1.018-1.084 x (reported, no "
    "rule). The conv VAE of SCALE.C1 shows no rise at w = 1 (0.996 x). On fresh seeds (verify --seed-offset 1) "
    "the ratio at w = 3 is 1.193/1.023/1.016 and the trained rule unresolved (open): at 3 seeds it is fragile (the "
    "paper states no effect size to size the plan by). New claim (issue 21 item 6); under the "
    "convex reading the same sentence is NL26.C1. Full profile (5 seeds, 10000 steps, 50000 patches; CPU run "
    "2026-12-06, results/full_profile/): open. The closed forms hold as in quick, but the trained rise is not seen "
    "at full size: at w = 3 the rate is 1.076/0.990/1.008/1.008/0.893 x the control's (paired t of the log ratio "
    "-0.21), so the trained rule is unresolved, as on the quick profile's fresh seeds.",
)
def check_additive(profile: Profile) -> Outcome:
    m = nl26_measure.measure_additive(lv.shared_sweep(profile), nl.shared_runs(profile))
    q = m.numbers
    return Outcome(
        evidence=m.evidence, measured=q, figure_data=m.figure_data,
        summary=f"[{len(q['seeds'])} seeds] closed form, edge metric, w = {_fmt(q['weights'])}: rate "
        f"{_fmt(q['edge_rates'])} nats; smallest steps over {q['trials'] + 1} sources: spectrum "
        f"{q['smallest_spectrum_step_rel']:.1e} (relative), rate {q['smallest_rate_step']:.3g} nats; patches "
        f"feature/control per seed at w = 1 {_fmt(q['feature/control']['0.5'], 3)}, at w = 3 "
        f"{_fmt(q['feature/control']['0.75'], 3)}",
    )
