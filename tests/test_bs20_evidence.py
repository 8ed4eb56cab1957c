"""BS20 sphere and image claims on the evidence layer: measurements from synthetic runs, the rules' verdicts
in the cases that would decide them, a saved row re-judged to the same verdict, and their plots."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from toyvae.claims import bs20_images, bs20_sphere
from toyvae.claims.registry import all_claims, rejudge, run_claim
from toyvae.evidence import decide
from toyvae.experiments import sphere as sp
from toyvae.plots import plot_for
from toyvae.theory import hypersphere as hs

SEEDS = 3


def _synthetic_run(D: int, *, window_settles: bool = False, above_settles: bool = False,
                   below_collapses: bool = False, rng_seed: int = 0) -> sp.SphereRun:
    """A SphereRun with the quick grid whose radius paths follow the picture we choose: runs below R/sqrt(D)
    settle near 0.9 r*, runs with r* = 0 decay geometrically (unless told to settle), warm runs share their phase."""
    rng = np.random.default_rng(rng_seed)
    R = math.sqrt(D)
    sharp = R / math.sqrt(D)
    sig = sp.sigma_grid(R, D, sp.GRID)
    n, k_warm = sig.size, int(round(sp.WARM_FRACTION * sp.N_CHECKPOINTS)) - 1
    sigma = np.concatenate([sig, sig, [np.nan, np.nan]])
    learned = np.r_[np.zeros(2 * n, bool), True, True]
    warm = np.r_[np.zeros(n, bool), np.ones(n, bool), False, False]
    init = np.concatenate([sig, np.full(n, sp.WARM_SIGMA * sharp), [f * sharp for f in sp.LS_INIT]])
    rows = sigma.size
    sigma, learned, warm, init = (np.repeat(a, SEEDS) for a in (sigma, learned, warm, init))
    seed = np.tile(np.arange(SEEDS), rows)
    final_sigma = np.where(learned, np.where(init > sharp, sharp * 1.0001, 0.6 * sharp), sigma)
    r_star = np.asarray(hs.optimal_radius(R, final_sigma, D), np.float64)
    t = np.arange(1, sp.N_CHECKPOINTS + 1)
    suff = math.sqrt(D / (D - 1)) - 1e-9
    path = np.empty((rows * SEEDS, sp.N_CHECKPOINTS))
    for i in range(path.shape[0]):
        noise = 1 + 0.01 * rng.standard_normal(sp.N_CHECKPOINTS)
        if learned[i]:
            path[i] = (0.9 * r_star[i] if r_star[i] > 0.05 * R else 0.01 * R) * noise
            continue
        pos = sigma[i] / sharp
        t0 = k_warm + 1 if warm[i] else 0
        elapsed = np.maximum(t - t0, 0)
        start = 0.85 * R if warm[i] else 0.08 * R
        target = 0.9 * r_star[i] if r_star[i] > 0.05 * R else None
        if target is None and ((pos < suff and window_settles) or (pos >= suff and above_settles)):
            target = 0.4 * R  # a run that keeps a sphere where r* = 0 (the picture the rules must catch)
        if below_collapses and 0.6 < pos < 1:
            target = None
        if target is None:  # collapsing: geometric decay, slower near the threshold
            path[i] = start * np.exp(-(0.15 + 0.3 * min(max(pos - 1, 0), 1)) * elapsed)
        else:  # settling fast on its sphere
            path[i] = target + (start - target) * np.exp(-2.0 * elapsed)
        path[i] *= noise
    prior = path[:, -1]
    best = np.asarray(hs.log_likelihood(r_star, R, final_sigma, D), np.float64)
    return sp.SphereRun(D=D, R=R, capacity=sp.Capacity(), sigma=sigma, learned=learned, warm=warm, init_sigma=init,
                        seed=seed, prior_radius=prior, prior_radius_std=0.1 * prior, recon_radius=prior,
                        recon_radius_std=0.1 * prior, init_prior_radius=np.full(rows * SEEDS, 0.08 * R),
                        radius_path=path, elbo=best - 0.2, elbo_se=np.full(rows * SEEDS, 0.02),
                        rate=np.ones(rows * SEEDS),
                        final_sigma=final_sigma, r_star=r_star, best_loglik=best)


def _runs(**kw):
    return {D: _synthetic_run(D, rng_seed=D, **kw) for D in (2, 3, 8)}


def test_measure_thresholds_names_and_late_shrink():
    runs = _runs()
    m = sp.measure_thresholds(runs)
    for D in (2, 3, 8):
        for place in ("below_0.8", "below_0.9", "window", "above_1", "above_1.25"):
            assert m.evidence[f"D={D}/{place}/late_shrink"].shape == (SEEDS,)
        run = runs[D]
        i = np.flatnonzero(run.fixed(warm=True) & (sp.region(run) == "window"))
        expected = np.log(run.radius_path[i, sp.LATE_CHECKPOINT] / run.radius_path[i, -1])
        np.testing.assert_allclose(m.evidence[f"D={D}/window/late_shrink"], expected[np.argsort(run.seed[i])])
        assert m.evidence[f"D={D}/far/cold_r_over_r*"] == pytest.approx(np.full(SEEDS, 0.9), rel=0.05)
    assert sp.LATE_CHECKPOINT == 7  # the last third of 12 checkpoints
    json.dumps(m.figure_data)  # JSON-able for the report


def test_threshold_rules_decide_the_cases_that_matter():
    sharp_followed = sp.measure_thresholds(_runs()).evidence
    assert decide(bs20_sphere.t1_sharp_rules, sharp_followed).verdict == "confirmed"
    assert decide(bs20_sphere.t1_empirical_rules, sharp_followed).verdict == "confirmed"
    # the window run keeps a sphere (the R/sqrt(D-1) picture): its late shrink sits with the reference run's
    kept = sp.measure_thresholds(_runs(window_settles=True)).evidence
    assert decide(bs20_sphere.t1_sharp_rules, kept).verdict in ("open", "not reproduced")
    assert decide(bs20_sphere.t1_empirical_rules, kept).verdict == "confirmed"  # its claim is about above only
    # the positive control fails: runs at R/sqrt(D-1) do not collapse either -> no verdict but open
    above_kept = sp.measure_thresholds(_runs(window_settles=True, above_settles=True)).evidence
    d = decide(bs20_sphere.t1_sharp_rules, above_kept)
    assert d.verdict == "open" and "control failed" in d.reason


def test_rules_depend_on_the_recorded_dimensions_only():
    ev = sp.measure_thresholds(_runs()).evidence
    only8 = {k: v for k, v in ev.items() if k.startswith("D=8/")}
    names = {r.name for r in bs20_sphere.e_sphere_rules(only8).all()}
    assert names and all(n.startswith("D=8") for n in names)
    assert bs20_sphere.e_sphere_rules(ev).fingerprint() == bs20_sphere.e_sphere_rules(
        {k: np.zeros(3) for k in ev}).fingerprint()


def test_ls_rules():
    ev = sp.measure_ls(_runs()).evidence
    assert decide(bs20_sphere.ls_rules, ev).verdict == "confirmed"
    # collapsed is per run: radii spread over a factor 6 far below 0.1 R (the replication at seed offset 1) hold
    spread = dict(ev, **{"D=2/from_above/r_over_R": np.array([0.0046, 0.0058, 0.0281])})
    assert decide(bs20_sphere.ls_rules, spread).verdict == "confirmed"
    one_kept = dict(ev, **{"D=2/from_above/r_over_R": np.array([0.0046, 0.0058, 0.3])})
    assert decide(bs20_sphere.ls_rules, one_kept).verdict == "not reproduced"
    off = dict(ev, **{"D=3/from_above/sigma_over_sharp": np.array([1.05, 1.06, 1.055])})
    assert decide(bs20_sphere.ls_rules, off).verdict == "not reproduced"


def test_t2tab_rules():
    ev = {"raw/bits_per_pixel/F": [-0.93, -0.93, -0.93], "raw/bits_per_pixel/LS": [0.2, 0.22, 0.23],
          "raw/bits_per_pixel/LV": [1.49, 1.50, 0.91], "raw/gain_on_varying_pixels_bpp": [2.3, 2.3, 1.8]}
    assert decide(bs20_images.t2tab_rules, ev).verdict == "confirmed"
    worse = dict(ev, **{"raw/bits_per_pixel/LV": [-1.5, -1.6, -1.55], "raw/gain_on_varying_pixels_bpp": [1, 1.1, 1.2]})
    assert decide(bs20_images.t2tab_rules, worse).verdict == "not reproduced"
    floor_only = dict(ev, **{"raw/gain_on_varying_pixels_bpp": [-0.1, -0.12, -0.09]})
    assert decide(bs20_images.t2tab_rules, floor_only).verdict == "open"  # the control fails
    deq = {k.replace("raw", "dequantized"): v for k, v in ev.items()}
    assert {r.name for r in bs20_images.t2tab_rules({**ev, **deq}).core} == {"raw: LV > F", "dequantized: LV > F"}


@pytest.mark.parametrize("claim_id", ["BS20.E-sphere", "BS20.T1-empirical", "BS20.T1-sharp-empirical",
                                      "BS20.E-sphere-LS"])
def test_saved_rows_rejudge_to_the_same_verdict_and_plot(monkeypatch, claim_id):
    runs = _runs()
    monkeypatch.setattr(sp, "runs", lambda profile=None, seed=0: runs)
    c = {c.id: c for c in all_claims()}[claim_id]
    result = run_claim(c)
    row = json.loads(json.dumps(result.to_json()))
    again = rejudge(row)
    assert again.verdict == row["verdict"] and again.fingerprint == row["rule_fingerprint"]
    fig = plot_for(claim_id)(row["figure_data"])
    assert fig.axes


def test_t2tab_plot_draws_its_figure_data():
    data = {"settings": ["F", "LS", "LV"], "variants": {"raw": {"F": [-0.9, -0.9], "LS": [0.2, 0.2], "LV": [1.3, 1.2]}},
            "paper_MNIST": {"F": 0.06, "LV": 4.89}}
    assert plot_for("BS20.T2tab")(data).axes


def test_pixel_gradient_on_a_step_image():
    from toyvae.experiments import digits

    im = np.zeros((8, 8))
    im[:, 4:] = 1.0  # a vertical step: edge pixels on columns 3 and 4, flat elsewhere
    g = digits.pixel_gradient(im.reshape(1, 64)).reshape(8, 8)
    assert np.all(g[:, 3:5] > digits.EDGE_GRADIENT)
    assert np.all(g[:, :3] < digits.FLAT_GRADIENT) and np.all(g[:, 5:] < digits.FLAT_GRADIENT)


def test_s43_rules_and_plot():
    ev = {"raw/rate/F": [0.22, 0.23, 0.19], "raw/rate/LV": [9.1, 7.6, 7.6], "raw/sq_err/F": [0.070, 0.070, 0.070],
          "raw/sq_err/LV": [0.041, 0.044, 0.051], "raw/log_sigma_edge": [-1.75, -1.70, -1.40],
          "raw/log_sigma_flat": [-4.67, -4.63, -3.34], "raw/log_sigma_flat_on_stroke": [-1.34, -1.28, -1.10]}
    d = decide(bs20_images.s43_rules, ev)
    assert d.verdict == "refined"
    no_stroke = dict(ev, **{"raw/log_sigma_flat_on_stroke": [np.nan] * 3})
    assert decide(bs20_images.s43_rules, no_stroke).verdict == "confirmed"
    flat_edges = dict(ev, **{"raw/log_sigma_edge": [-4.9, -4.8, -3.6]})
    assert decide(bs20_images.s43_rules, flat_edges).verdict == "not reproduced"
    m = np.full((8, 8), 0.1).tolist()
    data = {"variants": {"raw": {"rate": {"F": [0.2], "LV": [8.0]}, "sq_err": {"F": [0.07], "LV": [0.045]},
                                 "log_sigma_edge": [-1.7], "log_sigma_flat": [-4.6], "sigma_map": m}},
            "edge_share_map": m}
    assert plot_for("BS20.S43")(data).axes
