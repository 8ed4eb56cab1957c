"""BS20 claims measured on trained VAEs: the 2-D toy (Table 1, Figs. 4-10) and Sec. 3.2-3.3.

All toy claims share one cached run per profile (:func:`toyvae.experiments.toy2d.run`).
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.stats

from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim
from toyvae.experiments import toy2d

_T_LEVEL = 0.975  # see the tolerance "t_seed" of BS20.T1tab


def _t_critical(n_seeds: int) -> float:
    """Two-sided 95% Student-t quantile for the paired mean of ``n_seeds`` differences."""
    return float(scipy.stats.t.ppf(_T_LEVEL, n_seeds - 1)) if n_seeds > 1 else np.inf

__all__ = ["check_t1tab", "check_lvae", "check_f4", "check_a2", "check_s32"]


def _profile_note(r: toy2d.Toy2DResult) -> str:
    p = r.plan
    return f"{len(p.seeds)} seeds, {p.steps} steps, {p.depth} blocks of {p.width}"


def _mean(r, name, key="elbo"):
    return float(np.mean(r.metrics[name][key]))


def _se(r, name, key="elbo"):
    v = r.metrics[name][key]
    return float(np.std(v, ddof=1) / np.sqrt(v.size)) if v.size > 1 else 0.0


@claim(
    id="BS20.T1tab",
    source="Berger & Sebag 2020, Sec. 4.2, Table 1",
    statement="On the 2-D heteroscedastic toy the held-out ELBO orders LV-VAE > LS-VAE > every "
              "fixed-sigma F-VAE; among fixed sigmas the best is intermediate; F* (sigma fixed at "
              "LS-VAE's final value) is below LS-VAE.",
    expected=Verdict.OPEN,
    expected_full=Verdict.OPEN,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=(Tolerance("t_seed", _T_LEVEL, "an ordering counts when the paired (same-seed) ELBO "
                          "difference's t statistic over n seeds exceeds the two-sided 95% Student-t "
                          "quantile with n-1 degrees of freedom (2.57 for 6 seeds, 2.26 for 10): a 5% "
                          "false call per ordering for normal seed noise; below minus that it is "
                          "reversed, in between unresolved"),),
    finding=("Open in the quick profile (6 seeds, 6000 steps, 2 blocks of 64): LS > every F (t=6.5), an "
             "intermediate best F (sigma 0.1; t=5.1) and F* < LS (t=6.8) hold, but LV -1.15 vs LS -1.26 is "
             "unresolved (paired t=1.7 < 2.57). Per seed, LV - LS moves by up to 0.35 nats under float-rounding "
             "changes alone (one vs two CPU devices), so this ordering is decided by training noise at this "
             "size. Full profile (10 seeds, 30k steps, 4 blocks of 200; sigma* 0.048 vs paper 0.043): still "
             "open, LV -1.06 vs LS -0.95 (t=-0.6), the other orderings hold (t=3.3, 7.6, 6.1 > 2.26). "
             "Absolute ELBOs differ from the paper's (our curve, all constants). Rule history: until "
             "2026-11-23 the quick profile had 3 seeds and a fixed threshold of 2, which for 2 degrees of "
             "freedom is an 18% false call, not 5%; it was corrected (seeds 6, Student-t quantile) after a "
             "change of the engine's rounding flipped LV > LS from t=0.4 to t=11.3."),
)
def check_t1tab(profile: Profile) -> Outcome:
    r = toy2d.run(profile)
    rows = {row["name"]: row for row in toy2d.table(r)}
    elbo = {n: row["elbo"] for n, row in rows.items()}
    per_seed = {n: np.asarray(r.metrics[n]["elbo"], np.float64) for n in rows}
    fixed = ["F 1", "F 0.3", "F 0.1", "F 0.03", "F 0.01"]
    best_f = max(fixed + ["F*"], key=elbo.get)
    best_grid = max(fixed, key=elbo.get)

    def paired(a: str, b: str) -> float:
        """t statistic of the paired difference a - b over seeds (same seed = same init and batches)."""
        d = per_seed[a] - per_seed[b]
        if d.size < 2:
            return float(np.sign(d.mean()) * np.inf) if d.mean() != 0 else 0.0
        se = d.std(ddof=1) / np.sqrt(d.size)
        return float(d.mean() / se) if se > 0 else float(np.sign(d.mean()) * np.inf)

    z = {
        "LV > LS": paired("LV", "LS"),
        "LS > every F": min(paired("LS", n) for n in fixed + ["F*"]),
        "best F intermediate": min(paired(best_grid, end) for end in ("F 1", "F 0.01"))
        if best_grid not in ("F 1", "F 0.01") else -np.inf,
        "F* < LS": paired("LS", "F*"),
    }
    # An ordering holds when the paired t exceeds the 95% Student-t quantile, is reversed below
    # minus it, and is unresolved in between (too few seeds or too close to call).
    t_crit = _t_critical(len(r.plan.seeds))
    state = {k: ("holds" if v > t_crit else "REVERSED" if v < -t_crit else "unresolved") for k, v in z.items()}
    if all(v == "holds" for v in state.values()):
        verdict = Verdict.CONFIRMED
    elif any(v == "REVERSED" for v in state.values()):
        verdict = Verdict.NOT_REPRODUCED
    else:
        verdict = Verdict.OPEN
    held = ", ".join(f"{k}: {state[k]} (t={z[k]:.1f})" for k in z) + f" [t crit {t_crit:.2f}]"
    ours = " ".join(f"{n} {elbo[n]:.2f}" for n in ["F 1", "F 0.3", "F 0.1", "F*", "F 0.03", "F 0.01", "LS", "LV"])
    return Outcome(
        verdict=verdict,
        measured={**{f"elbo[{n}]": round(v, 4) for n, v in elbo.items()},
                  **{f"elbo_std[{n}]": round(rows[n]["elbo_std"], 4) for n in rows},
                  "sigma_star": r.sigma_star, "best_F": best_f,
                  **{f"t[{k}]": v for k, v in z.items()}, "t_critical": t_crit,
                  **{f"ordering[{k}]": v for k, v in state.items()},
                  "profile": _profile_note(r)},
        paper=dict(toy2d.PAPER_TABLE1, sigma_star=toy2d.PAPER_SIGMA_STAR),
        summary=f"[{_profile_note(r)}] {held}; ELBO {ours}; sigma*={r.sigma_star:.3f} (paper 0.043)",
        details={"table": toy2d.table(r)},
    )


@claim(
    id="BS20.L-VAE",
    source="Berger & Sebag 2020, Sec. 3.3, eq. 10",
    statement="A trained LS-VAE (learned scalar sigma) ends with sigma^2 equal to the per-dimension "
              "squared reconstruction error E||x - mu(z)||^2 / D.",
    expected=Verdict.NOT_REPRODUCED,
    expected_full=Verdict.NOT_REPRODUCED,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=(Tolerance("rel_sigma2", 0.10, "sigma is stationary only on average: Adam noise at "
                          "lr 1e-3 and a sigma still drifting down at the end of training move it "
                          "by several per cent; the squared error is a mean over held-out points "
                          "and k posterior draws"),),
    finding=("Quick profile: LS-VAE's sigma is still falling when training stops (1 -> 0.29 -> 0.17 -> "
             "0.10 -> 0.081 at 0/25/50/75/100%, geometric mean of 6 seeds), and sigma^2 is within 13.6% of "
             "the held-out MSE/D for the worst seed, outside the 10% tolerance: not yet at eq. 10's optimum. "
             "Full profile: 10.6% for the worst of 10 seeds (the other nine within 10%), still outside."),
)
def check_lvae(profile: Profile) -> Outcome:
    r = toy2d.run(profile)
    ls = r.phase1.index("LS")
    sigma = r.phase1.history["sigma"][ls, :, -1]  # per seed, mean over the last record window
    sq = r.metrics["LS"]["sq_err"]
    rel = np.abs(sigma**2 / sq - 1.0)
    symbolic = _symbolic("proofs.lvae_optimum")
    tol = 0.10
    verdict = Verdict.CONFIRMED if np.all(rel <= tol) else Verdict.NOT_REPRODUCED
    return Outcome(
        verdict=verdict,
        measured={"sigma2": sigma**2, "sq_err_per_dim": sq, "max_rel": float(rel.max()),
                  "symbolic": symbolic, "profile": _profile_note(r)},
        paper={"sigma*": toy2d.PAPER_SIGMA_STAR},
        summary=f"[{_profile_note(r)}] sigma^2 {np.round(np.asarray(sigma, np.float64)**2, 5).tolist()} vs MSE/D "
                f"{np.round(sq, 5).tolist()} (max rel {rel.max():.1%}, tol {tol:.0%}); symbolic: {symbolic}",
    )


@claim(
    id="BS20.F4",
    source="Berger & Sebag 2020, Sec. 4.2, Figs. 4, 6, 7",
    statement="LV-VAE's learned sigma(z), read on each region of the toy, tracks that region's noise level.",
    expected=Verdict.NOT_REPRODUCED,
    expected_full=Verdict.NOT_REPRODUCED,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=(Tolerance("factor", 2.0, "sigma(z) need not equal the noise std: part of the noise "
                          "is encoded in z and reconstructed, which lowers the residual; a factor 2 "
                          "separates tracking from a constant band (our noise levels span a factor 10)"),),
    finding=("Quick profile: LV-VAE's sigma(z) orders the regions like their noise (0.036 < 0.098 < 0.135 "
             "for noise 0.01 < 0.05 < 0.1) but sits 3.6x above the small region's noise: it tracks the "
             "ordering, not the level (factor-2 tolerance). Full profile: 0.026 / 0.080 / 0.134, still 2.6x the "
             "small region's noise."),
)
def check_f4(profile: Profile) -> Outcome:
    import jax

    from toyvae.engine import reconstruct

    r = toy2d.run(profile)
    lv = r.phase1.index("LV")
    x, region, _ = r.data.sample_labelled(jax.random.PRNGKey(30_000), 3000)
    x, region = np.asarray(x), np.asarray(region)
    per_seed = []
    for k in range(len(r.plan.seeds)):
        _, sig = reconstruct(r.phase1, lv, k, x)
        g = np.sqrt(sig[:, 0] * sig[:, 1])  # geometric mean over the two coordinates
        per_seed.append([float(np.median(g[region == j])) for j in range(3)])
    sig_region = np.exp(np.mean(np.log(per_seed), axis=0))  # geometric mean over seeds
    noise = np.asarray(r.data.noise)
    order_ok = list(np.argsort(sig_region)) == list(np.argsort(noise))
    ratio = sig_region / noise
    within = bool(np.all((ratio <= 2.0) & (ratio >= 0.5)))
    verdict = Verdict.CONFIRMED if order_ok and within else Verdict.NOT_REPRODUCED
    return Outcome(
        verdict=verdict,
        measured={"sigma_by_region": sig_region, "noise_by_region": noise, "ratio": ratio,
                  "order_matches": order_ok, "within_factor_2": within, "per_seed": per_seed,
                  "profile": _profile_note(r)},
        summary=f"[{_profile_note(r)}] LV sigma(z) by region (moderate, small, large) "
                f"{np.round(sig_region, 4).tolist()} vs noise {noise.tolist()}; order "
                f"{'matches' if order_ok else 'DIFFERS'}, ratios {np.round(ratio, 2).tolist()}",
    )


@claim(
    id="BS20.A2",
    source="Berger & Sebag 2020, App. A.2, Figs. 8-10",
    statement="An F-VAE whose sigma follows LS-VAE's recorded sigma schedule reaches LS-VAE's ELBO, "
              "while F* (sigma fixed at LS-VAE's final value from the start) does not.",
    expected=Verdict.CONFIRMED,
    expected_full=Verdict.CONFIRMED,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=(Tolerance("elbo_gap", 0.1, "nats per point: the paper's seed spread on Table 1 is "
                          "0.08-0.12, so 0.1 is 'the same ELBO' at its resolution"),),
    finding=("Quick profile: the F-VAE on LS-VAE's recorded sigma schedule ends near LS's ELBO (-1.300 vs "
             "-1.261, seed s.e. 0.06 and 0.03) while F* ends 0.40 nats below (-1.662): the schedule, not the "
             "final sigma, matters. (With 4000 quick steps, an earlier setting, the scheduled F-VAE ended beyond "
             "the 0.1 tolerance: the agreement needs training long enough to follow the schedule.)"),
)
def check_a2(profile: Profile) -> Outcome:
    r = toy2d.run(profile)
    ls, sched, fstar = _mean(r, "LS"), _mean(r, "F sched"), _mean(r, "F*")
    tol = 0.1
    reaches = abs(sched - ls) <= tol
    fstar_below = fstar < ls - tol
    verdict = Verdict.CONFIRMED if reaches and fstar_below else Verdict.NOT_REPRODUCED
    traj = np.exp(np.mean(np.log(r.phase1.history["sigma"][r.phase1.index("LS")]), axis=0))
    quarters = [float(traj[min(len(traj) - 1, int(q * len(traj)))]) for q in (0.0, 0.25, 0.5, 0.75, 1.0)]
    return Outcome(
        verdict=verdict,
        measured={"elbo_LS": ls, "elbo_F_sched": sched, "elbo_F*": fstar,
                  "se_LS": _se(r, "LS"), "se_F_sched": _se(r, "F sched"), "se_F*": _se(r, "F*"),
                  "sched_reaches_LS": reaches, "F*_below_LS": fstar_below,
                  "LS_sigma_at_0_25_50_75_100pct": quarters, "profile": _profile_note(r)},
        paper={"claim": "F sched = LS (same curves and ELBO), F* 0.335 < LS 1.26"},
        summary=f"[{_profile_note(r)}] ELBO LS {ls:.3f}+-{_se(r, 'LS'):.3f}, F sched {sched:.3f}+-"
                f"{_se(r, 'F sched'):.3f}, F* {fstar:.3f}+-{_se(r, 'F*'):.3f} (+- seed s.e.) "
                f"(sched reaches LS within {tol}: {reaches}; F* below LS by > {tol}: {fstar_below})",
    )


@functools.cache
def _s32_run(adam_eps: float = 1e-8):
    from toyvae.engine import HeteroscedasticCurve, Setting, VAEConfig, train

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
    symbolic = _symbolic("proofs.bs20_s32")
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
