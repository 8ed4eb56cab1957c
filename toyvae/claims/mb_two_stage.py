"""MB.2stage (MB Sec. 4, eqs. 5-6, Figs. 7-8) and MB.S5 (MB Sec. 5, Figs. 9-10): two-stage training and the
frequency make-up of the error under distortion targeting.

Every trained model is distortion-targeted with MB's Lagrangian (App. B.2, :func:`toyvae.engine.distortion_target`);
the runs are :mod:`toyvae.experiments.frequency` (primaries, single stages, their training histories) and
:mod:`toyvae.experiments.two_stage` (secondaries). Seeds are the unit of evidence: one *pipeline* per seed
(its primary, its secondary, its single-stage model), comparisons by paired tests over pipelines
(:mod:`toyvae.claims._stats`). Quantities at convergence are read from parameters averaged over the final 20% of
each run; trajectories (MB.S5) from the recorded block means, averaged over windows of 10% of the run.

ELBO convention (as in MB.F6): a Gaussian decoder at its optimal scalar variance ``sigma^2 = D/n``,
``ELBO = -(n/2) log(2 pi e D/n) - R`` per example (``R = R1 + R2`` for two stages).
"""

from __future__ import annotations

import importlib

import numpy as np

from toyvae.claims import _stats
from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim, figure_numbers
from toyvae.experiments import frequency as fq
from toyvae.experiments import two_stage as ts
from toyvae.theory import rate_distortion as rd
from toyvae.theory import successive as su

__all__ = ["check_two_stage", "check_s5", "two_stage_measurements", "s5_measurements", "plot_two_stage", "plot_s5"]

EXACT_TOL = 1e-9  # nats / squared error: float64 closed forms summing O(1) terms over 8 components
CONTROL_TOL = 0.05  # the models compared in (ii) must sit within 5% of gamma~ on average
SIMILAR_FRACTION = 0.1  # ours: "similar" = within 10% of what the second stage gains over the primary
CHANGE_MARGIN = 0.2  # ours: "little" = E||final - x~||^2 at most 1.2 x the distortion the secondary removes


def _symbolic():
    from toyvae.proofs._derivation import evidence

    return evidence(importlib.import_module("toyvae.proofs.mb_two_stage"))


def _ci(values) -> tuple[float, float, float]:
    """Mean and 95% Student-t interval over seeds."""
    v = np.asarray(values, np.float64)
    m, se = _stats.mean_se(v)
    half = _stats.t_critical(v.size) * float(se)
    return float(m), float(m - half), float(m + half)


def _pipeline_tests(elbo1, elbo2, elbo_single, ratio) -> dict:
    """The three rules of MB.2stage on one family and one gamma~ (per-pipeline arrays)."""
    improvement, t_imp = _stats.ordering(elbo2, elbo1)
    gain = float(np.mean(np.asarray(elbo2) - np.asarray(elbo1)))
    margin = SIMILAR_FRACTION * abs(gain)
    state, lo, hi = _stats.equivalence(np.asarray(elbo2) - np.asarray(elbo_single), margin)
    similar = {"equivalent": "similar", "unresolved": "unresolved"}.get(
        state, "two-stage better" if lo > 0 else "two-stage worse")
    m, r_lo, r_hi = _ci(ratio)
    little = "little" if r_hi <= 1 + CHANGE_MARGIN else "large" if r_lo > 1 + CHANGE_MARGIN else "unresolved"
    return {"improvement": improvement, "t_improvement": t_imp, "gain": gain, "similar": similar,
            "similar_margin": margin, "similar_ci": [lo, hi], "change": little, "change_ratio_ci": [m, r_lo, r_hi]}


def two_stage_measurements(profile: Profile = Profile.QUICK, seed0: int = 0) -> dict:
    """Exact optimum, trained linear pipelines (closed forms) and trained patch pipelines (held out)."""
    lin = ts.linear_two_stage(profile, seed0)
    n = lin.Sigma.shape[0]
    mu = rd.metric_weighted_spectrum(lin.Sigma, np.eye(n))
    hi = np.arange(n) >= fq.LINEAR_CUTOFF
    exact, linear = [], []
    for g, gt in enumerate(lin.gamma_tildes):
        opt = su.two_stage_optimum(lin.Sigma, lin.gamma, gt, basis=lin.basis)
        exact.append({"gamma_tilde": gt, "rate1": opt.rate1, "rate2": opt.rate2, "rate_single": opt.rate_single,
                      "elbo_primary": opt.elbo_primary, "elbo_two_stage": opt.elbo_two_stage,
                      "elbo_single": opt.elbo_single, "sample_change": opt.sample_change,
                      "identity_gap": max(abs(opt.rate_total - opt.rate_single), abs(opt.elbo_two_stage - opt.elbo_single),
                                          abs(opt.sample_change - (lin.gamma - gt)))})
        rows = []
        for j in range(len(lin.seeds)):
            p1 = rd.linear_vae_parts(lin.primary[j], lin.Sigma, np.eye(n))
            p2 = su.conditional_linear_vae_parts(lin.primary[j], lin.secondary[g][j], lin.Sigma)
            ps = rd.linear_vae_parts(lin.single[g][j], lin.Sigma, np.eye(n))
            change = su.sample_change(lin.primary[j], lin.secondary[g][j], lin.basis)
            W1 = lin.primary[j].W
            sample = np.einsum("ik,ij,jk->k", lin.basis, W1 @ W1.T, lin.basis)
            rate2_best = su.conditional_linear_vae_parts(
                lin.primary[j], su.optimal_secondary(lin.primary[j], lin.Sigma, p2.distortion), lin.Sigma).rate
            rows.append({"D1": p1.distortion, "R1": p1.rate, "D2": p2.distortion, "R2": p2.rate,
                         "D_single": ps.distortion, "R_single": ps.rate,
                         "elbo1": float(su.gaussian_elbo(n, p1.distortion, p1.rate)),
                         "elbo2": float(su.gaussian_elbo(n, p2.distortion, p1.rate + p2.rate)),
                         "elbo_single": float(su.gaussian_elbo(n, ps.distortion, ps.rate)),
                         "change": change.total, "ratio": change.total / (p1.distortion - p2.distortion),
                         "change_high_share": float(change.per_component[hi].sum() / change.total),
                         "sample_power": float(sample.sum()), "sample_high_share": float(sample[hi].sum() / sample.sum()),
                         "R2_excess_over_best_secondary": p2.rate - rate2_best,
                         "R1_plus_R2_minus_R_of_D2": p1.rate + p2.rate - float(rd.rate_distortion(mu, p2.distortion))})
        col = lambda k: [r[k] for r in rows]  # noqa: E731
        linear.append({"gamma_tilde": gt, "seeds": rows,
                       "tests": _pipeline_tests(col("elbo1"), col("elbo2"), col("elbo_single"), col("ratio"))})

    pat = ts.patch_two_stage(profile, seed0)
    e = pat.evaluation
    npx = fq.PATCH * fq.PATCH
    high = pat.primaries.high
    patches = []
    for g, gt in enumerate(pat.gamma_tildes):
        ks = pat.singles.gammas.index(gt)
        rows = []
        for j in range(len(pat.seeds)):
            D1, R1 = e["primary_distortion"][j], e["primary_rate"][j]
            Ds, Rs = e["single_distortion"][ks, j], e["single_rate"][ks, j]
            D2, R2 = e["two_distortion2"][g, j], e["two_rate2"][g, j]
            ch, sp = e["two_change_power"][g, j], e["two_sample_power"][g, j]
            rows.append({"D1": D1, "R1": R1, "D2": D2, "R2": R2, "D_single": Ds, "R_single": Rs,
                         "elbo1": float(su.gaussian_elbo(npx, D1, R1)),
                         "elbo2": float(su.gaussian_elbo(npx, D2, e["two_rate1"][g, j] + R2)),
                         "elbo_single": float(su.gaussian_elbo(npx, Ds, Rs)),
                         "change": float(ch.sum()), "ratio": float(ch.sum() / (D1 - D2)),
                         "change_low_share": float(ch[~high].sum() / ch.sum()),
                         "sample_power": float(sp.sum()), "sample_low_share": float(sp[~high].sum() / sp.sum()),
                         "change_high_share": float(ch[high].sum() / ch.sum()),
                         "sample_high_share": float(sp[high].sum() / sp.sum())})
        col = lambda k: [r[k] for r in rows]  # noqa: E731
        patches.append({"gamma_tilde": gt, "seeds": rows,
                        "tests": _pipeline_tests(col("elbo1"), col("elbo2"), col("elbo_single"), col("ratio"))})

    # ELBO against distortion (Fig. 8): the exact curve, trained points
    grid = np.geomspace(0.03, 0.6, 60)
    figure = {
        "linear_grid": figure_numbers(grid),
        "linear_elbo_exact": figure_numbers([su.gaussian_elbo(n, d, rd.rate_distortion(mu, d)) for d in grid]),
        "linear_log_likelihood": float(-0.5 * (n * np.log(2 * np.pi) + np.sum(np.log(mu)) + n)),
        "linear_gamma": lin.gamma,
        "linear": [{"gamma_tilde": row["gamma_tilde"],
                    **{k: figure_numbers([r[k] for r in row["seeds"]]) for k in
                       ("D1", "elbo1", "D2", "elbo2", "D_single", "elbo_single")}} for row in linear],
        "patch_gamma": pat.gamma,
        "patch": [{"gamma_tilde": row["gamma_tilde"],
                   **{k: figure_numbers([r[k] for r in row["seeds"]]) for k in
                      ("D1", "elbo1", "D2", "elbo2", "D_single", "elbo_single")}} for row in patches],
        "samples": figure_numbers(e["two_samples"][0, 0, :8]),
        "final": figure_numbers(e["two_final"][0, 0, :8]),
    }
    return {"exact": exact, "linear": linear, "patches": patches, "figure": figure,
            "linear_seeds": list(lin.seeds), "patch_seeds": list(pat.seeds),
            "sizes": {"linear_primary_steps": lin.primaries.plan.steps, "linear_secondary_steps": lin.plan.steps,
                      "linear_single_steps": lin.singles.plan.steps, "patch_single_steps": pat.singles.plan.steps,
                      "linear_batch": lin.plan.batch, "patch_primary_steps": pat.primaries.plan.steps,
                      "patch_secondary_steps": pat.plan.steps, "patch_batch": pat.plan.batch,
                      "patch_eval": int(pat.primaries.eval_x.shape[0]), "patch_generated": pat.plan.n_samples}}


def plot_two_stage(data):
    """Fig. 7 (primary samples over their two-stage refinements, patches) and Fig. 8 (ELBO vs distortion)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 4.2), layout="constrained")
    ax_s, ax_l, ax_p = (fig.add_subplot(1, 3, i + 1) for i in range(3))
    samples, final = np.asarray(data["samples"], float), np.asarray(data["final"], float)
    k = samples.shape[0]
    size = int(round(np.sqrt(samples.shape[1])))
    tiles = np.ones((2 * size + 1, k * (size + 1) - 1)) * np.nan
    for i in range(k):
        tiles[:size, i * (size + 1):i * (size + 1) + size] = samples[i].reshape(size, size)
        tiles[size + 1:, i * (size + 1):i * (size + 1) + size] = final[i].reshape(size, size)
    lim = np.nanmax(np.abs(tiles))
    ax_s.imshow(tiles, cmap="gray", vmin=-lim, vmax=lim)
    ax_s.set(xticks=[], yticks=[], title="8x8 patches, first pipeline: primary mean samples (top)\nand the same "
             "samples after the secondary (bottom)")
    ax_l.plot(data["linear_grid"], data["linear_elbo_exact"], "k-", lw=1, label="exact single-stage optimum")
    ax_l.axhline(data["linear_log_likelihood"], color="0.5", ls=":", label="E log p(x)")
    for i, row in enumerate(data["linear"]):
        c = f"C{i}"
        ax_l.plot(row["D2"], row["elbo2"], "o", color=c, label=f"two-stage, gamma~ {row['gamma_tilde']:g}")
        ax_l.plot(row["D_single"], row["elbo_single"], "x", color=c, ms=8, label=f"single stage at {row['gamma_tilde']:g}")
    row = data["linear"][0]
    ax_l.plot(row["D1"], row["elbo1"], "s", color="k", mfc="none", label=f"primary at {data['linear_gamma']:g}")
    ax_l.set(xscale="log", xlabel="distortion (per example)", ylabel="ELBO [nats]",
             title="linear-Gaussian (n = 8): ELBO vs distortion, every pipeline")
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    ax_l.set_xticks([0.05, 0.1, 0.2, 0.4])
    ax_l.xaxis.set_major_formatter(ScalarFormatter())
    ax_l.xaxis.set_minor_formatter(NullFormatter())
    ax_l.legend(fontsize=6)
    for i, row in enumerate(data["patch"]):
        c = f"C{i}"
        ax_p.plot(row["D2"], row["elbo2"], "o", color=c, label=f"two-stage, gamma~ {row['gamma_tilde']:g}")
        ax_p.plot(row["D_single"], row["elbo_single"], "x", color=c, ms=8, label=f"single stage at {row['gamma_tilde']:g}")
        ax_p.plot(row["D1"], row["elbo1"], "s", color="k", mfc="none", label=f"primary at {data['patch_gamma']:g}")
    ax_p.set(xlabel="held-out distortion (per patch)", ylabel="ELBO [nats per patch]",
             title="8x8 patches: ELBO vs distortion, every pipeline")
    ax_p.legend(fontsize=6)
    return fig


def _summary_tests(rows) -> str:
    return "; ".join(f"gamma~ {r['gamma_tilde']:g}: ELBO +{r['tests']['gain']:.2f} ({r['tests']['improvement']}, "
                     f"t = {r['tests']['t_improvement']:.1f}), vs single {r['tests']['similar']} "
                     f"(CI [{r['tests']['similar_ci'][0]:+.2f}, {r['tests']['similar_ci'][1]:+.2f}] vs "
                     f"+-{r['tests']['similar_margin']:.2f}), change/(D1 - D2) {r['tests']['change_ratio_ci'][0]:.2f} "
                     f"({r['tests']['change']})" for r in rows)


@claim(
    id="MB.2stage",
    source="MB Sec. 4, eqs. 5-6, Figs. 7-8; App. A.2, B.2",
    statement="A secondary conditional VAE on pairs (x, x~), x~ the primary's mean reconstruction at distortion "
    "target gamma, whose decoder can copy x~, trained to a smaller target gamma~: it improves the ELBO over the "
    "primary, its ELBO is similar to a single-stage model trained at gamma~ (Fig. 8), and it changes the primary's "
    "samples little (Fig. 7). Exact for Gaussian sources (successive refinability, Equitz & Cover 1991).",
    expected=Verdict.OPEN,
    expected_full=None,
    full_note="full profile not run",
    tolerances=(
        Tolerance("exact", EXACT_TOL, "closed-form identities at the optimum (rate1 + rate2 = R(gamma~), equal ELBOs, "
                  "change = gamma - gamma~) in float64 over 8 components: rounding only"),
        Tolerance("similar_fraction", SIMILAR_FRACTION, "ours: two ELBOs are 'similar' when the 95% CI over pipelines "
                  "of their difference lies within 10% of the second stage's mean gain over the primary (the effect "
                  "the comparison is about); the paper gives no number"),
        Tolerance("change_margin", CHANGE_MARGIN, "ours: 'little' = E||final - x~||^2 <= 1.2 (D1 - D2) (upper 95% "
                  "bound over pipelines): the exact optimum moves a sample by exactly the distortion it removes; 20% "
                  "for training error. A secondary that redrew the sample would move it by ~2 E||x~||^2."),
        Tolerance("t_level", _stats.T_LEVEL, "paired Student t over pipelines, two-sided 95%"),
        Tolerance("control", 0.05, "the models of comparison (ii) must reach gamma~ within 5% on average (the "
                  "targeted distortion is held by a multiplier; 5% is 'at the target'), else (ii) is not decided"),
    ),
    finding=(
    "Open in the quick profile (3 pipelines; linear 3000 + 3000 steps against single stages of 6000, patches "
    "1000 + 1000 against 2000). Exact (Gaussian source): two stages reach exactly the single-stage rate and ELBO "
    "and move a mean sample by exactly gamma - gamma~ (35 asserted sympy steps; identities to 2e-15). Trained: "
    "the second stage raises the linear ELBO for every target (+0.38 to +0.56 nats, t >= 8.9) and the patch ELBO "
    "by 1.6 nats per patch (unresolved, t = 3.0 < 4.30), and moves samples by 0.98-1.01 (linear) and 0.84 "
    "(patches) times the distortion it removes (the patch change lies 1.3% at high frequency); against a single "
    "stage its ELBO is similar at gamma~ = 0.2 (CI -0.04..+0.02), and not decided at 0.1, 0.05 and on patches "
    "because a compared model misses gamma~ by more than 5% (the comparison's positive control). Rule history: "
    "the control was added on 2026-11-29 after the patch comparison came out 'two-stage worse' with one CPU "
    "device and 'unresolved' with two, both from single stages ending about 10% off their target."
    ),
    plot=plot_two_stage,
)
def check_two_stage(profile: Profile) -> Outcome:
    m = two_stage_measurements(profile)
    n_steps, discrepancy, error = _symbolic()
    exact_ok = (not error and discrepancy is not None and discrepancy < 1e-9
                and max(r["identity_gap"] for r in m["exact"]) < EXACT_TOL)
    tests = []
    for r in m["linear"] + m["patches"]:
        t = dict(r["tests"])
        # positive control (issue "honest verdicts"): the two models of comparison (ii) must both sit at the
        # distortion gamma~ they were trained to (mean over pipelines within CONTROL_TOL); a model that missed its
        # target is compared at another operating point, so (ii) is then not decided
        at_target = [abs(float(np.mean([q[k] for q in r["seeds"]])) / r["gamma_tilde"] - 1) <= CONTROL_TOL
                     for k in ("D2", "D_single")]
        if not all(at_target):
            t["similar"] = "uncontrolled"
        r["tests"] = t
        tests.append(t)
    rule = (
        "Consistency (exact, would fail only through a bug): the sympy derivation (proofs/mb_two_stage) holds and "
        "matches the library to 1e-9, and at the exact optimum rate1 + rate2 = R(gamma~), ELBO(two-stage) = "
        "ELBO(single) and E||final - x~||^2 = gamma - gamma~ (1e-9). Trained, per family (linear n = 8 Gaussian, "
        "exact evaluation; 8x8 patches, held out) and gamma~, over pipelines (one per seed): (i) ELBO2 > ELBO1 "
        "(paired t, 95%); (ii) ELBO2 - ELBO_single: 95% CI within +-10% of the mean gain ELBO2 - ELBO1 is "
        "'similar', entirely above 'two-stage better', entirely below 'two-stage worse', and not decided "
        "('uncontrolled') when the two-stage or the single-stage models miss gamma~ by more than 5% on average (their "
        "positive control: the comparison is at gamma~); (iii) r = E||final - "
        "x~||^2 / (D1 - D2): 95% upper bound <= 1.2 is 'little', lower bound > 1.2 'large'. Not reproduced: an "
        "exact identity fails, (i) reversed, (ii) worse or (iii) large anywhere. Confirmed: (i) holds, (ii) similar "
        "and (iii) little everywhere. Refined: as confirmed, except that (ii) is 'two-stage better' somewhere (no "
        "ELBO is lost, and the single stage, trained for the pipeline's total number of steps, trails). Otherwise open.")
    if not exact_ok or any(t["improvement"] == "reversed" or t["similar"] == "two-stage worse" or t["change"] == "large"
                           for t in tests):
        verdict = Verdict.NOT_REPRODUCED
    elif all(t["improvement"] == "holds" and t["change"] == "little" and t["similar"] in ("similar", "two-stage better")
             for t in tests):
        verdict = Verdict.CONFIRMED if all(t["similar"] == "similar" for t in tests) else Verdict.REFINED
    else:
        verdict = Verdict.OPEN
    mean = lambda rows, k: float(np.mean([r[k] for r in rows]))  # noqa: E731
    s = m["sizes"]
    summary = (
        f"[exact: {n_steps} sympy steps, library gap {discrepancy:.1e}; identities gap "
        f"{max(r['identity_gap'] for r in m['exact']):.1e}] linear n = 8, gamma {ts.LINEAR_GAMMA:g} ({len(m['linear_seeds'])} "
        f"pipelines; {s['linear_primary_steps']} + {s['linear_secondary_steps']} steps, single stage "
        f"{s['linear_single_steps']}, batch {s['linear_batch']}): "
        + _summary_tests(m["linear"])
        + f" | patches, gamma {ts.PATCH_GAMMA:g} ({len(m['patch_seeds'])} pipelines; {s['patch_primary_steps']} + "
        f"{s['patch_secondary_steps']} steps, single stage {s['patch_single_steps']}, batch {s['patch_batch']}, "
        f"{s['patch_eval']} held-out patches): "
        + _summary_tests(m["patches"])
        + "; patch change high-frequency share " + "/".join(f"{mean(r['seeds'], 'change_high_share'):.3f}" for r in m["patches"])
        + " vs the samples' " + "/".join(f"{mean(r['seeds'], 'sample_high_share'):.4f}" for r in m["patches"]))
    measured = {
        "symbolic_steps": n_steps, "library_discrepancy": discrepancy, "symbolic_error": error,
        "exact": m["exact"],
        "linear": [{"gamma_tilde": r["gamma_tilde"], **r["tests"],
                    **{k: [q[k] for q in r["seeds"]] for k in ("elbo1", "elbo2", "elbo_single", "D1", "D2", "D_single",
                                                                "R1", "R2", "R_single", "ratio", "change_high_share",
                                                                "R2_excess_over_best_secondary")}}
                   for r in m["linear"]],
        "patches": [{"gamma_tilde": r["gamma_tilde"], **r["tests"],
                     **{k: [q[k] for q in r["seeds"]] for k in ("elbo1", "elbo2", "elbo_single", "D1", "D2", "D_single",
                                                                 "R1", "R2", "R_single", "ratio", "change_high_share",
                                                                 "sample_high_share")}}
                    for r in m["patches"]],
        "seeds": m["linear_seeds"], "patch_seeds": m["patch_seeds"], "sizes": s,
    }
    return Outcome(verdict=verdict, measured=measured, summary=summary, rule=rule, figure_data=m["figure"])


# ----------------------------------------------------------------------------------------------------------
# MB.S5

WINDOW = 0.1  # the trajectory is cut into windows of 10% of the run (block means averaged)
SETTLE_TOL = 0.1  # "settled": every later window's mean distortion within +-10% of gamma
MIN_AFTER = 2  # at least two windows (20% of the run) after the settling window


def _windows(a, n_windows: int) -> np.ndarray:
    """Means over ``n_windows`` equal windows of the record axis (axis 2 of (settings, seeds, records, ...))."""
    a = np.asarray(a, np.float64)
    n = a.shape[2] - a.shape[2] % n_windows
    return a[:, :, :n].reshape(a.shape[:2] + (n_windows, n // n_windows) + a.shape[3:]).mean(axis=3)


def _trajectory(gammas, D, R, share) -> list:
    """Per target: per seed the settling window, and early (settling window) vs late (last window) rate and share."""
    n_w = int(round(1 / WINDOW))
    Dw, Rw, Sw = _windows(D, n_w), _windows(R, n_w), _windows(share, n_w)
    out = []
    for k, gamma in enumerate(gammas):
        seeds = []
        for j in range(Dw.shape[1]):
            ok = np.abs(Dw[k, j] / gamma - 1) <= SETTLE_TOL
            later_ok = np.flip(np.cumprod(np.flip(ok)).astype(bool))  # window w and every later one within
            settle = int(np.argmax(later_ok)) if later_ok.any() else n_w
            usable = settle <= n_w - 1 - MIN_AFTER
            seeds.append({"settle_window": settle, "usable": bool(usable),
                          "R_early": float(Rw[k, j, min(settle, n_w - 1)]), "R_late": float(Rw[k, j, -1]),
                          "share_early": float(Sw[k, j, min(settle, n_w - 1)]), "share_late": float(Sw[k, j, -1]),
                          "D_late_over_gamma": float(Dw[k, j, -1] / gamma)})
        if all(q["usable"] for q in seeds):
            rate, t_rate = _stats.ordering([q["R_early"] for q in seeds], [q["R_late"] for q in seeds])
            share, t_share = _stats.ordering([q["share_late"] for q in seeds], [q["share_early"] for q in seeds])
        else:
            rate, t_rate, share, t_share = "not settled", float("nan"), "not settled", float("nan")
        out.append({"gamma": gamma, "seeds": seeds, "rate_falls": rate, "t_rate": t_rate, "share_rises": share,
                    "t_share": t_share})
    return out


def s5_measurements(profile: Profile = Profile.QUICK, seed0: int = 0) -> dict:
    """Early/late comparisons on the linear-Gaussian and patch runs, their exact end points, the figure's numbers."""
    lin = fq.linear_targeted(profile, seed0)
    h = lin.fit.history
    lin_share = su.error_share_above(np.maximum(h["error_spectrum"], 0.0), fq.LINEAR_CUTOFF)
    linear = _trajectory(lin.gammas, h["exact_distortion"], h["exact_rate"], lin_share)
    for row in linear:
        opt = su.optimal_error_spectrum(lin.spectrum, row["gamma"])
        row["share_optimal"] = float(su.error_share_above(opt.component_error, fq.LINEAR_CUTOFF))
        row["R_optimal"] = opt.rate
    pat = fq.patch_targeted(profile, seed0)
    hp = pat.fit.history
    es = hp["error_spectrum"]
    pat_share = es[..., pat.high].sum(-1) / es.sum(-1)
    patches = _trajectory(pat.gammas, hp["distortion"], hp["rate"], pat_share)
    def thin(a):  # seed means of about 100 records (a figure's worth)
        a = np.asarray(a)
        return a.mean(axis=1)[:, ::max(1, a.shape[2] // 100)]

    def steps(a):
        return figure_numbers(np.arange(a.shape[2])[::max(1, a.shape[2] // 100)] * 10)

    figure = {
        "linear": {"gammas": list(lin.gammas), "steps": steps(h["exact_rate"]),
                   "distortion": figure_numbers(thin(h["exact_distortion"])),
                   "rate": figure_numbers(thin(h["exact_rate"])), "share": figure_numbers(thin(lin_share)),
                   "share_optimal": [r["share_optimal"] for r in linear],
                   "rate_optimal": [r["R_optimal"] for r in linear]},
        "patches": {"gammas": list(pat.gammas), "steps": steps(hp["rate"]),
                    "distortion": figure_numbers(thin(hp["distortion"])), "rate": figure_numbers(thin(hp["rate"])),
                    "share": figure_numbers(thin(pat_share))},
    }
    sizes = {"linear_steps": lin.plan.steps, "linear_batch": lin.plan.batch, "patch_steps": pat.plan.steps,
             "patch_batch": pat.plan.batch}
    return {"linear": linear, "patches": patches, "figure": figure, "seeds": list(lin.plan.seeds),
            "patch_seeds": list(pat.plan.seeds), "sizes": sizes}


def plot_s5(data):
    """Distortion / gamma, rate and the error's high-frequency share over training (seed means)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 7), layout="constrained")
    for r, (fam, title) in enumerate((("linear", "linear-Gaussian (DCT components k >= 4)"),
                                      ("patches", "8x8 patches (2-D DCT, u + v >= 8)"))):
        d = data[fam]
        axes = [fig.add_subplot(2, 3, 3 * r + i + 1) for i in range(3)]
        steps = np.asarray(d["steps"], float)
        for i, g in enumerate(d["gammas"]):
            c = f"C{i}"
            axes[0].plot(steps, np.asarray(d["distortion"][i], float) / g, color=c, label=f"gamma {g:g}")
            axes[1].plot(steps, d["rate"][i], color=c)
            axes[2].plot(steps, d["share"][i], color=c)
            if "share_optimal" in d:
                axes[1].axhline(d["rate_optimal"][i], color=c, ls="--", lw=0.8)
                axes[2].axhline(d["share_optimal"][i], color=c, ls="--", lw=0.8)
        axes[0].axhspan(1 - SETTLE_TOL, 1 + SETTLE_TOL, color="0.9")
        axes[0].set(ylabel="distortion / gamma", xlabel="step", yscale="log", title=f"{title}: distortion")
        exact = fam == "linear"
        axes[1].set(ylabel="rate [nats]", xlabel="step", yscale="log",
                    title="rate" + (" (dashed: R(gamma))" if exact else ""))
        axes[2].set(ylabel="high-frequency share of the error", xlabel="step",
                    title="error share at high frequency" + (" (dashed: water-filling)" if exact else ""))
        axes[0].legend(fontsize=7)
    return fig


def _s5_line(rows) -> str:
    return "; ".join(f"gamma {r['gamma']:g}: R {np.mean([q['R_early'] for q in r['seeds']]):.2f} -> "
                     f"{np.mean([q['R_late'] for q in r['seeds']]):.2f} ({r['rate_falls']}, t = {r['t_rate']:.1f}), "
                     f"high share {np.mean([q['share_early'] for q in r['seeds']]):.3f} -> "
                     f"{np.mean([q['share_late'] for q in r['seeds']]):.3f} ({r['share_rises']}, t = {r['t_share']:.1f})"
                     + (f", water-filling {r['share_optimal']:.3f}, R(gamma) {r['R_optimal']:.2f}"
                        if "share_optimal" in r else "")
                     for r in rows)


@claim(
    id="MB.S5",
    source="MB Sec. 5, Figs. 9-10",
    statement="Under distortion targeting the distortion reaches its target quickly; afterwards, at unchanged "
    "distortion, the rate keeps falling while the model moves from high-frequency to low-frequency information: "
    "early reconstructions carry more high-frequency detail, so their error lies less at high frequencies than later.",
    expected=Verdict.NOT_REPRODUCED,
    expected_full=None,
    full_note="full profile not run",
    tolerances=(
        Tolerance("settle", SETTLE_TOL, "ours: a run has settled from the first 10% window after which every window's "
                  "mean distortion stays within +-10% of gamma (the multiplier's noise moves block means by a few %)"),
        Tolerance("min_after", MIN_AFTER, "windows (of 10% of the run) required after the settling window, so that "
                  "early and late are different parts of the run"),
        Tolerance("t_level", _stats.T_LEVEL, "paired Student t over seeds, two-sided 95%"),
    ),
    finding=(
    "Not reproduced in the quick profile (3 seeds; linear 6000 steps, patches 2000): the rate part holds (once D "
    "has settled the rate keeps falling: linear 18.7 -> 10.5 and 18.7 -> 7.2 nats at gamma = 0.05, 0.1; patches "
    "65.6 -> 26.6 and 18.5 -> 3.3, t 4.7-17), but the frequency part goes both ways: on the Gaussian source the "
    "error's high-frequency share FALLS after settling towards its exact water-filling value (gamma = 0.1: 0.758 "
    "-> 0.520, water-filling 0.500, t = -12.2), i.e. late reconstructions carry more high-frequency detail, "
    "while on patches at gamma = 2 it rises as MB reads Fig. 10 (0.273 -> 0.288, t = 4.5) and at gamma = 4 is "
    "unresolved."
    ),
    plot=plot_s5,
)
def check_s5(profile: Profile) -> Outcome:
    m = s5_measurements(profile)
    rows = m["linear"] + m["patches"]
    rule = (
        "Per family (linear n = 8 Gaussian, exact; 8x8 patches, training batches) and target gamma, per seed: the "
        "history (block means of 10 steps) is cut into 10 windows; the run has settled at the first window after "
        "which every window's mean distortion is within +-10% of gamma (at least two windows must follow). 'Early' = "
        "that window, 'late' = the last one, both at the target. Rate part: R_early > R_late (paired t over seeds, "
        "95%). Frequency part: the error's high-frequency share (linear: DCT k >= 4 of 8; patches: 2-D DCT u + v >= 8) "
        "rises, share_late > share_early (MB: early reconstructions hold more high-frequency detail). Not reproduced: "
        "either part significantly reversed for some target; confirmed: both hold for every target of both families; "
        "otherwise (unresolved, or a seed not settled in time) open. The linear end point, water-filling, is reported.")
    states = [r["rate_falls"] for r in rows] + [r["share_rises"] for r in rows]
    if "reversed" in states:
        verdict = Verdict.NOT_REPRODUCED
    elif all(s == "holds" for s in states):
        verdict = Verdict.CONFIRMED
    else:
        verdict = Verdict.OPEN
    s = m["sizes"]
    summary = (f"[linear: {len(m['seeds'])} seeds, {s['linear_steps']} steps, batch {s['linear_batch']}; patches: "
               f"{len(m['patch_seeds'])} seeds, {s['patch_steps']} steps, batch {s['patch_batch']}; early = settling "
               "window, late = last 10%] linear: " + _s5_line(m["linear"]) + " | patches: " + _s5_line(m["patches"]))
    measured = {
        "linear": [{k: v for k, v in r.items() if k != "seeds"} | {
            "settle_window": [q["settle_window"] for q in r["seeds"]],
            "R_early": [q["R_early"] for q in r["seeds"]], "R_late": [q["R_late"] for q in r["seeds"]],
            "share_early": [q["share_early"] for q in r["seeds"]], "share_late": [q["share_late"] for q in r["seeds"]]}
            for r in m["linear"]],
        "patches": [{k: v for k, v in r.items() if k != "seeds"} | {
            "settle_window": [q["settle_window"] for q in r["seeds"]],
            "R_early": [q["R_early"] for q in r["seeds"]], "R_late": [q["R_late"] for q in r["seeds"]],
            "share_early": [q["share_early"] for q in r["seeds"]], "share_late": [q["share_late"] for q in r["seeds"]]}
            for r in m["patches"]],
        "seeds": m["seeds"], "patch_seeds": m["patch_seeds"], "sizes": s,
    }
    return Outcome(verdict=verdict, measured=measured, summary=summary, rule=rule, figure_data=m["figure"])
