"""MB claims ("Mind your bits and errors", App. B.2, Fig. 6, Sec. 3) on linear-Gaussian VAEs.

Distortion-targeted training (:func:`toyvae.experiments.linear_vae.train_distortion_targeted`, the linear
program wrapped by :func:`toyvae.engine.distortion_target`): the model minimises ``(1 - lambda) R + lambda D``
(eq. 9), ``lambda`` ascends ``lambda (D - gamma)`` (eq. 10) with Adam(2e-4, betas (0, 0.999)), projected to
[1e-4, 0.9999], initialised at 0.9999. Source: the shared-sweep Gaussian (n = 8, spectrum k^-2 in the DCT
basis); distortion = summed squared error; rates in nats. Every trained number is per seed (three in the
quick profile); quantities "at convergence" are averages over the final 20% of the steps (the multiplier's
time average from the recorded history, the model's parameters averaged by the engine over the same window).
"""

from __future__ import annotations

import numpy as np

from toyvae.claims import _stats
from toyvae.plots._style import new_figure, seed_lines
from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim, figure_numbers
from toyvae.experiments import linear_vae as lv
from toyvae.experiments import neural_losses as nl
from toyvae.theory import linear_gaussian as lg
from toyvae.theory import rate_distortion as rd
from toyvae.theory.successive import water_level_for_distortion

__all__ = ["check_lag", "check_f6", "check_mi"]

WINDOW = 0.2  # the final fraction of the steps over which "at convergence" is averaged
BETA_MARGIN = 0.1  # relative: averaged beta vs the water-filling beta* (equivalence margin)
D_TOL = 0.05  # relative: window-averaged distortion vs gamma


def _targeted(profile):
    """Per (gamma, seed): window averages, exact parts of the averaged model, beta vs beta* (cached run)."""
    Sigma, r = lv.targeted_sweep(profile)
    n = Sigma.shape[0]
    mu = rd.metric_weighted_spectrum(Sigma, np.eye(n))
    h = r.history
    n_rec = h["distortion"].shape[2]
    window = slice(int(round((1 - WINDOW) * n_rec)), n_rec)
    rows = []
    for k, gamma in enumerate(lv.MB_GAMMAS):
        beta_star = 2.0 * float(water_level_for_distortion(mu, gamma))  # the beta-VAE optimum at D = gamma
        per_seed = []
        for j in range(h["distortion"].shape[1]):
            p = r.averaged
            s = np.exp(p.log_s[k, j])
            parts = rd.linear_vae_parts(rd.LinearVAEParams(p.A[k, j], s, p.W[k, j]), Sigma, np.eye(n))
            beta_path = h["beta_equivalent"][k, j, window]
            beta_bar = float(beta_path.mean())
            settled, t_trend, drift = _stats.trend(beta_path)
            c = lg.metric_coefficients(p.W[k, j], np.eye(n))
            d_path = h["distortion"][k, j]
            per_seed.append({
                "distortion_window": float(d_path[window].mean()), "distortion_exact_averaged": parts.distortion,
                "rate_exact_averaged": parts.rate, "beta_window": beta_bar,
                "beta_window_spread": float(beta_path.std()), "log_beta_over_beta_star": float(np.log(beta_bar / beta_star)),
                "settled": bool(settled), "trend_t": t_trend, "drift": drift,
                "eq46_err": float(np.max(np.abs(np.log(s / lg.optimal_posterior_variance(c, beta_bar))))),
                "steps_to_10pct": int(np.argmax(d_path < 1.1 * gamma) * 10), "parts": parts,
            })
        equiv = _stats.equivalence([q["log_beta_over_beta_star"] for q in per_seed], np.log1p(BETA_MARGIN))
        rows.append({"gamma": gamma, "beta_star": beta_star, "R(gamma)": float(rd.rate_distortion(mu, gamma)),
                     "seeds": per_seed, "equivalence": equiv})
    return Sigma, mu, rows, r


def _plot_lag(data):
    fig, (ax1, ax2) = new_figure(2)
    steps = np.asarray(data["steps"])
    for i, g in enumerate(data["gammas"]):
        for row in data["distortion"][i]:
            ax1.plot(steps, row, color=f"C{i}", lw=0.7, alpha=0.7)
        ax1.axhline(g, color=f"C{i}", ls="--", lw=1, label=f"gamma {g:g}")
        for row in data["beta"][i]:
            ax2.plot(steps, row, color=f"C{i}", lw=0.7, alpha=0.7)
        ax2.axhline(data["beta_star"][i], color=f"C{i}", ls="--", lw=1)
    ax1.set(xlabel="step", ylabel="batch distortion (block means)", yscale="log", title="distortion -> gamma")
    ax2.set(xlabel="step", ylabel="(1 - lambda) / lambda", yscale="log",
            title="multiplier as beta (dashed: water-filling beta*)")
    ax1.legend(fontsize=7)
    return fig


@claim(
    id="MB.Lag",
    source="MB App. B.2-B.3 and Fig. 9",
    statement="Distortion-targeted training drives the distortion to the target gamma quickly (Fig. 9), and its fixed "
    "point is a beta-VAE with beta = (1 - lambda)/lambda: for a Gaussian source that beta must be the water-filling "
    "beta* = 2 theta(gamma) of the exact rate-distortion curve.",
    expected=Verdict.OPEN,
    expected_full=None,
    full_note="not re-run (2026-11-23, earlier code: not reproduced)",
    tolerances=(
        Tolerance("rel_distortion", D_TOL, "window-averaged batch distortion vs gamma: the multiplier's noise moves "
                  "D by a few percent from block to block; 5% is 'at the target'"),
        Tolerance("beta_margin", BETA_MARGIN, "averaged beta vs beta*: the 95% CI over seeds of log(beta/beta*) inside "
                  "+-log 1.1 is 'equivalent', entirely outside is 'different' (ours: the paper states no number)"),
        Tolerance("trend", _stats.T_LEVEL, "beta settled: the slope of 10 batch means over the final 20% of the steps "
                  "within its 95% t interval"),
    ),
    finding=(
    "Open in the quick profile (3 seeds, 6000 steps, averages over the last 20%): D is within 5% of every gamma "
    "(reached within 10% after 230-2700 steps), and the averaged beta = (1 - lambda)/lambda is within 10% of the "
    "water-filling beta* for gamma = 0.2, 0.4, 0.8 (0.055/0.155/0.531 vs 0.055/0.156/0.545) but 24% below it at "
    "gamma = 0.1 (0.019 vs 0.025); the multiplier still drifts significantly in the final window for every gamma "
    "(trend t up to 22), so the fixed point is not reached and the equivalence is not decided. Before: refined, "
    "reading beta from the last step."
    ),
    plot=_plot_lag,
)
def check_lag(profile: Profile) -> Outcome:
    _, _, rows, r = _targeted(profile)
    d_ok = all(abs(q["distortion_window"] / row["gamma"] - 1) <= D_TOL for row in rows for q in row["seeds"])
    settled = [all(q["settled"] for q in row["seeds"]) for row in rows]
    equiv = [row["equivalence"][0] for row in rows]
    if not d_ok or any(s and e == "different" for s, e in zip(settled, equiv)):
        verdict = Verdict.NOT_REPRODUCED
    elif all(settled) and all(e == "equivalent" for e in equiv):
        verdict = Verdict.CONFIRMED
    elif sum(s and e == "equivalent" for s, e in zip(settled, equiv)) >= 2 and not any(
            s and e != "equivalent" for s, e in zip(settled, equiv)):
        verdict = Verdict.REFINED  # D is at its target; beta is at beta* wherever it has settled, some runs still drift
    else:
        verdict = Verdict.OPEN
    mean = lambda key, row: float(np.mean([q[key] for q in row["seeds"]]))  # noqa: E731
    seeds = list(r.fit.seeds)
    h = r.history
    keep = slice(None, None, max(1, h["distortion"].shape[2] // 150))
    return Outcome(
        verdict=verdict,
        measured={"gamma": list(lv.MB_GAMMAS), "beta_star": [row["beta_star"] for row in rows],
                  "beta_window_mean_over_seeds": [mean("beta_window", row) for row in rows],
                  "beta_ci_log_ratio": [[row["equivalence"][1], row["equivalence"][2]] for row in rows],
                  "beta_equivalence": equiv, "beta_settled": settled,
                  "trend_t": [[q["trend_t"] for q in row["seeds"]] for row in rows],
                  "rel_distortion": [[q["distortion_window"] / row["gamma"] - 1 for q in row["seeds"]] for row in rows],
                  "eq46_err": [[q["eq46_err"] for q in row["seeds"]] for row in rows],
                  "steps_to_10pct": [[q["steps_to_10pct"] for q in row["seeds"]] for row in rows],
                  "seeds": seeds, "steps": r.fit.steps},
        summary=f"[{len(seeds)} seeds, {r.fit.steps} steps, averages over the last {WINDOW:.0%}] gamma "
        + "/".join(f"{row['gamma']:g}" for row in rows) + ": D " + "/".join(f"{mean('distortion_window', row):.3f}" for row in rows)
        + "; beta " + "/".join(f"{mean('beta_window', row):.3f}" for row in rows) + " vs water-filling beta* "
        + "/".join(f"{row['beta_star']:.3f}" for row in rows) + " (" + ", ".join(equiv) + "); settled "
        + "/".join(str(s) for s in settled) + "; steps to 1.1 gamma "
        + "/".join(str(int(mean("steps_to_10pct", row))) for row in rows),
        rule=f"Per seed, averages over the final {WINDOW:.0%} of the steps. Not reproduced: a window-averaged distortion "
        f"more than {D_TOL:.0%} off gamma, or a settled multiplier whose beta differs from beta* (95% CI over seeds of "
        f"log(beta/beta*) outside +-log {1 + BETA_MARGIN:g}); confirmed: every beta settled (no significant trend) and "
        "equivalent to beta*; refined: equivalent wherever settled (at least two targets) but some still drift; else open.",
        figure_data={"gammas": list(lv.MB_GAMMAS), "beta_star": [row["beta_star"] for row in rows],
                     "steps": figure_numbers(np.arange(h["distortion"].shape[2])[keep] * 10),
                     "distortion": figure_numbers(h["distortion"][:, :, keep]),
                     "beta": figure_numbers(h["beta_equivalent"][:, :, keep])},
    )


def _plot_f6(data):
    fig, (ax1, ax2) = new_figure(2)
    seed_lines(ax1, data["gamma"], {"trained": data["rate"]}, xlabel="distortion target gamma", ylabel="rate [nats]",
               title="rate falls with gamma", logx=True, reference={"R(gamma), exact": data["rate_exact"]})
    ax2.plot(data["grid"], data["elbo_exact"], "k-", label="exact ELBO (optimal scalar sigma)")
    ax2.axhline(data["log_likelihood"], color="C3", ls="--", label="E log p(x)")
    ax2.axvline(data["flat_up_to"], color="gray", ls=":", label="every component coded below")
    ax2.set(xscale="log", xlabel="gamma", ylabel="ELBO [nats]", title="ELBO vs distortion target")
    ax2.legend(fontsize=7)
    return fig


@claim(
    id="MB.F6",
    source="MB Fig. 6",
    statement="The rate falls as the distortion target grows, and the ELBO favours high-rate models. ELBO here: "
    "Gaussian decoder with the optimal scalar variance sigma^2 = D/n, ELBO = -(n/2) log(2 pi e D/n) - R.",
    expected=Verdict.REFINED,
    expected_full=None,
    full_note="not re-run (2026-11-23, earlier code: refined)",
    tolerances=(Tolerance("monotone", 1e-9, "nats, float64 rounding of the closed forms"),),
    finding="Rate falls with gamma (every seed, and exactly); for a Gaussian source (the refinement is scoped to "
    "Gaussian sources) the exact ELBO never rises with gamma but is flat, equal to the true log-likelihood E log p(x), "
    "for all gamma <= n min(mu) (every component coded), so it favours high rate only weakly.",
    plot=_plot_f6,
)
def check_f6(profile: Profile) -> Outcome:
    Sigma, mu, rows, r = _targeted(profile)
    n = Sigma.shape[0]
    elbo = lambda D, R: -0.5 * n * np.log(2 * np.pi * np.e * D / n) - R  # noqa: E731
    rates = np.array([[q["rate_exact_averaged"] for q in row["seeds"]] for row in rows])  # (gammas, seeds)
    grid = np.geomspace(0.02, 1.2, 60)
    elbo_exact = np.array([elbo(g, rd.rate_distortion(mu, g)) for g in grid])
    log_lik = -0.5 * (n * np.log(2 * np.pi) + np.sum(np.log(mu)) + n)  # E log N(x; 0, Sigma)
    flat = grid <= n * mu.min()
    rate_falls = all(bool(np.all(np.diff(rates[:, j]) < 0)) for j in range(rates.shape[1]))
    never_rises = bool(np.all(np.diff(elbo_exact) <= 1e-9))
    flat_region = bool(np.allclose(elbo_exact[flat], log_lik, atol=1e-9)) and flat.sum() > 1
    if rate_falls and never_rises and flat_region:
        verdict = Verdict.REFINED
    elif rate_falls and never_rises:
        verdict = Verdict.CONFIRMED
    else:
        verdict = Verdict.NOT_REPRODUCED
    rate_exact = [float(rd.rate_distortion(mu, g)) for g in lv.MB_GAMMAS]
    return Outcome(
        verdict=verdict,
        measured={"gamma": list(lv.MB_GAMMAS), "rate": rates.T.tolist(), "rate_exact": rate_exact,
                  "elbo_exact_at_gamma": [elbo(g, rd.rate_distortion(mu, g)) for g in lv.MB_GAMMAS],
                  "log_likelihood": log_lik, "flat_up_to_gamma": float(n * mu.min()), "seeds": list(r.fit.seeds)},
        summary="rate (mean of seeds) " + "/".join(f"{v:.2f}" for v in rates.mean(1)) + " vs exact "
        + "/".join(f"{v:.2f}" for v in rate_exact) + " (gamma " + "/".join(f"{g:g}" for g in lv.MB_GAMMAS)
        + f"); exact ELBO non-increasing, = E log p(x) = {log_lik:.3f} for gamma <= {n * mu.min():.3f}",
        rule="Rate strictly decreasing in gamma for every seed (exact rate of the window-averaged model); exact ELBO "
        "non-increasing in gamma; refined when it is moreover flat at E log p(x) where every component is coded.",
        figure_data={"gamma": list(lv.MB_GAMMAS), "rate": figure_numbers(rates.T), "rate_exact": figure_numbers(rate_exact),
                     "grid": figure_numbers(grid), "elbo_exact": figure_numbers(elbo_exact),
                     "log_likelihood": log_lik, "flat_up_to": float(n * mu.min())},
    )


@claim(
    id="MB.MI",
    source="MB Sec. 3 (citing Alemi et al. 2018)",
    statement="The rate E_x KL(q(z|x) || p(z)) upper-bounds I_q(X; Z), with equality iff q(z) = p(z).",
    expected=Verdict.CONFIRMED,
    expected_full=None,
    full_note="not re-run (2026-11-23, earlier code: confirmed)",
    tolerances=(Tolerance("mc_sigmas", 4.0, "patch models: I estimated by Monte Carlo; the bound may be exceeded by "
                          "at most 4 se"),),
    finding="Consistency check (rate - I_q = KL(q(z)||p(z)) >= 0 for any model): it holds for every trained linear VAE "
    "(exact) and every patch VAE (Monte Carlo), with equality exactly at the optimal linear VAE, whose aggregated "
    "posterior is the prior; the informative number is the gap KL(q(z)||p(z)), reported.",
)
def check_mi(profile: Profile) -> Outcome:
    sweep = lv.shared_sweep(profile)
    spec, params = sweep.spec, sweep.params
    gaps = []
    for k in range(spec.Gs.shape[0]):
        for j in range(len(sweep.plan.seeds)):
            p = rd.linear_vae_parts(rd.LinearVAEParams(params.A[k, j], np.exp(params.log_s[k, j]), params.W[k, j]),
                                    spec.Sigma, spec.Gs[k])
            gaps.append(p.rate - p.mutual_information)
    _, _, rows, _ = _targeted(profile)
    gaps += [q["parts"].rate - q["parts"].mutual_information for row in rows for q in row["seeds"]]
    opt = rd.linear_vae_parts(rd.optimal_linear_vae(spec.Sigma, np.eye(spec.Sigma.shape[0]), 0.1), spec.Sigma,
                              np.eye(spec.Sigma.shape[0]))
    equality = abs(opt.rate - opt.mutual_information)
    runs = nl.shared_runs(profile)
    z_patch = []
    for k in range(runs.feature.start, runs.feature.stop - 1):  # lambda < 1 (lambda = 1 has rate ~ 0)
        for j in range(len(runs.seeds)):
            e = nl.evaluate(runs, k, j)
            mc = nl.surgery_monte_carlo(e["mu"], e["s"], samples_per_point=2, seed=2)
            z_patch.append((mc["rate_exact"] - mc["mutual_information"]) / mc["mutual_information_se"])
    ok = min(gaps) >= -1e-10 and equality <= 1e-10 and min(z_patch) >= -4.0
    return Outcome(
        verdict=Verdict.CONFIRMED if ok else Verdict.NOT_REPRODUCED,
        measured={"linear_min_gap": min(gaps), "linear_median_gap_KLagg": float(np.median(gaps)),
                  "linear_optimum_gap": equality, "patch_gap_z": z_patch, "seeds": list(runs.seeds)},
        summary=f"[consistency check] linear: min(rate - I) {min(gaps):.1e}, median {np.median(gaps):.3f} nats over "
        f"{len(gaps)} trained models, optimum {equality:.1e}; patches ({len(z_patch)} models): (rate - I)/se min "
        f"{min(z_patch):.0f}",
        rule="Consistency check: rate - I_q = KL(q(z) || p(z)) >= 0 holds for every model, so only a bug can fail it: "
        "every trained linear model >= -1e-10 nats (float64 rounding), the optimal one equal to 1e-10, every patch "
        "model above -4 Monte Carlo standard errors.",
    )
