"""SL claims: rate-distortion curve, ELBO surgery, aggregated posterior (slides "VAE: Rate-Distortion Curve &
Aggregated Posterior"), on trained linear-Gaussian VAEs (exact evaluation) and on nonlinear VAEs trained on
image patches (Monte Carlo). Rates in nats; distortion ``(x - xhat)^T G (x - xhat)`` summed over dimensions.
"""

from __future__ import annotations

import numpy as np

from toyvae.claims import _stats
from toyvae.plots._style import new_figure
from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim, figure_numbers
from toyvae.experiments import linear_vae as lv
from toyvae.experiments import neural_losses as nl
from toyvae.theory import rate_distortion as rd

__all__ = ["check_rd", "check_surgery", "check_aggpost"]

MC_K = 4.0


RD_GAP = 0.02  # relative gap above the exact curve that counts as "on the curve" (converged betas)
RD_BETA_MIN = 0.05


def _parts(sweep, k, j):
    p = sweep.params
    return rd.linear_vae_parts(rd.LinearVAEParams(p.A[k, j], np.exp(p.log_s[k, j]), p.W[k, j]), sweep.spec.Sigma,
                               sweep.spec.Gs[k])


def _plot_rd(data):
    fig, (ax,) = new_figure()
    ax.plot(data["curve_D"], data["curve_R"], "k-", label="exact R(D), G = I")
    ax.plot(np.ravel(data["D"]), np.ravel(data["R"]), "o", ms=4, alpha=0.7, label="trained beta-VAEs (every seed)")
    ax.set(xlabel="distortion E|x - xhat|^2", ylabel="rate [nats]", xscale="log",
           title="SL rate-distortion: trained linear VAEs vs the exact curve")
    ax.legend(fontsize=7)
    return fig


@claim(
    id="SL.RD",
    source="SL slides 'Rate-Distortion Curve'; Alemi et al. 2018 Fig. 1",
    statement="beta sweeps of trained VAEs lie on or above the exact rate-distortion curve of a Gaussian source "
    "(reverse water-filling over the metric-weighted spectrum), and approach it at the optimum.",
    expected=Verdict.CONFIRMED,
    expected_full=None,
    full_note="not re-run (2026-11-23, earlier code: confirmed)",
    tolerances=(Tolerance("below_curve", 1e-9, "nats; exact float64 evaluation of the trained parameters, rounding only"),
                Tolerance("rel_gap", RD_GAP, "median over seeds of (rate - R(D)) / R(D) for beta >= 0.05: the final "
                          "Adam steps of a cosine schedule leave about 1% in the rate; 2% is 'on the curve'")),
    finding="'On or above' is a consistency check (any encoder's rate is at least I_q >= R(D)): no trained point lies "
    "below its exact curve. The informative part, the gap above the curve, is within 2% (median over 3 seeds) for "
    "every beta >= 0.05; smaller betas, whose weakest components need many more steps, stay further above.",
    plot=_plot_rd,
)
def check_rd(profile: Profile) -> Outcome:
    sweep = lv.shared_sweep(profile)
    spec = sweep.spec
    rows, below = [], 0.0
    for k in list(range(spec.rd.start, spec.rd.stop)) + list(range(spec.t46.start, spec.t46.stop)):
        gaps = []
        for j in range(len(sweep.plan.seeds)):
            p = _parts(sweep, k, j)
            curve = rd.rate_distortion(rd.metric_weighted_spectrum(spec.Sigma, spec.Gs[k]), p.distortion)
            below = max(below, float(curve - p.rate))
            gaps.append((p.rate - curve) / max(curve, 1e-12))
            rows.append({"k": k, "beta": float(spec.betas[k]), "seed": sweep.plan.seeds[j], "rate": p.rate,
                         "distortion": p.distortion, "R(D)": float(curve), "rel_gap": float(gaps[-1])})
    per_config = {}
    for r in rows:
        per_config.setdefault(r["k"], []).append(r["rel_gap"])
    med = {k: float(np.median(v)) for k, v in per_config.items()}
    converged = [med[k] for k in med if spec.betas[k] >= RD_BETA_MIN]
    if below > 1e-9:
        verdict = Verdict.NOT_REPRODUCED  # below the curve: a bug in the model or the closed form
    elif max(converged) <= RD_GAP:
        verdict = Verdict.CONFIRMED
    else:
        verdict = Verdict.OPEN  # consistent, but the trained points do not reach the curve
    sweep_k = range(spec.rd.start, spec.rd.stop)
    mu = rd.metric_weighted_spectrum(spec.Sigma, np.eye(spec.Sigma.shape[0]))
    theta = np.geomspace(mu.min() * 0.3, mu.max(), 80)
    curve = rd.reverse_water_filling(mu, theta)
    pts = [r for r in rows if r["k"] in sweep_k]
    return Outcome(
        verdict=verdict,
        measured={"max_below_curve": below, "max_median_rel_gap_beta_ge_0.05": max(converged),
                  "median_rel_gap_by_beta_G=I": {f"{spec.betas[k]:.3g}": med[k] for k in sweep_k},
                  "seeds": list(sweep.plan.seeds)},
        summary=f"[consistency check + gap; {len(rows)} trained points, {len(sweep.plan.seeds)} seeds] max (R(D) - rate) "
        f"{below:.1e} nats; median rel gap above the curve (G=I, beta "
        + "/".join(f"{spec.betas[k]:.2g}" for k in sweep_k) + "): " + " ".join(f"{med[k]:.3f}" for k in sweep_k)
        + f"; max over beta >= {RD_BETA_MIN}: {max(converged):.3f}",
        details={"points": rows},
        rule=f"Consistency: no trained point below its exact curve (1e-9 nats). Informative: for every beta >= "
        f"{RD_BETA_MIN} the median over seeds of the relative gap above the curve is <= {RD_GAP:.0%}: confirmed; "
        "larger: open (consistent but not converged); below the curve: not reproduced.",
        figure_data={"curve_D": figure_numbers(curve.distortion), "curve_R": figure_numbers(curve.rate),
                     "D": figure_numbers([r["distortion"] for r in pts]), "R": figure_numbers([r["rate"] for r in pts])},
    )


@claim(
    id="SL.Surgery",
    source="SL slides 'Blame the ELBO' (ELBO decomposition; Hoffman & Johnson 2016)",
    statement="E_x KL(q(z|x) || p(z)) = I_q(x; z) + KL(q(z) || p(z)): exactly for linear-Gaussian VAEs (closed form, "
    "and by Monte Carlo), and by Monte Carlo with error bars for a nonlinear VAE trained on image patches.",
    expected=Verdict.CONFIRMED,
    expected_full=None,
    full_note="not re-run (2026-11-23, earlier code: confirmed)",
    tolerances=(
        Tolerance("closed_form_rel", 1e-10, "three closed forms in float64 with log-determinants of 8x8 matrices"),
        Tolerance("mc_sigmas", MC_K, "Monte Carlo: |estimate - exact| <= 4 se (two-sided normal tail 6e-5)"),
    ),
    finding="Consistency check (an identity: it fails only through a bug): it holds to 1e-12 in closed form for every "
    "trained linear VAE and within Monte Carlo error for a trained linear VAE and for nonlinear VAEs on image patches "
    "(every seed; empirical aggregated posterior over 1000 patches).",
)
def check_surgery(profile: Profile) -> Outcome:
    sweep = lv.shared_sweep(profile)
    spec = sweep.spec
    rel = 0.0
    for k in range(spec.Gs.shape[0]):
        for j in range(len(sweep.plan.seeds)):
            p = _parts(sweep, k, j)
            rel = max(rel, abs(p.rate - p.mutual_information - p.aggregate_kl) / p.rate)
    # Monte Carlo on a trained linear VAE (beta = 0.01, the largest aggregated KL of the sweep; first seed)
    k = spec.rd.start
    A, s = sweep.params.A[k, 0], np.exp(sweep.params.log_s[k, 0])
    p = _parts(sweep, k, 0)
    rng = np.random.default_rng(0)
    N = 100_000 if Profile(profile) == Profile.QUICK else 1_000_000
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
    # nonlinear VAEs on patches (pixel loss, beta = 0.3), every seed
    runs = nl.shared_runs(profile)
    mcs = []
    for j in range(len(runs.seeds)):
        e = nl.evaluate(runs, runs.feature.start, j)
        mcs.append(nl.surgery_monte_carlo(e["mu"], e["s"], samples_per_point=4, seed=0))
    z_nl = [abs(mc["rate_mc"] - mc["rate_exact"]) / mc["rate_mc_se"] for mc in mcs]
    ok = rel <= 1e-10 and max(z_lin) <= MC_K and max(z_nl) <= MC_K
    mc = mcs[0]
    return Outcome(
        verdict=Verdict.CONFIRMED if ok else Verdict.NOT_REPRODUCED,
        measured={"closed_form_max_rel": rel, "linear_mc_z": z_lin, "linear_I": p.mutual_information,
                  "linear_KLagg": p.aggregate_kl, "patch_rate": [m["rate_exact"] for m in mcs],
                  "patch_I": [m["mutual_information"] for m in mcs], "patch_KLagg": [m["aggregate_kl"] for m in mcs],
                  "patch_z": z_nl, "seeds": list(runs.seeds)},
        summary=f"[consistency check] closed form max rel {rel:.1e}; linear MC |z| {max(z_lin):.2f}; patches "
        f"({len(mcs)} seeds): seed 0 rate {mc['rate_exact']:.3f} vs I {mc['mutual_information']:.3f}+-"
        f"{mc['mutual_information_se']:.3f} + KLagg {mc['aggregate_kl']:.3f}+-{mc['aggregate_kl_se']:.3f}; max |z| "
        f"{max(z_nl):.2f} (log N = {mc['log_N']:.2f})",
        rule=f"Consistency check: the identity to 1e-10 (relative) in closed form for every trained linear model, and "
        f"within {MC_K:g} Monte Carlo standard errors for the sampled estimates.",
    )


def _plot_aggpost(data):
    fig, (ax,) = new_figure()
    betas = np.asarray(data["betas"])
    for row in data["patch_KLagg"]:
        ax.plot(betas, row, "o-", color="C0", alpha=0.4, lw=0.8)
    ax.plot(betas, np.mean(data["patch_KLagg"], axis=0), "o-", color="C0", lw=2, label="patch VAEs (mean of seeds)")
    ax.set(xscale="log", xlabel="beta", ylabel="KL(q(z) || p(z)) [nats]", title="aggregated posterior vs prior")
    ax.legend(fontsize=7)
    return fig


@claim(
    id="SL.AggPost",
    source="SL slides 'Aggregated Posterior'",
    statement="KL(q(z) || p(z)) shrinks as beta grows. Measured on nonlinear VAEs trained on image patches (Monte Carlo "
    "over the empirical aggregated posterior); for the linear-Gaussian optimum it is exactly 0 for every beta.",
    expected=Verdict.REFINED,
    expected_full=None,
    full_note="not re-run (2026-11-23, earlier code: refined)",
    tolerances=(Tolerance("t_seed", _stats.T_LEVEL, "a rise between neighbouring betas, or the fall from the smallest "
                          "to the largest beta, counts when the paired t over seeds exceeds the two-sided 95% Student-t "
                          "quantile"),),
    finding="On patches KL(q(z)||p) falls from the smallest to the largest beta (0.1 -> 3) in every seed with no "
    "counted rise between neighbours; in the linear-Gaussian model the optimum has q(z) = p(z) exactly for every beta "
    "(a^2 mu + s = 1 per active latent), so the shrinkage is a property of models that miss the optimum.",
    plot=_plot_aggpost,
)
def check_aggpost(profile: Profile) -> Outcome:
    runs = nl.shared_runs(profile)
    ks = [runs.feature.start] + list(range(runs.betas.start, runs.betas.stop))
    betas = np.array([float(runs.settings["beta"][k]) for k in ks])
    order = np.argsort(betas)
    agg = np.array([[nl.surgery_monte_carlo(nl.evaluate(runs, int(k), j)["mu"], nl.evaluate(runs, int(k), j)["s"],
                                            samples_per_point=2, seed=1)["aggregate_kl"]
                     for j in range(len(runs.seeds))] for k in np.array(ks)[order]])  # (betas, seeds)
    steps = [_stats.ordering(agg[i], agg[i + 1]) for i in range(len(ks) - 1)]  # holds = falls
    end = _stats.ordering(agg[0], agg[-1])
    sweep = lv.shared_sweep(profile)
    spec = sweep.spec
    lin_opt = [rd.linear_vae_parts(rd.optimal_linear_vae(spec.Sigma, np.eye(spec.Sigma.shape[0]), b), spec.Sigma,
                                   np.eye(spec.Sigma.shape[0])).aggregate_kl for b in lv.SWEEP_RD_BETAS]
    lin_trained = [[_parts(sweep, k, j).aggregate_kl for j in range(len(sweep.plan.seeds))]
                   for k in range(spec.rd.start, spec.rd.stop)]
    patch_ok = not any(o == "reversed" for o, _ in steps) and end[0] == "holds"
    lin_zero = max(abs(v) for v in lin_opt) < 1e-10
    if patch_ok and lin_zero:
        verdict = Verdict.REFINED
    elif patch_ok:
        verdict = Verdict.CONFIRMED
    elif any(o == "reversed" for o, _ in steps) or end[0] == "reversed":
        verdict = Verdict.NOT_REPRODUCED
    else:
        verdict = Verdict.OPEN
    fmt = lambda v: "/".join(f"{x:.3f}" for x in v)  # noqa: E731
    return Outcome(
        verdict=verdict,
        measured={"betas": betas[order].tolist(), "patch_KLagg": agg.T.tolist(), "step_t": [t for _, t in steps],
                  "end_t": end[1], "linear_optimum_KLagg": lin_opt, "linear_trained_KLagg": lin_trained,
                  "seeds": list(runs.seeds)},
        summary=f"[{len(runs.seeds)} seeds] patches, beta {fmt(betas[order])}: KL(q(z)||p) (mean) {fmt(agg.mean(1))} "
        f"(neighbour fall t {fmt([t for _, t in steps])}, end-to-end t {end[1]:.1f}); linear optimum max |KLagg| "
        f"{max(abs(v) for v in lin_opt):.1e}, trained linear (mean) {fmt(np.mean(lin_trained, axis=1))}",
        rule="Patches: no counted rise between neighbouring betas and a counted fall from the smallest to the largest "
        "beta (paired t over seeds vs the 95% Student-t quantile): the shrinkage holds; refined when, moreover, the "
        "linear-Gaussian optimum has KL(q(z)||p) = 0 for every beta (1e-10).",
        figure_data={"betas": betas[order].tolist(), "patch_KLagg": figure_numbers(agg.T)},
    )
