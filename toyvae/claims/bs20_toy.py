"""BS20 claims measured on trained VAEs: the 2-D toy (Table 1, Figs. 4-10) and Sec. 3.2-3.3.

Declarations only: each check measures through :mod:`toyvae.experiments.toy2d` (one cached run per
profile serves every toy claim) and the rules below judge the per-seed evidence
(:func:`toyvae.evidence.decide`). Conventions common to them: seeds are the unit of evidence (6 in the
quick profile, 10 in the full one; the same seed gives every setting the same initial weights and
batches, so comparisons are paired over seeds); held-out numbers are read after the same annealed end of
training for every setting (parameters averaged over the last 10% of the steps).
"""

from __future__ import annotations

import numpy as np

from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim
from toyvae.evidence import Equivalence, NonInferiority, Ordering, Rules, Within
from toyvae.experiments import toy2d

__all__ = ["check_t1tab", "check_lvae", "check_f4", "check_reconstructions", "check_a2", "check_a2_terms", "check_s32"]

ALPHA = 0.05
T_SEED = Tolerance("alpha", ALPHA, "each ordering is a paired t over seeds, two-sided at 5% (2.57 for 6 seeds, 2.26 "
                   "for 10): a false call in either direction has probability 2.5% when there is no difference; "
                   "reversals are corrected across a claim's core rules by Holm's procedure")


def _beats(a: str, b: str, says: str, **kw) -> Ordering:
    return Ordering(name=f"{a} > {b}", says=says, a=f"elbo/{a}", b=f"elbo/{b}", **kw)


# ----------------------------------------------------------------------------------------------- Table 1

T1TAB_RULES = Rules(
    premises=(Ordering(name="sigma* < 0.1", a=0.1, b="ls_sigma_final",
                       says="LS-VAE's final sigma is below 0.1 (the premise of 'F* is below F 0.1': F* sits at a "
                            "smaller sigma than F 0.1; the paper's sigma* is 0.043)"),),
    core=(
        _beats("LV", "LS", "LV-VAE's held-out ELBO exceeds LS-VAE's", requires=()),
        *(_beats("LS", f, f"LS-VAE beats the fixed-sigma {f}", requires=()) for f in
          ("F 1", "F 0.3", "F 0.1", "F 0.03", "F 0.01")),
        _beats("LS", "F*", "LS-VAE beats F* (sigma fixed at LS's final value from the start)", requires=()),
        # 'the best fixed sigma is intermediate', pre-registered at the paper's best fixed sigma (0.1) so that no
        # data-driven choice of the best enters the test
        _beats("F 0.1", "F 1", "F 0.1 (the paper's best fixed sigma) beats the largest, F 1", requires=()),
        _beats("F 0.1", "F 0.01", "F 0.1 (the paper's best fixed sigma) beats the smallest, F 0.01", requires=()),
        _beats("F 0.1", "F*", "F* is significantly below F 0.1 (Sec. 4.2)", requires=("sigma* < 0.1",)),
    ),
)


@claim(
    id="BS20.T1tab",
    source="Berger & Sebag 2020, Sec. 4.2, Table 1",
    statement="On the 2-D heteroscedastic toy the held-out ELBO orders LV-VAE > LS-VAE > every fixed-sigma F-VAE; "
              "among fixed sigmas the best is intermediate; F* (sigma fixed at LS-VAE's final value) is below LS-VAE "
              "and, as Sec. 4.2 says, significantly below F with sigma = 0.1.",
    expected=Verdict.OPEN,
    kind="trained",
    rules=T1TAB_RULES,
    full_note="not re-run: needs a GPU (toy2d family: ~5.5 H100 min by scripts/gpu_full.sh, >= 6 h on 2 CPU cores); 2026-11-23, earlier code: open",
    tolerances=(T_SEED,),
    finding="Open in the quick profile (6 seeds, 4000 steps, averaged end): LV > LS (paired t = 5.0), LS beats every fixed sigma (t >= 3.9) and F* (t = 4.9), and F 0.1 beats both ends (t = 129 and 60); but LS's final sigma is 0.120 (above 0.1 over seeds, t = -2.6; paper 0.043), so the premise of Sec. 4.2's 'F* below F 0.1' fails and that ordering is untestable at this plan (F* then sits above 0.1). Absolute ELBOs differ from the paper's (our curve); without the Gaussian's log 2 pi constant ours are LS 0.50, LV 0.70 (paper 1.26, 1.62). Before: open with LV > LS unresolved (t = -0.3) on the previous session's CPU; on this machine's rounding the same plan gives t = 5.0, so at this size the LV-LS ordering depends on the machine.",
)
def check_t1tab(profile: Profile) -> Outcome:
    m = toy2d.measure_table1(toy2d.run(profile))
    n = m.numbers
    ours = " ".join(f"{k} {n[f'elbo[{k}]']:.2f}" for k in toy2d.TABLE1_ORDER)
    return Outcome(
        evidence=m.evidence, measured=n, figure_data=m.figure_data,
        paper={**{f"elbo[{k}]": v for k, v in toy2d.PAPER_TABLE1.items()}, "sigma_star": toy2d.PAPER_SIGMA_STAR},
        summary=f"[{n['plan']}; averaged end] ELBO {ours}; sigma* = {n['sigma_star']:.3f} (paper 0.043); "
                f"without the log 2 pi constant LS {n['elbo_without_log2pi[LS]']:.2f}, LV "
                f"{n['elbo_without_log2pi[LV]']:.2f} (paper 1.26, 1.62)",
    )


# ----------------------------------------------------------------------------------------------- eq. 10

LVAE_MARGIN = 0.10

LVAE_RULES = Rules(
    core=(Equivalence(name="sigma^2 = squared error", a="log_ratio", margin=float(np.log1p(LVAE_MARGIN)), log=False,
                      says="the window mean of squared error per dimension / sigma^2 equals 1 within x/1.1 (eq. 10's "
                           "optimum in sigma, on average under Adam)",
                      pilot_sd=0.027),),
    refinements=(Ordering(name="sigma lags the error", a=0.0, b="log_ratio",
                          says="sigma^2 stays measurably above the squared error over the final window (sigma lags "
                               "the falling error)"),),
)


@claim(
    id="BS20.L-VAE",
    source="Berger & Sebag 2020, Sec. 3.3, eq. 10",
    statement="A trained LS-VAE (learned scalar sigma) ends with sigma^2 equal to the per-dimension squared "
              "reconstruction error E||x - mu(z)||^2 / D (eq. 10's optimum in sigma).",
    expected=Verdict.REFINED,
    kind="trained",
    rules=LVAE_RULES,
    full_note="not re-run: needs a GPU (toy2d family: ~5.5 H100 min by scripts/gpu_full.sh, >= 6 h on 2 CPU cores); 2026-11-23, earlier code: not reproduced",
    tolerances=(Tolerance("margin", LVAE_MARGIN, "ours (the paper states no number): a 10% mismatch of sigma^2 "
                          "costs (D/2) x 0.1^2 / 2 ~ 0.005 nats per point in eq. 10, below anything Table 1 resolves; "
                          "the equality is judged on the log ratio by two one-sided tests over seeds"), T_SEED),
    finding='Refined in the quick profile: the window mean of squared error / sigma^2 is 0.92-0.98 over 6 seeds, 95% CI of the ratio [0.922, 0.975] inside x/1.1 (eq. 10 holds on average), but below 1 in every seed (paired t = 4.9): sigma^2 stays about 5% above the squared error it tracks as both fall (a lag, reported rather than absorbed in the margin). Before: confirmed, with the lag inside the +-10% margin.',
)
def check_lvae(profile: Profile) -> Outcome:
    m = toy2d.measure_lvae(toy2d.run(profile))
    ratio = m.numbers["ratio_per_seed"]
    return Outcome(
        evidence=m.evidence, measured=m.numbers, paper={"sigma*": toy2d.PAPER_SIGMA_STAR},
        figure_data={**m.figure_data, "margin": LVAE_MARGIN},
        summary=f"[{m.numbers['plan']}; last {toy2d.AVERAGE_LAST:.0%} of steps] squared error / sigma^2 per seed "
                + "/".join(f"{v:.3f}" for v in ratio),
    )


# ----------------------------------------------------------------------------------------------- Figs. 4-7

F4_FACTOR = 2.0
_LOG_F4 = float(np.log(F4_FACTOR))

F4_RULES = Rules(
    premises=(
        _beats("LV", "LS", "LV-VAE reached the paper's regime: its held-out ELBO exceeds LS-VAE's"),
        Ordering(name="LV reconstructs", a=_LOG_F4, b="log_recon_over_ideal/LV",
                 says=f"LV-VAE's posterior means reconstruct the data: RMS error within a factor {F4_FACTOR:g} of the "
                      "ideal denoiser's (which returns each point's curve point)"),
    ),
    core=(
        Ordering(name="sigma(z): large > moderate", a="log_sigma/large", b="log_sigma/moderate",
                 says="LV's sigma(z) is larger in the large-noise region than in the moderate one"),
        Ordering(name="sigma(z): moderate > small", a="log_sigma/moderate", b="log_sigma/small",
                 says="LV's sigma(z) is larger in the moderate-noise region than in the small one"),
        *(Equivalence(name=f"thickness {reg}", a=f"log_thickness_ratio/{reg}", margin=_LOG_F4,
                      says=f"LV's generated samples have the data's thickness about the curve in the {reg}-noise "
                           f"region (RMS distance within a factor {F4_FACTOR:g})")
          for reg in toy2d.REGIONS),
    ),
)


@claim(
    id="BS20.F4",
    source="Berger & Sebag 2020, Sec. 4.2, Figs. 4, 6, 7",
    statement="LV-VAE encodes the manifold and its varying thickness: (a) its learned sigma(z) is ordered like the "
              "regions' noise (the level is reported: the paper attributes the L-VAEs' denoising to a comparatively "
              "large sigma and claims no level); (b) its generated samples reproduce the data's thickness about the "
              "curve, region by region (LS-VAE: a band of constant width; small fixed sigma: samples off the manifold).",
    expected=Verdict.OPEN,
    kind="trained",
    rules=F4_RULES,
    full_note="not re-run: needs a GPU (toy2d family: ~5.5 H100 min by scripts/gpu_full.sh, >= 6 h on 2 CPU cores); 2026-11-23, earlier code: not reproduced",
    tolerances=(Tolerance("thickness_factor", F4_FACTOR, "ours: the regions' noise spans a factor 10, so a factor 2 "
                          "separates 'the data's thickness' from the neighbouring region's; judged per region on the "
                          "log ratio over seeds"), T_SEED),
    finding="Open in the quick profile (6 seeds): LV reached the paper's regime by ELBO (above LS, t = 5.0), but its posterior means reconstruct their inputs within a factor 2 of the ideal denoiser (0.093) in only some seeds (RMS error 0.080-0.192, t = 2.2 < 2.57), so the thickness rules are untestable at this plan. Measured anyway: LV's sigma(z) is ordered like the noise (0.110/0.051/0.146 for noise 0.05/0.01/0.1), and its samples are 1.8-8x too thick (0.155/0.106/0.172 vs the data's 0.050/0.013/0.097). Before: not reproduced, without the regime premise.",
)
def check_f4(profile: Profile) -> Outcome:
    m = toy2d.measure_f4(toy2d.run(profile))
    n = m.numbers
    fmt = lambda v: "/".join(f"{t:.3f}" for t in v)  # noqa: E731
    gen = {k: np.asarray(v) for k, v in n["generated_spread"].items()}
    return Outcome(
        evidence=m.evidence, measured=n, figure_data=m.figure_data,
        summary=f"[{n['plan']}] (a) LV sigma(z) by region (moderate, small, large) mean "
                f"{fmt(np.mean(n['lv_sigma_by_region_per_seed'], axis=0))} vs noise {fmt(n['noise_by_region'])}; "
                f"(b) RMS distance to the curve: data {fmt(n['data_spread'])}, LV samples {fmt(gen['LV'].mean(0))}, "
                f"LS {fmt(gen['LS'].mean(0))}, F 0.01 {fmt(gen['F 0.01'].mean(0))}; LV reconstruction RMS error "
                f"{fmt(n['lv_recon_rmse'])} (ideal denoiser {n['ideal_denoiser_rmse']:.3f})",
    )


# ----------------------------------------------------------------------------------------------- Fig. 4 text

_HIDE = float(np.log(0.5))


def _denoises(setting: str, region: str, **kw) -> Ordering:
    return Ordering(name=f"{setting} denoises ({region})", a=0.0, b=f"log_denoise/{setting}/{region}",
                    says=f"{setting}'s reconstructions lie nearer the curve than their inputs in the {region}-noise region",
                    **kw)


def _hides(setting: str, **kw) -> Ordering:
    return Ordering(name=f"{setting} hides its inputs", a=_HIDE, b=f"log_hide/{setting}",
                    says=f"{setting}'s reconstructions hide their inputs (distance to the input below half the ideal "
                         f"denoiser's error)", **kw)


RECON_RULES = Rules(
    premises=(Ordering(name="sigma* < 0.1", a=0.1, b="ls_sigma_final",
                       says="LS-VAE's final sigma (F*'s sigma) is below the largest region's noise, 0.1 (the premise "
                            "of 'F* captures the details, no denoising')"),),
    core=(
        _denoises("F 0.1", "large", requires=()), _denoises("F 0.1", "moderate", requires=()),
        _hides("F 0.03", requires=()), _hides("F 0.01", requires=()),
        _hides("F*", requires=("sigma* < 0.1",)),
        _denoises("LS", "large", requires=()), _denoises("LV", "large", requires=()),
        Ordering(name="F 0.01's means near the curve", a=0.0, b="log_means_vs_samples/F 0.01", requires=(),
                 says="for F 0.01, the decoder means of prior draws lie nearer the curve than its samples (the "
                      "generated samples are blurred, their average captures the manifold)"),
    ),
)


@claim(
    id="BS20.F4-recon",
    source="Berger & Sebag 2020, Sec. 4.2 and Fig. 4 (reconstructions, denoising)",
    statement="Details smaller than sigma are discarded: F-VAE with sigma = 0.1 denoises (its reconstructions lie "
              "nearer the manifold than its inputs where the noise is high or moderate); for sigma <= 0.03 the "
              "reconstructions hide their inputs; F* (sigma* = 0.043) reconstructs without denoising; both L-VAEs "
              "denoise; for small fixed sigma the generated samples are blurred while their means capture the manifold.",
    expected=Verdict.OPEN,
    kind="trained",
    rules=RECON_RULES,
    full_note="not run: needs a GPU (toy2d family: ~5.5 H100 min by scripts/gpu_full.sh, >= 6 h on 2 CPU cores)",
    tolerances=(Tolerance("hide_factor", 0.5, "ours: a reconstruction 'hides' its input when the input-to-"
                          "reconstruction distance is below half the error of the ideal denoiser (which returns the "
                          "curve point, sqrt(2 E s^2) = 0.09): closer to the input than to the manifold"), T_SEED),
    finding="Open in the quick profile (6 seeds): F 0.1 denoises in the large- and moderate-noise regions (its reconstructions sit at 0.55 and 0.35 of their inputs' distance to the curve, paired t = 16 and 41), F 0.03 and F 0.01 hide their inputs (input-to-reconstruction error 0.088 and 0.033 of the ideal denoiser's, t = 87 and 71) and LS denoises (0.46, t = 5.6), as Sec. 4.2 says; but LV's reconstructions are not measurably nearer the curve than its inputs (t = -0.06; they vary by seed, see BS20.F4), F 0.01's prior-draw means are not measurably nearer the curve than its samples (t = 1.9), and 'F* reconstructs without denoising' is untestable because LS's final sigma (0.120) is not below 0.1 at this plan. New (issue 21, item 1).",
)
def check_reconstructions(profile: Profile) -> Outcome:
    r = toy2d.run(profile)
    m = toy2d.measure_reconstructions(r)
    n = m.numbers
    ratio = " ".join(f"{k} {n[f'recon_over_input_spread[{k}]'][2]:.2f}" for k in toy2d.RECON_SETTINGS)
    hide = " ".join(f"{k} {n[f'recon_error_over_ideal[{k}]']:.2f}" for k in toy2d.RECON_SETTINGS)
    return Outcome(evidence={**m.evidence, "ls_sigma_final": toy2d.ls_sigma_final(r)}, measured=n,
                   figure_data=m.figure_data, paper={"sigma_star": toy2d.PAPER_SIGMA_STAR},
                   summary=f"[{n['plan']}] large-noise region, reconstruction / input distance to the curve: {ratio}; "
                           f"input-to-reconstruction error / ideal denoiser's: {hide}; sigma* {n['sigma_star']:.3f}")


# ----------------------------------------------------------------------------------------------- App. A.2

A2_MARGIN = 0.1
A2_RULES = Rules(core=(
    NonInferiority(name="F sched reaches LS", a="elbo/F sched", b="elbo/LS", margin=A2_MARGIN, pilot_sd=0.21,
                   says="the F-VAE on LS's sigma schedule reaches LS-VAE's ELBO (not below it by more than 0.1 nats)"),
    _beats("LS", "F*", "F* (sigma fixed at LS's final value from the start) stays below LS-VAE"),
))


@claim(
    id="BS20.A2",
    source="Berger & Sebag 2020, App. A.2, Figs. 8-10",
    statement="An F-VAE whose sigma follows LS-VAE's recorded sigma schedule reaches LS-VAE's ELBO, while F* (sigma "
              "fixed at LS-VAE's final value from the start) does not.",
    expected=Verdict.OPEN,
    kind="trained",
    rules=A2_RULES,
    full_note="not re-run: needs a GPU (toy2d family: ~5.5 H100 min by scripts/gpu_full.sh, >= 6 h on 2 CPU cores); 2026-11-23, earlier code: confirmed",
    tolerances=(Tolerance("elbo_margin", A2_MARGIN, "nats per point: the paper's seed spread on Table 1 is 0.08-0.12, "
                          "so 'reaches' means not below LS by more than 0.1 (one-sided at 5% over seeds)"), T_SEED),
    finding="Open in the quick profile (6 seeds): F sched -1.378 +- 0.047 vs LS -1.338 +- 0.051 (seed s.e.): 'reaches LS' (not below it by 0.1 nats) is unresolved (one-sided t = 0.69); at the seed spread of the difference (0.21 nats) six seeds give it 26% power (ten, the full profile, 40%) and 29 would give 80%, so neither profile can decide it; F* -1.595 is below LS (t = 4.9). Before: open under a +-0.1 equivalence with 2% power at this spread.",
)
def check_a2(profile: Profile) -> Outcome:
    m = toy2d.measure_a2(toy2d.run(profile))
    n = m.numbers
    shown = ", ".join(f"{k} {n[f'elbo_mean[{k}]']:.3f}+-{n[f'elbo_se[{k}]']:.3f}" for k in ("LS", "F sched", "F*"))
    return Outcome(evidence=m.evidence, measured=n, figure_data=m.figure_data,
                   paper={"elbo[LS]": 1.26, "elbo[F*]": 0.335, "claim": "F sched = LS (same curves and ELBO)"},
                   summary=f"[{n['plan']}; averaged end] ELBO (+- seed s.e.) {shown}")


A2_TERMS_MARGIN = 0.5
A2_TERMS_RULES = Rules(core=(
    # no effect= : the paper's 4 vs 5 nats are on its curve, not ours (our KLs are about 3), so its size does not transfer
    Ordering(name="LS keeps less information", a="rate/F*", b="rate/LS",
             says="LS-VAE's latent term (KL) is below F*'s (paper: about 4 against 5 nats)"),
    Equivalence(name="same reconstruction", a="distortion/LS", b="distortion/F*", margin=A2_TERMS_MARGIN,
                says="LS-VAE and F* reconstruct equally well (reconstruction terms within 0.5 nats; paper: both "
                     "circa -5)"),
))


@claim(
    id="BS20.A2-KL",
    source="Berger & Sebag 2020, App. A.2, Figs. 8-9 (the stated mechanism)",
    statement="LS-VAE beats F* through a lower latent term (KL) at an equal reconstruction term: the learned sigma "
              "lets the code stay more compressed.",
    expected=Verdict.CONFIRMED,
    kind="trained",
    rules=A2_TERMS_RULES,
    full_note="not run: needs a GPU (toy2d family: ~5.5 H100 min by scripts/gpu_full.sh, >= 6 h on 2 CPU cores)",
    tolerances=(Tolerance("reconstruction_margin", A2_TERMS_MARGIN, "the paper reports the two reconstruction terms "
                          "to one significant figure ('circa -5'), i.e. equal within +-0.5 nats"), T_SEED),
    finding="Confirmed in the quick profile (6 seeds): LS-VAE's KL is below F*'s (2.97 vs 3.27 nats, paired t = 3.2; paper about 4 vs 5) while the reconstruction terms agree within 0.5 nats (-1.63 vs -1.67, 95% CI of the difference [-0.33, 0.41]); absolute values differ from the paper's (our curve and noise levels). New (issue 21).",
)
def check_a2_terms(profile: Profile) -> Outcome:
    m = toy2d.measure_a2_terms(toy2d.run(profile))
    n = m.numbers
    return Outcome(evidence=m.evidence, measured=n, figure_data=m.figure_data, paper=dict(toy2d.PAPER_A2_TERMS),
                   summary=f"[{n['plan']}] KL LS {n['rate[LS]']:.3f} vs F* {n['rate[F*]']:.3f} (paper ~4 vs ~5); "
                           f"reconstruction LS {n['distortion[LS]']:.3f} vs F* {n['distortion[F*]']:.3f} (paper ~-5 "
                           f"both); our absolute values differ (our curve and noise levels)")


# ----------------------------------------------------------------------------------------------- Sec. 3.2

S32_RULES = Rules(
    controls=(Within(name="non-equivalent control separates", a="control_over_gap", low=10.0,
                     says="a model that is NOT equivalent (weight 1 at sigma) ends at least 10x further away than the "
                          "equivalent one (the comparison can tell models apart)"),),
    core=(Within(name="gradients equal", a="rel_grad_diff", high=1e-5,
                 says="grad(weighted loss) / lambda equals grad(loss at sigma sqrt(lambda)) to float32 rounding"),
          Within(name="same trajectory", a="gap_over_rounding", high=1.0,
                 says="with Adam's eps negligible, 100 steps keep the two models within 10x a rounding-size "
                      "perturbation's gap")),
)


@claim(
    id="BS20.S32",
    source="Berger & Sebag 2020, Sec. 3.2",
    statement="A fixed-sigma Gaussian VAE with KL weight lambda is the VAE with sigma' = sigma sqrt(lambda): "
              "the losses differ by the factor lambda plus a constant, so Adam follows the same trajectory.",
    expected=Verdict.CONFIRMED,
    kind="trained",
    rules=S32_RULES,
    tolerances=(Tolerance("rel_grad_diff", 1e-5, "float32 rounding (6e-8 relative) of two differently "
                          "computed losses, summed over a batch of 100"),
                Tolerance("trajectory_vs_rounding", 10.0, "training can amplify any 1e-7 difference, so "
                          "the parameter gap (with Adam's eps made negligible, 1e-20) is compared with "
                          "that of a rounding-size perturbation (sigma x (1 + 2^-20)); within 10x of it "
                          "is 'the same trajectory'")),
    finding="Consistency check of an identity (one seed suffices: it is exact up to rounding). KL weight lambda and "
            "sigma*sqrt(lambda): gradients equal up to the factor lambda; Adam trajectories coincide to rounding "
            "once eps is negligible; at optax's eps=1e-8 they drift apart through parameters with gradients near eps.",
)
def check_s32(profile: Profile) -> Outcome:
    m = toy2d.measure_s32()
    n = m.numbers
    return Outcome(
        evidence=m.evidence, measured={**n, "symbolic": _symbolic("toyvae.proofs.bs20_s32")},
        summary=f"lambda={n['lambda']}, sigma={n['sigma']}: grad/lambda vs grad at sigma*sqrt(lambda) rel "
                f"{n['rel_grad_diff']:.1e}; after {n['steps']} Adam steps parameter gap {n['rel_param_diff_eps1e-20']:.1e} "
                f"with eps=1e-20 (rounding-size perturbation {n['rounding_baseline_eps1e-20']:.1e}, non-equivalent "
                f"control {n['control_eps1e-20']:.1e}); with optax's eps=1e-8 the gap is {n['rel_param_diff_eps1e-8']:.1e}",
    )


def _symbolic(module: str) -> str:
    """A proof module's derive() outcome, for the record (the proof's own claim judges it)."""
    import importlib

    try:
        d = importlib.import_module(module).derive()
    except ImportError:
        return "not available"
    except AssertionError as e:  # a failed symbolic step
        return f"FAILED: {e}"
    return f"{len(d.steps)} steps asserted"
