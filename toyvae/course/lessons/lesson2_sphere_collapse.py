# %% [markdown]
# # Lesson 2: Posterior collapse on the sphere and the exact threshold
#
# Claims: BS20.T1, BS20.T1-sharp, BS20.R1, BS20.F2, BS20.T1-empirical. (`toyvae course list` gives the
# run times; `TOYVAE_COURSE_QUICK=1` shrinks the training to seconds.)
#
# Lesson 1 showed that a squared-error loss fixes the decoder sigma. How large may sigma be before
# the VAE stops modelling the data at all? Berger and Sebag (2020) answer this on data where
# everything can be computed: points spread uniformly over a sphere of radius R in D dimensions.
#
# With a Gaussian decoder of fixed sigma and unlimited capacity, the best law of the decoder means is
# itself uniform on a sphere, of some radius r. The log-likelihood of a data point, as a function of
# r, is their eq. 8: a Gaussian penalty -r^2 / (2 sigma^2) plus the log of an angular integral that
# rewards r R / sigma^2. If the best r is 0, every latent code decodes to the centre: the model has
# collapsed to a blob and the latent variable carries nothing.
#
# * The paper's Theorem 1: r* = 0 whenever sigma >= R / sqrt(D - 1).
# * The package's refinement (BS20.T1-sharp): r* = 0 **exactly when** sigma >= R / sqrt(D). The
#   theorem is true but not sharp: between the two thresholds (the "window") the model also
#   collapses.
# * The remark after the proof (BS20.R1) says r = 0 becomes a local minimum as soon as R exceeds
#   sigma sqrt(D - 1). Inside the window this is wrong: the curvature at 0 is still negative.
#
# We follow the derivation, look at the landscape (the paper's Fig. 2), find the threshold by brute
# force, and train small VAEs on a circle to see collapse happen.

# %%
import matplotlib.pyplot as plt
import numpy as np

from toyvae.course import kit
from toyvae.course.exercises import ask, check, score
from toyvae.data.synthetic import SphereUniform
from toyvae.experiments.bs20_train import Setting, VAEConfig, train
from toyvae.experiments.bs20_metrics import generate
from toyvae.theory import hypersphere

kit.start(2)

# %% [markdown]
# ## 1. From eq. 8 to the collapse condition (BS20.T1)
#
# Differentiate eq. 8 in r and integrate one term by parts: the derivative becomes an integral of
# (R^2 sin^2(phi) / ((D - 1) sigma^2) - 1) against a positive weight (eq. 9). Bounding sin^2 by 1
# shows the derivative is negative for every r > 0 when R^2 <= (D - 1) sigma^2: that is Theorem 1.
# The same module also derives the angular integral in closed form (a modified Bessel function) and
# the curvature of log p at r = 0. Read the steps:

# %%
kit.show_derivation("bs20_t1", results=("curvature_at_zero",))

# %% [markdown]
# ## 2. The sharp threshold (BS20.T1-sharp) and the remark (BS20.R1)
#
# The bound sin^2 <= 1 throws information away. Written with Bessel functions, the derivative of
# log p is (R rho(a) - r) / sigma^2 with a = r R / sigma^2 and rho = I_{D/2} / I_{D/2 - 1}. Its sign on
# r > 0 is the sign of rho(a)/a - sigma^2/R^2, and rho(a)/a falls strictly from 1/D at a = 0 to 0.
# So an r > 0 with zero slope exists exactly when sigma^2 / R^2 < 1/D: the sharp threshold is
# R / sqrt(D). (One inequality, Amos' bound on Bessel ratios, is cited and spot-checked, not proved.)
# The curvature at 0, (R^2/(D sigma^2) - 1)/sigma^2, changes sign at R / sqrt(D) too, which is what
# contradicts the remark.

# %%
kit.show_derivation("bs20_t1_sharp", results=("sharp_threshold",))
print()
kit.show_derivation("bs20_r1", results=("curvature_mid_window",))

# %% [markdown]
# ### Exercises 2.1 and 2.2
# 2.1 is one line. For 2.2 use the curvature formula above, by hand.

# %%
ask("2.1")
# BEGIN SOLUTION
sharp_R1_D8 = 1.0 / np.sqrt(8)
# END SOLUTION
check("2.1", sharp_R1_D8)

# %%
ask("2.2")
# BEGIN SOLUTION
R_, sigma_, D_ = 1.0, 0.36, 8
curvature_in_window = (R_**2 / (D_ * sigma_**2) - 1) / sigma_**2
# END SOLUTION
check("2.2", curvature_in_window)

# %% [markdown]
# A negative curvature at sigma = 0.36 > 1/sqrt(8) means r = 0 is still a maximum although
# R = 1 > sigma sqrt(D - 1) = 0.95: the remark predicts a minimum there.
#
# ## 3. The landscape: the paper's Fig. 2, and the threshold found by brute force
#
# `hypersphere.log_marginal(r, R, sigma, D)` is eq. 8 minus its value at r = 0 (Bessel functions in
# log space). For D = 2 we draw it over R/sigma and r/sigma, with the maximiser r*(sigma) on top:
# it leaves r = 0 at R/sigma = sqrt(2), not at sqrt(D - 1) = 1. Then, for several D, we locate the
# smallest sigma whose grid maximiser is r = 0, with no theory at all.

# %%
ratio = np.linspace(0.05, 4.0, kit.pick(300, 100))  # R / sigma
r_over_sigma = np.linspace(0.0, 4.0, kit.pick(300, 100))
RR, rr = np.meshgrid(ratio, r_over_sigma)
heat = hypersphere.log_marginal(rr, RR, 1.0, 2)  # sigma = 1: R and r are in units of sigma
heat_shown = heat - heat.max(axis=0, keepdims=True)  # per column: 0 at the maximiser

fig, (ax_heat, ax_radius) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
mesh = ax_heat.pcolormesh(RR, rr, np.maximum(heat_shown, -3), shading="auto", cmap="viridis")
fig.colorbar(mesh, ax=ax_heat, label="log p(r) - max_r log p (nats, floored at -3)")
ax_heat.plot(ratio, hypersphere.optimal_radius(ratio, 1.0, 2), "w-", lw=2, label="r*(sigma)")
ax_heat.axvline(np.sqrt(2), color="r", ls="--", label="sharp: R/sigma = sqrt(2)")
ax_heat.axvline(1.0, color="orange", ls=":", label="Theorem 1: R/sigma = 1")
ax_heat.set(xlabel="R / sigma", ylabel="r / sigma", title="D = 2 (the paper's Fig. 2)")
ax_heat.legend(loc="upper left", fontsize=8)

r_grid = np.linspace(0.0, 1.0, kit.pick(2001, 501))  # radii, R = 1
threshold_found = {}  # D -> (first sigma of the grid with r* = 0, grid step)
print(" D   brute-force threshold   R/sqrt(D)   R/sqrt(D-1)")
for D in (2, 3, 16, 32):  # (D = 8 is exercise 2.1)
    sig_grid = np.linspace(0.5, 1.2, kit.pick(1401, 201)) / np.sqrt(D)
    values = hypersphere.log_marginal(r_grid[None, :], 1.0, sig_grid[:, None], D)
    collapsed = r_grid[np.argmax(values, axis=1)] == 0.0
    found = sig_grid[np.argmax(collapsed)]  # the first sigma of the grid with r* = 0
    threshold_found[D] = (found, sig_grid[1] - sig_grid[0])
    print(f"{D:2d}   {found:.4f} (grid step {sig_grid[1] - sig_grid[0]:.1e})   "
          f"{hypersphere.sharp_threshold(1.0, D):.4f}      {hypersphere.sufficient_threshold(1.0, D):.4f}")
    s = np.linspace(0.02, 1.3, 400) / np.sqrt(D)
    ax_radius.plot(s * np.sqrt(D), hypersphere.optimal_radius(1.0, s, D), label=f"D = {D}")
    ax_radius.plot([np.sqrt(D / (D - 1))], [0], "k|", ms=12)
ax_radius.axvline(1.0, color="r", ls="--")
ax_radius.set(xlabel="sigma sqrt(D) / R (sharp threshold at 1; ticks: Theorem 1)", ylabel="r* / R",
              title="optimal radius of the decoder means")
ax_radius.legend()
kit.save(fig, "lesson2_landscape.png")

# %% [markdown]
# ### Exercises 2.3 and 2.4
# Find r* for D = 8, sigma = 0.2 by a grid search over r of `hypersphere.log_marginal` (as in the
# cell above), then the gain in nats of that radius over r = 0.

# %%
ask("2.3")
# BEGIN SOLUTION
radii = np.linspace(0.0, 1.0, 100_001)
gains = hypersphere.log_marginal(radii, 1.0, 0.2, 8)
r_star_grid = radii[np.argmax(gains)]
# END SOLUTION
check("2.3", r_star_grid)

# %%
ask("2.4")
# BEGIN SOLUTION
gain_nats = gains.max()
# END SOLUTION
check("2.4", gain_nats)

# %% [markdown]
# ## 4. Trained VAEs on the circle (BS20.T1-empirical)
#
# The theory assumes unlimited capacity and data. Here small residual-MLP VAEs (the engine's
# `train`, one compiled program for all settings and seeds) learn the circle R = 1, D = 2 with a
# fixed sigma below the sharp threshold (0.707), inside the window (0.707 to 1) and above Theorem 1's
# threshold (1). We measure the radius of the decoder means |mu(z)| for z from the prior.
# Expect radii near r* below the threshold (somewhat under it: the networks are small and briefly
# trained), and close to 0 in the window and above.

# %%
sigmas = kit.pick((0.2, 0.35, 0.5, 0.6, 0.65, 0.75, 0.85, 1.0, 1.2), (0.3, 0.6, 0.85))
seeds = kit.pick((0, 1), (0,))
steps = kit.pick(3000, 300)
config = VAEConfig(data_dim=2, latent_dim=2, width=32, depth=1, batch=64, steps=steps, lr=3e-3,
                   chunk=min(steps, 1000))
circle = SphereUniform(2, 1.0)
with kit.timed(f"trained {len(sigmas)} sigmas x {len(seeds)} seeds x {steps} steps"):
    result = train(config, circle, [Setting.fixed(s) for s in sigmas], seeds, progress=False)
radius = np.array([[np.linalg.norm(generate(result, i, k, 2000)[0], axis=-1).mean()
                    for k in range(len(seeds))] for i in range(len(sigmas))])
print("sigma   r*(sigma)   trained radius (per seed)")
for s, row in zip(sigmas, radius):
    print(f"{s:5.2f}   {hypersphere.optimal_radius(1.0, s, 2):8.3f}    {np.round(row, 3)}")

fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
s_line = np.linspace(0.05, 1.3, 300)
ax.plot(s_line, hypersphere.optimal_radius(1.0, s_line, 2), "k-", label="r*(sigma), closed form")
ax.axvspan(hypersphere.sharp_threshold(1.0, 2), hypersphere.sufficient_threshold(1.0, 2), color="orange",
           alpha=0.2, label="window: r* = 0, Theorem 1 silent")
for k in range(len(seeds)):
    ax.plot(sigmas, radius[:, k], "o", color="C0", label="trained VAEs" if k == 0 else None)
ax.set(xlabel="fixed decoder sigma", ylabel="radius of decoder means", title="circle R = 1 (D = 2)")
ax.legend()
kit.save(fig, "lesson2_trained_radius.png")

# %% [markdown]
# ## What to take away
#
# * The exact collapse threshold on the sphere is sigma = R / sqrt(D): per coordinate, the data's
#   standard deviation R / sqrt(D) must exceed the decoder's sigma. Theorem 1's R / sqrt(D - 1) is a
#   safe but loose bound, and the remark after it is wrong inside the window.
# * Trained VAEs collapse in the window as the theory says. (The package's checks BS20.E-sphere and
#   BS20.T1-sharp-empirical go further: cold-started models also collapse somewhat *below*
#   R / sqrt(D), where r* is small.)
# * Discussion: with sigma^2 = D/2 from an averaged MSE (lesson 1), what radius must the data have
#   to avoid collapse?

# %%
score(2)
kit.verify_hint("BS20.T1", "BS20.T1-sharp", "BS20.R1", "BS20.F2", "BS20.T1-empirical")
