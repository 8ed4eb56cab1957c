"""SL.MultiRate (ours; after Bae et al., ICLR 2023, "Multi-Rate VAE"): one beta-conditioned VAE in place of the
slides' one beta-VAE per beta, on the Gaussian source of the shared sweep where every beta's optimum is exact.

Runs: :mod:`toyvae.experiments.multirate` (the multi-rate network and the per-beta models of the same budget,
both read after a cosine-annealed end of training, evaluated exactly in float64). The measure at each beta is
the Lagrangian excess ``eps = (D + beta R) / min(D + beta R) - 1`` (0 at the beta-optimal code).
"""

from __future__ import annotations

import numpy as np

from toyvae.claims import _stats
from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim, figure_numbers
from toyvae.experiments import multirate as mr
from toyvae.theory import rate_distortion as rd

__all__ = ["check_multirate", "multirate_measurements", "plot_multirate"]

EPS_MARGIN = 0.05  # ours: within 5% of the beta-optimal objective is "on the curve at that beta"


def multirate_measurements(profile: Profile = Profile.QUICK, seed0: int = 0) -> dict:
    """Per beta: the states of the three rules, the per-seed excesses, the figure's numbers."""
    r = mr.run(profile, seed0)
    n_in = len(mr.IN_RANGE_BETAS)
    rows = []
    for b, beta in enumerate(mr.IN_RANGE_BETAS):
        multi = [q["excess"] for q in r.multi[b]]
        per = [q["excess"] for q in r.per_beta[b]]
        state, lo, hi = _stats.equivalence(multi, EPS_MARGIN)
        per_state, per_lo, per_hi = _stats.equivalence(per, EPS_MARGIN)
        versus, t = _stats.ordering(per, multi)  # holds: the multi-rate network is closer to the optimum
        rows.append({"beta": beta, "multi": multi, "per_beta": per, "curve": state, "curve_ci": [lo, hi],
                     "per_beta_curve": per_state, "per_beta_ci": [per_lo, per_hi], "multi_vs_per_beta": versus,
                     "t_vs_per_beta": t})
    max_in = np.max([[q["excess"] for q in r.multi[b]] for b in range(n_in)], axis=0)  # per seed
    controls = []
    for c, beta in enumerate(mr.CONTROL_BETAS):
        eps = [q["excess"] for q in r.multi[n_in + c]]
        state, t = _stats.ordering(eps, max_in)
        controls.append({"beta": beta, "multi": eps, "gap_exceeds_in_range": state, "t": t})
    n = r.Sigma.shape[0]
    mu = rd.metric_weighted_spectrum(r.Sigma, np.eye(n))
    curve = rd.reverse_water_filling(mu, np.geomspace(1e-4, mu.max(), 200))
    figure = {
        "curve_D": figure_numbers(curve.distortion), "curve_R": figure_numbers(curve.rate),
        "grid_beta": figure_numbers(r.curve["beta"]), "grid_D": figure_numbers(r.curve["distortion"]),
        "grid_R": figure_numbers(r.curve["rate"]), "beta_range": list(mr.BETA_RANGE),
        "in_beta": list(mr.IN_RANGE_BETAS), "control_beta": list(mr.CONTROL_BETAS),
        "multi_D": figure_numbers([[q["distortion"] for q in r.multi[b]] for b in range(len(r.betas))]),
        "multi_R": figure_numbers([[q["rate"] for q in r.multi[b]] for b in range(len(r.betas))]),
        "per_D": figure_numbers([[q["distortion"] for q in r.per_beta[b]] for b in range(n_in)]),
        "per_R": figure_numbers([[q["rate"] for q in r.per_beta[b]] for b in range(n_in)]),
        "opt_D": figure_numbers([r.multi[b][0]["optimal_distortion"] for b in range(len(r.betas))]),
        "opt_R": figure_numbers([r.multi[b][0]["optimal_rate"] for b in range(len(r.betas))]),
        "multi_eps": figure_numbers([[q["excess"] for q in r.multi[b]] for b in range(len(r.betas))]),
        "per_eps": figure_numbers([[q["excess"] for q in r.per_beta[b]] for b in range(n_in)]),
    }
    cost = {"steps_multi_rate": r.plan.steps, "steps_per_beta_each": r.plan.steps // n_in,
            "steps_per_beta_total": r.plan.steps, "batch": r.plan.batch,
            "seconds_multi_rate": r.seconds["multi_rate"], "seconds_per_beta": r.seconds["per_beta"]}
    return {"rows": rows, "controls": controls, "figure": figure, "cost": cost, "seeds": list(r.plan.seeds)}


def plot_multirate(data):
    """The exact R-D curve, the network's curve over beta (every seed), the per-beta models, the controls."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4.2), layout="constrained")
    ax, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    ax.plot(data["curve_D"], data["curve_R"], "k-", lw=1.5, label="exact R(D)")
    beta = np.asarray(data["grid_beta"], float)
    inside = (beta >= data["beta_range"][0]) & (beta <= data["beta_range"][1])
    for j, (D, R) in enumerate(zip(data["grid_D"], data["grid_R"])):
        D, R = np.asarray(D, float), np.asarray(R, float)
        ax.plot(D[inside], R[inside], "-", color="C0", lw=1, alpha=0.8, label="multi-rate, training range" if j == 0 else None)
        ax.plot(D[~inside], R[~inside], ".", color="C3", ms=2, alpha=0.6, label="multi-rate, outside (control)" if j == 0 else None)
    n_in = len(data["in_beta"])
    ax.plot(np.ravel(data["per_D"]), np.ravel(data["per_R"]), "x", color="C1", ms=6, label="one VAE per beta, same budget")
    ax.plot(data["opt_D"][:n_in], data["opt_R"][:n_in], "s", mfc="none", color="k", ms=7, label="optimum at each beta")
    ax.plot(data["opt_D"][n_in:], data["opt_R"][n_in:], "D", mfc="none", color="C3", ms=7, label="optimum at the control betas")
    ax.set(xscale="log", xlabel="distortion E|x - xhat|^2", ylabel="rate [nats]",
           title="Gaussian source (n = 8): one network for every beta")
    ax.legend(fontsize=7)
    betas = list(data["in_beta"]) + list(data["control_beta"])
    for b, bt in enumerate(betas):
        ax2.plot([bt] * len(data["multi_eps"][b]), data["multi_eps"][b], "o", color="C0" if b < n_in else "C3", ms=4)
    for b, bt in enumerate(data["in_beta"]):
        ax2.plot([bt] * len(data["per_eps"][b]), data["per_eps"][b], "x", color="C1", ms=6)
    ax2.axhline(EPS_MARGIN, color="0.5", ls="--", lw=1, label=f"margin {EPS_MARGIN:g}")
    ax2.axvspan(*data["beta_range"], color="0.93", label="training range")
    ax2.set(xscale="log", yscale="log", xlabel="beta", ylabel="Lagrangian excess eps",
            title="excess over the beta-optimum (o multi-rate, x per beta)")
    ax2.legend(fontsize=7)
    return fig


@claim(
    id="SL.MultiRate",
    source="ours; SL slides 'Multi-beta model', after Bae et al., ICLR 2023, 'Multi-Rate VAE'",
    statement="One network conditioned on log beta, trained with beta drawn over a range, traces the rate-distortion "
    "curve that the slides obtain with one beta-VAE per beta: checked against the exact linear-Gaussian curve, against "
    "per-beta models of the same budget, and with beta outside the training range as a negative control.",
    expected=Verdict.OPEN,
    expected_full=None,
    full_note="full profile not run",
    tolerances=(
        Tolerance("eps_margin", EPS_MARGIN, "ours: at each beta the 95% CI over seeds of the Lagrangian excess within "
                  "5% of the beta-optimal objective is 'on the curve'; the per-beta models of SL.RD (3000 steps each) "
                  "come within 1-2% of the curve in rate, and the network must also smooth the kinks of the exact "
                  "solution where a component switches on (beta = 2 mu_i)"),
        Tolerance("t_level", _stats.T_LEVEL, "paired Student t over seeds, two-sided 95%"),
    ),
    finding=(
    "Open in the quick profile (3 seeds; one network 6000 steps against six per-beta VAEs of 1000 steps, the "
    "same budget): the beta-conditioned network is on the exact curve (excess eps <= 0.003) for beta >= 0.16, "
    "beats the per-beta models at beta = 0.063 and 0.16 (t = 7.5, 6.6) and is never worse; at the smallest betas "
    "(0.01, 0.025) neither approach reaches the curve (eps 0.67 and 0.20 for the network), so 'the whole curve "
    "in one run' is unresolved there; the negative control holds below the range (beta = 0.001: eps 7.9, t = "
    "5.7) and is unresolved above it (beta = 10, t = 1.0). Cost: 11.3 s for the network vs 3.4 s for the "
    "per-beta sweep, compilation included."
    ),
    plot=plot_multirate,
)
def check_multirate(profile: Profile) -> Outcome:
    m = multirate_measurements(profile)
    rows, controls, cost = m["rows"], m["controls"], m["cost"]
    rule = (
        "Exact evaluation of every seed's network at each beta. (a) Curve: at each in-range beta (the six betas of "
        f"SL.RD, 0.01..1) the 95% CI over seeds of eps = (D + beta R)/min(D + beta R) - 1 lies within {EPS_MARGIN:g} "
        "(ours). (b) Same budget: paired t over seeds of eps(per-beta model) - eps(multi-rate) at each in-range beta "
        "('reversed': the network is worse). (c) Negative control: at beta = 0.001 and 10 (outside the training range) "
        "eps must exceed the seed's largest in-range eps (paired t), otherwise the measure cannot tell a trained beta "
        "from an untrained one. Not reproduced: (b) reversed at some beta, or (a) entirely outside the margin at a "
        "beta where the per-beta models are within it. Confirmed: (a) within at every in-range beta, (b) never "
        "reversed and (c) holding at both controls. Otherwise open.")
    reversed_ = [r for r in rows if r["multi_vs_per_beta"] == "reversed"]
    beaten = [r for r in rows if r["curve"] == "different" and r["per_beta_curve"] == "equivalent"]
    if reversed_ or beaten:
        verdict = Verdict.NOT_REPRODUCED
    elif (all(r["curve"] == "equivalent" for r in rows)
          and all(c["gap_exceeds_in_range"] == "holds" for c in controls)):
        verdict = Verdict.CONFIRMED
    else:
        verdict = Verdict.OPEN
    fmt = lambda v: f"{np.mean(v):.3f}"  # noqa: E731
    summary = (
        f"[{len(m['seeds'])} seeds; multi-rate {cost['steps_multi_rate']} steps ({cost['seconds_multi_rate']:.1f} s) vs "
        f"{len(rows)} per-beta models x {cost['steps_per_beta_each']} steps ({cost['seconds_per_beta']:.1f} s), batch "
        f"{cost['batch']}, seconds include compilation] eps multi/per-beta at beta "
        + ", ".join(f"{r['beta']:.3g}: {fmt(r['multi'])}/{fmt(r['per_beta'])} ({r['curve']}; vs per-beta "
                    f"{r['multi_vs_per_beta']}, t = {r['t_vs_per_beta']:.1f})" for r in rows)
        + "; controls " + ", ".join(f"beta {c['beta']:g}: eps {fmt(c['multi'])} ({c['gap_exceeds_in_range']}, "
                                    f"t = {c['t']:.1f})" for c in controls))
    measured = {"rows": rows, "controls": controls, "cost": cost, "seeds": m["seeds"]}
    return Outcome(verdict=verdict, measured=measured, summary=summary, rule=rule, figure_data=m["figure"])
