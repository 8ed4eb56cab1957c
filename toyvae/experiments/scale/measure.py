"""Measurements of the SCALE claims: per-seed evidence, other numbers and figure data from the SCALE runs.

Experiments measure (this module: float64 per-seed quantities, closed forms at the rates the models
reached), the claims' rules judge (:mod:`toyvae.claims.scale`), plots draw (:mod:`toyvae.plots.scale`).
No statistics and no verdicts here. Evidence arrays have the seed as leading axis; closed-form
quantities are scalars.
"""

from __future__ import annotations

import math

import numpy as np

from toyvae.experiments.measurement import Measurement
from toyvae.experiments.scale import conv_crops, linear_crops, sphere_hd
from toyvae.theory import linear_gaussian as lg

__all__ = ["measure_t1", "measure_t46", "measure_rate_match", "measure_t2tab", "measure_c1", "measure_c2",
           "t41_closed_form", "t1_key", "closed_a_post", "DECODERS", "RATE_GRID"]

DECODERS = ("F", "LS", "LV")
RATE_GRID = 41  # closed-form rates between the lowest and highest rate the trained models reached


def _round(values, digits: int = 4):
    arr = np.asarray(values, dtype=np.float64)
    flat = [None if not np.isfinite(v) else float(f"{v:.{digits}g}") for v in arr.ravel().tolist()]
    return np.array(flat, dtype=object).reshape(arr.shape).tolist() if arr.ndim else flat[0]


# ------------------------------------------------------------------------------------------------
# SCALE.T1
# ------------------------------------------------------------------------------------------------


def t1_key(D: int, d: int) -> str:
    """The evidence prefix of one (data dimension, latent count)."""
    return f"D={D},d={d}"


def measure_t1(runs: dict[int, sphere_hd.SphereHD]) -> Measurement:
    """Per (D, d): the control's, the below-threshold runs' radius over r_ref, the above-threshold warm and cold
    radii, the optimiser's noise floor over r_ref at the control, and each row's exact ELBO minus Theorem 1's bound."""
    evidence, per = {}, {}
    pos = np.linspace(0.3, 1.4, 45)
    panels = []
    for D, r in sorted(runs.items()):
        for d in sorted({int(k) for k in r.latents}, reverse=True):
            key = t1_key(D, d)
            rows = lambda name: r.rows(name, d)  # noqa: E731
            ctrl, cold, warm = rows("control"), rows("above cold"), rows("above warm")
            ratio = lambda idx: r.radius[idx] / r.r_ref[idx]  # noqa: E731
            floor = float(np.mean(r.radius[cold]))
            r_ctrl = float(np.mean(r.r_ref[ctrl]))
            all_rows = np.flatnonzero(r.latents == d)
            evidence.update({
                f"{key}/control r/r_ref": ratio(ctrl),
                f"{key}/below cold r/r_ref": ratio(rows("below cold")),
                f"{key}/below warm r/r_ref": ratio(rows("below warm")),
                f"{key}/above warm r": r.radius[warm], f"{key}/above cold r": r.radius[cold],
                f"{key}/noise floor / r_ref at the control": floor / r_ctrl,
                f"{key}/ELBO - Theorem 1 bound": r.elbo[all_rows] - r.best_loglik[all_rows],
            })
            per[key] = {
                "control_r/r_ref": ratio(ctrl).tolist(), "below_cold_r/r_ref": ratio(rows("below cold")).tolist(),
                "below_warm_r/r_ref": ratio(rows("below warm")).tolist(),
                "above_warm/cold": (r.radius[warm] / r.radius[cold]).tolist(),
                "above_warm_start/R": (r.warm_radius[warm] / r.R).tolist(), "noise_floor/R": floor / r.R,
                "r_ref_control/R": r_ctrl / r.R, "r*/R_at_0.8": float(r.r_star[rows("below cold")][0] / r.R),
                "r_ref/R_at_0.8": float(r.r_ref[rows("below cold")][0] / r.R),
                "max_elbo_minus_bound": float(np.max(r.elbo[all_rows] - r.best_loglik[all_rows])),
            }
            theory = sphere_hd.reference_radius(r.R, pos * r.R / math.sqrt(D), D, d) / r.R
            panel = {"D": D, "d": d, "theory_position": _round(pos), "theory_r/R": _round(theory), "points": []}
            for name in ("control", "below cold", "below warm", "above cold", "above warm"):
                idx = rows(name)
                panel["points"].append({"name": name, "position": _round(r.position[idx]),
                                        "r/R": _round(r.radius[idx] / r.R)})
            panels.append(panel)
    first = next(iter(runs.values()))
    numbers = {"by_dimension": per, "seeds": list(first.seeds), "steps": first.steps, "batch": first.batch,
               "sizes": {str(D): {"latents": sorted({int(k) for k in r.latents}), "lr": r.lr,
                                  "seconds": round(r.seconds, 1)} for D, r in runs.items()}}
    return Measurement(evidence=evidence, numbers=numbers, figure_data={"panels": panels})


# ------------------------------------------------------------------------------------------------
# SCALE.T46 and SCALE.RateMatch
# ------------------------------------------------------------------------------------------------


def t41_closed_form(c: np.ndarray, beta: float) -> tuple[bool, float]:
    """(strictly decreasing on 401 betas over beta x 1e-4 .. 1e4, max relative error of the inversion)."""
    betas = beta * np.geomspace(1e-4, 1e4, 401)
    V = np.array([float(lg.optimal_variance_kl(c, b)) for b in betas])
    decreasing = bool(np.all(np.diff(V) < 0))
    errs = [abs(lg.beta_for_variance_kl(c, v) / b - 1) for b, v in zip(betas[::20], V[::20]) if v > 0]
    return decreasing, float(max(errs))


def measure_t46(r: linear_crops.LinearCrops) -> Measurement:
    """Eq. 46 with each model's own decoder, its objective above the d-latent optimum, eq. 44 by Monte Carlo, and
    Theorem 41's map at each model's c. Evidence (seeds, metrics) unless stated."""
    errs = np.abs(np.log(r.s / r.s_star)).max(axis=-1).T  # (seeds, metrics)
    gaps = (r.objective / np.array([cf.objective for cf in r.closed])[:, None] - 1).T
    t41 = np.array([[t41_closed_form(r.c[i, j], float(r.beta[i])) for i in range(2)] for j in range(len(r.seeds))])
    e44 = np.concatenate([linear_crops.eq44_monte_carlo(r, i, 0) for i in range(2)])
    beta_ratio = r.beta_inverted / r.beta[:, None]
    figure = {"metrics": list(linear_crops.METRICS)}
    for i, m in enumerate(linear_crops.METRICS):
        step = max(1, r.s[i].size // 1000)  # at most ~1000 points per metric in the JSON report
        figure[m] = {"s": _round(r.s[i].ravel()[::step]), "s_star": _round(r.s_star[i].ravel()[::step])}
    numbers = {"max_abs_log_s_over_s*": errs.tolist(), "objective_gap": gaps.tolist(),
               "t41_max_inversion_error": float(t41[..., 1].max()), "e44_max_z": float(e44.max()),
               "beta": r.beta.tolist(), "beta_from_own_variance_kl/beta": beta_ratio.T.tolist(),
               "seeds": list(r.seeds), "steps": r.steps, "batch": r.batch, "crop_side": r.size, "n": r.n,
               "latents": r.d, "source_crops": r.count, "seconds": round(r.seconds, 1)}
    return Measurement(evidence={"max |log s/s*|": errs, "objective gap": gaps, "eq44 |z|": e44,
                                 "T41 strictly decreasing": t41[..., 0], "T41 inversion error": t41[..., 1]},
                       numbers=numbers, figure_data=figure)


def closed_a_post(spectrum_top: np.ndarray, d: int, rate: float) -> float:
    """A_post of the d-latent optimum whose rate is ``rate`` (the top-d spectrum suffices)."""
    return float(linear_crops.closed_form(spectrum_top, d, float(rate)).A_post)


def measure_rate_match(r: linear_crops.LinearCrops) -> Measurement:
    """Trained A_post per metric and seed; the closed form's A_post at each model's own (exact) rate, at the
    matched rate, and its pixel-minus-edge margin over every pair of rates in the range the models reached."""
    pix, edge = r.closed
    own = np.array([[closed_a_post(r.closed[i].spectrum_top, r.d, r.rate[i, j]) for i in range(2)]
                    for j in range(len(r.seeds))])  # (seeds, metrics)
    lo, hi = float(r.rate.min()), float(r.rate.max())
    grid = np.linspace(lo, hi, RATE_GRID)
    curves = np.array([[closed_a_post(cf.spectrum_top, r.d, R) for R in grid] for cf in r.closed])  # (2, grid)
    robust = float(curves[0].min() - curves[1].max())
    keep = np.unique(np.linspace(0, r.d - 1, min(r.d, 256)).astype(int))  # at most 256 latents per curve
    figure = {"metrics": list(linear_crops.METRICS), "rate": pix.rate, "latent_index": keep.tolist()}
    for i, m in enumerate(linear_crops.METRICS):
        figure[m] = {"closed_s": _round(np.sort(r.closed[i].s)[keep]),
                     "trained_s": _round(np.sort(r.s[i], axis=-1)[:, keep])}
    evidence = {"A_post/pixel": r.A_post[0], "A_post/edge": r.A_post[1],
                "closed A_post at own rate/pixel": own[:, 0], "closed A_post at own rate/edge": own[:, 1],
                "closed form: pixel - edge A_post at the matched rate": pix.A_post - edge.A_post,
                "closed form: pixel - edge A_post over the reached rates": robust}
    numbers = {"matched_rate_nats": pix.rate, "beta_closed_form": [pix.beta, edge.beta],
               "active_closed_form": [pix.active, edge.active], "A_post_closed_form": [pix.A_post, edge.A_post],
               "trained_rate": r.rate.T.tolist(), "trained_rate_rel_error": (r.rate / pix.rate - 1).T.tolist(),
               "reached_rate_range": [lo, hi], "closed_A_post_over_range": {
                   "pixel": [float(curves[0].min()), float(curves[0].max())],
                   "edge": [float(curves[1].min()), float(curves[1].max())]},
               "closed_A_post_at_own_rate": own.tolist(), "trained_A_post": r.A_post.T.tolist(),
               "seeds": list(r.seeds), "steps": r.steps, "crop_side": r.size, "latents": r.d, "n": r.n}
    return Measurement(evidence=evidence, numbers=numbers, figure_data=figure)


# ------------------------------------------------------------------------------------------------
# The conv VAE: SCALE.T2tab, SCALE.C1, SCALE.C2
# ------------------------------------------------------------------------------------------------


def conv_numbers(runs: conv_crops.ConvRuns) -> dict:
    p = runs.plan
    return {"seeds": list(p.seeds), "steps": p.steps, "batch": p.batch, "crop_side": p.size, "widths": list(p.widths),
            "latent": p.latent, "seconds": round(runs.seconds, 1)}


def measure_t2tab(runs: conv_crops.ConvRuns) -> Measurement:
    """Held-out bits per dimension of the F (MSE), LS and LV decoders, per seed."""
    bpd = {n: runs.bits_per_dim[runs.index(n)] for n in DECODERS}
    return Measurement(
        evidence={f"bits/dim {n}": v for n, v in bpd.items()},
        numbers={"bits_per_dim": {k: v.tolist() for k, v in bpd.items()}, "F_minus_LV": (bpd["F"] - bpd["LV"]).tolist(),
                 "LS_minus_LV": (bpd["LS"] - bpd["LV"]).tolist(), "held_out_tiles": int(runs.elbo.shape[-1]),
                 **conv_numbers(runs)},
        figure_data={"decoders": list(DECODERS), "bits_per_dim": _round(np.stack([bpd[n] for n in DECODERS]))})


def measure_c1(runs: conv_crops.ConvRuns) -> Measurement:
    """Rate on fixed training crops at each lambda of the fixed-beta sweep and of the pixel-only control with the
    pixel weight of the middle lambda, per seed."""
    p = runs.plan
    rates = np.array([runs.rate[runs.index(f"fixed lam={lam:g}")].mean(axis=-1) for lam in p.lambdas_c1])
    control_lam = p.lambdas_c1[1]
    control = runs.rate[runs.index(f"pixel control lam={control_lam:g}")].mean(axis=-1)
    evidence = {"rate/lambda=0": rates[0], f"rate/feature lambda={control_lam:g}": rates[1],
                f"rate/pixel control lambda={control_lam:g}": control}
    for lam, row in zip(p.lambdas_c1[2:], rates[2:]):
        evidence[f"rate/feature lambda={lam:g}"] = row
    numbers = {"lambdas": list(p.lambdas_c1), "beta": p.beta_c1, "rate": rates.T.tolist(),
               "pixel_only_control": control.tolist(), "control_lambda": control_lam,
               "feature/control": (rates[1] / control).tolist(), **conv_numbers(runs)}
    figure = {"lambdas": list(p.lambdas_c1), "rate": _round(rates.T), "beta": p.beta_c1,
              "control_lambda": control_lam, "control": _round(control)}
    return Measurement(evidence=evidence, numbers=numbers, figure_data=figure)


def measure_c2(runs: conv_crops.ConvRuns) -> Measurement:
    """A_post = E_x Var_i log s_i(x) and the rate relative to the GECO target at each lambda of the matched sweep."""
    p = runs.plan
    idx = [runs.index(f"matched lam={lam:g}") for lam in p.lambdas_c2]
    rates = np.array([runs.rate[i].mean(axis=-1) for i in idx])
    a_post = np.array([runs.anisotropy[i].mean(axis=-1) for i in idx])
    evidence = {}
    for lam, a, rate in zip(p.lambdas_c2, a_post, rates):
        evidence[f"A_post/lambda={lam:g}"] = a
        evidence[f"rate/target - 1/lambda={lam:g}"] = rate / p.rate_c2 - 1
    final_beta = np.array([runs.beta[i] for i in idx])
    numbers = {"lambdas": list(p.lambdas_c2), "rate_target": p.rate_c2, "rate": rates.T.tolist(),
               "A_post": a_post.T.tolist(), "final_beta": final_beta.T.tolist(), **conv_numbers(runs)}
    figure = {"lambdas": list(p.lambdas_c2), "A_post": _round(a_post.T), "rate": p.rate_c2}
    return Measurement(evidence=evidence, numbers=numbers, figure_data=figure)
