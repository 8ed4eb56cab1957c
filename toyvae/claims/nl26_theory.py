"""NL26 appendix D (linear-Gaussian VAE): the KL split, eq. (44), eqs. (45)-(46), isotropy, Theorem 41.

Each check has three parts:

1. the sympy derivation in ``proofs/`` (every step asserted; we report how many);
2. the derived expressions, lambdified, against the ``toyvae.theory.linear_gaussian`` functions;
3. an independent numerical oracle (quadrature, Monte Carlo, brute-force minimisation), which does not
   use the closed form it tests.

The verdict is "confirmed" when all three agree within the stated tolerances, "not reproduced" otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import integrate, optimize, stats

from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim, figure_numbers
from toyvae.theory import linear_gaussian

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["check_kl", "check_e44", "check_t46", "check_iso", "check_t41"]

_LIBRARY_TOL = Tolerance(
    "library_rel", 1e-10,
    "lambdified sympy result vs the float64 library: both exact closed forms, rounding ~1e-14; the margin "
    "covers cancellation in the naive lambdified expressions",
)
_BRUTE_S_TOL = Tolerance(
    "brute_force_rel", 1e-6,
    "a minimiser located from function values alone (bounded Brent, xatol 1e-12 on log s) is only accurate to "
    "~sqrt(machine eps) ~ 1e-8 relative where the objective is flat; 1e-6 leaves a margin",
)


def _symbolic(module_name: str) -> tuple[int | None, float | None, str]:
    import importlib

    from toyvae.proofs._derivation import evidence

    return evidence(importlib.import_module(f"toyvae.proofs.{module_name}"))


def _verdict(ok: bool) -> Verdict:
    return Verdict.CONFIRMED if ok else Verdict.NOT_REPRODUCED


def _g_explicit(s):
    """g(s) = (s - 1 - log s) / 2 written out (the oracles do not call the library's g)."""
    return 0.5 * (s - 1.0 - np.log(s))


def _brute_force_s(c: float, beta: float) -> float:
    """argmin_s c s + beta g(s) by bounded Brent on u = log s (no closed form used)."""
    res = optimize.minimize_scalar(lambda u: c * np.exp(u) + beta * _g_explicit(np.exp(u)),
                                   bounds=(-30.0, 5.0), method="bounded", options={"xatol": 1e-12})
    return float(np.exp(res.x))


def plot_kl(data) -> Figure:
    """The variance part g(s) of the KL, with the quadrature values (minus the mean part) on it."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.subplots()
    s_line = np.geomspace(1e-3, 1e2, 300)
    ax.loglog(s_line, _g_explicit(s_line), "k-", lw=1.2, label="g(s) = (s - 1 - log s)/2")
    pts = np.array(data["cases"], dtype=float)  # rows: mu, s, quadrature KL
    ax.loglog(pts[:, 1], pts[:, 2] - pts[:, 0] ** 2 / 2, "o", ms=7, mfc="none", color="tab:red",
              label="quadrature KL - mu^2/2 at the tested (mu, s)")
    ax.set(xlabel="posterior variance s", ylabel="variance part of the KL  [nats]")
    ax.set_title(f"NL26: KL = |mu|^2/2 + sum g(s_i); worst relative error {data['worst_rel']:.1e}", fontsize=9)
    ax.legend(fontsize=8)
    return fig


@claim(
    id="NL26.KL",
    source="NL26, Fig. 1 and App. D (KL to the standard normal prior)",
    statement="KL(N(mu, diag s) || N(0, I)) splits into a mean part |mu|^2/2 and a variance part sum_i g(s_i), "
              "g(s) = (s - 1 - log s)/2, with g''(s) = 1/(2 s^2).",
    expected=Verdict.CONFIRMED,
    tolerances=(_LIBRARY_TOL, Tolerance(
        "quadrature_rel", 1e-8,
        "scipy quad of q log(q/p) over mu +- 40 sqrt(s) with epsrel 1e-11 (the tails beyond carry < e^-800)")),
    finding="Derived from the Gaussian integral in sympy and matched by quadrature of the KL integral to ~1e-15.",
    plot=plot_kl,
)
def check_kl(profile: Profile) -> Outcome:
    n_steps, lib, err = _symbolic("nl26_kl")
    cases = [(0.0, 1.0), (0.5, 0.2), (-2.0, 3.0), (1.0, 1e-3), (0.0, 50.0), (3.0, 0.7)]
    worst, quadratures = 0.0, []
    for mu, s in cases:
        sd = np.sqrt(s)

        def integrand(z, mu=mu, sd=sd):
            lq = stats.norm.logpdf(z, mu, sd)
            return np.exp(lq) * (lq - stats.norm.logpdf(z))

        quad, _ = integrate.quad(integrand, mu - 40 * sd, mu + 40 * sd, epsabs=0.0, epsrel=1e-11, limit=200)
        closed = float(linear_gaussian.kl_standard_normal([mu], [s]).total)
        quadratures.append(quad)
        worst = max(worst, abs(quad - closed) / max(abs(closed), 1e-300))
    # several coordinates: the library's sum against the sum of 1-D quadratures is the same comparison;
    # check the split itself: total = mean part + variance part
    mu_v, s_v = np.array([c[0] for c in cases]), np.array([c[1] for c in cases])
    parts = linear_gaussian.kl_standard_normal(mu_v, s_v)
    split_err = float(abs(parts.total - 0.5 * np.sum(mu_v**2) - np.sum(_g_explicit(s_v))) / parts.total)
    ok = not err and lib <= _LIBRARY_TOL.value and worst <= 1e-8 and split_err <= 1e-12
    return Outcome(
        verdict=_verdict(ok),
        measured={"sympy_steps": n_steps, "library_rel": lib, "quadrature_rel_max": worst, "split_rel": split_err,
                  "cases": len(cases)},
        figure_data={"cases": [[mu, s, q] for (mu, s), q in zip(cases, quadratures)], "worst_rel": worst},
        rule="Confirmed if the sympy derivation passes, the lambdified result matches the library within library_rel, "
             "quadrature matches mu^2/2 + g(s) within quadrature_rel and the split holds to 1e-12; not reproduced "
             "otherwise.",
        summary=err or f"{n_steps} sympy steps; lambdified vs library {lib:.1e}; quadrature vs "
                       f"mu^2/2 + g(s) max rel {worst:.1e} over {len(cases)} (mu, s)",
    )


def plot_e44(data) -> Figure:
    """Monte Carlo z-scores of eq. (44) for the three random configurations, against the 5-sigma bound."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.6, 3.6))
    ax = fig.subplots()
    z = np.array(data["z_scores"], dtype=float)
    ax.bar(np.arange(1, z.size + 1), z, color="tab:blue", width=0.5)
    ax.axhline(data["bound"], color="tab:red", ls="--", label=f"bound {data['bound']:g} standard errors")
    ax.set(xlabel="random configuration (W, G, x, mu, s)", ylabel="|MC mean - eq. 44| / standard error",
           xticks=np.arange(1, z.size + 1), ylim=(0, data["bound"] * 1.15))
    ax.set_title(f"NL26 eq. (44) by Monte Carlo, N = {data['N']} samples each", fontsize=9)
    ax.legend(fontsize=8)
    return fig


@claim(
    id="NL26.E44",
    source="NL26, App. D, eq. (44)",
    statement="For Z ~ N(mu, diag s): E[(x - W Z)^T G (x - W Z)] = (x - W mu)^T G (x - W mu) + sum_i c_i s_i with "
              "c_i = (W^T G W)_ii.",
    expected=Verdict.CONFIRMED,
    tolerances=(_LIBRARY_TOL, Tolerance(
        "mc_sigmas", 5.0,
        "Monte Carlo mean within 5 standard errors (std/sqrt(N)) of eq. (44): a false alarm has probability "
        "< 6e-7 per configuration")),
    finding="Derived symbolically (3 x 2 generic W, symmetric G) and matched by Monte Carlo within 5 sigma/sqrt(N).",
    plot=plot_e44,
)
def check_e44(profile: Profile) -> Outcome:
    n_steps, lib, err = _symbolic("nl26_e44")
    n = 200_000 if profile == Profile.QUICK else 2_000_000
    rng = np.random.default_rng(0)
    z_scores = []
    for _ in range(3):
        n_out, d = 5, 3
        W = rng.normal(size=(n_out, d))
        A = rng.normal(size=(n_out, n_out))
        G = A @ A.T + 0.1 * np.eye(n_out)
        x, mu = rng.normal(size=n_out), rng.normal(size=d)
        s = np.exp(rng.normal(size=d))
        Z = mu + np.sqrt(s) * rng.standard_normal((n, d))
        res = x - Z @ W.T
        d_m = np.einsum("ni,ij,nj->n", res, G, res)
        closed = float(linear_gaussian.expected_distortion(x, mu, s, W, G))
        z_scores.append(float(abs(d_m.mean() - closed) / (d_m.std(ddof=1) / np.sqrt(n))))
    ok = not err and lib <= _LIBRARY_TOL.value and max(z_scores) <= 5.0
    return Outcome(
        verdict=_verdict(ok),
        measured={"sympy_steps": n_steps, "library_rel": lib, "mc_samples": n, "mc_z_scores": [round(z, 3) for z in z_scores],
                  "seed": 0},
        figure_data={"z_scores": z_scores, "bound": 5.0, "N": n},
        rule="Confirmed if the sympy derivation passes, the library matches it within library_rel and each Monte "
             "Carlo mean lies within mc_sigmas standard errors of eq. (44); not reproduced otherwise.",
        summary=err or f"{n_steps} sympy steps; library {lib:.1e}; Monte Carlo (N={n}, seed 0) |z| max "
                       f"{max(z_scores):.2f} <= 5 over 3 random (W, G, x, mu, s)",
    )


def plot_t46(data) -> Figure:
    """s* = beta/(beta + 2c) against c for each beta, with the brute-force minimisers on the curves."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.subplots()
    c_line = np.geomspace(1e-3, 1e3, 300)
    for i, beta in enumerate(data["betas"]):
        ax.loglog(c_line, beta / (beta + 2 * c_line), "-", color=f"C{i}", label=f"beta = {beta:g}: beta/(beta + 2c)")
    pts = np.array([p for p in data["bruteforce"] if p[0] > 0], dtype=float)  # rows: c, beta, s; c = 0 is off the log axis
    for i, beta in enumerate(data["betas"]):
        mine = pts[pts[:, 1] == beta]
        ax.loglog(mine[:, 0], mine[:, 2], "x", color=f"C{i}", ms=7)
    ax.plot([], [], "kx", label="brute-force minimiser")
    ax.set(xlabel="c = (W^T G W)_ii", ylabel="optimal posterior variance s*")
    ax.set_title(f"NL26 eq. (46); brute force vs closed form: max rel {data['worst_rel']:.1e}", fontsize=9)
    ax.legend(fontsize=7)
    return fig


@claim(
    id="NL26.T46",
    source="NL26, App. D, eqs. (45)-(46)",
    statement="The objective separates as const + sum_i (c_i s_i + beta g(s_i)); each term is strictly convex and "
              "is minimised uniquely at s*_i = beta / (beta + 2 c_i).",
    expected=Verdict.CONFIRMED,
    tolerances=(_LIBRARY_TOL, _BRUTE_S_TOL),
    finding="s* = beta/(beta + 2c) derived in sympy and matched by brute-force minimisation to ~5e-8 on 24 (c, beta).",
    plot=plot_t46,
)
def check_t46(profile: Profile) -> Outcome:
    n_steps, lib, err = _symbolic("nl26_t46")
    worst = 0.0
    grid_gap = np.inf  # min over a dense s grid of l(s) - l(s*): must be >= 0 (s* is the global minimum)
    s_grid = np.geomspace(1e-10, 1e3, 100_001)
    betas, brute_points = (0.01, 0.5, 1.0, 4.0), []
    for c in (0.0, 0.01, 0.3, 1.0, 5.0, 100.0):
        for beta in betas:
            s_star = float(linear_gaussian.optimal_posterior_variance(c, beta))
            s_brute = _brute_force_s(c, beta)
            brute_points.append([c, beta, s_brute])
            worst = max(worst, abs(s_brute - s_star) / s_star)
            ell = lambda s, c=c, beta=beta: c * s + beta * _g_explicit(s)  # noqa: E731
            grid_gap = min(grid_gap, float(np.min(ell(s_grid)) - ell(s_star)) / max(1.0, abs(ell(s_star))))
    ok = not err and lib <= _LIBRARY_TOL.value and worst <= _BRUTE_S_TOL.value and grid_gap >= -1e-14
    return Outcome(
        verdict=_verdict(ok),
        measured={"sympy_steps": n_steps, "library_rel": lib, "brute_force_rel_max": worst, "grid_gap_min": grid_gap,
                  "pairs": 24},
        figure_data={"betas": list(betas), "bruteforce": brute_points, "worst_rel": worst},
        rule="Confirmed if the sympy derivation passes, the library matches it within library_rel, the brute-force "
             "minimiser matches beta/(beta + 2c) within brute_force_rel on all 24 pairs and no point of a dense grid "
             "lies below l(s*); not reproduced otherwise.",
        summary=err or f"{n_steps} sympy steps; library {lib:.1e}; brute-force argmin vs beta/(beta+2c) max rel "
                       f"{worst:.1e} on 24 (c, beta); no grid point below l(s*) (gap {grid_gap:.1e})",
    )


def plot_iso(data) -> Figure:
    """log s* per latent dimension for equal and for log-spaced c: flat (A_post = 0) against spread."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.0))
    ax = fig.subplots()
    for i, name in enumerate(("equal", "unequal")):
        closed, brute = np.array(data[name]["log_s_closed"]), np.array(data[name]["log_s_brute"])
        dims = np.arange(1, closed.size + 1)
        ax.plot(dims, closed, "-o", color=f"C{i}", ms=4, label=f"{name} c: closed form, A_post = {data[name]['A_post']:.3g}")
        ax.plot(dims, brute, "x", color="black", ms=7)
    ax.plot([], [], "kx", label="brute-force minimiser")
    ax.set(xlabel="latent dimension i", ylabel="log s*_i")
    ax.set_title(f"NL26 App. D: A_post = Var_i log s*_i (beta = {data['beta']:g})", fontsize=9)
    ax.legend(fontsize=8)
    return fig


@claim(
    id="NL26.Iso",
    source="NL26, App. D (corollaries of eq. 46)",
    statement="All c_i equal gives all s*_i equal (A_post = Var_i log s_i = 0); otherwise A_post > 0.",
    expected=Verdict.CONFIRMED,
    tolerances=(_LIBRARY_TOL, _BRUTE_S_TOL, Tolerance(
        "isotropic_abs", 1e-20, "equal inputs give bit-identical s*, so Var log s* is 0 up to the rounding of the "
                               "mean (~1e-32)")),
    finding="A_post(s*) is 0 for equal c and 4.39 for c log-spaced over 1e-2..1e2 (beta = 0.5, d = 8), closed "
            "form and brute force alike; s* strictly decreases in c, so unequal c always gives A_post > 0.",
    plot=plot_iso,
)
def check_iso(profile: Profile) -> Outcome:
    n_steps, lib, err = _symbolic("nl26_iso")
    beta, d = 0.5, 8
    c_equal = np.full(d, 0.7)
    c_unequal = np.geomspace(1e-2, 1e2, d)
    out, figure_data = {}, {"beta": beta}
    for name, c in (("equal", c_equal), ("unequal", c_unequal)):
        s_closed = linear_gaussian.optimal_posterior_variance(c, beta)
        s_brute = np.array([_brute_force_s(ci, beta) for ci in c])
        # s* does not depend on x in this model, so rows (data points) are identical and the three
        # aggregations of A_post coincide; we report E_x[Var_i log s_i(x)] ("mean_of_variances")
        s_rows = np.tile(s_closed, (4, 1))
        out[name] = {
            "closed": float(linear_gaussian.posterior_anisotropy(s_rows, aggregate="mean_of_variances")),
            "variance_of_means": float(linear_gaussian.posterior_anisotropy(s_rows, aggregate="variance_of_means")),
            "brute": float(np.var(np.log(s_brute))),
            "s_rel": float(np.max(np.abs(s_brute - s_closed) / s_closed)),
        }
        figure_data[name] = {"log_s_closed": figure_numbers(np.log(s_closed), 8),
                             "log_s_brute": figure_numbers(np.log(s_brute), 8), "A_post": out[name]["closed"]}
    eq, uneq = out["equal"], out["unequal"]
    ok = (not err and lib <= _LIBRARY_TOL.value and eq["closed"] <= 1e-20 and eq["brute"] <= 1e-20
          and uneq["closed"] > 0 and abs(uneq["brute"] - uneq["closed"]) / uneq["closed"] <= 1e-5
          and max(eq["s_rel"], uneq["s_rel"]) <= _BRUTE_S_TOL.value)
    return Outcome(
        verdict=_verdict(ok),
        measured={"sympy_steps": n_steps, "library_rel": lib, "A_post_equal": eq["closed"],
                  "A_post_equal_brute": eq["brute"], "A_post_unequal": uneq["closed"],
                  "A_post_unequal_brute": uneq["brute"], "A_post_unequal_variance_of_means": uneq["variance_of_means"],
                  "aggregate_reported": "mean_of_variances", "beta": beta, "d": d},
        figure_data=figure_data,
        rule="Confirmed if A_post is below isotropic_abs for equal c (closed form and brute force), positive for "
             "unequal c with brute force within 1e-5 of the closed form, and brute-force s* within brute_force_rel; "
             "not reproduced otherwise.",
        summary=err or f"{n_steps} sympy steps; A_post = {eq['closed']:.1e} (equal c) vs {uneq['closed']:.3f} "
                       f"(c = 1e-2..1e2, beta {beta}); brute force {eq['brute']:.1e} / {uneq['brute']:.3f}",
    )


def plot_t41(data) -> Figure:
    """V(beta) = sum_i g(s*_i(beta)): strictly decreasing from +inf to 0, with the round-trip betas marked."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.subplots()
    betas = np.array(data["beta"], dtype=float)
    for i, (name, label) in enumerate((("mixed", "c = (0.1, 0.5, 2, 10)"), ("with_zeros", "c = (0, 0, 3)"))):
        ax.loglog(betas, data["V"][name], "-", color=f"C{i}", label=label)
        trip = np.array(data["round_trip"][name], dtype=float)
        ax.loglog(trip[:, 0], trip[:, 1], "o", color=f"C{i}", mfc="none", ms=7)
    ax.plot([], [], "ko", mfc="none", label="beta recovered from V (round trip)")
    ax.set(xlabel="beta", ylabel="variance-KL at the optimum, V(beta)  [nats]")
    ax.set_title(f"NL26 Theorem 41: V strictly decreasing on {data['n_grid']} betas", fontsize=9)
    ax.legend(fontsize=8)
    return fig


@claim(
    id="NL26.T41",
    source="NL26, App. D, Theorem 41 (surjectivity of the variance-KL map)",
    statement="With some c_i > 0, beta -> sum_i g(s*_i(beta)) is continuous and strictly decreasing from +inf "
              "(beta -> 0) to 0 (beta -> inf): every positive variance-KL target has exactly one beta.",
    expected=Verdict.CONFIRMED,
    tolerances=(
        Tolerance("library_rel", 1e-6, "includes dV/dbeta against a central difference of the library's V, whose "
                                       "rounding reaches ~1e-8 relative at beta = 0.01 (see proofs/nl26_t41.py)"),
        Tolerance("round_trip_rel", 1e-9, "Brent on log beta to xtol 1e-14 gives ~1e-13; 1e-9 leaves a margin for "
                                          "the flat V at large beta"),
        Tolerance("brute_force_V_rel", 1e-5, "V from brute-force s* (accurate to ~1e-8 relative) inherits an error "
                                             "g'(s) ds, up to ~1e-6 of V where V is small"),
    ),
    finding="dV/dbeta = -sum 2c^2/(beta (beta + 2c)^2) < 0 derived; V strictly decreasing on 4001 betas in "
            "[1e-6, 1e6]; beta_for_variance_kl inverts V to ~1e-13.",
    plot=plot_t41,
)
def check_t41(profile: Profile) -> Outcome:
    n_steps, lib, err = _symbolic("nl26_t41")
    betas = np.geomspace(1e-6, 1e6, 4001)
    monotone, round_trip, brute = True, 0.0, 0.0
    ends = {}
    trip_betas = (1e-3, 0.1, 1.0, 10.0, 1e3)  # V(beta) is inverted at these
    figure_data = {"beta": figure_numbers(betas[::40]), "n_grid": betas.size, "V": {}, "round_trip": {}}
    for name, c in (("mixed", np.array([0.1, 0.5, 2.0, 10.0])), ("with_zeros", np.array([0.0, 0.0, 3.0]))):
        V = linear_gaussian.optimal_variance_kl(c, betas)
        monotone &= bool(np.all(np.diff(V) < 0))
        figure_data["V"][name] = figure_numbers(V[::40])
        backs = []
        ends[name] = (float(linear_gaussian.optimal_variance_kl(c, 1e-12)), float(linear_gaussian.optimal_variance_kl(c, 1e12)))
        for beta in trip_betas:
            target = float(linear_gaussian.optimal_variance_kl(c, beta))
            back = linear_gaussian.beta_for_variance_kl(c, target)
            round_trip = max(round_trip, abs(back - beta) / beta)
            backs.append((back, target))
        figure_data["round_trip"][name] = figure_numbers(backs, 8)  # (beta recovered from V, V)
        for beta in (0.1, 1.0, 10.0):
            v_brute = float(np.sum(_g_explicit(np.array([_brute_force_s(ci, beta) for ci in c]))))
            v_closed = float(linear_gaussian.optimal_variance_kl(c, beta))
            brute = max(brute, abs(v_brute - v_closed) / v_closed)
    limits_ok = all(lo > 10.0 and hi < 1e-20 for lo, hi in ends.values())
    ok = (not err and lib <= 1e-6 and monotone and limits_ok and round_trip <= 1e-9 and brute <= 1e-5)
    return Outcome(
        verdict=_verdict(ok),
        measured={"sympy_steps": n_steps, "library_rel": lib, "strictly_decreasing_on_grid": monotone,
                  "V_at_beta_1e-12": {k: v[0] for k, v in ends.items()}, "V_at_beta_1e12": {k: v[1] for k, v in ends.items()},
                  "round_trip_rel_max": round_trip, "brute_force_V_rel_max": brute},
        figure_data=figure_data,
        rule="Confirmed if the sympy derivation passes, V decreases strictly on the grid, tends to > 10 nats and "
             "< 1e-20 at the ends, beta_for_variance_kl inverts V within round_trip_rel and brute-force V agrees "
             "within brute_force_V_rel; not reproduced otherwise.",
        summary=err or f"{n_steps} sympy steps; V strictly decreasing on 4001 betas; V(1e-12) = "
                       f"{ends['mixed'][0]:.1f}, V(1e12) = {ends['mixed'][1]:.1e}; round trip {round_trip:.1e}; "
                       f"brute-force V {brute:.1e}",
    )
