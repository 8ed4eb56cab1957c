"""SCALE: the core checks at CelebA size (64 x 64 x 3 inputs, latents up to 2048), and at CPU size in QUICK.

The experiments are :mod:`toyvae.experiments.scale` (cached per plan, so the claims share their runs):
trained linear F-VAEs on the sphere (SCALE.T1), trained linear VAEs on photo crops under a pixel and an
edge-feature metric (SCALE.T46, SCALE.RateMatch), and a convolutional VAE on photo crops (SCALE.T2tab,
SCALE.C1, SCALE.C2). The full-profile verdicts come from a GPU run (scripts/gpu_scale.sh); until one is
made, ``expected_full`` is None.

The rules (each claim's ``Outcome.rule``) were fixed from the experiment's design, before the verdict
runs; the tolerances say why they have their size. Seeds are the unit of evidence: comparisons between
settings are paired over seeds (:mod:`toyvae.claims._stats`), every trained number is read after an
annealed end of training (cosine decay of the step size), the same for every setting.
"""

from __future__ import annotations

import math

import numpy as np

from toyvae.claims import _stats
from toyvae.plots._style import new_figure, seed_lines
from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim, figure_numbers
from toyvae.experiments import scale
from toyvae.experiments.scale import conv_crops, device, linear_crops, sphere_hd
from toyvae.theory import linear_gaussian as lg

__all__ = ["check_t1", "check_t46", "check_rate_match", "check_t2tab", "check_c1", "check_c2"]


def _common(profile: Profile) -> dict:
    """Device, precision, memory and dry-run flag: recorded in every SCALE claim's ``measured``."""
    return {"device": device.device_record(), "dry_run": bool(Profile(profile) is Profile.FULL and scale.dry_run())}


# ------------------------------------------------------------------------------------------------
# SCALE.T1: BS20 Theorem 1 at high D
# ------------------------------------------------------------------------------------------------

T1_RADIUS = math.log(1.15)
T1_COLLAPSE = math.log(1.25)
_T1_TOLS = (
    Tolerance("radius_log_margin", T1_RADIUS, "below the threshold the 95% CI of the mean log(r / r_ref) over seeds "
              "must lie within +-log 1.15: Adam's noise floor adds to ||W||_F in quadrature (it raised d < D radii "
              "by up to 8% in pilot runs) and r_lin(d) treats the sphere's projection as Gaussian (O(d/D))"),
    Tolerance("collapse_log_margin", T1_COLLAPSE, "above the threshold a warm run has collapsed when the 95% CI of "
              "the mean log(r_warm / r_cold) (same seed, same sigma) lies within +-log 1.25: the cold run starts at "
              "the collapsed optimum and measures the optimiser's noise floor; a kept sphere would sit near "
              "r_ref(0.5 R/sqrt D), 3-4 x the floor"),
    Tolerance("control_reach", 0.15, "positive control: the cold run at 0.5 R/sqrt(D) within 15% of r_ref, else "
              "that seed is dropped for that (D, d)"),
    Tolerance("floor_resolution", 0.5, "the noise floor must stay below half of r_ref at the control, else "
              "collapse cannot be told from a small sphere (open)"),
)


def _t1_evidence(result: sphere_hd.SphereHD, d: int) -> dict:
    rows = lambda name: result.rows(name, d)  # noqa: E731
    ctrl = rows("control")
    ok = [int(result.seed[i]) for i in ctrl if abs(result.radius[i] / result.r_ref[i] - 1) <= 0.15]
    keep = lambda idx: np.array([i for i in idx if int(result.seed[i]) in ok], int)  # noqa: E731
    below = {}
    for name in ("below cold", "below warm"):
        idx = keep(rows(name))
        logs = np.log(result.radius[idx] / result.r_ref[idx])
        below[name] = _stats.equivalence(logs, T1_RADIUS) if idx.size >= 2 else ("unresolved", np.nan, np.nan)
        below[name] = (*below[name], [float(v) for v in result.radius[idx] / result.r_ref[idx]])
    cold, warm = keep(rows("above cold")), keep(rows("above warm"))
    ratio = result.radius[warm] / result.radius[cold]
    collapse = (_stats.equivalence(np.log(ratio), T1_COLLAPSE) if ratio.size >= 2 else ("unresolved", np.nan, np.nan))
    floor = float(np.mean(result.radius[cold])) if cold.size else float("nan")
    r_ctrl = float(np.mean(result.r_ref[ctrl]))
    return {
        "controlled_seeds": ok,
        "control_r/r_ref": [float(v) for v in result.radius[ctrl] / result.r_ref[ctrl]],
        "below_cold": below["below cold"][0], "below_cold_r/r_ref": below["below cold"][3],
        "below_warm": below["below warm"][0], "below_warm_r/r_ref": below["below warm"][3],
        "above_collapse": collapse[0], "above_warm/cold": [float(v) for v in ratio],
        "above_warm_start/R": [float(v) for v in result.warm_radius[warm] / result.R],
        "noise_floor/R": floor / result.R, "r_ref_control/R": r_ctrl / result.R,
        "resolvable": bool(floor < 0.5 * r_ctrl),
        "r*/R_at_0.8": float(result.r_star[rows("below cold")][0] / result.R),
        "r_ref/R_at_0.8": float(result.r_ref[rows("below cold")][0] / result.R),
        "max_elbo_minus_bound": float(np.max(result.elbo - result.best_loglik)),
    }


def _t1_figure(runs: dict) -> dict:
    pos = np.linspace(0.3, 1.4, 45)
    data = {"panels": []}
    for D, r in sorted(runs.items()):
        for d in sorted({int(k) for k in r.latents}, reverse=True):
            theory = sphere_hd.reference_radius(r.R, pos * r.R / math.sqrt(D), D, d) / r.R
            panel = {"D": D, "d": d, "theory_position": figure_numbers(pos), "theory_r/R": figure_numbers(theory),
                     "points": []}
            for name in ("control", "below cold", "below warm", "above cold", "above warm"):
                idx = r.rows(name, d)
                panel["points"].append({"name": name, "position": figure_numbers(r.position[idx]),
                                        "r/R": figure_numbers(r.radius[idx] / r.R)})
            data["panels"].append(panel)
    return data


def _plot_t1(data):
    panels = data["panels"]
    fig, axes = new_figure(len(panels), width=4.2)
    markers = {"control": "o", "below cold": "s", "below warm": "^", "above cold": "x", "above warm": "v"}
    for ax, panel in zip(axes, panels):
        ax.plot(panel["theory_position"], panel["theory_r/R"], "k-", lw=1.2,
                label="r*(sigma)" if panel["d"] >= panel["D"] else "r_lin(d)")
        for pt in panel["points"]:
            ax.plot(pt["position"], pt["r/R"], markers[pt["name"]], ms=5, mfc="none", label=pt["name"])
        ax.axvline(1.0, color="gray", ls="--", lw=0.8)
        ax.set(xlabel="sigma / (R / sqrt D)", ylabel="radius / R", title=f"D = {panel['D']}, d = {panel['d']}")
        ax.legend(fontsize=6)
    return fig


@claim(
    id="SCALE.T1",
    source="Berger & Sebag 2020, Theorem 1 and eq. 8, in trained VAEs at high D",
    statement="Data uniform on S_{D-1}(R), R = sqrt D, D up to 12288 (quick: 128), Gaussian decoder with a fixed "
    "sigma: trained VAEs collapse above R/sqrt(D-1) (a model started on a sphere loses it), and below R/sqrt(D) "
    "their decoder means keep the radius the theory gives: r*(sigma) (eq. 8's maximiser) with D latents, and, "
    "with d < D latents (ours), r_lin(d) = sqrt(d (R^2/D - sigma^2)), the optimum of a d-latent linear decoder. "
    "Models: linear F-VAEs, whose optimum equals r*(sigma) up to O(1/D) at these D.",
    expected=Verdict.CONFIRMED,
    expected_full=None,
    tolerances=_T1_TOLS,
    finding="Quick profile (D = 128 with 128 and 32 latents, 3 seeds, 900 steps): the controls reach r_ref within 0.6% "
    "(d = D) and 5% (d = 32); at 0.8 R/sqrt(D) cold and warm runs end within 1% of r*(sigma) itself (d = D) and 8% of "
    "r_lin(32); above R/sqrt(D-1) warm runs that started on a sphere (0.84 R, 0.45 R) end at the cold runs' noise "
    "floor (ratio 0.96-0.98). The full profile (D = 2048 and 12288, 2048 latents) has not been run yet.",
    plot=_plot_t1,
)
def check_t1(profile: Profile) -> Outcome:
    runs = sphere_hd.run(profile)
    per, parts = {}, []
    for D, r in sorted(runs.items()):
        for d in sorted({int(k) for k in r.latents}, reverse=True):
            q = per[f"D={D},d={d}"] = _t1_evidence(r, d)
            parts.append(f"D={D} d={d}: control r/r_ref {np.round(q['control_r/r_ref'], 3).tolist()}; 0.8: cold "
                         f"{np.round(q['below_cold_r/r_ref'], 3).tolist()} ({q['below_cold']}), warm "
                         f"{np.round(q['below_warm_r/r_ref'], 3).tolist()} ({q['below_warm']}); above: warm/cold "
                         f"{np.round(q['above_warm/cold'], 3).tolist()} ({q['above_collapse']}), floor "
                         f"{q['noise_floor/R']:.3f} R, warm start {np.round(q['above_warm_start/R'], 2).tolist()} R")
    usable = [k for k, q in per.items() if len(q["controlled_seeds"]) >= 2 and q["resolvable"]]
    bound_ok = all(q["max_elbo_minus_bound"] <= 1e-3 for q in per.values())  # nats; see the rule
    failed = any(per[k][f] == "different" for k in usable for f in ("below_cold", "below_warm", "above_collapse"))
    all_ok = bool(usable) and len(usable) == len(per) and all(
        per[k]["below_cold"] == per[k]["below_warm"] == per[k]["above_collapse"] == "equivalent" for k in usable)
    if not bound_ok or failed:
        verdict = Verdict.NOT_REPRODUCED
    elif all_ok:
        verdict = Verdict.CONFIRMED
    else:
        verdict = Verdict.OPEN
    first = next(iter(runs.values()))
    return Outcome(
        verdict=verdict,
        measured={"by_dimension": per, "elbo_within_theorem_bound": bound_ok,
                  "seeds": list(first.seeds), "steps": first.steps, "batch": first.batch,
                  "sizes": {str(D): {"latents": sorted({int(k) for k in r.latents}), "lr": r.lr,
                                     "seconds": round(r.seconds, 1)} for D, r in runs.items()},
                  **_common(profile)},
        paper={"collapse_for_sigma_>=": "R/sqrt(D-1)", "optimal_radius": "r*(sigma), eq. 8"},
        summary=f"[{len(first.seeds)} seeds, {first.steps} steps] " + "; ".join(parts),
        rule="Per (D, d), among seeds whose cold run at 0.5 R/sqrt(D) reaches r_ref within 15% (positive control): "
        "below, at 0.8 R/sqrt(D), cold and warm radii are equivalent to r_ref (95% CI of mean log(r/r_ref) within "
        "+-log 1.15); above, at 1.25 R/sqrt(D-1), every warm run (started on a sphere) ends equivalent to the cold run "
        "of its seed, which sits at the collapsed optimum (CI of mean log ratio within +-log 1.25). All hold: "
        "confirmed. Not reproduced: an equivalence test says 'different' (a warm sphere kept above the threshold, or a "
        "radius off r_ref below), or an exact ELBO above Theorem 1's bound log p(x; r*) by more than 1e-3 nats "
        "(a consistency check: float64 of float32 parameters). Otherwise (unresolved tests, too few controlled seeds, "
        "a noise floor above half of r_ref) open.",
        figure_data=_t1_figure(runs),
    )


# ------------------------------------------------------------------------------------------------
# SCALE.T46: eqs. 44-46 and Theorem 41 on trained linear VAEs on crops
# ------------------------------------------------------------------------------------------------

T46_TOL = 0.1
T46_GAP = 0.05
E44_K = 4.0


def _t41_closed_form(c: np.ndarray, beta: float) -> tuple[bool, float]:
    """(strictly decreasing on 401 betas over beta x 1e-4 .. 1e4, max relative error of the inversion)."""
    betas = beta * np.geomspace(1e-4, 1e4, 401)
    V = np.array([float(lg.optimal_variance_kl(c, b)) for b in betas])
    decreasing = bool(np.all(np.diff(V) < 0))
    errs = [abs(lg.beta_for_variance_kl(c, v) / b - 1) for b, v in zip(betas[::20], V[::20]) if v > 0]
    return decreasing, float(max(errs))


def _plot_t46(data):
    fig, axes = new_figure(2, width=4.5)
    for ax, metric in zip(axes, data["metrics"]):
        s, s_star = np.asarray(data[metric]["s"], float), np.asarray(data[metric]["s_star"], float)
        ax.loglog(s_star.ravel(), s.ravel(), "o", ms=2.5, alpha=0.5)
        lim = [max(min(s_star.min(), s.min()) * 0.8, 1e-6), 1.1]
        ax.plot(lim, lim, "k--", lw=1, label="eq. 46")
        ax.set(xlabel="beta / (beta + 2 c_i), own decoder", ylabel="trained s_i", title=f"{metric} metric")
        ax.legend(fontsize=7)
    return fig


@claim(
    id="SCALE.T46",
    source="Strano et al. 2026 (NL26), App. D eqs. 44-46 and Theorem 41, at d up to 2048 latents on photo crops",
    statement="A linear VAE trained on flattened photo crops (64 x 64 x 3 with 2048 latents; quick: 8 x 8 x 3 with 32) "
    "under a pixel metric and an edge-feature metric has posterior variances s_i = beta/(beta + 2 c_i), c_i = "
    "(W^T G W)_ii of its own decoder (eq. 46); eq. 44 holds on it; and Theorem 41's map beta -> sum_i g(s*_i(beta)) "
    "at its 2048 c_i is strictly decreasing and inverted exactly.",
    expected=Verdict.CONFIRMED,
    expected_full=None,
    tolerances=(
        Tolerance("max_abs_log_ratio", T46_TOL, "as NL26.T46-trained: Adam's gradient noise in log s, whose loss has "
                  "curvature beta/2, leaves a few-percent error at an annealed end"),
        Tolerance("objective_gap", T46_GAP, "the informative number: the objective (distortion + beta rate, exact in "
                  "the crops' covariance) at most 5% above the d-latent closed-form optimum, else training has not "
                  "found the optimum and eq. 46 only says it is stationary in s"),
        Tolerance("e44_sigmas", E44_K, "Monte Carlo of eq. 44 with 4096 draws per crop: |mean - exact| <= 4 standard "
                  "errors (two-sided normal tail 6e-5 per comparison, 8 comparisons)"),
        Tolerance("t41_inversion", 1e-8, "float64 root finding on a strictly monotone map (brentq to ~1e-13)"),
    ),
    finding="Consistency check (eq. 46 holds at any stationary point in s). Quick profile (8 x 8 x 3 crops, n = 192, "
    "32 latents, 3 seeds): eq. 46 within 0.03-0.05 (pixel) and 0.07-0.08 (edge) in log s, objectives 0.3-0.4% (pixel) "
    "and 1.1-1.3% (edge) above the exact 32-latent optimum, eq. 44 within 1.3 s.e., Theorem 41 inverted to 5e-15; "
    "the beta recovered from an edge model's own variance-KL is 0.88 x its trained beta (its weakly coded latents' s "
    "sit below s*).",
    plot=_plot_t46,
)
def check_t46(profile: Profile) -> Outcome:
    r = linear_crops.run(profile)
    errs = np.abs(np.log(r.s / r.s_star)).max(axis=-1)  # (metrics, seeds)
    gaps = r.objective / np.array([cf.objective for cf in r.closed])[:, None] - 1
    t41 = [_t41_closed_form(r.c[i, j], float(r.beta[i])) for i in range(2) for j in range(len(r.seeds))]
    t41_ok = all(dec and err <= 1e-8 for dec, err in t41)
    e44 = np.concatenate([linear_crops.eq44_monte_carlo(r, i, 0) for i in range(2)])
    consistent = bool(errs.max() <= T46_TOL) and t41_ok and bool(e44.max() <= E44_K)
    if not consistent:
        verdict = Verdict.NOT_REPRODUCED
    elif gaps.max() <= T46_GAP:
        verdict = Verdict.CONFIRMED
    else:
        verdict = Verdict.OPEN
    beta_ratio = r.beta_inverted / r.beta[:, None]
    fmt = lambda v: "/".join(f"{x:.3f}" for x in np.ravel(v))  # noqa: E731
    figure = {"metrics": list(linear_crops.METRICS)}
    for i, m in enumerate(linear_crops.METRICS):
        step = max(1, r.s[i].size // 1000)  # at most ~1000 points per metric in the JSON report
        figure[m] = {"s": figure_numbers(r.s[i].ravel()[::step]), "s_star": figure_numbers(r.s_star[i].ravel()[::step])}
    return Outcome(
        verdict=verdict,
        measured={"max_abs_log_s_over_s*": errs.tolist(), "objective_gap": gaps.tolist(),
                  "t41_decreasing_and_inverted": t41_ok, "t41_max_inversion_error": max(e for _, e in t41),
                  "e44_max_z": float(e44.max()), "beta": r.beta.tolist(),
                  "beta_from_own_variance_kl/beta": beta_ratio.tolist(),
                  "seeds": list(r.seeds), "steps": r.steps, "batch": r.batch, "crop_side": r.size, "n": r.n,
                  "latents": r.d, "source_crops": r.count, "seconds": round(r.seconds, 1), **_common(profile)},
        paper={"eq. 46": "s* = beta / (beta + 2 c)", "Theorem 41": "V(beta) strictly decreasing, onto (0, inf)"},
        summary=f"[consistency check; {r.n} inputs, {r.d} latents, metrics pixel/edge x {len(r.seeds)} seeds, "
        f"{r.steps} steps] max|log s/s*| {fmt(errs)}; objective above the d-latent optimum {fmt(gaps)}; eq. 44 MC "
        f"max |z| {e44.max():.2f}; Theorem 41 at the trained c: decreasing and inverted to "
        f"{max(e for _, e in t41):.1e}; beta recovered from each model's own variance-KL / trained beta "
        f"{fmt(beta_ratio)}",
        rule=f"Consistency check: eq. 46 holds at every stationary point in s whatever W, so every model must satisfy "
        f"it within {T46_TOL} in log s, eq. 44 by Monte Carlo within {E44_K} standard errors, and Theorem 41's map at "
        f"its c must be strictly decreasing and invert to 1e-8; any failure: not reproduced. The informative condition "
        f"is the objective's distance above the exact d-latent optimum: within {T46_GAP:.0%} for every model: "
        f"confirmed; further: open (stationary in s, but not at the optimum).",
        figure_data=figure,
    )


# ------------------------------------------------------------------------------------------------
# SCALE.RateMatch: pixel vs edge metric at a matched rate, closed form and trained
# ------------------------------------------------------------------------------------------------

RATE_TOL = 0.1
APOST_TOL = 0.25


def _plot_rate_match(data):
    fig, (ax,) = new_figure(width=6.0)
    x = data["latent_index"]
    for i, metric in enumerate(data["metrics"]):
        ax.plot(x, data[metric]["closed_s"], color=f"C{i}", lw=2, label=f"{metric}: closed form")
        for row in data[metric]["trained_s"]:
            ax.plot(x, row, "o", color=f"C{i}", ms=2.5, alpha=0.5)
    ax.set(yscale="log", xlabel="latent (sorted by trained s)", ylabel="posterior variance s_i",
           title=f"matched rate {data['rate']:.3g} nats (dots: trained, one row per seed)")
    ax.legend(fontsize=7)
    return fig


@claim(
    id="SCALE.RateMatch",
    source="Strano et al. 2026 (NL26), Sec. 3.2 with Theorem 41 and eqs. 45-46 (reverse water-filling), on photo crops",
    statement="At a common rate, reverse water-filling over the metric-weighted spectrum of the crops gives each "
    "metric its beta and its posterior: linear VAEs trained at the pixel metric's and at the edge-feature metric's "
    "beta reach that rate, and the edge metric's posterior is the more isotropic one (lower A_post = Var_i log s_i "
    "over the latents), by the amounts the closed form gives (64 x 64 x 3 crops, 2048 latents; quick 8 x 8 x 3, 32).",
    expected=Verdict.OPEN,
    expected_full=None,
    tolerances=(
        Tolerance("rate_rel", RATE_TOL, "a trained model is at the matched rate when its exact rate is within 10% "
                  "of it (NL26.C2's criterion)"),
        Tolerance("A_post_rel", APOST_TOL, "trained A_post within 25% of the closed form: errors of up to 0.1 in log s "
                  "(SCALE.T46's tolerance) on the weakly coded latents move Var_i log s by up to ~20%"),
        Tolerance("t_seed", _stats.T_LEVEL, "orderings by paired t over seeds against the two-sided 95% Student-t "
                  "quantile"),
    ),
    finding="Open in the quick profile: at the matched 3.57 nats the closed form gives the pixel metric beta 0.65 (4 "
    "coded components, A_post 0.54) and the edge metric beta 0.011 (16 components, A_post 0.11). Trained pixel models "
    "reach 3.54-3.59 nats with A_post 0.51-0.52, but edge models stop at 2.91-2.93 nats (-18%) with their objective "
    "within 1.3% of the optimum: the edge spectrum is nearly flat, so the objective hardly depends on the rate near "
    "it. The A_post ordering holds in every seed (paired t 62), not yet at a matched rate.",
    plot=_plot_rate_match,
)
def check_rate_match(profile: Profile) -> Outcome:
    r = linear_crops.run(profile)
    pix, edge = r.closed
    rate = pix.rate
    closed_order = edge.A_post < pix.A_post
    rel = r.rate / rate - 1  # (metrics, seeds)
    matched = bool(np.all(np.abs(rel) <= RATE_TOL))
    order, t = _stats.ordering(r.A_post[0], r.A_post[1])
    agree = [abs(r.A_post[i].mean() / r.closed[i].A_post - 1) <= APOST_TOL for i in range(2)]
    if not closed_order or order == "reversed" or (matched and not all(agree)):
        verdict = Verdict.NOT_REPRODUCED
    elif matched and order == "holds" and all(agree):
        verdict = Verdict.CONFIRMED
    else:
        verdict = Verdict.OPEN
    fmt = lambda v: "/".join(f"{x:.3f}" for x in np.ravel(v))  # noqa: E731
    keep = np.unique(np.linspace(0, r.d - 1, min(r.d, 256)).astype(int))  # at most 256 latents per curve
    figure = {"metrics": list(linear_crops.METRICS), "rate": rate, "latent_index": keep.tolist()}
    for i, m in enumerate(linear_crops.METRICS):
        figure[m] = {"closed_s": figure_numbers(np.sort(r.closed[i].s)[keep]),
                     "trained_s": figure_numbers(np.sort(r.s[i], axis=-1)[:, keep])}
    return Outcome(
        verdict=verdict,
        measured={"matched_rate_nats": rate, "beta_closed_form": [pix.beta, edge.beta],
                  "active_closed_form": [pix.active, edge.active], "A_post_closed_form": [pix.A_post, edge.A_post],
                  "trained_rate": r.rate.tolist(), "trained_rate_rel_error": rel.tolist(), "matched": matched,
                  "trained_A_post": r.A_post.tolist(), "A_post_order": order, "A_post_t": t,
                  "A_post_agrees": agree, "t_critical": _stats.t_critical(len(r.seeds)),
                  "seeds": list(r.seeds), "steps": r.steps, "crop_side": r.size, "latents": r.d, **_common(profile)},
        paper={"NL26 Sec. 3.2": "at matched rate, a neural metric gives a more isotropic posterior"},
        summary=f"[{r.n} inputs, {r.d} latents, {len(r.seeds)} seeds] matched rate {rate:.3f} nats: closed form beta "
        f"pixel {pix.beta:.4g} / edge {edge.beta:.4g}, coded components {pix.active}/{edge.active}, A_post "
        f"{pix.A_post:.3f}/{edge.A_post:.3f}; trained rate pixel {fmt(r.rate[0])}, edge {fmt(r.rate[1])} (matched: "
        f"{matched}); trained A_post pixel {fmt(r.A_post[0])}, edge {fmt(r.A_post[1])} (pixel > edge: {order}, paired "
        f"t {t:.1f})",
        rule="Closed form first: the edge metric's A_post must be below the pixel metric's at the matched rate, else "
        "NL26's direction fails here (not reproduced). Trained: every seed's exact rate within 10% of the matched rate "
        "under both metrics (else the comparison is not at matched rate: open); then pixel A_post > edge A_post by a "
        "paired t over seeds above the 95% quantile and each metric's mean A_post within 25% of its closed form: "
        "confirmed; a reversed ordering, or matched rates with A_post off its closed form: not reproduced; otherwise "
        "open.",
        figure_data=figure,
    )


# ------------------------------------------------------------------------------------------------
# SCALE.T2tab, SCALE.C1, SCALE.C2: the conv VAE on crops
# ------------------------------------------------------------------------------------------------


def _conv_note(runs: conv_crops.ConvRuns) -> str:
    p = runs.plan
    return (f"{p.size}x{p.size}x3 crops, widths {list(p.widths)}, latent {p.latent}, {len(p.seeds)} seeds, "
            f"{p.steps} steps of {p.batch}")


def _conv_measured(runs: conv_crops.ConvRuns, profile: Profile) -> dict:
    p = runs.plan
    return {"seeds": list(p.seeds), "steps": p.steps, "batch": p.batch, "crop_side": p.size, "widths": list(p.widths),
            "latent": p.latent, "seconds": round(runs.seconds, 1), **_common(profile)}


def _plot_t2tab(data):
    fig, (ax,) = new_figure(width=5.0)
    names = data["decoders"]
    for j, row in enumerate(np.asarray(data["bits_per_dim"], float).T):
        ax.plot(range(len(names)), row, "o-", alpha=0.6, label=f"seed {j}")
    ax.set_xticks(range(len(names)), names)
    ax.set(ylabel="held-out bits per dimension (lower is better)", title="BS20 Table 2 direction, conv VAE on crops")
    ax.legend(fontsize=7)
    return fig


@claim(
    id="SCALE.T2tab",
    source="Berger & Sebag 2020, Table 2 and Sec. 4.3, with a convolutional VAE on photo crops",
    statement="On natural images, a VAE whose decoder learns a per-pixel sigma(z) (LV, eq. 11, floor 1e-3) reaches a "
    "better held-out ELBO than the same VAE with the MSE loss (fixed sigma^2 = 1/2), here in bits per dimension of "
    "dequantised pixels (conv VAE, 64 x 64 x 3 crops of the packaged photos, held-out photo; quick 16 x 16 x 3).",
    expected=Verdict.CONFIRMED,
    expected_full=None,
    tolerances=(Tolerance("t_seed", _stats.T_LEVEL, "the paired (same-seed) t over seeds of F minus LV bits per "
                          "dimension against the two-sided 95% Student-t quantile"),),
    finding="Quick profile (16 x 16 x 3 crops, 3 seeds, 200 steps): held-out bits/dim F 8.91-8.92, LV 8.29-8.34 "
    "(paired t 38); LS is better still at this short training (7.84-7.95: its scalar log sigma has its own step "
    "size, while LV's per-pixel sigma is a network output that moves at the network's).",
    plot=_plot_t2tab,
)
def check_t2tab(profile: Profile) -> Outcome:
    runs = conv_crops.run(profile)
    bpd = {n: runs.bits_per_dim[runs.index(n)] for n in ("F", "LS", "LV")}
    order, t = _stats.ordering(bpd["F"], bpd["LV"])
    order_ls, t_ls = _stats.ordering(bpd["LS"], bpd["LV"])
    verdict = {"holds": Verdict.CONFIRMED, "reversed": Verdict.NOT_REPRODUCED}.get(order, Verdict.OPEN)
    fmt = lambda v: "/".join(f"{x:.3f}" for x in v)  # noqa: E731
    return Outcome(
        verdict=verdict,
        measured={"bits_per_dim": {k: v.tolist() for k, v in bpd.items()},
                  "F_minus_LV": (bpd["F"] - bpd["LV"]).tolist(),
                  "order_F_worse_than_LV": order, "t": t, "order_LS_worse_than_LV": order_ls, "t_LS": t_ls,
                  "t_critical": _stats.t_critical(len(runs.plan.seeds)), **_conv_measured(runs, profile)},
        paper={"CelebA bits/pixel F, LV": [5.52, 57.51],
               "units": "the paper's ELBO (higher is better), constants unstated"},
        summary=f"[{_conv_note(runs)}; held-out photo, {runs.elbo.shape[-1]} tiles] bits/dim (lower is better) F "
        f"{fmt(bpd['F'])}, LS {fmt(bpd['LS'])}, LV {fmt(bpd['LV'])}; F - LV paired t {t:.1f} ({order}); paper (its "
        f"units, higher is better) CelebA F 5.52 vs LV 57.51",
        rule="F minus LV held-out bits per dimension over paired seeds: t above the 95% Student-t quantile: confirmed; "
        "below minus it: not reproduced; otherwise open.",
        figure_data={"decoders": ["F", "LS", "LV"],
                     "bits_per_dim": figure_numbers(np.stack([bpd[n] for n in ("F", "LS", "LV")]))},
    )


def _plot_c1(data):
    fig, (ax,) = new_figure(width=5.5)
    seed_lines(ax, data["lambdas"], {"rate at fixed beta": data["rate"]}, xlabel="lambda (neural-loss weight)",
               ylabel="rate [nats]", title=f"NL26 claim 1, conv VAE, beta = {data['beta']:g}")
    ax.plot([data["control_lambda"]] * len(data["control"]), data["control"], "ks", ms=4,
            label="pixel loss alone, weight 1 - lambda")
    ax.legend(fontsize=7)
    return fig


@claim(
    id="SCALE.C1",
    source="Strano et al. 2026 (NL26), Sec. 3 (claim 1), with a convolutional VAE on photo crops",
    statement="With the loss lambda d_phi + (1 - lambda) d_pix + beta KL at a fixed beta (d_phi: a fixed 1-Lipschitz "
    "edge-feature network), the rate at convergence falls as lambda grows (lambda = 0, 0.5, 1; conv VAE on 64 x 64 "
    "x 3 crops, quick 16 x 16 x 3).",
    expected=Verdict.REFINED,
    expected_full=None,
    tolerances=(Tolerance("t_seed", _stats.T_LEVEL, "each difference between two settings counts when the paired t "
                          "over seeds exceeds the two-sided 95% Student-t quantile (4.30 for 3 seeds)"),),
    finding="Refined in the quick profile: the rate falls from 39.1 to 32.7 nats from lambda 0 to 0.5 (paired t 9.5), "
    "but the pixel loss alone with the same pixel weight gives 32.8 (difference t 0.8): the fall is carried by the "
    "shrinking pixel weight, as NL26.C1 found on patches.",
    plot=_plot_c1,
)
def check_c1(profile: Profile) -> Outcome:
    runs = conv_crops.run(profile)
    p = runs.plan
    rates = np.array([runs.rate[runs.index(f"fixed lam={lam:g}")].mean(axis=-1)
                      for lam in p.lambdas_c1])  # (lambdas, seeds)
    control_lam = p.lambdas_c1[1]
    control = runs.rate[runs.index(f"pixel control lam={control_lam:g}")].mean(axis=-1)
    steps = [_stats.ordering(rates[i], rates[i + 1]) for i in range(len(rates) - 1)]
    overall = _stats.ordering(rates[0], rates[-1])
    adds = _stats.ordering(control, rates[1])  # does the neural term lower the rate at equal pixel weight?
    rise = any(o == "reversed" for o, _ in steps) or overall[0] == "reversed"
    if rise:
        verdict = Verdict.NOT_REPRODUCED
    elif overall[0] != "holds":
        verdict = Verdict.OPEN
    elif adds[0] == "holds":
        verdict = Verdict.CONFIRMED
    else:
        verdict = Verdict.REFINED
    fmt = lambda v: "/".join(f"{x:.2f}" for x in v)  # noqa: E731
    return Outcome(
        verdict=verdict,
        measured={"lambdas": list(p.lambdas_c1), "beta": p.beta_c1, "rate": rates.T.tolist(),
                  "pixel_only_control": control.tolist(), "t_consecutive_drops": [t for _, t in steps],
                  "t_overall_drop": overall[1], "t_control_minus_feature": adds[1],
                  "t_critical": _stats.t_critical(len(p.seeds)), **_conv_measured(runs, profile)},
        paper={"NL26 claim 1": "rate falls as the neural-loss weight grows"},
        summary=f"[{_conv_note(runs)}; beta {p.beta_c1:g}] rate (mean over seeds) at lambda {list(p.lambdas_c1)}: "
        f"{fmt(rates.mean(1))} (drop t {fmt([t for _, t in steps])}, overall {overall[1]:.1f}); pixel-only control "
        f"with weight {1 - control_lam:g}: {control.mean():.2f} (control - feature t {adds[1]:.1f}); t crit "
        f"{_stats.t_critical(len(p.seeds)):.2f}",
        rule="Rates on fixed training crops; differences count by paired t over seeds beyond the 95% quantile. A "
        "counted rise (any consecutive step or lambda 0 -> 1): not reproduced; no counted fall from lambda 0 to 1: "
        "open; a fall, and the feature run at the middle lambda counted below the pixel-only control with the same "
        "pixel weight (the neural term itself lowers the rate): confirmed; a fall carried by the shrinking pixel "
        "weight alone (feature run not below the control): refined.",
        figure_data={"lambdas": list(p.lambdas_c1), "rate": figure_numbers(rates.T), "beta": p.beta_c1,
                     "control_lambda": control_lam, "control": figure_numbers(control)},
    )


C2_RATE = 0.1


def _plot_c2(data):
    fig, (ax,) = new_figure(width=5.5)
    seed_lines(ax, data["lambdas"], {"A_post": data["A_post"]}, xlabel="lambda (neural-loss weight)",
               ylabel="A_post = E_x Var_i log s_i(x)", title=f"NL26 claim 2, conv VAE at {data['rate']:g} nats")
    return fig


@claim(
    id="SCALE.C2",
    source="Strano et al. 2026 (NL26), Sec. 3.2 (claim 2), with a convolutional VAE on photo crops",
    statement="At a matched rate (held by a GECO-style rule on beta), the neural loss (lambda = 0.5: half edge-feature "
    "distortion) gives a more isotropic posterior than the pixel loss (lambda = 0): lower A_post = E_x Var_i log "
    "s_i(x) (conv VAE on 64 x 64 x 3 crops, quick 16 x 16 x 3).",
    expected=Verdict.OPEN,
    expected_full=None,
    tolerances=(Tolerance("rate_match", C2_RATE, "relative: every seed's rate on the fixed training crops within 10% "
                          "of the GECO target (NL26.C2's criterion)"),
                Tolerance("t_seed", _stats.T_LEVEL,
                          "paired t over seeds against the two-sided 95% Student-t quantile")),
    finding="Open in the quick profile: GECO holds 30.3-33.2 nats (one seed 10.6% above the 30-nat target) and A_post "
    "falls from lambda 0 to 0.5 in every seed (0.42/0.41/0.19 to 0.40/0.37/0.18), but by a paired t of 2.8 < 4.30.",
    plot=_plot_c2,
)
def check_c2(profile: Profile) -> Outcome:
    runs = conv_crops.run(profile)
    p = runs.plan
    idx = [runs.index(f"matched lam={lam:g}") for lam in p.lambdas_c2]
    rates = np.array([runs.rate[i].mean(axis=-1) for i in idx])
    a_post = np.array([runs.anisotropy[i].mean(axis=-1) for i in idx])
    matched = bool(np.all(np.abs(rates / p.rate_c2 - 1) <= C2_RATE))
    drops = [_stats.ordering(a_post[i], a_post[i + 1]) for i in range(len(idx) - 1)]
    if matched and any(o == "reversed" for o, _ in drops):
        verdict = Verdict.NOT_REPRODUCED
    elif matched and all(o == "holds" for o, _ in drops):
        verdict = Verdict.CONFIRMED
    else:
        verdict = Verdict.OPEN
    fmt = lambda v: "/".join(f"{x:.3f}" for x in v)  # noqa: E731
    final_beta = np.array([runs.beta[i] for i in idx])
    return Outcome(
        verdict=verdict,
        measured={"lambdas": list(p.lambdas_c2), "rate_target": p.rate_c2, "rate": rates.T.tolist(), "matched": matched,
                  "A_post": a_post.T.tolist(), "drops": [o for o, _ in drops], "t": [t for _, t in drops],
                  "final_beta": final_beta.T.tolist(), "t_critical": _stats.t_critical(len(p.seeds)),
                  **_conv_measured(runs, profile)},
        paper={"NL26 claim 2": "neural distortions give a more isotropic posterior at matched rate"},
        summary=f"[{_conv_note(runs)}; GECO target {p.rate_c2:g} nats] lambda {list(p.lambdas_c2)}: rate per seed "
        f"{', '.join(fmt(r) for r in rates)} (matched: {matched}), A_post {', '.join(fmt(a) for a in a_post)} per "
        f"seed, drops "
        f"{[o for o, _ in drops]} (paired t {fmt([t for _, t in drops])}, crit {_stats.t_critical(len(p.seeds)):.2f}); "
        f"final beta (mean) {fmt(final_beta.mean(1))}",
        rule="Every seed's rate (fixed training crops) within 10% of the GECO target at every lambda, and each step up "
        "in lambda lowers A_post by a paired t over seeds above the 95% quantile: confirmed; matched and a counted "
        "rise: not reproduced; otherwise (unmatched rates or an unresolved difference) open.",
        figure_data={"lambdas": list(p.lambdas_c2), "A_post": figure_numbers(a_post.T), "rate": p.rate_c2},
    )
