"""SL claims: rate-distortion curve, ELBO surgery, aggregated posterior (slides "VAE: Rate-Distortion Curve &
Aggregated Posterior"), on trained linear-Gaussian VAEs (exact evaluation) and on nonlinear VAEs trained on
image patches (Monte Carlo). Rates in nats; distortion ``(x - xhat)^T G (x - xhat)`` summed over dimensions.
"""

from __future__ import annotations

import numpy as np

from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim
from toyvae.experiments import linear_vae as lv
from toyvae.experiments import neural_losses as nl
from toyvae.theory import rate_distortion as rd

__all__ = ["check_rd", "check_surgery", "check_aggpost"]

MC_K = 4.0


def _quick(profile: Profile) -> bool:
    return Profile(profile) == Profile.QUICK


def _parts(spec, params, k):
    return rd.linear_vae_parts(rd.LinearVAEParams(params.A[k], np.exp(params.log_s[k]), params.W[k]), spec.Sigma, spec.Gs[k])


@claim(
    id="SL.RD",
    source="SL slides 'Rate-Distortion Curve'; Alemi et al. 2018 Fig. 1",
    statement="beta sweeps of trained VAEs lie on or above the exact rate-distortion curve of a Gaussian source "
    "(reverse water-filling over the metric-weighted spectrum), and approach it at the optimum.",
    expected=Verdict.CONFIRMED,
    expected_full=Verdict.CONFIRMED,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=(Tolerance("below_curve", 1e-9, "nats; exact float64 evaluation of the trained parameters, rounding only"),),
    finding="All 15 trained linear VAEs (6 betas with G = I, 9 with other metrics) lie on or above their exact R(D); "
    "the gap closes to <1% of the rate where training has converged (beta >= 0.05).",
)
def check_rd(profile: Profile) -> Outcome:
    spec, params, _ = lv.shared_sweep(_quick(profile))
    rows, below = [], 0.0
    for k in list(range(spec.rd.start, spec.rd.stop)) + list(range(spec.t46.start, spec.t46.stop)):
        p = _parts(spec, params, k)
        curve = rd.rate_distortion(rd.metric_weighted_spectrum(spec.Sigma, spec.Gs[k]), p.distortion)
        below = max(below, curve - p.rate)
        rows.append({"beta": float(spec.betas[k]), "rate": p.rate, "distortion": p.distortion, "R(D)": float(curve),
                     "rel_gap": (p.rate - curve) / max(curve, 1e-12)})
    sweep = rows[: spec.rd.stop - spec.rd.start]
    converged = [r["rel_gap"] for r in rows if r["beta"] >= 0.05]
    ok = below <= 1e-9
    gaps = " ".join(f"{r['rel_gap']:.3f}" for r in sweep)
    return Outcome(
        verdict=Verdict.CONFIRMED if ok else Verdict.NOT_REPRODUCED,
        measured={"max_below_curve": below, "max_rel_gap_beta_ge_0.05": max(converged),
                  "max_rel_gap_all": max(r["rel_gap"] for r in rows)},
        summary=f"{len(rows)} trained points, max (R(D) - rate) {below:.1e} nats; rel gap above curve: "
        f"{gaps} (G=I, beta {sweep[0]['beta']:.2f}..{sweep[-1]['beta']:.2f})",
        details={"points": rows},
    )


@claim(
    id="SL.Surgery",
    source="SL slides 'Blame the ELBO' (ELBO decomposition; Hoffman & Johnson 2016)",
    statement="E_x KL(q(z|x) || p(z)) = I_q(x; z) + KL(q(z) || p(z)): exactly for linear-Gaussian VAEs (closed form, "
    "and by Monte Carlo), and by Monte Carlo with error bars for a nonlinear VAE trained on image patches.",
    expected=Verdict.CONFIRMED,
    expected_full=Verdict.CONFIRMED,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=(
        Tolerance("closed_form_rel", 1e-10, "three closed forms in float64 with log-determinants of 8x8 matrices"),
        Tolerance("mc_sigmas", MC_K, "Monte Carlo: |estimate - exact| <= 4 se (two-sided normal tail 6e-5)"),
    ),
    finding="The identity holds to 1e-12 in closed form for 25 trained linear VAEs and within Monte Carlo error "
    "for a trained linear VAE and a nonlinear VAE on image patches (empirical aggregated posterior over 1000 patches).",
)
def check_surgery(profile: Profile) -> Outcome:
    quick = _quick(profile)
    spec, params, _ = lv.shared_sweep(quick)
    rel = 0.0
    for k in range(spec.Gs.shape[0]):
        p = _parts(spec, params, k)
        rel = max(rel, abs(p.rate - p.mutual_information - p.aggregate_kl) / p.rate)
    # Monte Carlo on a trained linear VAE (beta = 0.01, the largest aggregated KL of the sweep)
    k = spec.rd.start
    A, s = params.A[k], np.exp(params.log_s[k])
    p = _parts(spec, params, k)
    rng = np.random.default_rng(0)
    N = 100_000 if quick else 1_000_000
    x = rng.multivariate_normal(np.zeros(spec.Sigma.shape[0]), spec.Sigma, size=N)
    m = x @ A.T
    z = m + np.sqrt(s) * rng.standard_normal(m.shape)
    S = A @ spec.Sigma @ A.T + np.diag(s)
    Sinv = np.linalg.inv(S)
    log_q = -0.5 * (np.einsum("ni,ij,nj->n", z, Sinv, z) + np.linalg.slogdet(2 * np.pi * S)[1])
    log_cond = -0.5 * np.sum((z - m) ** 2 / s + np.log(2 * np.pi * s), 1)
    log_p = -0.5 * np.sum(z**2 + np.log(2 * np.pi), 1)
    z_lin = [abs(v.mean() - exact) / (v.std() / np.sqrt(N))
             for v, exact in ((log_cond - log_q, p.mutual_information), (log_q - log_p, p.aggregate_kl))]
    # nonlinear VAE on patches (pixel loss, beta = 0.3)
    runs = nl.shared_runs(quick)
    e = nl.evaluate(runs.params, runs.feature.start, runs.eval_x)
    mc = nl.surgery_monte_carlo(e["mu"], e["s"], samples_per_point=4, seed=0)
    z_nl = abs(mc["rate_mc"] - mc["rate_exact"]) / mc["rate_mc_se"]
    ok = rel <= 1e-10 and max(z_lin) <= MC_K and z_nl <= MC_K
    return Outcome(
        verdict=Verdict.CONFIRMED if ok else Verdict.NOT_REPRODUCED,
        measured={"closed_form_max_rel": rel, "linear_mc_z": z_lin, "linear_I": p.mutual_information,
                  "linear_KLagg": p.aggregate_kl, "patch_rate": mc["rate_exact"], "patch_I": mc["mutual_information"],
                  "patch_I_se": mc["mutual_information_se"], "patch_KLagg": mc["aggregate_kl"],
                  "patch_KLagg_se": mc["aggregate_kl_se"], "patch_z": z_nl},
        summary=f"closed form max rel {rel:.1e}; linear MC |z| {max(z_lin):.2f}; patches: rate {mc['rate_exact']:.3f} vs "
        f"I {mc['mutual_information']:.3f}+-{mc['mutual_information_se']:.3f} + KLagg {mc['aggregate_kl']:.3f}+-"
        f"{mc['aggregate_kl_se']:.3f} (|z| {z_nl:.2f}, log N = {mc['log_N']:.2f})",
    )


@claim(
    id="SL.AggPost",
    source="SL slides 'Aggregated Posterior'",
    statement="KL(q(z) || p(z)) shrinks as beta grows. Measured on nonlinear VAEs trained on image patches (Monte Carlo "
    "over the empirical aggregated posterior); for the linear-Gaussian optimum it is exactly 0 for every beta.",
    expected=Verdict.REFINED,
    expected_full=Verdict.REFINED,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=(Tolerance("mc_sigmas", 2.0, "a rise between neighbouring betas, or the fall from the smallest to the "
                          "largest beta, counts when it exceeds 2 se of the difference (Monte Carlo, 2000 draws)"),),
    finding="On patches KL(q(z)||p) falls from 10.2 to 0.17 nats as beta goes 0.1 -> 3 (flat within noise between 0.3 "
    "and 0.6); in the linear-Gaussian model the optimum has q(z) = p(z) exactly for "
    "every beta (a^2 mu + s = 1 per active latent), so the shrinkage is a property of models that miss the optimum.",
)
def check_aggpost(profile: Profile) -> Outcome:
    quick = _quick(profile)
    runs = nl.shared_runs(quick)
    ks = [runs.feature.start] + list(range(runs.betas.start, runs.betas.stop))
    betas = np.array([float(runs.settings.beta[k]) for k in ks])
    order = np.argsort(betas)
    agg, se = [], []
    for k in np.array(ks)[order]:
        e = nl.evaluate(runs.params, int(k), runs.eval_x)
        mc = nl.surgery_monte_carlo(e["mu"], e["s"], samples_per_point=2, seed=1)
        agg.append(mc["aggregate_kl"])
        se.append(mc["aggregate_kl_se"])
    agg, se = np.array(agg), np.array(se)
    drops = (agg[:-1] - agg[1:]) / np.sqrt(se[:-1] ** 2 + se[1:] ** 2)
    # linear-Gaussian: the closed-form optimum at each beta of the shared sweep
    spec, params, _ = lv.shared_sweep(quick)
    lin_opt = [rd.linear_vae_parts(rd.optimal_linear_vae(spec.Sigma, np.eye(spec.Sigma.shape[0]), b), spec.Sigma,
                                   np.eye(spec.Sigma.shape[0])).aggregate_kl for b in lv.SWEEP_RD_BETAS]
    lin_trained = [_parts(spec, params, k).aggregate_kl for k in range(spec.rd.start, spec.rd.stop)]
    # "shrinks": no significant rise between neighbouring betas, and a significant fall from the first to the last
    end_drop = (agg[0] - agg[-1]) / np.hypot(se[0], se[-1])
    patch_ok = bool(np.all(drops > -2.0)) and end_drop > 2.0
    lin_zero = max(abs(v) for v in lin_opt) < 1e-10
    if patch_ok and lin_zero:
        verdict = Verdict.REFINED
    elif patch_ok:
        verdict = Verdict.CONFIRMED
    elif np.any(drops < -2.0):
        verdict = Verdict.NOT_REPRODUCED
    else:
        verdict = Verdict.OPEN
    fmt = lambda v: "/".join(f"{x:.3f}" for x in v)  # noqa: E731
    return Outcome(
        verdict=verdict,
        measured={"betas": betas[order].tolist(), "patch_KLagg": agg.tolist(), "patch_KLagg_se": se.tolist(),
                  "drop_z": drops.tolist(), "linear_optimum_KLagg": lin_opt, "linear_trained_KLagg": lin_trained},
        summary=f"patches, beta {fmt(betas[order])}: KL(q(z)||p) {fmt(agg)} (drop z {fmt(drops)}); linear optimum max "
        f"|KLagg| {max(abs(v) for v in lin_opt):.1e}, trained linear {fmt(lin_trained)}",
    )
