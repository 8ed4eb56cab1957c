"""Plots of the closed-form and symbolic claims (BS20 Theorem 1 and neighbours, NL26 App. D, SL.Sigma, QA.1).

Each function draws one claim's figure from the ``figure_data`` its check recorded (stored in the JSON run),
so ``toyvae report RUN.json`` redraws a saved run's figures; nothing here imports a claim or an experiment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from toyvae.plots import plot

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_t1", "plot_t1_sharp", "plot_r1", "plot_f2", "plot_s32_mse", "plot_kl", "plot_e44", "plot_t46",
           "plot_iso", "plot_t41", "plot_sl_sigma", "plot_qa1"]


def _g_explicit(s):
    """g(s) = (s - 1 - log s) / 2, the variance part of the KL to N(0, 1)."""
    return 0.5 * (s - 1.0 - np.log(s))


@plot("BS20.T1")
def plot_t1(data) -> Figure:
    """Collapse threshold against D: Theorem 1's R/sqrt(D-1), the sharp R/sqrt(D), and the brute-force location."""
    from matplotlib.figure import Figure

    D = np.array(data["D"], dtype=float)
    located = np.array(data["located_threshold_over_R"], dtype=float)
    fig = Figure(figsize=(6.4, 5.4))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(2, 1.2))
    fine = np.geomspace(D.min(), D.max(), 200)
    top.plot(fine, 1 / np.sqrt(fine - 1), "--", color="tab:orange", label="Theorem 1: R/sqrt(D-1) (sufficient)")
    top.plot(fine, 1 / np.sqrt(fine), "-", color="tab:red", label="sharp: R/sqrt(D)")
    top.plot(D, located, "o", color="black", mfc="none", label="located by brute force")
    top.set(xscale="log", yscale="log", ylabel="collapse threshold sigma_c / R")
    top.legend(fontsize=8)
    top.set_title("BS20 Theorem 1: r* = 0 for sigma >= sigma_c", fontsize=10)
    bottom.plot(D, np.sqrt(D / (D - 1)) - 1, "--", color="tab:orange", label="Theorem 1 / sharp - 1")
    gap = np.maximum(np.abs(located * np.sqrt(D) - 1), 1e-12)
    bottom.plot(D, gap, "o", color="black", mfc="none", label="|located / sharp - 1|")
    bottom.axhline(data["tolerance_rel"], color="grey", ls=":", label=f"tolerance {data['tolerance_rel']:g}")
    bottom.set(xscale="log", yscale="log", xlabel="dimension D", ylabel="relative gap")
    bottom.legend(fontsize=7)
    return fig


@plot("BS20.T1-sharp")
def plot_t1_sharp(data) -> Figure:
    """r*(sigma)/R against sigma/(R/sqrt(D)) with brute-force argmaxes; 1 - r*/R against sigma (slope 2)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.6, 4.0))
    left, right = fig.subplots(1, 2)
    t = np.array(data["sigma_over_sharp"], dtype=float)
    for i, (D, curve) in enumerate(zip(data["curve_D"], data["r*_over_R"])):
        left.plot(t, curve, "-", color=f"C{i}", label=f"D = {D}: r*(sigma)")
        left.axvline(np.sqrt(D / (D - 1)), color=f"C{i}", ls=":", lw=1)
    pts = np.array(data["bruteforce_points"], dtype=float)  # rows: D, sigma/sharp, brute-force argmax / R
    left.plot(pts[:, 1], pts[:, 2], "kx", ms=5, label="brute-force argmax")
    left.axvline(1.0, color="black", lw=1.5, label="sharp threshold sigma = R/sqrt(D)")
    left.set(xlabel="sigma / (R/sqrt(D))", ylabel="optimal radius r*/R", ylim=(-0.03, 1.03))
    left.legend(fontsize=7)
    left.set_title("r* leaves 0 at R/sqrt(D) (dotted: Thm 1's R/sqrt(D-1))", fontsize=9)
    sig, gap = np.array(data["gap_sigma_over_R"], dtype=float), np.array(data["gap_1-r*/R"], dtype=float)
    right.loglog(sig, gap, "ko-", mfc="none", label=f"D = 8, fitted slope {data['loglog_slope']:.2f}")
    right.loglog(sig, gap[0] * (sig / sig[0]) ** 2, "--", color="grey", label="slope 2")
    right.set(xlabel="sigma / R", ylabel="1 - r*/R")
    right.legend(fontsize=8)
    right.set_title("r*/R -> 1 as sigma -> 0", fontsize=9)
    fig.tight_layout()
    return fig


@plot("BS20.R1")
def plot_r1(data) -> Figure:
    """Curvature of log p at r = 0 against R/(sigma sqrt(D)): one curve x^2 - 1 for every D."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.4))
    ax = fig.subplots()
    x = np.linspace(0.6, 1.3, 200)
    ax.plot(x, x**2 - 1, "k-", lw=1.2, label="closed form (R^2/(D sigma^2) - 1)/sigma^2")
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(1.0, color="tab:red", lw=1.5, label="sign change: R = sigma sqrt(D) (all D)")
    for i, (D, xw, cw, xa, ca) in enumerate(data["points"]):
        ax.axvline(np.sqrt((D - 1) / D), color=f"C{i}", ls=":", lw=1)
        ax.plot([xw, xa], [cw, ca], "o", color=f"C{i}", mfc="none", label=f"D = {int(D)}: finite differences")
    ax.set(xlabel="R / (sigma sqrt(D))", ylabel="curvature of log p at r = 0  [x sigma^2]")
    ax.set_title("BS20 remark: dotted lines mark the claimed switch R = sigma sqrt(D-1)", fontsize=9)
    ax.legend(fontsize=6.5, ncol=2)
    return fig


@plot("BS20.F2")
def plot_f2(data) -> Figure:
    """The D = 2 heat map of log p(x; r) per column (BS20 Fig. 2) with r*(sigma) and both thresholds."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 5.0))
    ax = fig.subplots()
    R, r = np.array(data["R_over_sigma"], dtype=float), np.array(data["r_over_sigma"], dtype=float)
    values = np.array(data["log_p_minus_column_max"], dtype=float)
    image = ax.pcolormesh(R, r, values, shading="nearest", cmap="viridis", vmin=data["floor"], vmax=0.0)
    fig.colorbar(image, ax=ax, label="log p(x; r) - max over r  [nats]")
    ax.plot(data["curve_R_over_sigma"], data["curve_r*_over_sigma"], color="black", lw=2, label="optimal radius r*")
    ax.axvline(data["sufficient"], color="tab:orange", ls="--", label=f"Theorem 1: R/sigma = sqrt(D-1) = {data['sufficient']:.3f}")
    ax.axvline(data["sharp"], color="tab:red", label=f"sharp: R/sigma = sqrt(D) = {data['sharp']:.3f}")
    ax.axvline(data["leaves"], color="white", ls=":", label=f"check: maximiser leaves 0 at {data['leaves']:.3f}")
    ax.set(xlabel="R / sigma", ylabel="r / sigma", xlim=(R.min(), R.max()), ylim=(r.min(), r.max()))
    ax.set_title("D = 2: log p per column, cf. BS20 Fig. 2", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", framealpha=0.85)
    return fig


@plot("BS20.S32-mse")
def plot_s32_mse(data) -> Figure:
    """Gaussian NLL minus the squared-error loss against the squared error: flat only at the matching sigma."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.subplots()
    se = np.array(data["squared_error"], dtype=float)
    for key, style, size, label in (("sum", "o", 7, "summed SE, sigma^2 = 1/2"), ("mean", "s", 3, "mean SE, sigma^2 = D/2"),
                                    ("sigma=1", "x", 3.5, "summed SE, sigma = 1 (wrong)")):
        rest = np.array(data["nll_minus_loss"][key], dtype=float)
        ax.plot(se, rest - rest.mean(), style, ms=size, mfc="none", label=label)
    ax.set(xlabel="squared error |x - f|^2", ylabel="NLL - loss - its mean  [nats]")
    ax.set_title(f"BS20 Sec. 3.2: NLL - loss is constant in f only at the right sigma (D = {data['D']})", fontsize=9)
    ax.legend(fontsize=8)
    return fig


@plot("NL26.KL")
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


@plot("NL26.E44")
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


@plot("NL26.T46")
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


@plot("NL26.Iso")
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


@plot("NL26.T41")
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


@plot("SL.Sigma")
def plot_sl_sigma(data) -> Figure:
    """The reconstruction term against sigma at three noise levels: each minimum sits at sqrt(MSE)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.subplots()
    ratio = np.array(data["sigma_over_rmse"], dtype=float)
    for i, (noise, rmse, curve, found) in enumerate(zip(data["noise"], data["rmse"], data["excess"],
                                                         data["bruteforce_sigma"])):
        ax.plot(ratio * rmse, curve, "-", color=f"C{i}", label=f"noise {noise:g}: sqrt(MSE) = {rmse:.3g}")
        ax.axvline(rmse, color=f"C{i}", ls=":", lw=1)
        ax.plot([found], [0.0], "x", color="black", ms=8)
    ax.plot([], [], "kx", label="brute-force minimiser")
    ax.set(xlabel="decoder sigma", ylabel="mean Gaussian NLL - its minimum  [nats]", xscale="log")
    ax.set_title(f"Slides: the optimal decoder sigma is the RMSE (D = {data['D']})", fontsize=9)
    ax.legend(fontsize=8)
    return fig


@plot("QA.1")
def plot_qa1(data) -> Figure:
    """Gaussian NLL against SE/(2 sigma^2) (a line of slope 1); Bernoulli NLL against the explicit BCE."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.6, 4.0))
    left, right = fig.subplots(1, 2)
    half_se, nll = np.array(data["se_over_2sigma2"], dtype=float), np.array(data["nll"], dtype=float)
    line = np.linspace(0, half_se.max() * 1.05, 2)
    left.plot(line, line + data["constant"], "k-", lw=1, label=f"SE/(2 sigma^2) + (D/2) log 2 pi sigma^2")
    left.plot(half_se, nll, "o", ms=4, mfc="none", color="tab:blue", label="Gaussian NLL (scipy density)")
    left.set(xlabel="SE / (2 sigma^2)", ylabel="-log N(x; f, sigma^2 I)")
    left.set_title(f"NLL = SE/(2 sigma^2) + const (D = {data['D']}, sigma = {data['sigma']:g})", fontsize=9)
    left.legend(fontsize=7)
    bce, bern = np.array(data["bce"], dtype=float), np.array(data["bernoulli_nll"], dtype=float)
    top = max(bce.max(), bern.max()) * 1.05
    right.plot([0, top], [0, top], "k-", lw=1, label="equality")
    right.plot(bce, bern, "o", ms=4, mfc="none", color="tab:green", label="Bernoulli NLL (library)")
    right.set(xlabel="explicit binary cross-entropy", ylabel="Bernoulli NLL")
    right.set_title("Bernoulli decoder = binary cross-entropy", fontsize=9)
    right.legend(fontsize=7)
    fig.tight_layout()
    return fig
