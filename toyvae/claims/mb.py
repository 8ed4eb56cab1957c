"""MB claims ("Mind your bits and errors", App. B.2, Fig. 6, Sec. 3) on linear-Gaussian VAEs.

Distortion-targeted training (:func:`toyvae.experiments.linear_vae.train_distortion_targeted`): the model
minimises ``(1 - lambda) R + lambda D`` (eq. 9), ``lambda`` ascends ``lambda (D - gamma)`` (eq. 10) with
Adam(2e-4, betas (0, 0.999)), projected to [1e-4, 0.9999], initialised at 0.9999. Source: the shared-sweep
Gaussian (n = 8, spectrum k^-2 in the DCT basis); distortion = summed squared error; rates in nats.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim
from toyvae.experiments import linear_vae as lv
from toyvae.experiments import neural_losses as nl
from toyvae.theory import linear_gaussian as lg
from toyvae.theory import rate_distortion as rd

__all__ = ["check_lag", "check_f6", "check_mi"]


def _quick(profile: Profile) -> bool:
    return Profile(profile) == Profile.QUICK


def _beta(lam):
    return (1 - float(lam)) / float(lam)


def _targeted(profile):
    Sigma, params, trace = lv.targeted_sweep(_quick(profile))
    n = Sigma.shape[0]
    mu = rd.metric_weighted_spectrum(Sigma, np.eye(n))
    rows = []
    for k, gamma in enumerate(lv.MB_GAMMAS):
        s = np.exp(params.log_s[k])
        parts = rd.linear_vae_parts(rd.LinearVAEParams(params.A[k], s, params.W[k]), Sigma, np.eye(n))
        lam = float(trace[k, -1, 2])
        beta = (1 - lam) / lam
        theta = optimize.brentq(lambda t: float(rd.reverse_water_filling(mu, t).distortion) - gamma, 1e-12, mu.sum())
        c = lg.metric_coefficients(params.W[k], np.eye(n))
        rows.append({
            "gamma": gamma, "distortion": parts.distortion, "rate": parts.rate, "R(gamma)": float(rd.rate_distortion(mu, gamma)),
            "lambda": lam, "beta": beta, "beta_star": 2 * theta,
            "eq46_err": float(np.max(np.abs(np.log(s / lg.optimal_posterior_variance(c, beta))))),
            "first_step_within_10pct": int(np.argmax(trace[k, :, 0] < 1.1 * gamma)),
            # relative change of beta = (1 - lambda)/lambda over the last 10% of the steps
            "beta_drift": abs(beta / _beta(trace[k, int(0.9 * trace.shape[1]), 2]) - 1),
            "parts": parts,
        })
    return Sigma, mu, rows


@claim(
    id="MB.Lag",
    source="MB App. B.2-B.3 and Fig. 9",
    statement="Distortion-targeted training drives the distortion to the target gamma, and its fixed point is a "
    "beta-VAE with beta = (1 - lambda)/lambda (checked through eq. 46 with that beta).",
    expected=Verdict.REFINED,
    expected_full=Verdict.NOT_REPRODUCED,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=(
        Tolerance("beta_settled", 0.05, "a run is at its fixed point when beta = (1-lambda)/lambda changed by < 5% over "
                  "the last 10% of steps (lambda's Adam has b1 = 0, so it follows batch noise)"),
        Tolerance("rel_distortion", 0.05, "exact distortion of the final model vs gamma: lambda still moves by "
                  "<= 2e-4 per step and the batch D it follows has a few-percent noise"),
        Tolerance("eq46_log", 0.1, "as NL26.T46-trained (Adam noise in log s)"),
    ),
    finding="Linear VAEs reach D within 2% of gamma in 250-2800 steps; where beta has settled they sit at a beta-VAE "
    "stationary point with beta = (1-lambda)/lambda (eq. 46 within 4%), but at the smallest target lambda is still "
    "drifting after 6000 steps (eq. 46 off by 13%), so 'quickly' holds for D, not for the multiplier. Full "
    "profile: not reproduced: beta settles (drift 1.3%) at gamma = 0.1 yet eq. 46 is off by 17% there.",
)
def check_lag(profile: Profile) -> Outcome:
    _, _, rows = _targeted(profile)
    rel = [abs(r["distortion"] / r["gamma"] - 1) for r in rows]
    eq46 = [r["eq46_err"] for r in rows]
    settled = [r["beta_drift"] < 0.05 for r in rows]
    d_ok = max(rel) <= 0.05
    if d_ok and max(eq46) <= 0.1:
        verdict = Verdict.CONFIRMED
    elif d_ok and all(e <= 0.1 for e, s in zip(eq46, settled) if s) and sum(settled) >= 2:
        verdict = Verdict.REFINED  # equivalence holds where beta has settled; not every run reached its fixed point
    else:
        verdict = Verdict.NOT_REPRODUCED
    return Outcome(
        verdict=verdict,
        measured={"rel_distortion": rel, "eq46_err": eq46, "beta": [r["beta"] for r in rows],
                  "beta_star": [r["beta_star"] for r in rows], "beta_drift_last_10pct": [r["beta_drift"] for r in rows],
                  "settled": settled, "steps_to_10pct": [r["first_step_within_10pct"] for r in rows]},
        summary="gamma " + "/".join(f"{r['gamma']:g}" for r in rows) + ": D " + "/".join(f"{r['distortion']:.3f}" for r in rows)
        + "; beta " + "/".join(f"{r['beta']:.3f}" for r in rows) + " vs water-filling " + "/".join(f"{r['beta_star']:.3f}" for r in rows)
        + "; eq.46 err " + "/".join(f"{e:.3f}" for e in eq46) + "; beta drift (last 10%) "
        + "/".join(f"{r['beta_drift']:.3f}" for r in rows) + "; steps to 1.1 gamma " + "/".join(str(r["first_step_within_10pct"]) for r in rows),
    )


@claim(
    id="MB.F6",
    source="MB Fig. 6",
    statement="The rate falls as the distortion target grows, and the ELBO favours high-rate models. ELBO here: "
    "Gaussian decoder with the optimal scalar variance sigma^2 = D/n, ELBO = -(n/2) log(2 pi e D/n) - R.",
    expected=Verdict.REFINED,
    expected_full=Verdict.REFINED,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=(Tolerance("monotone", 1e-9, "nats, float64 rounding of the closed forms"),),
    finding="Rate falls with gamma (trained and exact); the exact ELBO never rises with gamma but is flat, equal to the "
    "true log-likelihood E log p(x), for all gamma <= n min(mu) (every component coded), so it favours high rate only weakly.",
)
def check_f6(profile: Profile) -> Outcome:
    Sigma, mu, rows = _targeted(profile)
    n = Sigma.shape[0]
    elbo = lambda D, R: -0.5 * n * np.log(2 * np.pi * np.e * D / n) - R  # noqa: E731
    rates = np.array([r["rate"] for r in rows])
    elbo_trained = np.array([elbo(r["distortion"], r["rate"]) for r in rows])
    grid = np.geomspace(0.02, 1.2, 60)
    elbo_exact = np.array([elbo(g, rd.rate_distortion(mu, g)) for g in grid])
    log_lik = -0.5 * (n * np.log(2 * np.pi) + np.sum(np.log(mu)) + n)  # E log N(x; 0, Sigma)
    flat = grid <= n * mu.min()
    rate_falls = bool(np.all(np.diff(rates) < 0))
    never_rises = bool(np.all(np.diff(elbo_exact) <= 1e-9))
    flat_region = bool(np.allclose(elbo_exact[flat], log_lik, atol=1e-9)) and flat.sum() > 1
    if rate_falls and never_rises and flat_region:
        verdict = Verdict.REFINED
    elif rate_falls and never_rises:
        verdict = Verdict.CONFIRMED
    else:
        verdict = Verdict.NOT_REPRODUCED
    return Outcome(
        verdict=verdict,
        measured={"gamma": list(lv.MB_GAMMAS), "rate": rates.tolist(), "elbo_trained": elbo_trained.tolist(),
                  "elbo_exact_at_gamma": [elbo(g, rd.rate_distortion(mu, g)) for g in lv.MB_GAMMAS],
                  "log_likelihood": log_lik, "flat_up_to_gamma": float(n * mu.min())},
        summary="rate " + "/".join(f"{r:.2f}" for r in rates) + " (gamma " + "/".join(f"{g:g}" for g in lv.MB_GAMMAS)
        + "); ELBO trained " + "/".join(f"{e:.2f}" for e in elbo_trained) + f"; exact ELBO non-increasing, = E log p(x) "
        f"= {log_lik:.3f} for gamma <= {n * mu.min():.3f}",
    )


@claim(
    id="MB.MI",
    source="MB Sec. 3 (citing Alemi et al. 2018)",
    statement="The rate E_x KL(q(z|x) || p(z)) upper-bounds I_q(X; Z), with equality iff q(z) = p(z).",
    expected=Verdict.CONFIRMED,
    expected_full=Verdict.CONFIRMED,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=(Tolerance("mc_sigmas", 4.0, "patch models: I estimated by Monte Carlo; the bound may be exceeded by "
                          "at most 4 se"),),
    finding="Rate >= I_q for every trained linear VAE (exact) and for the patch VAEs (Monte Carlo), with equality exactly "
    "at the optimal linear VAE, whose aggregated posterior is the prior.",
)
def check_mi(profile: Profile) -> Outcome:
    quick = _quick(profile)
    spec, params, _ = lv.shared_sweep(quick)
    gaps = []
    for k in range(spec.Gs.shape[0]):
        p = rd.linear_vae_parts(rd.LinearVAEParams(params.A[k], np.exp(params.log_s[k]), params.W[k]), spec.Sigma, spec.Gs[k])
        gaps.append(p.rate - p.mutual_information)
    _, _, rows = _targeted(profile)
    gaps += [r["parts"].rate - r["parts"].mutual_information for r in rows]
    opt = rd.linear_vae_parts(rd.optimal_linear_vae(spec.Sigma, np.eye(spec.Sigma.shape[0]), 0.1), spec.Sigma,
                              np.eye(spec.Sigma.shape[0]))
    equality = abs(opt.rate - opt.mutual_information)
    runs = nl.shared_runs(quick)
    z_patch = []
    for k in range(runs.feature.start, runs.feature.stop - 1):  # lambda < 1 (lambda = 1 has rate ~ 0)
        e = nl.evaluate(runs.params, k, runs.eval_x)
        mc = nl.surgery_monte_carlo(e["mu"], e["s"], samples_per_point=2, seed=2)
        z_patch.append((mc["rate_exact"] - mc["mutual_information"]) / mc["mutual_information_se"])
    ok = min(gaps) >= -1e-10 and equality <= 1e-10 and min(z_patch) >= -4.0
    return Outcome(
        verdict=Verdict.CONFIRMED if ok else Verdict.NOT_REPRODUCED,
        measured={"linear_min_gap": min(gaps), "linear_optimum_gap": equality, "patch_gap_z": z_patch},
        summary=f"linear: min(rate - I) {min(gaps):.1e} over {len(gaps)} trained models, optimum {equality:.1e}; "
        f"patches: (rate - I)/se " + "/".join(f"{z:.0f}" for z in z_patch),
    )
