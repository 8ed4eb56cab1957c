"""Measurements of the SL claims (SL.RD, SL.Surgery, SL.AggPost, SL.MultiRate): per-seed evidence, numbers, figure
data. Experiments measure, the claims' rules judge (:mod:`toyvae.evidence`), plots draw (:mod:`toyvae.plots.sl`).

Runs: the shared linear-Gaussian sweep (:func:`toyvae.experiments.linear_vae.shared_sweep`, evaluated exactly in
float64), the patch VAEs of :func:`toyvae.experiments.neural_losses.shared_runs` (Monte Carlo over the empirical
aggregated posterior) and the multi-rate runs of :mod:`toyvae.experiments.multirate`. Rates in nats; distortion
``(x - xhat)^T G (x - xhat)`` summed over dimensions. No statistics, no verdicts.
"""

from __future__ import annotations

import numpy as np

from toyvae.experiments import linear_vae as lv
from toyvae.experiments import multirate as mr
from toyvae.experiments import neural_losses as nl
from toyvae.experiments.measurement import Measurement
from toyvae.profiles import Profile
from toyvae.theory import rate_distortion as rd

__all__ = ["measure_rd", "measure_surgery", "measure_aggpost", "measure_multirate", "RD_BETA_MIN", "beta_label"]

RD_BETA_MIN = 0.05  # SL.RD: betas whose models converge within the quick plan (smaller: weakest components lag)


def beta_label(beta: float) -> str:
    return f"{beta:.3g}"


def _fig(values, digits: int = 4):
    arr = np.asarray(values, dtype=np.float64)
    flat = [None if not np.isfinite(v) else float(f"{v:.{digits}g}") for v in arr.ravel().tolist()]
    return np.array(flat, dtype=object).reshape(arr.shape).tolist() if arr.ndim else flat[0]


def _parts(sweep, k, j):
    p = sweep.params
    return rd.linear_vae_parts(rd.LinearVAEParams(p.A[k, j], np.exp(p.log_s[k, j]), p.W[k, j]), sweep.spec.Sigma,
                               sweep.spec.Gs[k])


def _config_names(spec) -> dict[int, str]:
    """Configuration index -> "metric, beta" for the NL26.T46 block and the SL.RD beta sweep (G = I)."""
    names = {}
    for i, k in enumerate(range(spec.t46.start, spec.t46.stop)):
        names[k] = f"{spec.metric_names[i // len(lv.SWEEP_T46_BETAS)]}, beta {beta_label(spec.betas[k])}"
    for k in range(spec.rd.start, spec.rd.stop):
        names[k] = f"identity, beta {beta_label(spec.betas[k])}"
    return names


def measure_rd(profile: Profile = Profile.QUICK, seed0: int = 0) -> Measurement:
    """SL.RD: per trained point, R(D) - rate (consistency: <= 0) and the rate's relative gap above R(D)."""
    sweep = lv.shared_sweep(profile, seed0)
    spec = sweep.spec
    names = _config_names(spec)
    seeds = range(len(sweep.plan.seeds))
    below = np.zeros((len(seeds), len(names)))
    evidence, points = {}, []
    for c, (k, name) in enumerate(names.items()):
        gaps = []
        for j in seeds:
            p = _parts(sweep, k, j)
            curve = float(rd.rate_distortion(rd.metric_weighted_spectrum(spec.Sigma, spec.Gs[k]), p.distortion))
            below[j, c] = curve - p.rate
            gaps.append((p.rate - curve) / max(curve, 1e-12))
            points.append({"config": name, "beta": float(spec.betas[k]), "seed": sweep.plan.seeds[j], "rate": p.rate,
                           "distortion": p.distortion, "R(D)": curve, "rel_gap": gaps[-1]})
        if spec.betas[k] >= RD_BETA_MIN:
            evidence[f"rel gap above R(D) {name}"] = np.array(gaps)
    evidence["R(D) - rate"] = below
    med = {}
    for q in points:
        med.setdefault(q["config"], []).append(q["rel_gap"])
    sweep_k = range(spec.rd.start, spec.rd.stop)
    mu = rd.metric_weighted_spectrum(spec.Sigma, np.eye(spec.Sigma.shape[0]))
    curve = rd.reverse_water_filling(mu, np.geomspace(mu.min() * 0.3, mu.max(), 80))
    pts = [q for q in points if q["config"] in {names[k] for k in sweep_k}]
    numbers = {"max_below_curve": float(below.max()), "median_rel_gap": {k: float(np.median(v)) for k, v in med.items()},
               "points": len(points), "seeds": list(sweep.plan.seeds), "beta_min": RD_BETA_MIN}
    figure = {"curve_D": _fig(curve.distortion), "curve_R": _fig(curve.rate),
              "D": _fig([q["distortion"] for q in pts]), "R": _fig([q["rate"] for q in pts])}
    return Measurement(evidence=evidence, numbers=numbers, figure_data=figure)


def measure_surgery(profile: Profile = Profile.QUICK, seed0: int = 0) -> Measurement:
    """SL.Surgery: the identity rate = I_q + KL(q(z)||p(z)) in closed form (every trained linear model) and by Monte
    Carlo (a trained linear model; the patch VAEs), as relative gaps and |z| scores; I_q and KL_agg reported."""
    sweep = lv.shared_sweep(profile, seed0)
    spec = sweep.spec
    seeds = range(len(sweep.plan.seeds))
    rel = np.array([[abs(p.rate - p.mutual_information - p.aggregate_kl) / p.rate
                     for p in (_parts(sweep, k, j) for k in range(spec.Gs.shape[0]))] for j in seeds])
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
    runs = nl.shared_runs(profile, seed0)
    mcs = []
    for j in range(len(runs.seeds)):
        e = nl.evaluate(runs, runs.feature.start, j)
        mcs.append(nl.surgery_monte_carlo(e["mu"], e["s"], samples_per_point=4, seed=0))
    z_nl = [abs(mc["rate_mc"] - mc["rate_exact"]) / mc["rate_mc_se"] for mc in mcs]
    evidence = {"closed-form relative gap": rel, "linear Monte Carlo |z|": np.array(z_lin),
                "patch Monte Carlo |z|": np.array(z_nl)}
    numbers = {"closed_form_max_rel": float(rel.max()), "linear_mc_z": z_lin, "linear_I": p.mutual_information,
               "linear_KLagg": p.aggregate_kl, "patch_rate": [mc["rate_exact"] for mc in mcs],
               "patch_I": [mc["mutual_information"] for mc in mcs], "patch_I_se": [mc["mutual_information_se"] for mc in mcs],
               "patch_KLagg": [mc["aggregate_kl"] for mc in mcs], "patch_KLagg_se": [mc["aggregate_kl_se"] for mc in mcs],
               "patch_z": z_nl, "log_N": mcs[0]["log_N"], "seeds": list(runs.seeds)}
    return Measurement(evidence=evidence, numbers=numbers)


def measure_aggpost(profile: Profile = Profile.QUICK, seed0: int = 0) -> Measurement:
    """SL.AggPost: KL(q(z)||p(z)) of the patch VAEs per beta and seed (Monte Carlo), each seed's least-squares slope
    of log KL against log beta; the linear-Gaussian optimum's KL_agg (closed form) and the trained linear models'."""
    runs = nl.shared_runs(profile, seed0)
    ks = [runs.feature.start] + list(range(runs.betas.start, runs.betas.stop))
    betas = np.array([float(runs.settings["beta"][k]) for k in ks])
    order = np.argsort(betas)
    agg = []
    for k in np.array(ks)[order]:
        row = []
        for j in range(len(runs.seeds)):
            e = nl.evaluate(runs, int(k), j)
            row.append(nl.surgery_monte_carlo(e["mu"], e["s"], samples_per_point=2, seed=1)["aggregate_kl"])
        agg.append(row)
    agg = np.array(agg)  # (betas, seeds)
    lb = np.log(betas[order])
    slopes = np.polyfit(lb, np.log(agg), 1)[0]  # per seed (columns)
    sweep = lv.shared_sweep(profile, seed0)
    spec = sweep.spec
    n = spec.Sigma.shape[0]
    lin_opt = [rd.linear_vae_parts(rd.optimal_linear_vae(spec.Sigma, np.eye(n), b), spec.Sigma, np.eye(n)).aggregate_kl
               for b in lv.SWEEP_RD_BETAS]
    lin_trained = [[_parts(sweep, k, j).aggregate_kl for j in range(len(sweep.plan.seeds))]
                   for k in range(spec.rd.start, spec.rd.stop)]
    evidence = {"slope of log KL_agg vs log beta": slopes,
                "linear optimum largest |KL_agg|": float(np.max(np.abs(lin_opt))),
                **{f"KL_agg beta {beta_label(b)}": agg[i] for i, b in enumerate(betas[order])}}
    numbers = {"betas": betas[order].tolist(), "patch_KLagg": agg.T.tolist(), "slopes": slopes.tolist(),
               "linear_optimum_KLagg": lin_opt, "linear_trained_KLagg": lin_trained, "seeds": list(runs.seeds)}
    figure = {"betas": betas[order].tolist(), "patch_KLagg": _fig(agg.T)}
    return Measurement(evidence=evidence, numbers=numbers, figure_data=figure)


EPS_MARGIN = 0.05  # SL.MultiRate: within 5% of the beta-optimal objective is "on the curve at that beta"


def measure_multirate(profile: Profile = Profile.QUICK, seed0: int = 0) -> Measurement:
    """SL.MultiRate: per beta and seed, the Lagrangian excess eps of the multi-rate network and of the per-beta
    model of the same budget (in range), and of the network at the control betas outside the range; the evidence is
    ``log(1 + eps)``, the log of the objective ``D + beta R`` over its optimum (eps spans four decades and is
    heavy-tailed across seeds; the log objective ratio compares two models by the ratio of their objectives)."""
    r = mr.run(profile, seed0)
    n_in = len(mr.IN_RANGE_BETAS)
    evidence = {}
    for b, beta in enumerate(r.betas):  # log(1 + eps) = log of the objective over its optimum (per seed)
        evidence[f"log objective ratio multi-rate beta {beta_label(beta)}"] = np.log1p([q["excess"] for q in r.multi[b]])
        if b < n_in:
            evidence[f"log objective ratio per-beta beta {beta_label(beta)}"] = np.log1p(
                [q["excess"] for q in r.per_beta[b]])
    n = r.Sigma.shape[0]
    mu = rd.metric_weighted_spectrum(r.Sigma, np.eye(n))
    curve = rd.reverse_water_filling(mu, np.geomspace(1e-4, mu.max(), 200))
    figure = {
        "eps_margin": EPS_MARGIN,
        "curve_D": _fig(curve.distortion), "curve_R": _fig(curve.rate),
        "grid_beta": _fig(r.curve["beta"]), "grid_D": _fig(r.curve["distortion"]),
        "grid_R": _fig(r.curve["rate"]), "beta_range": list(mr.BETA_RANGE),
        "in_beta": list(mr.IN_RANGE_BETAS), "control_beta": list(mr.CONTROL_BETAS),
        "multi_D": _fig([[q["distortion"] for q in r.multi[b]] for b in range(len(r.betas))]),
        "multi_R": _fig([[q["rate"] for q in r.multi[b]] for b in range(len(r.betas))]),
        "per_D": _fig([[q["distortion"] for q in r.per_beta[b]] for b in range(n_in)]),
        "per_R": _fig([[q["rate"] for q in r.per_beta[b]] for b in range(n_in)]),
        "opt_D": _fig([r.multi[b][0]["optimal_distortion"] for b in range(len(r.betas))]),
        "opt_R": _fig([r.multi[b][0]["optimal_rate"] for b in range(len(r.betas))]),
        "multi_eps": _fig([[q["excess"] for q in r.multi[b]] for b in range(len(r.betas))]),
        "per_eps": _fig([[q["excess"] for q in r.per_beta[b]] for b in range(n_in)]),
    }
    cost = {"steps_multi_rate": r.plan.steps, "steps_per_beta_each": r.plan.steps // n_in,
            "steps_per_beta_total": r.plan.steps, "batch": r.plan.batch,
            "seconds_multi_rate": r.seconds["multi_rate"], "seconds_per_beta": r.seconds["per_beta"]}
    numbers = {"in_beta": list(mr.IN_RANGE_BETAS), "control_beta": list(mr.CONTROL_BETAS),
               "eps_multi": [[q["excess"] for q in r.multi[b]] for b in range(len(r.betas))],
               "eps_per_beta": [[q["excess"] for q in r.per_beta[b]] for b in range(n_in)],
               "cost": cost, "seeds": list(r.plan.seeds)}
    return Measurement(evidence=evidence, numbers=numbers, figure_data=figure)
