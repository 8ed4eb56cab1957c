"""SCALE: the core checks at CelebA size (64 x 64 x 3 inputs, latents up to 2048), and at CPU size in QUICK.

The experiments are :mod:`toyvae.experiments.scale` (cached per plan, so the claims share their runs):
trained linear F-VAEs on the sphere (SCALE.T1), trained linear VAEs on photo crops under a pixel and an
edge-feature metric (SCALE.T46, SCALE.RateMatch), and a convolutional VAE on photo crops (SCALE.T2tab,
SCALE.C1, SCALE.C2). The full-profile verdicts come from a GPU run (scripts/gpu_scale.sh); until one is
made, ``expected_full`` is None.

Declarations only: :mod:`toyvae.experiments.scale.measure` measures (per-seed evidence), the rules below
judge (:func:`toyvae.evidence.decide`), :mod:`toyvae.plots.scale` draws. SCALE.C1 and SCALE.C2 read NL26's
sentences through the same factories as NL26.C1 and NL26.C2 (:mod:`toyvae.evidence.readings`). Every
trained number is read after an annealed end of training (cosine decay of the step size), the same for
every setting; seeds are the unit of evidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim
from toyvae.evidence import Equivalence, Exact, Ordering, Rules, Within
from toyvae.evidence.readings import RATE_MATCH, SAME_RATE_MARGIN, isotropy_at_matched_rate, neural_term_reduces_rate
from toyvae.experiments import scale
from toyvae.experiments.scale import conv_crops, device, linear_crops, measure, sphere_hd

__all__ = ["check_t1", "check_t46", "check_rate_match", "check_t2tab", "check_c1", "check_c2"]


def _common(profile: Profile) -> dict:
    """Device, precision, memory and dry-run flag: recorded in every SCALE claim's ``measured``."""
    return {"device": device.device_record(), "dry_run": bool(Profile(profile) is Profile.FULL and scale.dry_run())}


def _fmt(values, digits: int = 3) -> str:
    return "/".join(f"{x:.{digits}f}" for x in np.ravel(values))


# ------------------------------------------------------------------------------------------------
# SCALE.T1: BS20 Theorem 1 at high D
# ------------------------------------------------------------------------------------------------

T1_RADIUS = math.log(1.15)
T1_COLLAPSE = math.log(1.25)
T1_CONTROL = 0.15
T1_FLOOR = 0.5
T1_BOUND = 1e-3
_T1_TOLS = (
    Tolerance("radius_log_margin", T1_RADIUS, "below the threshold the mean log(r / r_ref) over seeds must be "
              "within +-log 1.15 (two one-sided tests): Adam's noise floor adds to ||W||_F in quadrature (it raised "
              "d < D radii by up to 8% in pilot runs) and r_lin(d) treats the sphere's projection as Gaussian "
              "(O(d/D))"),
    Tolerance("collapse_log_margin", T1_COLLAPSE, "above the threshold a warm run has collapsed when the mean "
              "log(r_warm / r_cold) (same seed, same sigma) is within +-log 1.25: the cold run starts at the collapsed "
              "optimum and measures the optimiser's noise floor; a kept sphere would sit near r_ref(0.5 R/sqrt D), "
              "3-4 x the floor"),
    Tolerance("control_reach", T1_CONTROL, "positive control: every seed's cold run at 0.5 R/sqrt(D) within 15% of "
              "r_ref (training can reach the theory's radius at all)"),
    Tolerance("floor_resolution", T1_FLOOR, "control: the noise floor must stay below half of r_ref at the control, "
              "else collapse cannot be told from a small sphere"),
    Tolerance("elbo_bound", T1_BOUND, "consistency check: no exact ELBO above Theorem 1's bound log p(x; r*) by more "
              "than 1e-3 nats (float64 of float32 parameters)"),
)


def _t1_rules(evidence: Mapping[str, Any]) -> Rules:
    """One set of rows per (D, d) the plan trained (chosen from the evidence's names only)."""
    keys = sorted({name.split("/")[0] for name in evidence if name.startswith("D=")})
    controls, core = [], []
    for k in keys:
        controls += [
            Within(name=f"{k}: control reaches r_ref", says=f"{k}: every seed's cold run at 0.5 R/sqrt(D) ends within "
                   f"{T1_CONTROL:.0%} of r_ref", a=f"{k}/control r/r_ref", low=1 - T1_CONTROL, high=1 + T1_CONTROL),
            Within(name=f"{k}: collapse resolvable", says=f"{k}: the optimiser's noise floor is below {T1_FLOOR:g} of "
                   "r_ref at the control", a=f"{k}/noise floor / r_ref at the control", high=T1_FLOOR)]
        core += [
            Equivalence(name=f"{k}: radius below (cold)", says=f"{k}: at 0.8 R/sqrt(D), cold runs end at r_ref within "
                        "x/1.15", a=f"{k}/below cold r/r_ref", b=1.0, log=True, margin=T1_RADIUS),
            Equivalence(name=f"{k}: radius below (warm)", says=f"{k}: at 0.8 R/sqrt(D), warm runs end at r_ref within "
                        "x/1.15", a=f"{k}/below warm r/r_ref", b=1.0, log=True, margin=T1_RADIUS),
            Equivalence(name=f"{k}: collapse above", says=f"{k}: at 1.25 R/sqrt(D-1), a run started on a sphere ends "
                        "at the collapsed cold run of its seed within x/1.25", a=f"{k}/above warm r",
                        b=f"{k}/above cold r", log=True, margin=T1_COLLAPSE),
            Within(name=f"{k}: ELBO below Theorem 1's bound", says=f"{k}: consistency check: every exact ELBO at most "
                   f"{T1_BOUND:g} nats above log p(x; r*)", a=f"{k}/ELBO - Theorem 1 bound", high=T1_BOUND)]
    return Rules(core=tuple(core), controls=tuple(controls))


@claim(
    id="SCALE.T1",
    source="Berger & Sebag 2020, Theorem 1 and eq. 8, in trained VAEs at high D",
    statement="Data uniform on S_{D-1}(R), R = sqrt D, D up to 12288 (quick: 128), Gaussian decoder with a fixed "
    "sigma: trained VAEs collapse above R/sqrt(D-1) (a model started on a sphere loses it), and below R/sqrt(D) "
    "their decoder means keep the radius the theory gives: r*(sigma) (eq. 8's maximiser) with D latents, and, "
    "with d < D latents (ours), r_lin(d) = sqrt(d (R^2/D - sigma^2)), the optimum of a d-latent linear decoder. "
    "Models: linear F-VAEs, whose optimum equals r*(sigma) up to O(1/D) at these D.",
    expected=Verdict.CONFIRMED,
    full_note="not run: needs a GPU (CelebA size; scripts/gpu_scale.sh, about 6-8 min on an H200; issue 19)",
    expected_full=None,
    kind="trained",
    rules=_t1_rules,
    tolerances=_T1_TOLS,
    finding="Confirmed in the quick profile (D = 128 with 128 and 32 latents, 3 seeds, 900 steps): the controls reach "
    "r_ref (1.006 and 1.05 of it) with the noise floor at 0.26 and 0.28 of r_ref; at 0.8 R/sqrt(D) cold and "
    "warm runs end at 0.997 and 1.008 of r*(sigma) itself (d = D) and 1.077 of r_lin(32) (within x/1.15); "
    "above R/sqrt(D-1) warm runs that started on a sphere (0.84 R, 0.45 R) end at the cold runs' noise floor "
    "(ratio 0.979 and 0.965, within x/1.25); every exact ELBO below Theorem 1's bound (consistency check). "
    "The full profile (D = 2048 and 12288, 2048 latents) has not been run yet. Before: confirmed (the control "
    "now must hold in every seed instead of dropping the seeds that miss it).",
)
def check_t1(profile: Profile) -> Outcome:
    m = measure.measure_t1(sphere_hd.run(profile))
    q = m.numbers
    parts = [f"{k}: control r/r_ref {_fmt(v['control_r/r_ref'])}; 0.8: cold {_fmt(v['below_cold_r/r_ref'])}, warm "
             f"{_fmt(v['below_warm_r/r_ref'])}; above: warm/cold {_fmt(v['above_warm/cold'])}, floor "
             f"{v['noise_floor/R']:.3f} R, warm start {_fmt(v['above_warm_start/R'], 2)} R"
             for k, v in q["by_dimension"].items()]
    return Outcome(
        evidence=m.evidence, measured={**q, **_common(profile)}, figure_data=m.figure_data,
        paper={"collapse_for_sigma_>=": "R/sqrt(D-1)", "optimal_radius": "r*(sigma), eq. 8"},
        summary=f"[{len(q['seeds'])} seeds, {q['steps']} steps] " + "; ".join(parts),
    )


# ------------------------------------------------------------------------------------------------
# SCALE.T46: eqs. 44-46 and Theorem 41 on trained linear VAEs on crops (a consistency check)
# ------------------------------------------------------------------------------------------------

T46_TOL = 0.1
T46_GAP = 0.05
E44_K = 4.0
T41_TOL = 1e-8

T46_RULES = Rules(
    controls=(Within(name="objective near the optimum", says=f"every trained model's objective is within "
                     f"{T46_GAP:.0%} of the exact d-latent optimum (positive control: training found the optimum)",
                     a="objective gap", high=T46_GAP),),
    core=(Within(name="eq. 46 with the own decoder", says=f"consistency check: every model's s_i within {T46_TOL} "
                 "in log of beta/(beta + 2 c_i) of its own decoder (holds at any stationary point in s)",
                 a="max |log s/s*|", high=T46_TOL),
          Within(name="eq. 44 by Monte Carlo", says=f"consistency check: the Monte Carlo mean of d_G(x, Wz) within "
                 f"{E44_K:g} standard errors of eq. 44 on trained models", a="eq44 |z|", high=E44_K),
          Exact(name="Theorem 41 monotone", says="consistency check: beta -> sum_i g(s*_i(beta)) at every model's c "
                "is strictly decreasing", a="T41 strictly decreasing", reference=1.0),
          Within(name="Theorem 41 inverted", says=f"consistency check: its inversion recovers beta within {T41_TOL:g} "
                 "(relative)", a="T41 inversion error", high=T41_TOL)),
)


@claim(
    id="SCALE.T46",
    source="Strano et al. 2026 (NL26), App. D eqs. 44-46 and Theorem 41, at d up to 2048 latents on photo crops",
    statement="A linear VAE trained on flattened photo crops (64 x 64 x 3 with 2048 latents; quick: 8 x 8 x 3 with 32) "
    "under a pixel metric and an edge-feature metric has posterior variances s_i = beta/(beta + 2 c_i), c_i = "
    "(W^T G W)_ii of its own decoder (eq. 46); eq. 44 holds on it; and Theorem 41's map beta -> sum_i g(s*_i(beta)) "
    "at its 2048 c_i is strictly decreasing and inverted exactly.",
    expected=Verdict.CONFIRMED,
    full_note="not run: needs a GPU (CelebA size; scripts/gpu_scale.sh, about 6-8 min on an H200; issue 19)",
    expected_full=None,
    kind="trained",
    rules=T46_RULES,
    tolerances=(
        Tolerance("max_abs_log_ratio", T46_TOL, "as NL26.T46-trained: Adam's gradient noise in log s, whose loss has "
                  "curvature beta/2, leaves a few-percent error at an annealed end"),
        Tolerance("objective_gap", T46_GAP, "the informative number: the objective (distortion + beta rate, exact in "
                  "the crops' covariance) at most 5% above the d-latent closed-form optimum, else training has not "
                  "found the optimum and eq. 46 only says it is stationary in s (a control: open when it fails)"),
        Tolerance("e44_sigmas", E44_K, "Monte Carlo of eq. 44 with 4096 draws per crop: |mean - exact| <= 4 standard "
                  "errors (two-sided normal tail 6e-5 per comparison, 8 comparisons)"),
        Tolerance("t41_inversion", T41_TOL, "float64 root finding on a strictly monotone map (brentq to ~1e-13)"),
    ),
    finding="Consistency check (eq. 46 holds at any stationary point in s). Quick profile (8 x 8 x 3 crops, n = 192, "
    "32 latents, 3 seeds): eq. 46 within 0.03-0.05 (pixel) and 0.07-0.08 (edge) in log s, eq. 44 within 1.25 "
    "s.e., Theorem 41 inverted to 5e-15; the informative gap (a positive control): objectives 0.3-0.4% "
    "(pixel) and 1.1-1.3% (edge) above the exact 32-latent optimum (<= 5%). The beta recovered from an edge "
    "model's own variance-KL is 0.88 x its trained beta (its weakly coded latents' s sit below s*). Before: "
    "confirmed (a gap above 5% gave open; now a control with the same effect).",
)
def check_t46(profile: Profile) -> Outcome:
    m = measure.measure_t46(linear_crops.run(profile))
    q = m.numbers
    return Outcome(
        evidence=m.evidence, measured={**q, **_common(profile)}, figure_data=m.figure_data,
        paper={"eq. 46": "s* = beta / (beta + 2 c)", "Theorem 41": "V(beta) strictly decreasing, onto (0, inf)"},
        summary=f"[consistency check; {q['n']} inputs, {q['latents']} latents, metrics pixel/edge x {len(q['seeds'])} "
        f"seeds, {q['steps']} steps] max|log s/s*| {_fmt(q['max_abs_log_s_over_s*'])}; objective above the d-latent "
        f"optimum {_fmt(q['objective_gap'])}; eq. 44 MC max |z| {q['e44_max_z']:.2f}; Theorem 41 at the trained c "
        f"inverted to {q['t41_max_inversion_error']:.1e}; beta recovered from each model's own variance-KL / trained "
        f"beta {_fmt(q['beta_from_own_variance_kl/beta'])}",
    )


# ------------------------------------------------------------------------------------------------
# SCALE.RateMatch: pixel vs edge metric at a matched rate, closed form and trained
# ------------------------------------------------------------------------------------------------

APOST_TOL = math.log(1.25)

RATE_MATCH_RULES = Rules(
    premises=(Within(name="closed-form ordering robust over the reached rates",
                     says="the closed form's pixel A_post exceeds its edge A_post for every pair of rates in the range "
                          "the trained models reached (so the trained comparison does not need exactly matched rates)",
                     a="closed form: pixel - edge A_post over the reached rates", low=0.0),),
    core=(Within(name="closed form at the matched rate", says="reverse water-filling at the matched rate: the edge "
                 "metric's A_post is below the pixel metric's",
                 a="closed form: pixel - edge A_post at the matched rate",
                 low=0.0, requires=()),
          Ordering(name="trained: edge more isotropic", says="trained models: pixel A_post exceeds edge A_post (paired "
                   "over seeds)", a="A_post/pixel", b="A_post/edge"),
          Equivalence(name="trained pixel A_post at its closed form", says="trained pixel models' A_post equals the "
                      "closed form at each model's own rate within x/1.25", a="A_post/pixel",
                      b="closed A_post at own rate/pixel", log=True, margin=APOST_TOL, requires=()),
          Equivalence(name="trained edge A_post at its closed form", says="trained edge models' A_post equals the "
                      "closed form at each model's own rate within x/1.25", a="A_post/edge",
                      b="closed A_post at own rate/edge", log=True, margin=APOST_TOL, requires=())),
)


@claim(
    id="SCALE.RateMatch",
    source="Strano et al. 2026 (NL26), Sec. 3.2 with Theorem 41 and eqs. 45-46 (reverse water-filling), on photo crops",
    statement="At a common rate, reverse water-filling over the metric-weighted spectrum of the crops gives each "
    "metric its beta and its posterior: linear VAEs trained at the pixel metric's and at the edge-feature metric's "
    "beta have the edge metric's posterior the more isotropic one (lower A_post = Var_i log s_i over the latents), "
    "by the amounts the closed form gives at the rates they reach (64 x 64 x 3 crops, 2048 latents; quick 8 x 8 x 3, "
    "32).",
    expected=Verdict.OPEN,
    full_note="not run: needs a GPU (CelebA size; scripts/gpu_scale.sh, about 6-8 min on an H200; issue 19)",
    expected_full=None,
    kind="trained",
    rules=RATE_MATCH_RULES,
    tolerances=(
        Tolerance("A_post_rel", APOST_TOL, "log ratio: trained A_post within x/1.25 of the closed form at the model's "
                  "own rate: errors of up to 0.1 in log s (SCALE.T46's tolerance) on the weakly coded latents move "
                  "Var_i log s by up to ~20%"),
        Tolerance("alpha", 0.05, "orderings by paired t over seeds, two-sided at 5%; equivalences by two one-sided "
                  "tests at 5%"),
    ),
    finding="Open in the quick profile: at the matched 3.57 nats the closed form gives the pixel metric beta 0.65 (4 "
    "coded components, A_post 0.54) and the edge metric beta 0.011 (17 components, A_post 0.11). Trained edge "
    "models stop at 2.91-2.93 nats (-18%), but over the whole range the models reached (2.91-3.59 nats) the "
    "closed-form pixel A_post (0.42-0.54) stays above the edge one (0.093-0.112), so the ordering is "
    "decidable without exactly matched rates: pixel > edge in every seed (paired t 62). The amounts: pixel "
    "A_post is 0.96 x the closed form at each model's own rate (equivalent within x/1.25), edge 1.22 x (95% "
    "CI [0.99, 1.51]: unresolved; 78% power at 3 seeds at this spread, 4 seeds give 80%). Before: open (old "
    "rule: open because the edge models missed the matched rate by more than 10%).",
)
def check_rate_match(profile: Profile) -> Outcome:
    m = measure.measure_rate_match(linear_crops.run(profile))
    q = m.numbers
    rate = q["matched_rate_nats"]
    tr, ta, own = np.array(q["trained_rate"]), np.array(q["trained_A_post"]), np.array(q["closed_A_post_at_own_rate"])
    rng = q["closed_A_post_over_range"]
    return Outcome(
        evidence=m.evidence, measured={**q, **_common(profile)}, figure_data=m.figure_data,
        paper={"NL26 Sec. 3.2": "at matched rate, a neural metric gives a more isotropic posterior"},
        summary=f"[{q['n']} inputs, {q['latents']} latents, {len(q['seeds'])} seeds] matched rate {rate:.3f} nats: "
        f"closed form beta pixel {q['beta_closed_form'][0]:.4g} / edge {q['beta_closed_form'][1]:.4g}, coded "
        f"components {q['active_closed_form'][0]}/{q['active_closed_form'][1]}, A_post "
        f"{_fmt(q['A_post_closed_form'])}; trained rate pixel {_fmt(tr[:, 0])}, edge {_fmt(tr[:, 1])}; over the "
        f"reached {q['reached_rate_range'][0]:.2f}-{q['reached_rate_range'][1]:.2f} nats the closed form's A_post is "
        f"pixel {_fmt(rng['pixel'])}, edge {_fmt(rng['edge'])}; trained A_post pixel {_fmt(ta[:, 0])} (closed at own "
        f"rate {_fmt(own[:, 0])}), edge {_fmt(ta[:, 1])} (closed {_fmt(own[:, 1])})",
    )


# ------------------------------------------------------------------------------------------------
# SCALE.T2tab, SCALE.C1, SCALE.C2: the conv VAE on crops
# ------------------------------------------------------------------------------------------------


def _conv_note(q: Mapping[str, Any]) -> str:
    return (f"{q['crop_side']}x{q['crop_side']}x3 crops, widths {q['widths']}, latent {q['latent']}, {len(q['seeds'])} "
            f"seeds, {q['steps']} steps of {q['batch']}")


T2TAB_RULES = Rules(core=(
    Ordering(name="LV beats MSE", says="LV's held-out bits per dimension are below F's (MSE, sigma^2 = 1/2): the "
             "paper's Table 2 comparison, nearly certain by construction", a="bits/dim F", b="bits/dim LV"),
    Ordering(name="LV beats the best single sigma", says="LV's held-out bits per dimension are below LS's (one "
             "learned sigma for every pixel, i.e. a fixed sigma at its best value): the per-pixel sigma itself helps",
             if_false="a single learned sigma does as well or better than the per-pixel sigma",
             a="bits/dim LS", b="bits/dim LV"),
))


@claim(
    id="SCALE.T2tab",
    source="Berger & Sebag 2020, Table 2 and Sec. 4.3, with a convolutional VAE on photo crops",
    statement="On natural images, a VAE whose decoder learns a per-pixel sigma(z) (LV, eq. 11, floor 1e-3) reaches a "
    "better held-out ELBO than the same VAE with the MSE loss (fixed sigma^2 = 1/2) and than one with a single "
    "learned sigma (LS: the reference a fixed sigma cannot beat, so the per-pixel sigma is what is tested), here in "
    "bits per dimension of dequantised pixels (conv VAE, 64 x 64 x 3 crops of the packaged photos, held-out photo; "
    "quick 16 x 16 x 3).",
    expected=Verdict.NOT_REPRODUCED,
    full_note="not run: needs a GPU (CelebA size; scripts/gpu_scale.sh, about 6-8 min on an H200; issue 19)",
    expected_full=None,
    kind="trained",
    rules=T2TAB_RULES,
    tolerances=(Tolerance("alpha", 0.05, "paired t over seeds of bits per dimension, two-sided at 5%"),),
    finding="Not reproduced in the quick profile (16 x 16 x 3 crops, 3 seeds, 200 steps): LV beats the MSE loss (F "
    "8.91 vs LV 8.29-8.34 held-out bits/dim, paired t 38), nearly certain by construction, but a single "
    "learned sigma beats the per-pixel one: LS 7.84-7.95 bits/dim (LS - LV paired t -21.8). LS's scalar log "
    "sigma has its own Adam at 30 x the step size while LV's per-pixel sigma is a network output moving at "
    "the network's; whether LV overtakes LS with longer training is for the full plan (1500 steps at 64 x 64 "
    "x 3), not run yet. Before: confirmed (old rule: F against LV only).",
)
def check_t2tab(profile: Profile) -> Outcome:
    runs = conv_crops.run(profile)
    m = measure.measure_t2tab(runs)
    q = m.numbers
    bpd = q["bits_per_dim"]
    return Outcome(
        evidence=m.evidence, measured={**q, **_common(profile)}, figure_data=m.figure_data,
        paper={"CelebA bits/pixel F, LV": [5.52, 57.51],
               "units": "the paper's ELBO (higher is better), constants unstated"},
        summary=f"[{_conv_note(q)}; held-out photo, {q['held_out_tiles']} tiles] bits/dim (lower is better) F "
        f"{_fmt(bpd['F'])}, LS {_fmt(bpd['LS'])}, LV {_fmt(bpd['LV'])}; paper (its units, higher is better) CelebA "
        f"F 5.52 vs LV 57.51",
    )


# seed standard deviation of log(feature / pixel control) at lambda = 0.5 in the stored quick run before this
# conversion (/tmp/before_quick.json, 3 seeds): the equivalence's power before data
C1_PILOT_SD = 0.0091
_C1_BASE = dict(base="rate/lambda=0", neural="rate/feature lambda=0.5", control="rate/pixel control lambda=0.5",
                setting="lambda = 0.5", pilot_sd=C1_PILOT_SD)
_C1_RULES = neural_term_reduces_rate(**_C1_BASE)
_C1_RULES_TO_1 = neural_term_reduces_rate(**_C1_BASE, extra_core=(
    Ordering(name="rate falls to lambda = 1", says="the rate at lambda = 1 (neural loss alone) is below lambda = 0's",
             a="rate/lambda=0", b="rate/feature lambda=1", requires=()),))


def _c1_rules(evidence: Mapping[str, Any]) -> Rules:
    """NL26 claim 1's shared reading; the plan's lambda = 1 run (full profile) adds its fall."""
    return _C1_RULES_TO_1 if "rate/feature lambda=1" in evidence else _C1_RULES


@claim(
    id="SCALE.C1",
    source="Strano et al. 2026 (NL26), Sec. 3 (claim 1), with a convolutional VAE on photo crops",
    statement="With the loss lambda d_phi + (1 - lambda) d_pix + beta KL at a fixed beta (d_phi: a fixed 1-Lipschitz "
    "edge-feature network), the rate at convergence falls as lambda grows (lambda = 0, 0.5, 1; conv VAE on 64 x 64 "
    "x 3 crops, quick 16 x 16 x 3); the pixel-only control with the same pixel weight tells whether the neural term "
    "or the shrinking pixel weight carries the fall.",
    expected=Verdict.REFINED,
    full_note="not run: needs a GPU (CelebA size; scripts/gpu_scale.sh, about 6-8 min on an H200; issue 19)",
    expected_full=None,
    kind="trained",
    rules=_c1_rules,
    tolerances=(
        Tolerance("same_rate_margin", SAME_RATE_MARGIN, "log ratio, shared with NL26.C1 (toyvae.evidence.readings): "
                  "the neural term's own effect at equal pixel weight is immaterial below 5% of the rate"),
        Tolerance("alpha", 0.05, "orderings: paired t over seeds, two-sided at 5%; the equivalence: two one-sided "
                  "tests at 5%"),
    ),
    finding="Refined in the quick profile (the same reading as NL26.C1): the rate falls from 39.1 to 32.6 nats from "
    "lambda 0 to 0.5 (paired t 9.4), and the pixel loss alone with the same pixel weight gives 32.8: the "
    "feature run's rate is 0.996 x the control's (95% CI [0.973, 1.018], inside +-5%), so the fall is carried "
    "by the shrinking pixel weight, not by the neural term. Before: refined (old rule: refined by default "
    "whenever the feature run was not significantly below the control; now only when the equivalence is "
    "shown).",
)
def check_c1(profile: Profile) -> Outcome:
    runs = conv_crops.run(profile)
    m = measure.measure_c1(runs)
    q = m.numbers
    rates = np.array(q["rate"])
    return Outcome(
        evidence=m.evidence, measured={**q, **_common(profile)}, figure_data=m.figure_data,
        paper={"NL26 claim 1": "rate falls as the neural-loss weight grows"},
        summary=f"[{_conv_note(q)}; beta {q['beta']:g}] rate (mean over seeds) at lambda {q['lambdas']}: "
        f"{_fmt(rates.mean(0), 2)}; pixel-only control with weight {1 - q['control_lambda']:g}: "
        f"{np.mean(q['pixel_only_control']):.2f}; feature/control per seed {_fmt(q['feature/control'])}",
    )


SCALE_C2_RULES = isotropy_at_matched_rate(settings=("lambda=0", "lambda=0.5"), a_post="A_post/{}",
                                          rate_error="rate/target - 1/{}")


@claim(
    id="SCALE.C2",
    source="Strano et al. 2026 (NL26), Sec. 3.2 (claim 2), with a convolutional VAE on photo crops",
    statement="At a matched rate (held by a GECO-style rule on beta), the neural loss (lambda = 0.5: half edge-feature "
    "distortion) gives a more isotropic posterior than the pixel loss (lambda = 0): lower A_post = E_x Var_i log "
    "s_i(x) (conv VAE on 64 x 64 x 3 crops, quick 16 x 16 x 3).",
    expected=Verdict.OPEN,
    full_note="not run: needs a GPU (CelebA size; scripts/gpu_scale.sh, about 6-8 min on an H200; issue 19)",
    expected_full=None,
    kind="trained",
    rules=SCALE_C2_RULES,
    tolerances=(Tolerance("rate_match", RATE_MATCH, "relative: every seed's rate on the fixed training crops within "
                          "10% "
                          "of the GECO target (NL26.C2's criterion; a premise of the comparison)"),
                Tolerance("alpha", 0.05, "paired t over seeds, two-sided at 5%")),
    finding="Open in the quick profile: GECO holds 30.3-33.2 nats, but at lambda = 0 one seed is 10.6% above the "
    "30-nat target, so the matched-rate premise fails and the comparison is untestable (A_post 0.42/0.41/0.19 "
    "at lambda 0 vs 0.40/0.37/0.18 at 0.5 would give a paired t of 2.5 < 4.30). Before: open.",
)
def check_c2(profile: Profile) -> Outcome:
    runs = conv_crops.run(profile)
    m = measure.measure_c2(runs)
    q = m.numbers
    rates, a_post = np.array(q["rate"]), np.array(q["A_post"])
    return Outcome(
        evidence=m.evidence, measured={**q, **_common(profile)}, figure_data=m.figure_data,
        paper={"NL26 claim 2": "neural distortions give a more isotropic posterior at matched rate"},
        summary=f"[{_conv_note(q)}; GECO target {q['rate_target']:g} nats] lambda {q['lambdas']}: rate per seed "
        f"{', '.join(_fmt(r) for r in rates.T)}, A_post per seed {', '.join(_fmt(a) for a in a_post.T)}; final beta "
        f"(mean) {_fmt(np.mean(q['final_beta'], 0))}",
    )
