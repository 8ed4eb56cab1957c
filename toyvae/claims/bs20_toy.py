"""BS20 claims measured on trained VAEs: the 2-D toy (Table 1, Figs. 4-10) and Sec. 3.2-3.3.

All toy claims share one cached run per profile (:func:`toyvae.experiments.toy2d.run`). Rules common
to them: seeds are the unit of evidence (6 in the quick profile, 10 in the full one; the same seed gives
every setting the same initial weights and batches, so comparisons are paired over seeds); held-out
numbers are read after the same annealed end of training for every setting (parameters averaged over
the last 10% of the steps), with the last-step snapshot reported beside them.
"""

from __future__ import annotations

import functools

import numpy as np

from toyvae.claims import _stats
from toyvae.plots._style import new_figure
from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim, figure_numbers
from toyvae.experiments import toy2d

__all__ = ["check_t1tab", "check_lvae", "check_f4", "check_a2", "check_s32"]

_T_LEVEL = _stats.T_LEVEL
FIXED = ["F 1", "F 0.3", "F 0.1", "F 0.03", "F 0.01"]


def _profile_note(r: toy2d.Toy2DResult) -> str:
    p = r.plan
    return f"{len(p.seeds)} seeds, {p.steps} steps, {p.depth} blocks of {p.width}"


def _orderings(metrics, names) -> dict:
    """The orderings of Table 1 the paper states (Sec. 4.2), each (state, t) over paired seeds."""
    per_seed = {n: np.asarray(metrics[n]["elbo"], np.float64) for n in names}
    mean = {n: float(v.mean()) for n, v in per_seed.items()}
    best_grid = max(FIXED, key=mean.get)

    def weakest(pairs):  # the least supported of several orderings decides
        outs = [_stats.ordering(per_seed[a], per_seed[b]) for a, b in pairs]
        return min(outs, key=lambda o: o[1])

    out = {
        "LV > LS": _stats.ordering(per_seed["LV"], per_seed["LS"]),
        "LS > every F": weakest([("LS", n) for n in FIXED + ["F*"]]),
        "best F intermediate": (weakest([(best_grid, end) for end in ("F 1", "F 0.01")])
                                if best_grid not in ("F 1", "F 0.01") else ("reversed", -np.inf)),
        "F* < LS": _stats.ordering(per_seed["LS"], per_seed["F*"]),
        "F* < F 0.1": _stats.ordering(per_seed["F 0.1"], per_seed["F*"]),
    }
    return out


def _plot_t1tab(data):
    fig, (ax,) = new_figure(width=6.5)
    names = data["names"]
    x = np.arange(len(names))
    for j, row in enumerate(np.asarray(data["elbo"], float).T):
        ax.plot(x + 0.08, row, "o", color="C0", ms=3, alpha=0.5, label="ours, per seed" if j == 0 else None)
    ax.plot(x + 0.08, np.mean(data["elbo"], axis=1), "_", color="C0", ms=18, mew=2, label="ours, mean")
    ax.plot(x - 0.08, data["paper"], "s", color="C3", ms=5, label="paper (Table 1)")
    ax.set_xticks(x, names, rotation=30)
    ax.set(ylabel="held-out ELBO [nats per point]", title="BS20 Table 1 on our 2-D toy (averaged end of training)")
    ax.legend(fontsize=7)
    return fig


@claim(
    id="BS20.T1tab",
    source="Berger & Sebag 2020, Sec. 4.2, Table 1",
    statement="On the 2-D heteroscedastic toy the held-out ELBO orders LV-VAE > LS-VAE > every fixed-sigma F-VAE; "
              "among fixed sigmas the best is intermediate; F* (sigma fixed at LS-VAE's final value) is below LS-VAE "
              "and, as Sec. 4.2 says, significantly below F with sigma = 0.1.",
    expected=Verdict.OPEN,
    expected_full=None,
    full_note="not re-run (2026-11-23, earlier code: open)",
    tolerances=(Tolerance("t_seed", _T_LEVEL, "an ordering counts when the paired (same-seed) ELBO difference's t "
                          "statistic over n seeds exceeds the two-sided 95% Student-t quantile with n-1 degrees of "
                          "freedom (2.57 for 6 seeds, 2.26 for 10): a 5% false call per ordering for normal seed "
                          "noise; below minus that it is reversed, in between unresolved"),),
    finding=(
    "Open in the quick profile (6 seeds, 4000 steps, averaged end): LS > every F (t = 4.6), an intermediate best "
    "F (t = 55), F* < LS (t = 4.7) and Sec. 4.2's F* < F 0.1 (t = 4.7, checked since 2026-11-29) hold, but LV > "
    "LS is unresolved (-1.31 vs -1.28, t = -0.3; with last-step parameters t = -1.0). Our sigma* is 0.106 (paper "
    "0.043). Full profile not re-run (2026-11-23, earlier code: LV > LS unresolved, the rest held). Absolute "
    "ELBOs differ from the paper's (our curve, all constants). Rule history: until 2026-11-23 3 seeds and a "
    "fixed threshold of 2; until 2026-11-29 ELBOs of the last step's parameters and F* < F 0.1 unchecked. At "
    "6000 steps (before the quick run was shortened for the CI budget) F* < F 0.1 came out reversed (sigma* "
    "0.077): the verdict depends on how far LS's sigma has fallen."
    ),
    plot=_plot_t1tab,
)
def check_t1tab(profile: Profile) -> Outcome:
    r = toy2d.run(profile)
    rows = {row["name"]: row for row in toy2d.table(r)}
    names = list(rows)
    states = _orderings(r.metrics, names)
    states_last = _orderings(r.metrics_last, names)
    t_crit = _stats.t_critical(len(r.plan.seeds))
    if all(v == "holds" for v, _ in states.values()):
        verdict = Verdict.CONFIRMED
    elif any(v == "reversed" for v, _ in states.values()):
        verdict = Verdict.NOT_REPRODUCED
    else:
        verdict = Verdict.OPEN
    held = ", ".join(f"{k}: {v} (t={t:.1f})" for k, (v, t) in states.items()) + f" [t crit {t_crit:.2f}]"
    order = ["F 1", "F 0.3", "F 0.1", "F*", "F 0.03", "F 0.01", "LS", "LV"]
    ours = " ".join(f"{n} {rows[n]['elbo']:.2f}" for n in order)
    return Outcome(
        verdict=verdict,
        measured={**{f"elbo[{n}]": round(rows[n]["elbo"], 4) for n in names},
                  **{f"elbo_std[{n}]": round(rows[n]["elbo_std"], 4) for n in names},
                  **{f"elbo_last_step[{n}]": round(rows[n]["elbo_last_step"], 4) for n in names},
                  "sigma_star": r.sigma_star, **{f"t[{k}]": t for k, (_, t) in states.items()},
                  **{f"ordering[{k}]": v for k, (v, _) in states.items()},
                  **{f"ordering_last_step[{k}]": v for k, (v, _) in states_last.items()},
                  **{f"t_last_step[{k}]": t for k, (_, t) in states_last.items()},
                  "t_critical": t_crit, "seeds": list(r.plan.seeds), "profile": _profile_note(r)},
        paper={**{f"elbo[{n}]": v for n, v in toy2d.PAPER_TABLE1.items()}, "sigma_star": toy2d.PAPER_SIGMA_STAR},
        summary=f"[{_profile_note(r)}; averaged end] {held}; ELBO {ours}; sigma*={r.sigma_star:.3f} (paper 0.043); "
                f"with last-step parameters LV > LS is {states_last['LV > LS'][0]} (t={states_last['LV > LS'][1]:.1f})",
        details={"table": toy2d.table(r)},
        rule="Every ordering the paper states (LV > LS; LS > each F and F*; the best grid F beats both ends; LS > F*; "
             "F 0.1 > F*) by the paired t over seeds of held-out ELBOs after the averaged end of training: all above "
             "the 95% Student-t quantile: confirmed; any below minus it: not reproduced; otherwise open.",
        figure_data={"names": order, "elbo": figure_numbers([r.metrics[n]["elbo"] for n in order]),
                     "paper": [toy2d.PAPER_TABLE1[n] for n in order]},
    )


LVAE_MARGIN = 0.10


def _plot_lvae(data):
    fig, (ax1, ax2) = new_figure(2)
    steps = np.asarray(data["steps"])
    for row in data["sigma2"]:
        ax1.plot(steps, row, color="C0", lw=0.8, alpha=0.6)
    for row in data["sq_err"]:
        ax1.plot(steps, row, color="C1", lw=0.8, alpha=0.6)
    ax1.plot([], [], color="C0", label="sigma^2 (LS-VAE)")
    ax1.plot([], [], color="C1", label="squared error per dimension")
    ax1.axvline(data["window_start"], color="gray", ls=":", label="final window")
    ax1.set(xlabel="step", ylabel="block means", yscale="log", title="LS-VAE: sigma^2 and the squared error")
    ax1.legend(fontsize=7)
    ratio = np.asarray(data["ratio"], float)
    ax2.plot(np.arange(ratio.size), ratio, "o", color="C0")
    ax2.axhspan(1 / (1 + data["margin"]), 1 + data["margin"], color="C2", alpha=0.15, label="+-10% (ours)")
    ax2.axhline(1.0, color="k", lw=0.8)
    ax2.set(xlabel="seed", ylabel="window mean of squared error / sigma^2", title="eq. 10 stationarity per seed")
    ax2.legend(fontsize=7)
    return fig


@claim(
    id="BS20.L-VAE",
    source="Berger & Sebag 2020, Sec. 3.3, eq. 10",
    statement="A trained LS-VAE (learned scalar sigma) ends with sigma^2 equal to the per-dimension squared "
              "reconstruction error E||x - mu(z)||^2 / D (eq. 10's optimum in sigma).",
    expected=Verdict.CONFIRMED,
    expected_full=None,
    full_note="not re-run (2026-11-23, earlier code: not reproduced)",
    tolerances=(Tolerance("margin", LVAE_MARGIN, "ours (the paper states no number): the 95% CI over seeds of the "
                          "window mean of log(squared error / sigma^2) inside +-log 1.1 is 'equal'; entirely outside: "
                          "different"),),
    finding=(
    "Confirmed in the quick profile: compared like with like (time averages over the same final 10% of steps on "
    "the same training batches), squared error / sigma^2 is 0.90-0.97 for the 6 seeds, 95% CI of the mean "
    "[0.915, 0.970] inside +-10% (at 6000 steps: 0.971-1.003). Before: not reproduced, an artefact of comparing "
    "a window-averaged sigma^2 with the held-out error of the last step's parameters (which moves ~10% per "
    "step), with every seed held to a 10% bar."
    ),
    plot=_plot_lvae,
)
def check_lvae(profile: Profile) -> Outcome:
    r = toy2d.run(profile)
    fit = r.phase1.fit
    ls = r.phase1.index("LS")
    n_rec = fit.history["sigma"].shape[2]
    start = int(round((1 - toy2d.AVERAGE_LAST) * n_rec))
    sigma2 = fit.history["sigma"][ls, :, start:] ** 2  # the LS sigma is one scalar: its block means
    sq = fit.history["sq_err"][ls, :, start:]
    ratio = (sq / sigma2).mean(axis=1)  # per seed
    state, lo, hi = _stats.equivalence(np.log(ratio), np.log1p(LVAE_MARGIN))
    verdict = {"equivalent": Verdict.CONFIRMED, "different": Verdict.NOT_REPRODUCED}.get(state, Verdict.OPEN)
    symbolic = _symbolic("toyvae.proofs.lvae_optimum")
    held_out = r.metrics["LS"]["sq_err"]
    keep = slice(None, None, max(1, n_rec // 200))
    return Outcome(
        verdict=verdict,
        measured={"ratio_per_seed": ratio, "ci_log_ratio": [lo, hi], "state": state,
                  "sigma2_window": sigma2.mean(axis=1), "sq_err_window": sq.mean(axis=1),
                  "held_out_sq_err_averaged_params": held_out, "symbolic": symbolic, "seeds": list(r.plan.seeds),
                  "profile": _profile_note(r)},
        paper={"sigma*": toy2d.PAPER_SIGMA_STAR},
        summary=f"[{_profile_note(r)}; last {toy2d.AVERAGE_LAST:.0%} of steps] squared error / sigma^2 per seed "
                f"{np.round(ratio, 3).tolist()}; 95% CI of the mean ratio [{np.exp(lo):.3f}, {np.exp(hi):.3f}] vs "
                f"+-{LVAE_MARGIN:.0%}: {state}; symbolic: {symbolic}",
        rule="eq. 10's optimum in sigma is sigma^2 = squared error per dimension; under Adam the condition holds on "
             "average: the window mean of (squared error / sigma^2) on the training batches over the final 10% of the "
             "steps, per seed, should be 1. Confirmed when the 95% CI over seeds of its log lies within +-log 1.1, not "
             "reproduced when entirely outside, otherwise open.",
        figure_data={"steps": figure_numbers(np.arange(n_rec)[keep] * fit.record_every),
                     "sigma2": figure_numbers(fit.history["sigma"][ls][:, keep] ** 2),
                     "sq_err": figure_numbers(fit.history["sq_err"][ls][:, keep]),
                     "window_start": start * fit.record_every, "ratio": figure_numbers(ratio), "margin": LVAE_MARGIN},
    )


F4_FACTOR = 2.0


def _plot_f4(data):
    fig, (ax1, ax2) = new_figure(2)
    regions = ["moderate", "small", "large"]
    x = np.arange(3)
    ax1.plot(x, data["noise"], "ks--", label="data noise")
    for j, row in enumerate(data["lv_sigma"]):
        ax1.plot(x, row, "o-", color="C0", alpha=0.5, lw=0.8, label="LV sigma(z), per seed" if j == 0 else None)
    ax1.set_xticks(x, regions)
    ax1.set(yscale="log", ylabel="sigma", title="LV-VAE's sigma(z) by region")
    ax1.legend(fontsize=7)
    ax2.plot(x, data["data_spread"], "ks--", label="data")
    for i, name in enumerate(("LV", "LS", "F 0.01")):
        for j, row in enumerate(data["gen_spread"][name]):
            ax2.plot(x, row, "o-", color=f"C{i}", alpha=0.5, lw=0.8, label=f"{name} samples" if j == 0 else None)
    ax2.set_xticks(x, regions)
    ax2.set(yscale="log", ylabel="RMS distance to the curve", title="generated samples: thickness by region")
    ax2.legend(fontsize=7)
    return fig


@claim(
    id="BS20.F4",
    source="Berger & Sebag 2020, Sec. 4.2, Figs. 4, 6, 7",
    statement="LV-VAE encodes the manifold and its varying thickness: (a) its learned sigma(z) is ordered like the "
              "regions' noise (the level is reported: the paper attributes the L-VAEs' denoising to a comparatively "
              "large sigma and claims no level); (b) its generated samples reproduce the data's thickness about the "
              "curve, region by region (LS-VAE: a band of constant width; small fixed sigma: samples off the manifold).",
    expected=Verdict.NOT_REPRODUCED,
    expected_full=None,
    full_note="not re-run (2026-11-23, earlier code: not reproduced)",
    tolerances=(Tolerance("thickness_factor", F4_FACTOR, "ours: (b) counts a region as reproduced when the RMS "
                          "distance of generated samples to the curve is within a factor 2 of the data's (the "
                          "regions' noise spans a factor 10)"),),
    finding=(
    "Not reproduced (quick, 6 seeds): (a) LV's sigma(z) is ordered like the noise in every seed "
    "(0.113/0.061/0.153 for noise 0.05/0.01/0.1), but (b) its generated samples are 2-12x too thick about the "
    "curve (RMS distance 0.173/0.153/0.197 vs the data's 0.050/0.013/0.097; 0/6 seeds within a factor 2), so the "
    "thickness is not reproduced; LS samples form a near-constant band (max/min 1.3), F 0.01 samples scatter "
    "widely (0.33-0.37). Before: not reproduced under a factor-2 rule on sigma(z) the paper does not state."
    ),
    plot=_plot_f4,
)
def check_f4(profile: Profile) -> Outcome:
    import jax

    from toyvae.experiments.bs20_metrics import generate, reconstruct

    r = toy2d.run(profile)
    lv_i = r.phase1.index("LV")
    x, region, _ = r.data.sample_labelled(jax.random.PRNGKey(30_000), 3000)
    x, region = np.asarray(x), np.asarray(region)
    noise = np.asarray(r.data.noise)
    data_spread = toy2d.spread_by_region(r.data, x)
    n_seed = len(r.plan.seeds)
    lv_sigma, ordered, gen, thick_ok = [], [], {"LV": [], "LS": [], "F 0.01": []}, []
    for k in range(n_seed):
        _, sig = reconstruct(r.phase1, lv_i, k, x, averaged=True)
        g = np.sqrt(sig[:, 0] * sig[:, 1])  # geometric mean over the two coordinates
        per_region = [float(np.median(g[region == j])) for j in range(3)]
        lv_sigma.append(per_region)
        ordered.append(list(np.argsort(per_region)) == list(np.argsort(noise)))
        for name in gen:
            _, _, samples = generate(r.phase1, r.phase1.index(name), k, 3000, averaged=True)
            gen[name].append(toy2d.spread_by_region(r.data, samples))
        ratio = gen["LV"][-1] / data_spread
        thick_ok.append(bool(np.all((ratio <= F4_FACTOR) & (ratio >= 1 / F4_FACTOR))
                             and list(np.argsort(gen["LV"][-1])) == list(np.argsort(data_spread))))
    gen = {k: np.array(v) for k, v in gen.items()}
    a_ok, b_ok = all(ordered), all(thick_ok)
    if a_ok and b_ok:
        verdict = Verdict.CONFIRMED
    elif sum(ordered) <= n_seed / 2 or sum(thick_ok) <= n_seed / 2:
        verdict = Verdict.NOT_REPRODUCED
    else:
        verdict = Verdict.OPEN
    ls_width = gen["LS"].max(axis=1) / gen["LS"].min(axis=1)
    fmt = lambda v: "/".join(f"{t:.3f}" for t in v)  # noqa: E731
    return Outcome(
        verdict=verdict,
        measured={"noise_by_region": noise, "lv_sigma_by_region_per_seed": lv_sigma, "sigma_ordered_per_seed": ordered,
                  "data_spread": data_spread, "generated_spread": {k: v.tolist() for k, v in gen.items()},
                  "lv_thickness_reproduced_per_seed": thick_ok, "ls_band_max_over_min": ls_width.tolist(),
                  "seeds": list(r.plan.seeds), "profile": _profile_note(r)},
        summary=f"[{_profile_note(r)}] (a) LV sigma(z) by region (moderate, small, large) mean "
                f"{fmt(np.mean(lv_sigma, axis=0))} vs noise {noise.tolist()}: ordered in {sum(ordered)}/{n_seed} seeds; "
                f"(b) RMS distance to the curve, data {fmt(data_spread)}, LV samples {fmt(gen['LV'].mean(0))} "
                f"(thickness within x{F4_FACTOR:g} and ordered in {sum(thick_ok)}/{n_seed} seeds), LS {fmt(gen['LS'].mean(0))} "
                f"(max/min {ls_width.mean():.2f}), F 0.01 {fmt(gen['F 0.01'].mean(0))}",
        rule=f"(a) in every seed the regions' median sigma(z) has the noise's order; (b) in every seed the LV samples' "
             f"RMS distance to the curve is within a factor {F4_FACTOR:g} of the data's in each region and ordered like "
             "it. Both in every seed: confirmed; either failing in half the seeds or more: not reproduced; else open.",
        figure_data={"noise": noise.tolist(), "lv_sigma": figure_numbers(lv_sigma),
                     "data_spread": figure_numbers(data_spread),
                     "gen_spread": {k: figure_numbers(v) for k, v in gen.items()}},
    )


A2_MARGIN = 0.1


def _plot_a2(data):
    fig, (ax,) = new_figure()
    steps = np.asarray(data["steps"])
    ax.plot(steps, data["ls_sigma"], color="C0", label="LS-VAE sigma (geometric mean of seeds) = F sched")
    ax.axhline(data["sigma_star"], color="C1", ls="--", label="F*: sigma fixed at LS's final value")
    ax.set(yscale="log", xlabel="step", ylabel="decoder sigma", title="BS20 App. A.2: the schedule matters")
    ax.legend(fontsize=7)
    return fig


@claim(
    id="BS20.A2",
    source="Berger & Sebag 2020, App. A.2, Figs. 8-10",
    statement="An F-VAE whose sigma follows LS-VAE's recorded sigma schedule reaches LS-VAE's ELBO, while F* (sigma "
              "fixed at LS-VAE's final value from the start) does not.",
    expected=Verdict.OPEN,
    expected_full=None,
    full_note="not re-run (2026-11-23, earlier code: confirmed)",
    tolerances=(Tolerance("elbo_margin", A2_MARGIN, "nats per point: the paper's seed spread on Table 1 is 0.08-0.12, "
                          "so the 95% CI over seeds of ELBO(F sched) - ELBO(LS) inside +-0.1 is 'the same ELBO'"),
                Tolerance("t_seed", _T_LEVEL, "LS > F*: paired t over seeds vs the 95% Student-t quantile")),
    finding=(
    "Open in the quick profile (6 seeds, 4000 steps, parameters averaged over the last 10%): F sched -1.242 +- "
    "0.020 vs LS -1.279 +- 0.059 (seed s.e.); the 95% CI of their paired difference, [-0.09, +0.16], is not "
    "inside +-0.1 nats because LS's seed spread is large, so 'reaches LS' is unresolved; F* -1.548 is below LS "
    "(t = 4.7). Before (means against a fixed 0.1 bar, no test over seeds): confirmed."
    ),
    plot=_plot_a2,
)
def check_a2(profile: Profile) -> Outcome:
    r = toy2d.run(profile)
    e = {n: np.asarray(r.metrics[n]["elbo"], np.float64) for n in ("LS", "F sched", "F*")}
    reach, lo, hi = _stats.equivalence(e["F sched"] - e["LS"], A2_MARGIN)
    below, t_below = _stats.ordering(e["LS"], e["F*"])
    if reach == "equivalent" and below == "holds":
        verdict = Verdict.CONFIRMED
    elif reach == "different" or below == "reversed":
        verdict = Verdict.NOT_REPRODUCED
    else:
        verdict = Verdict.OPEN
    traj = np.exp(np.mean(np.log(r.phase1.history["sigma"][r.phase1.index("LS")]), axis=0))
    quarters = [float(traj[min(len(traj) - 1, int(q * len(traj)))]) for q in (0.0, 0.25, 0.5, 0.75, 1.0)]
    mse = {n: _stats.mean_se(v) for n, v in e.items()}
    keep = slice(None, None, max(1, traj.size // 200))
    return Outcome(
        verdict=verdict,
        measured={**{f"elbo_{n}": v.tolist() for n, v in e.items()}, "ci_sched_minus_LS": [lo, hi], "reach": reach,
                  "t_LS_minus_F*": t_below, "LS_sigma_at_0_25_50_75_100pct": quarters,
                  "seeds": list(r.plan.seeds), "profile": _profile_note(r)},
        paper={"claim": "F sched = LS (same curves and ELBO), F* 0.335 < LS 1.26"},
        summary=f"[{_profile_note(r)}; averaged end] ELBO LS {mse['LS'][0]:.3f}+-{mse['LS'][1]:.3f}, F sched "
                f"{mse['F sched'][0]:.3f}+-{mse['F sched'][1]:.3f}, F* {mse['F*'][0]:.3f}+-{mse['F*'][1]:.3f} (+- seed "
                f"s.e.); F sched - LS 95% CI [{lo:.3f}, {hi:.3f}] vs +-{A2_MARGIN}: {reach}; LS > F*: {below} "
                f"(t={t_below:.1f})",
        rule=f"Confirmed when the 95% CI over seeds of ELBO(F sched) - ELBO(LS) lies inside +-{A2_MARGIN} nats AND LS > F* "
             "by the paired t test; not reproduced when the CI lies outside or F* beats LS; otherwise open.",
        figure_data={"steps": figure_numbers(np.arange(traj.size)[keep] * r.phase1.config.record_every),
                     "ls_sigma": figure_numbers(traj[keep]), "sigma_star": r.sigma_star},
    )


@functools.cache
def _s32_run(adam_eps: float = 1e-8):
    from toyvae.engine import HeteroscedasticCurve
    from toyvae.experiments.bs20_train import Setting, VAEConfig, train

    lam, sigma = 4.0, 0.05
    cfg = VAEConfig(width=32, depth=1, steps=100, chunk=100, record_every=10, adam_eps=adam_eps)
    settings = [Setting.fixed(sigma, "weighted", kl_weight=lam),
                Setting.fixed(sigma * np.sqrt(lam), "rescaled"),
                # rounding baseline: the rescaled model with sigma moved by 2^-20 (8 float32 ulps)
                Setting.fixed(sigma * np.sqrt(lam) * (1 + 2.0**-20), "perturbed"),
                Setting.fixed(sigma, "control")]  # not equivalent: weight 1 at sigma
    res = train(cfg, HeteroscedasticCurve(), settings, seeds=(0,), progress=False)
    return lam, sigma, cfg, res


def _s32_gradients(lam, sigma, cfg):
    """Max relative difference of grad(weighted) / lambda and grad(rescaled) at initialisation."""
    import jax
    import jax.numpy as jnp

    from toyvae.engine import HeteroscedasticCurve, Mode, init_vae, negative_elbo

    params = init_vae(jax.random.PRNGKey(0), 2, cfg.latent_dim, cfg.width, cfg.depth)
    x = HeteroscedasticCurve()(jax.random.PRNGKey(1), 100)
    keys = jax.random.split(jax.random.PRNGKey(2), 100)

    def loss(p, s, w):
        out = jax.vmap(negative_elbo, in_axes=(None, 0, 0, None, None, None, None))(
            p, x, keys, Mode.GIVEN, jnp.float32(s), jnp.float32(w), 0.0)
        return jnp.mean(out[0])

    g1 = jax.tree_util.tree_leaves(jax.grad(loss)(params, sigma, lam))
    g2 = jax.tree_util.tree_leaves(jax.grad(loss)(params, sigma * np.sqrt(lam), 1.0))
    num = max(float(jnp.max(jnp.abs(a / lam - b))) for a, b in zip(g1, g2))
    den = max(float(jnp.max(jnp.abs(b))) for b in g2)
    return num / den


@claim(
    id="BS20.S32",
    source="Berger & Sebag 2020, Sec. 3.2",
    statement="A fixed-sigma Gaussian VAE with KL weight lambda is the VAE with sigma' = sigma sqrt(lambda): "
              "the losses differ by the factor lambda plus a constant, so Adam follows the same trajectory.",
    expected=Verdict.CONFIRMED,
    tolerances=(Tolerance("rel_grad_diff", 1e-5, "float32 rounding (6e-8 relative) of two differently "
                          "computed losses, summed over a batch of 100"),
                Tolerance("trajectory_vs_rounding", 10.0, "training can amplify any 1e-7 difference, so "
                          "the parameter gap (with Adam's eps made negligible, 1e-20) is compared with "
                          "that of a rounding-size perturbation (sigma x (1 + 2^-20)); within 10x of it "
                          "is 'the same trajectory'")),
    finding="KL weight lambda and sigma*sqrt(lambda): gradients equal up to the factor lambda; Adam "
            "trajectories coincide to rounding once eps is negligible; at optax's eps=1e-8 they drift apart "
            "through parameters with gradients near eps.",
)
def check_s32(profile: Profile) -> Outcome:
    import jax

    def gaps(adam_eps):
        lam, sigma, cfg, res = _s32_run(adam_eps)
        flat = [np.concatenate([np.ravel(a) for a in jax.tree_util.tree_leaves(res.model(i, 0))])
                for i in range(4)]
        scale = float(np.max(np.abs(flat[1])))
        return lam, sigma, cfg, [float(np.max(np.abs(flat[j] - flat[1]))) / scale for j in (0, 2, 3)]

    # optax's default eps, then eps = 1e-20: Adam sees lambda * g, which acts as eps / lambda, so
    # the claim ("same trajectory up to Adam's eps") predicts the gap shrinks to rounding level
    lam, sigma, cfg, (diff, rounding, control) = gaps(1e-8)
    _, _, _, (diff0, rounding0, control0) = gaps(1e-20)
    grad_rel = _s32_gradients(lam, sigma, cfg)
    symbolic = _symbolic("toyvae.proofs.bs20_s32")
    ok = grad_rel <= 1e-5 and diff0 <= 10 * rounding0 + 1e-6 and control0 > 10 * diff0
    verdict = Verdict.CONFIRMED if ok else Verdict.NOT_REPRODUCED
    return Outcome(
        verdict=verdict,
        measured={"rel_grad_diff": grad_rel, "rel_param_diff_eps1e-8": diff, "rounding_baseline_eps1e-8": rounding,
                  "control_eps1e-8": control, "rel_param_diff_eps1e-20": diff0,
                  "rounding_baseline_eps1e-20": rounding0, "control_eps1e-20": control0,
                  "lambda": lam, "sigma": sigma, "steps": cfg.steps, "symbolic": symbolic},
        summary=f"lambda={lam}, sigma={sigma}: grad/lambda vs grad at sigma*sqrt(lambda) rel {grad_rel:.1e}; "
                f"after {cfg.steps} Adam steps parameter gap {diff0:.1e} with eps=1e-20 (rounding-size "
                f"perturbation {rounding0:.1e}, non-equivalent control {control0:.1e}); with optax's "
                f"eps=1e-8 the gap is {diff:.1e} (eps acts as eps/lambda); symbolic: {symbolic}",
    )


def _symbolic(module: str) -> str:
    """Run a proof module's derive() if it exists (written by another helper)."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ImportError:
        return "not available"
    try:
        d = mod.derive()
    except AssertionError as e:  # a failed symbolic step
        return f"FAILED: {e}"
    return f"{len(d.steps)} steps asserted"
