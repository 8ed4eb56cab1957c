"""Berger & Sebag (2020), Theorem 1 in trained VAEs: which collapse threshold do real models follow?

Claims: BS20.E-sphere (trained fixed-sigma VAEs against r*(sigma) and the two thresholds),
BS20.T1-empirical (collapse at and above the paper's R/sqrt(D-1)), BS20.T1-sharp-empirical
(collapse already inside the window R/sqrt(D) <= sigma < R/sqrt(D-1)), BS20.E-sphere-LS (where a
learned scalar sigma ends). The experiments are in :mod:`toyvae.experiments.sphere` (cached per
process, so the four checks share one set of training runs).

BS20.R1 has no empirical check here: the remark is about the curvature at r = 0, and training does
not measure it. Cold starts collapse even at sigma = 0.95 R/sqrt(D), where theory puts a local
MINIMUM at r = 0, so "a run started near 0 shrinks" cannot tell a local maximum from a minimum.

A run has *collapsed* when the mean radius of its decoder means for prior samples is below 0.1 R
(``sphere.COLLAPSE_FRACTION``; every grid point below the threshold has r* >= 0.32 R in QUICK, the
highest one being 0.95 R/sqrt(D), and r* >= 0.2 R in FULL, whose highest is 0.98 R/sqrt(D), so the
line separates the two outcomes there). *Cold* runs start from the engine's initialisation (radius
~0.1 R); *warm* runs spend their first third of the steps at sigma = 0.5 R/sqrt(D), where they
learn a sphere of radius ~0.9 R, and then train at the target sigma.
"""

from __future__ import annotations

import math

import numpy as np

from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim
from toyvae.experiments import sphere as sp

__all__ = ["check_e_sphere", "check_t1_empirical", "check_t1_sharp_empirical", "check_e_sphere_ls"]

# An ELBO above the best log-likelihood by more than 4 Monte Carlo standard errors (2048 points)
# would be a bug: one-sided false-alarm rate 3e-5 per run, < 1% over the few hundred runs checked.
_BOUND_SE = 4.0
# "Reaches r*" far below the threshold: the cold radius at sigma = 0.5 R/sqrt(D) is within 15% of
# r*; a finite Gaussian encoder blurs the sphere (reconstructions, prior mass between modes), and
# the quick runs are short, so a few-percent shortfall is expected and 15% is the allowance.
_REACH_REL = 0.15
_TOLS = (
    Tolerance("collapse_fraction_of_R", sp.COLLAPSE_FRACTION,
              "r* >= 0.2 R at every grid point below the threshold and r* = 0 above; 0.1 R separates them "
              "(r* < 0.1 R only within ~1% below R/sqrt(D), reported as collapse_sigma_over_sharp)"),
    Tolerance("elbo_bound_se", _BOUND_SE, "ELBO <= log p(x; r*) checked to 4 Monte Carlo s.e. (2048 points)"),
)


def _runs(profile: Profile) -> dict[int, sp.SphereRun]:
    return {D: sp.run_dimension(D, profile) for D in sp.dimensions(profile)}


def _frac(mask: np.ndarray) -> float:
    return float(np.mean(mask)) if mask.size else float("nan")


def _bound_excess(run: sp.SphereRun) -> float:
    """max over rows of (ELBO - log p(x; r*)) / s.e.: <= 4 unless something is wrong."""
    return float(np.max((run.elbo - run.best_loglik) / run.elbo_se))


def _per_dimension(run: sp.SphereRun) -> dict:
    """The numbers every claim of this module reads, for one D (means over seeds)."""
    reg, pos, coll = sp.region(run), sp.position(run), run.collapsed
    cold, warm = run.fixed(warm=False), run.fixed(warm=True)
    r_over_R = run.prior_radius / run.R
    near = np.isclose(pos, max(p for p in pos[cold] if p < 1))  # the grid point just below the threshold
    far = np.isclose(pos, min(pos[cold]))
    out = {
        "cold_collapsed_above": _frac(coll[cold & (reg == "above")]),
        "cold_collapsed_window": _frac(coll[cold & (reg == "window")]),
        "warm_collapsed_above": _frac(coll[warm & (reg == "above")]),
        "warm_collapsed_window": _frac(coll[warm & (reg == "window")]),
        "near_sigma_over_sharp": float(pos[cold & near][0]),
        "near_r*/R": float(run.r_star[cold & near][0] / run.R),
        "near_cold_collapsed": _frac(coll[cold & near]),
        "near_cold_r/R": float(np.mean(r_over_R[cold & near])),
        "near_warm_collapsed": _frac(coll[warm & near]),
        "near_warm_r/r*": float(np.mean(run.prior_radius[warm & near] / run.r_star[warm & near])),
        "far_sigma_over_sharp": float(pos[cold & far][0]),
        "far_cold_r/r*": float(np.mean(run.prior_radius[cold & far] / run.r_star[cold & far])),
        "far_cold_recon_r/r*": float(np.mean(run.recon_radius[cold & far] / run.r_star[cold & far])),
        "far_cold_collapsed": _frac(coll[cold & far]),
        "max_(elbo-best)/se": _bound_excess(run),
        "collapse_sigma_over_sharp": sp.collapse_radius(run.R, run.D) / (run.R / math.sqrt(run.D)),
    }
    # warm rows at r* = 0: does the radius keep falling after the warm phase?
    zero = warm & (reg != "below") & (reg != "learned")
    start, end = sp.warm_phase_radius(run)[zero], run.radius_path[zero, -1]
    out["warm_r*=0_radius_fell"] = bool(np.all(end < start))
    out["warm_r*=0_r/R_start_end"] = [float(np.mean(start) / run.R), float(np.mean(end) / run.R)]
    # the largest cold grid point with no collapse, the smallest with all runs collapsed
    cold_pos = np.unique(pos[cold])
    ok = [p for p in cold_pos if not np.any(coll[cold & np.isclose(pos, p)])]
    gone = [p for p in cold_pos if np.all(coll[cold & np.isclose(pos, p)])]
    out["cold_onset_bracket_sigma/sharp"] = [max(ok) if ok else float("nan"), min(gone) if gone else float("nan")]
    return out


def _capacity_trend(profile: Profile) -> list[dict]:
    """For each capacity level at D = 8: collapse fractions and radii at the capacity-study points."""
    rows = []
    for run in sp.run_capacity(profile):
        pos, reg, coll = sp.position(run), sp.region(run), run.collapsed
        cold, warm = run.fixed(warm=False), run.fixed(warm=True)
        near = np.isclose(pos, 0.95)
        rows.append({
            "capacity": run.capacity.describe(run.D),
            "cold_collapsed_window": _frac(coll[cold & (reg == "window")]),
            "warm_collapsed_window": _frac(coll[warm & (reg == "window")]),
            "warm_window_r/R": float(np.mean(run.prior_radius[warm & (reg == "window")]) / run.R),
            "cold_collapsed_0.95": _frac(coll[cold & near]),
            "warm_r/r*_0.95": float(np.mean(run.prior_radius[warm & near] / run.r_star[warm & near])),
        })
    return rows


# ------------------------------------------------------------------------------------------------
# BS20.E-sphere
# ------------------------------------------------------------------------------------------------


@claim(
    id="BS20.E-sphere",
    source="ours, testing Berger & Sebag 2020 Theorem 1 on trained VAEs",
    statement="VAEs trained with a fixed decoder sigma on data uniform on S_{D-1}(R) collapse (decoder-mean "
    "radius ~ 0) where the theory says r* = 0 and reach radius ~ r*(sigma) below; which threshold, R/sqrt(D) "
    "or R/sqrt(D-1), do they follow?",
    expected=Verdict.REFINED,
    expected_full=Verdict.OPEN,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=(*_TOLS, Tolerance("reach_r*_rel", _REACH_REL, "far below the threshold the cold radius is within "
                                  "15% of r* (finite Gaussian encoder and short quick runs fall a few % short)")),
    finding="Refined: trained VAEs never keep a sphere where r* = 0 (all cold runs in the window and above collapse, "
    "D = 2..32; warm-started ones decay towards 0) and warm starts at 0.95 R/sqrt(D) hold r = 0.6-1.0 r*, so the "
    "landscape follows R/sqrt(D); but cold-start training collapses early: at 0.95 R/sqrt(D) (r* = 0.32-0.43 R) 7 of "
    "8 cold runs collapse (D = 32: already at 0.8), and a larger model does not change it. Full profile (6000 "
    "steps, D up to 64): open: with longer training even warm starts at 0.95 R/sqrt(D) shrink (0.26-0.53 r* for "
    "D <= 32, 0.01 r* at D = 64), so trained VAEs collapse below either threshold.",
)
def check_e_sphere(profile: Profile) -> Outcome:
    runs = _runs(profile)
    per = {D: _per_dimension(run) for D, run in runs.items()}
    cap = _capacity_trend(profile)
    Ds = sorted(per)
    bound_ok = all(per[D]["max_(elbo-best)/se"] <= _BOUND_SE for D in Ds)
    zero_cold = all(per[D]["cold_collapsed_above"] == 1 and per[D]["cold_collapsed_window"] == 1 for D in Ds)
    zero_warm_falls = all(per[D]["warm_r*=0_radius_fell"] for D in Ds)
    near_warm_holds = all(per[D]["near_warm_collapsed"] == 0 for D in Ds)
    reach = {D: abs(per[D]["far_cold_r/r*"] - 1) <= _REACH_REL for D in Ds}
    early_cold = any(per[D]["near_cold_collapsed"] > 0 for D in Ds)
    if not bound_ok:
        verdict = Verdict.NOT_REPRODUCED  # an ELBO above the likelihood bound means the measurement is wrong
    elif zero_cold and zero_warm_falls and near_warm_holds:
        verdict = Verdict.REFINED if (early_cold or not all(reach.values())) else Verdict.CONFIRMED
    elif not zero_cold:
        verdict = Verdict.NOT_REPRODUCED
    else:
        verdict = Verdict.OPEN
    ls = _ls_summary(runs)
    near = ", ".join(f"D={D}: cold {per[D]['near_cold_r/R']:.2f}R / warm {per[D]['near_warm_r/r*']:.2f}r* "
                     f"(r*={per[D]['near_r*/R']:.2f}R)" for D in Ds)
    far = ", ".join(f"{per[D]['far_cold_r/r*']:.2f}" for D in Ds)
    return Outcome(
        verdict=verdict,
        measured={
            "by_dimension": {str(D): per[D] for D in Ds},
            "capacity_trend_D8": cap,
            "elbo_within_bound": bound_ok,
            "all_r*=0_cold_runs_collapsed": zero_cold,
            "all_r*=0_warm_runs_radius_falling": zero_warm_falls,
            "warm_runs_at_0.95_sharp_not_collapsed": near_warm_holds,
            "far_below_radius_within_15%_of_r*": {str(D): reach[D] for D in Ds},
            "cold_runs_collapse_below_sharp_threshold": early_cold,
            "learned_sigma": ls,
        },
        paper={"threshold": "R/sqrt(D-1) (sufficient, infinite capacity)"},
        summary=(f"D={Ds}: every cold run with r*=0 collapsed (window too); at sigma=0.95R/sqrt(D) {near}; "
                 f"at 0.5R/sqrt(D) r/r* = {far}; capacity D=8 cold 0.95 collapse "
                 f"{[round(c['cold_collapsed_0.95'], 2) for c in cap]}"),
        details={"capacities": [c["capacity"] for c in cap],
                 "grid_sigma_over_sharp": {str(D): sorted(set(np.round(sp.position(r)[r.fixed()], 4)))
                                           for D, r in runs.items()}},
    )


# ------------------------------------------------------------------------------------------------
# BS20.T1-empirical and BS20.T1-sharp-empirical
# ------------------------------------------------------------------------------------------------


@claim(
    id="BS20.T1-empirical",
    source="Berger & Sebag 2020, Theorem 1, in trained VAEs",
    statement="Trained fixed-sigma VAEs on S_{D-1}(R) collapse (radius < 0.1 R) at and above sigma = R/sqrt(D-1).",
    expected=Verdict.CONFIRMED,
    expected_full=Verdict.CONFIRMED,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=_TOLS,
    finding="Confirmed: every cold run at and above R/sqrt(D-1) collapses for D = 2..32, and warm-started "
    "runs (radius ~0.9 R at the switch) shrink towards 0 without stopping.",
)
def check_t1_empirical(profile: Profile) -> Outcome:
    runs = _runs(profile)
    per = {D: _per_dimension(run) for D, run in runs.items()}
    Ds = sorted(per)
    cold = {D: per[D]["cold_collapsed_above"] for D in Ds}
    warm = {D: per[D]["warm_collapsed_above"] for D in Ds}
    falls = all(per[D]["warm_r*=0_radius_fell"] for D in Ds)
    if any(v < 1 for v in cold.values()):
        verdict = Verdict.NOT_REPRODUCED
    else:
        verdict = Verdict.CONFIRMED if falls else Verdict.OPEN
    return Outcome(
        verdict=verdict,
        measured={"cold_collapsed_fraction_above": {str(D): cold[D] for D in Ds},
                  "warm_collapsed_fraction_above": {str(D): warm[D] for D in Ds},
                  "warm_r*=0_radius_fell": falls,
                  "warm_r*=0_r/R_start_end": {str(D): per[D]["warm_r*=0_r/R_start_end"] for D in Ds}},
        paper={"collapse_for_sigma_>=": "R/sqrt(D-1)"},
        summary=(f"sigma >= R/sqrt(D-1): cold runs collapsed {[cold[D] for D in Ds]} (D={Ds}); warm runs (r*=0, "
                 f"window+above) r/R start->end " + ", ".join(
                     f"{per[D]['warm_r*=0_r/R_start_end'][0]:.2f}->{per[D]['warm_r*=0_r/R_start_end'][1]:.2f}"
                     for D in Ds)),
    )


@claim(
    id="BS20.T1-sharp-empirical",
    source="ours (BS20.T1-sharp), in trained VAEs",
    statement="Trained fixed-sigma VAEs already collapse inside the window R/sqrt(D) <= sigma < R/sqrt(D-1), "
    "where r* = 0 but Theorem 1 is silent: they follow R/sqrt(D), not R/sqrt(D-1).",
    expected=Verdict.CONFIRMED,
    expected_full=Verdict.OPEN,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=_TOLS,
    finding="Confirmed: every cold run inside the window collapses (D = 2..32); warm-started window runs decay "
    "towards 0 (slowly, the pull towards r = 0 is weak there: D = 8 from 0.81 R to 0.25 R in 800 steps) and the "
    "larger model of the capacity study finishes the collapse (0.006 R). Full profile: open: every window run "
    "collapses, but so do warm runs just below R/sqrt(D) (where r* ~ 0.2 R), so collapse in trained models does "
    "not single out R/sqrt(D).",
)
def check_t1_sharp_empirical(profile: Profile) -> Outcome:
    runs = _runs(profile)
    per = {D: _per_dimension(run) for D, run in runs.items()}
    cap = _capacity_trend(profile)
    Ds = sorted(per)
    cold = {D: per[D]["cold_collapsed_window"] for D in Ds}
    warm = {D: per[D]["warm_collapsed_window"] for D in Ds}
    falls = all(per[D]["warm_r*=0_radius_fell"] for D in Ds)
    holds_below = all(per[D]["near_warm_collapsed"] == 0 for D in Ds)
    if any(v < 1 for v in cold.values()):
        verdict = Verdict.NOT_REPRODUCED
    elif falls and holds_below:
        verdict = Verdict.CONFIRMED
    else:
        verdict = Verdict.OPEN
    windows = {D: [float(runs[D].R / math.sqrt(D) / runs[D].R), float(1 / math.sqrt(D - 1))] for D in Ds}
    return Outcome(
        verdict=verdict,
        measured={"window_sigma_over_R": {str(D): windows[D] for D in Ds},
                  "cold_collapsed_fraction_window": {str(D): cold[D] for D in Ds},
                  "warm_collapsed_fraction_window": {str(D): warm[D] for D in Ds},
                  "warm_r*=0_radius_fell": falls,
                  "warm_0.95_sharp_not_collapsed": holds_below,
                  "capacity_trend_warm_collapsed_window_D8": [c["warm_collapsed_window"] for c in cap],
                  "capacity_trend_warm_window_r/R_D8": [c["warm_window_r/R"] for c in cap]},
        paper={"threshold": "R/sqrt(D-1) (Theorem 1 says nothing inside the window)"},
        summary=(f"window: cold runs collapsed {[cold[D] for D in Ds]}, warm {[round(warm[D], 2) for D in Ds]} "
                 f"(D={Ds}); D=8 warm window r/R by capacity "
                 f"{[round(c['warm_window_r/R'], 3) for c in cap]}; warm runs at 0.95 R/sqrt(D) hold r>0: "
                 f"{holds_below}"),
    )


# ------------------------------------------------------------------------------------------------
# BS20.E-sphere-LS
# ------------------------------------------------------------------------------------------------


def _ls_summary(runs: dict[int, sp.SphereRun]) -> dict:
    out = {}
    for D, run in runs.items():
        sharp = run.R / math.sqrt(D)
        for f in sp.LS_INIT:
            rows = run.learned & np.isclose(run.init_sigma, f * sharp)
            out[f"D={D},init={f}*sharp"] = {
                "final_sigma/sharp": [float(v) for v in run.final_sigma[rows] / sharp],
                "r/R": [float(v) for v in run.prior_radius[rows] / run.R],
                "collapsed": [bool(v) for v in run.collapsed[rows]],
            }
    return out


# The self-consistent sigma of a collapsed LS-VAE is sqrt(E|x - mu|^2 / D) = sqrt(R^2 + |mu|^2) / sqrt(D)
# with |mu| < 0.1 R: at most 0.5% above R/sqrt(D); 1% also absorbs Adam's final steps (lr 1.5e-4).
_LS_SIGMA_REL = 0.01


@claim(
    id="BS20.E-sphere-LS",
    source="ours; Berger & Sebag 2020 eq. 10 (LS-VAE) on the data of Theorem 1",
    statement="An LS-VAE (learned scalar sigma) on S_{D-1}(R) never ends above R/sqrt(D): a collapsed model's "
    "optimal sigma^2 = E|x - mu|^2 / D = R^2/D is exactly the sharp threshold, so started above it the LS-VAE "
    "descends to sigma = R/sqrt(D) and stays collapsed there; started below it may keep a sphere.",
    expected=Verdict.CONFIRMED,
    expected_full=Verdict.CONFIRMED,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=(Tolerance("ls_sigma_rel", _LS_SIGMA_REL, "collapsed LS-VAE's sigma is sqrt(R^2+|mu|^2)/sqrt(D), "
                          "|mu| < 0.1 R: within 0.5% of R/sqrt(D); 1% allows Adam's last steps"),
                _TOLS[0]),
    finding="Confirmed: started at 2 R/sqrt(D) every LS-VAE ends collapsed at sigma = R/sqrt(D) (within 2e-4, "
    "D = 2..32), the marginal point, never in the window; started at 0.5 R/sqrt(D) it keeps a sphere with "
    "sigma < R/sqrt(D) for D <= 8 and drifts up to the threshold, collapsing, at D = 32.",
)
def check_e_sphere_ls(profile: Profile) -> Outcome:
    runs = _runs(profile)
    ls = _ls_summary(runs)
    from_above, never_above = [], []
    for D, run in runs.items():
        sharp = run.R / math.sqrt(D)
        for i in np.flatnonzero(run.learned):
            s = run.final_sigma[i]
            never_above.append(bool(s <= sharp * (1 + _LS_SIGMA_REL)))
            if run.init_sigma[i] > sharp:  # started above: must end collapsed on the sharp threshold
                from_above.append(bool(run.collapsed[i]) and abs(s / sharp - 1) <= _LS_SIGMA_REL)
    ok = all(from_above) and all(never_above)
    verdict = Verdict.CONFIRMED if ok else Verdict.NOT_REPRODUCED
    worst = max(abs(runs[D].final_sigma[i] * math.sqrt(D) / runs[D].R - 1) for D in runs
                for i in np.flatnonzero(runs[D].learned & (runs[D].init_sigma > runs[D].R / math.sqrt(D))))
    below = {k: (round(float(np.mean(v["final_sigma/sharp"])), 3), round(float(np.mean(v["r/R"])), 2))
             for k, v in ls.items() if k.endswith(f"init={sp.LS_INIT[0]}*sharp")}
    return Outcome(
        verdict=verdict,
        measured={"runs": ls, "from_above_max_|sigma/sharp-1|": worst,
                  "from_above_all_collapsed_on_threshold": all(from_above),
                  "no_final_sigma_above_threshold": all(never_above)},
        paper={"LS-VAE": "learns sigma; the paper does not treat the sphere"},
        summary=(f"from 2 R/sqrt(D): collapsed at sigma = R/sqrt(D) within {worst:.1e} (all D); from "
                 f"0.5 R/sqrt(D) (sigma/sharp, r/R): " + ", ".join(f"{k.split(',')[0]} {v}" for k, v in below.items())),
    )
