"""MB.2stage (MB Sec. 4, eqs. 5-6, Figs. 7-8) and MB.S5 (MB Sec. 5, Figs. 9-10): declarations only.

Every trained model is distortion-targeted with MB's Lagrangian (App. B.2); the runs are
:mod:`toyvae.experiments.frequency` and :mod:`toyvae.experiments.two_stage`, the measurements
:mod:`toyvae.experiments.mb_measure`. Seeds are the unit of evidence: one *pipeline* per seed (its primary, its
secondary, its single-stage model); the rules (:mod:`toyvae.evidence`) compare over pipelines.
"""

from __future__ import annotations

import numpy as np

from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim
from toyvae.evidence import Equivalence, Exact, Ordering, Rules, Towards, Within
from toyvae.experiments import frequency as fq
from toyvae.experiments import mb_measure as mm
from toyvae.experiments import two_stage as ts

__all__ = ["check_two_stage", "check_s5", "TWO_STAGE_RULES", "S5_RULES"]

EXACT_TOL = 1e-9  # nats / squared error: float64 closed forms summing O(1) terms over 8 components
SIMILAR_FRACTION = 0.1  # ours: "similar" = within 10% of the second stage's gain
CHANGE_LIMIT = 1.2  # ours: "little" = E||final - x~||^2 below 1.2 x the distortion the secondary removes
TARGET_TOL = 0.05  # patches: both compared models within 5% of gamma~ (premise of the ELBO comparison)


def _patch_premises(gt: float):
    return tuple(
        Within(name=f"patch {who} at gamma~ {gt:g}", a=f"patch D {who} / gamma~ {gt:g}", low=1 - TARGET_TOL,
               high=1 + TARGET_TOL,
               says=f"every patch {who} model reaches gamma~ = {gt:g} within {TARGET_TOL:.0%} (the patch ELBO moves by "
                    f"n/2 = 32 nats per unit log D, so models at different distortions cannot be compared by ELBO)")
        for who in ("two-stage", "single"))


TWO_STAGE_RULES = Rules(
    premises=tuple(p for gt in ts.PATCH_GAMMA_TILDES for p in _patch_premises(gt)),
    core=(
        Exact(name="sympy derivation", a="sympy derivation failed", tol=0.0, requires=(),
              says="consistency check: the sympy derivation of the Gaussian two-stage optimum (proofs/mb_two_stage) holds"),
        Exact(name="derivation = library", a="sympy vs library gap", tol=EXACT_TOL, requires=(),
              says="consistency check: the derivation matches the library's closed forms"),
        Exact(name="exact identities", a="exact identities gap", tol=EXACT_TOL, requires=(),
              says="consistency check: at the exact optimum rate1 + rate2 = R(gamma~), ELBO(two-stage) = ELBO(single) "
                   "and E||final - x~||^2 = gamma - gamma~ (successive refinability)"),
    ) + tuple(r for gt in ts.LINEAR_GAMMA_TILDES for r in (
        Ordering(name=f"linear: second stage raises the ELBO {gt:g}", a=f"linear ELBO two-stage {gt:g}",
                 b="linear ELBO primary", requires=(),
                 says=f"linear pipelines: the two-stage ELBO at gamma~ = {gt:g} exceeds the primary's"),
        Equivalence(name=f"linear: as efficient as one stage {gt:g}",
                    a=f"linear rate excess two-stage - single / exact gain {gt:g}", b=0.0, margin=SIMILAR_FRACTION,
                    requires=(),
                    says=f"linear pipelines at gamma~ = {gt:g}: the rate the two stages spend above R(D) at their own "
                         f"distortion equals the single stage's within {SIMILAR_FRACTION:.0%} of the exact optimum's "
                         "ELBO gain (the ELBO gap to the exact curve, free of where each model sits in D)",
                    if_false="two stages waste more (or less) rate than one stage at the same distortion"),
        Ordering(name=f"linear: samples change little {gt:g}", a=CHANGE_LIMIT, b=f"linear change / (D1 - D2) {gt:g}",
                 requires=(),
                 says=f"linear pipelines at gamma~ = {gt:g}: the secondary moves a primary sample by less than "
                      f"{CHANGE_LIMIT:g} x the distortion it removes (the exact optimum: 1)"),
    )) + tuple(r for gt in ts.PATCH_GAMMA_TILDES for r in (
        Ordering(name=f"patches: second stage raises the ELBO {gt:g}", a=f"patch ELBO two-stage {gt:g}",
                 b="patch ELBO primary", requires=(),
                 says=f"patch pipelines: the held-out two-stage ELBO at gamma~ = {gt:g} exceeds the primary's"),
        Equivalence(name=f"patches: ELBO similar to one stage {gt:g}",
                    a=f"patch (ELBO two-stage - single) / gain {gt:g}", b=0.0, margin=SIMILAR_FRACTION,
                    requires=tuple(p.name for p in _patch_premises(gt)),
                    says=f"patch pipelines at gamma~ = {gt:g}: the two-stage ELBO equals the single stage's within "
                         f"{SIMILAR_FRACTION:.0%} of the pipeline's own gain over the primary"),
        Ordering(name=f"patches: samples change little {gt:g}", a=CHANGE_LIMIT, b=f"patch change / (D1 - D2) {gt:g}",
                 requires=(),
                 says=f"patch pipelines at gamma~ = {gt:g}: the secondary moves a primary sample by less than "
                      f"{CHANGE_LIMIT:g} x the distortion it removes"),
    )),
)


@claim(
    id="MB.2stage",
    source="MB Sec. 4, eqs. 5-6, Figs. 7-8; App. A.2, B.2",
    statement="A secondary conditional VAE on pairs (x, x~), x~ the primary's mean reconstruction at distortion "
    "target gamma, whose decoder can copy x~, trained to a smaller target gamma~: it improves the ELBO over the "
    "primary, its ELBO is similar to a single-stage model trained at gamma~ (Fig. 8), and it changes the primary's "
    "samples little (Fig. 7). Exact for Gaussian sources (successive refinability, Equitz & Cover 1991).",
    expected=Verdict.OPEN,
    kind="trained",
    rules=TWO_STAGE_RULES,
    full_note="not run: a CPU run of the full profile (two_stage family, 1.2-1.6 CPU-h on 2 cores) started on 2026-12-06 was stopped unfinished with that session; ~3 H100 min by scripts/gpu_full.sh two_stage",
    tolerances=(
        Tolerance("exact", EXACT_TOL, "closed-form identities at the optimum in float64 over 8 components: rounding"),
        Tolerance("similar_fraction", SIMILAR_FRACTION, "ours: 'similar' = the difference within 10% of the gain the "
                  "comparison is about (linear: the exact optimum's ELBO gain over the primary, a closed-form constant; "
                  "patches: each pipeline's own gain); TOST over pipelines; the paper gives no number"),
        Tolerance("change_limit", CHANGE_LIMIT, "ours: 'little' = E||final - x~||^2 < 1.2 (D1 - D2) (paired t): the exact "
                  "optimum moves a sample by exactly the distortion it removes; 20% for training error. A secondary "
                  "that redrew the sample would move it by ~2 E||x~||^2."),
        Tolerance("target", TARGET_TOL, "patches only: both compared models within 5% of gamma~ in every pipeline "
                  "(premise of the ELBO comparison; registered 2026-12-06 before this run)"),
    ),
    finding=(
    "Open in the quick profile (3 pipelines; linear 3000 + 3000 steps against single stages of 6000, patches 1000 "
    "+ 1000 against 2000). Exact (Gaussian source, consistency checks): two stages reach the single-stage rate "
    "and ELBO and move a mean sample by gamma - gamma~ (35 asserted sympy steps; library gap 5e-14, identities "
    "4e-15). Trained: the second stage raises the linear ELBO at every gamma~ (+0.56/+0.56/+0.38 nats, t >= 8.9); "
    "the patch gain (+3.2 nats per patch, t = 3.4) is unresolved at 3 pipelines. Two stages are as rate-efficient "
    "as one at gamma~ = 0.2 (rate above R(D), two stages minus one, +0.02 of the exact gain, CI -0.03..+0.08 vs "
    "+-0.1); unresolved at 0.1 (CI -0.20..+0.17; 7 pipelines give 80% power) and at 0.05, where the single stage "
    "trails (two stages waste 0.56 of the gain less, a reversal at its own level that does not survive Holm over "
    "14 core rules). Samples move by 0.98-1.01 (linear) and 0.85 (patches) times the distortion removed (< 1.2 in "
    "every case). The patch ELBO comparison is untestable: the single-stage patch models end 11-12% below gamma~ "
    "= 2 (premise: within 5%). Before: open (with a control added after an adverse result; see the rule history)."
    ),
)
def check_two_stage(profile: Profile) -> Outcome:
    m = mm.measure_two_stage(profile)
    q = m.numbers
    s = q["sizes"]

    def line(rows, tag):
        return "; ".join(
            f"gamma~ {r['gamma_tilde']:g}: ELBO {np.mean(r['elbo1']):.2f} -> {np.mean(r['elbo2']):.2f} (single "
            f"{np.mean(r['elbo_single']):.2f}), D2 {np.mean(r['D2']):.3g}, D single {np.mean(r['D_single']):.3g}, "
            f"change/(D1 - D2) {np.mean(r['ratio']):.2f}" for r in rows) + tag

    return Outcome(
        evidence=m.evidence, measured=q, figure_data=m.figure_data,
        summary=f"[exact: {q['symbolic_steps']} sympy steps, library gap {q['library_discrepancy']:.1e}] linear n = 8, "
        f"gamma {ts.LINEAR_GAMMA:g} ({len(q['seeds'])} pipelines; {s['linear_primary_steps']} + "
        f"{s['linear_secondary_steps']} steps, single stage {s['linear_single_steps']}): " + line(q["linear"], "")
        + f" | patches, gamma {ts.PATCH_GAMMA:g} ({len(q['patch_seeds'])} pipelines; {s['patch_primary_steps']} + "
        f"{s['patch_secondary_steps']} steps, single stage {s['patch_single_steps']}, {s['patch_eval']} held-out "
        "patches): " + line(q["patches"], ""),
    )


# ----------------------------------------------------------------------------------------------------------
# MB.S5

N_WINDOWS = int(round(1 / mm.S5_WINDOW))


def _s5_rows(family: str, gammas) -> tuple:
    premises, core = [], []
    for g in gammas:
        name = f"{family} {g:g}"
        premise = Within(name=f"settled: {name}", a=f"{name} settling window", high=N_WINDOWS - 1 - mm.MIN_AFTER,
                         says=f"{family}, gamma = {g:g}: every seed's distortion settles within +-{mm.SETTLE_TOL:.0%} of "
                              f"gamma with at least {mm.MIN_AFTER} windows of {mm.S5_WINDOW:.0%} of the run after it "
                              "(so 'early' and 'late' are both at the target)")
        premises.append(premise)
        core.append(Ordering(name=f"rate falls: {name}", a=f"{name} rate early", b=f"{name} rate late", log=True,
                             requires=(premise.name,),
                             says=f"{family}, gamma = {g:g}: at unchanged distortion the rate keeps falling (early > "
                                  "late, per-seed log ratio)"))
        core.append(Towards(name=f"towards water-filling: {name}", early=f"{name} allocation early",
                            late=f"{name} allocation late", reference=f"{name} allocation water-filling",
                            requires=(premise.name,),
                            says=f"{family}, gamma = {g:g}: at unchanged distortion the error's allocation over "
                                 "components moves towards the rate-optimal (reverse water-filling) allocation "
                                 "e_i = min(theta, var_i)",
                            if_false="the code moves away from the allocation rate-distortion theory predicts"))
    return tuple(premises), tuple(core)


_LIN = _s5_rows("linear", fq.LINEAR_GAMMAS)
_PAT = _s5_rows("patches", fq.PATCH_GAMMAS)
S5_RULES = Rules(premises=_LIN[0] + _PAT[0], core=_LIN[1] + _PAT[1])


@claim(
    id="MB.S5",
    source="MB Sec. 5, Figs. 9-10",
    statement="Under distortion targeting the distortion reaches its target quickly; afterwards, at unchanged "
    "distortion, the rate keeps falling while the model moves from high-frequency to low-frequency information. Read "
    "through rate-distortion theory: the error's allocation over components moves towards the reverse water-filling "
    "allocation of the source at that gamma (components below the water level dropped, the rest coded to error theta).",
    expected=Verdict.OPEN,
    kind="trained",
    rules=S5_RULES,
    full_note="not run: a CPU run of the full profile (two_stage family, 1.2-1.6 CPU-h on 2 cores) started on 2026-12-06 was stopped unfinished with that session; ~3 H100 min by scripts/gpu_full.sh two_stage",
    tolerances=(
        Tolerance("settle", mm.SETTLE_TOL, "ours: a run has settled from the first 10% window after which every "
                  "window's mean distortion stays within +-10% of gamma (the multiplier's noise moves block means by a "
                  "few %)"),
        Tolerance("min_after", mm.MIN_AFTER, "windows (of 10% of the run) required after the settling window, so that "
                  "early and late are different parts of the run"),
    ),
    finding=(
    "Open in the quick profile (3 seeds; linear 6000 steps, patches 2000; early = the window where D settles, "
    "late = the last 10%; 12 core rules, Holm): no row reverses. Rate falls at unchanged D for linear gamma = "
    "0.05, 0.1 (18.7 -> 10.5, 18.7 -> 7.2 nats; R(gamma) 9.7, 6.9) and patches gamma = 2, 4 (65.8 -> 26.5, 18.5 "
    "-> 3.4); unresolved at linear 0.2, 0.4 (4.7 -> 4.3, 2.3 -> 2.1, already near R(gamma)). The error allocation "
    "moves towards reverse water-filling for linear gamma = 0.1, 0.2 (distance 0.021 -> 0.005, 0.014 -> 0.001) "
    "and, unresolved, at 0.05 and 0.4 (0.015 -> 0.011, 0.016 -> 0.003); on patches (reference: the Gaussian "
    "source with the patches' covariance) it is unresolved (gamma = 2: 0.101 -> 0.110; gamma = 4: 0.260 -> 0.244, "
    "the error share below the water level 0.79 -> 0.74 against the optimum's 0.74). What looked like MB's "
    "'frequency part reversed' on the Gaussian source is the model moving to the water-filling allocation (equal "
    "error theta in every component when all are coded). Before: not reproduced (12 unadjusted t-tests on the "
    "error share in a fixed high band u + v >= 8, about 1% of the patch variance)."
    ),
)
def check_s5(profile: Profile) -> Outcome:
    m = mm.measure_s5(profile)
    q = m.numbers
    s = q["sizes"]

    def line(rows):
        return "; ".join(
            f"gamma {r['gamma']:g}: R {np.mean(r['R_early']):.2f} -> {np.mean(r['R_late']):.2f}"
            + (f" (R(gamma) {r['R_optimal']:.2f})" if "R_optimal" in r else "")
            + f", |allocation - water-filling| {np.mean(r['distance_early']):.3g} -> {np.mean(r['distance_late']):.3g}"
            + (f", error share below the water level {np.mean(r['below_water_share_early']):.3f} -> "
               f"{np.mean(r['below_water_share_late']):.3f} (water-filling {r['below_water_share_optimal']:.3f})"
               if r["below_water_share_optimal"] is not None else ", every component above the water level")
            for r in rows)

    return Outcome(
        evidence=m.evidence, measured=q, figure_data=m.figure_data,
        summary=f"[linear: {len(q['seeds'])} seeds, {s['linear_steps']} steps; patches: {len(q['patch_seeds'])} seeds, "
        f"{s['patch_steps']} steps; early = settling window, late = last 10%] linear: " + line(q["linear"])
        + " | patches: " + line(q["patches"]),
    )
