# %% [markdown]
# # Lesson 3: Learning the decoder variance: the 2-D heteroscedastic toy
#
# Claims: BS20.L-VAE, BS20.T1tab, BS20.A2, BS20.F4. The longest lesson (`toyvae course list` gives the
# run times; in quick mode, `TOYVAE_COURSE_QUICK=1`, the models are far from converged).
#
# Lessons 1 and 2 treated sigma as a knob, and showed that a wrong setting is costly: too large and
# the model collapses. Berger and Sebag (2020, Sec. 3.3 and 4) propose to learn it:
#
# * **F-VAE**: sigma fixed (the usual "MSE" VAE);
# * **LS-VAE**: one learned scalar sigma for all coordinates and data points (their eq. 10);
# * **LV-VAE**: a learned sigma(z) per coordinate, output by the decoder (eq. 11).
#
# Their test bed is a curve in the plane with noise of three different sizes along it: moderate,
# small and large. A single sigma cannot fit all three regions; a sigma(z) can. Their Table 1 ranks
# the ELBOs: LV above LS above every F, with the best F at an intermediate sigma, and an F-VAE frozen
# at LS's final sigma (F*) below LS itself, because learning sigma gradually shapes the training
# (App. A.2: the learned sigma falls in plateaus).
#
# This lesson derives the LS optimum, predicts the ideal numbers with closed forms, then trains
# the five models on our version of the curve (`toyvae.data.synthetic.HeteroscedasticCurve`; the
# paper does not publish its curve, so absolute ELBOs differ from Table 1, orderings can be compared).

# %%
import jax
import matplotlib.pyplot as plt
import numpy as np

from toyvae.course import kit
from toyvae.course.exercises import ask, check, score
from toyvae.data.synthetic import HeteroscedasticCurve
from toyvae.experiments.bs20_train import Setting, VAEConfig, train
from toyvae.experiments.bs20_metrics import evaluate, generate, reconstruct
from toyvae.experiments.toy2d import PAPER_TABLE1
from toyvae.theory import likelihoods

kit.start(3)
data = HeteroscedasticCurve()
print(f"data: curve (2t, sin(2 pi t)), t ~ U(-1, 1); noise std per region (left, middle, right): {data.noise}")

# %% [markdown]
# ## 1. The optimal scalar sigma (BS20.L-VAE)
#
# With S the expected squared error summed over D coordinates, the sigma-dependent part of the NLL
# is S / (2 sigma^2) + D log sigma. Its derivative has the sign of D sigma^2 - S: the unique minimum
# is sigma^2 = S / D, the mean squared error per coordinate, and the minimised NLL is
# (D/2)(log(2 pi S / D) + 1), the profiled form of lesson 1. A trained LS-VAE should therefore end
# with sigma^2 close to its own held-out squared error per coordinate.

# %%
kit.show_derivation("lvae_optimum", results=("sigma_star", "profiled_nll"))

# %% [markdown]
# ### Exercises 3.1 to 3.4: what would ideal models score?
# Imagine decoders whose mean is exactly the noiseless curve, so the only error left is the noise.
# In each region a point's squared error has expectation D times that region's noise variance.
# Predict, by hand (numpy is fine, `likelihoods` is not): the LS-VAE's sigma (3.1) and its
# reconstruction term (3.2), an LV-VAE that sets sigma to each region's noise (3.3), and an F-VAE at
# sigma = 0.1 (3.4).

# %%
noise = np.asarray(data.noise)
D = 2
ask("3.1")
# BEGIN SOLUTION
sigma_ls_ideal = np.sqrt(np.mean(noise**2))
# END SOLUTION
check("3.1", sigma_ls_ideal)

# %%
ask("3.2")
# BEGIN SOLUTION
rec_ls_ideal = D / 2 * (np.log(2 * np.pi * np.mean(noise**2)) + 1)
# END SOLUTION
check("3.2", rec_ls_ideal)

# %%
ask("3.3")
# BEGIN SOLUTION
rec_lv_ideal = np.mean(D / 2 * (np.log(2 * np.pi * noise**2) + 1))
# END SOLUTION
check("3.3", rec_lv_ideal)

# %%
ask("3.4")
# BEGIN SOLUTION
rec_f01_ideal = D * np.mean(noise**2) / (2 * 0.1**2) + D / 2 * np.log(2 * np.pi * 0.1**2)
# END SOLUTION
check("3.4", rec_f01_ideal)

# %% [markdown]
# The LV-VAE wins by the gap between the log of an average and the average of logs (Jensen's
# inequality): a scalar sigma pays for the small-noise region with the large-noise one. That gap is
# what Table 1's "LV > LS" is about.
#
# ## 2. Training the five models
#
# One call of the engine's `train` trains every setting and seed as one compiled program, with
# common random numbers (same initial weights and batches for every setting of a seed). Then
# `evaluate` scores each model on fresh points: ELBO in nats per point with all constants (higher is
# better), and the squared error per coordinate.

# %%
settings = [Setting.fixed(1.0), Setting.fixed(0.1), Setting.fixed(0.03), Setting.scalar("LS"),
            Setting.vector("LV")]
seeds = kit.pick((0, 1), (0,))
steps = kit.pick(5000, 400)
config = VAEConfig(data_dim=2, latent_dim=2, width=kit.pick(64, 32), depth=kit.pick(2, 1), batch=100,
                   steps=steps, chunk=min(steps, 1000))
with kit.timed(f"trained {len(settings)} settings x {len(seeds)} seeds x {steps} steps"):
    result = train(config, data, settings, seeds, progress=False)
metrics = evaluate(result, data, n=1000, k=20)
print(f"{'setting':8s} {'ELBO (ours)':>12s} {'paper':>7s} {'sq. err/coord':>14s}")
for i, s in enumerate(settings):
    print(f"{s.name:8s} {metrics['elbo'][i].mean():12.3f} {PAPER_TABLE1.get(s.name, float('nan')):7.3f} "
          f"{metrics['sq_err'][i].mean():14.5f}")

# %% [markdown]
# ## 3. Did the LS-VAE reach its optimum? And what did LV learn?
#
# Compare LS's final sigma^2 with its held-out squared error per coordinate (eq. 10's condition),
# and LV's sigma(z) per region with the regions' noise (BS20.F4: the paper says LV encodes "the
# manifold and its thickness").

# %%
i_ls, i_lv = result.index("LS"), result.index("LV")
sigma_ls_final = result.history["sigma"][i_ls][:, -1]
for k, seed in enumerate(seeds):
    ratio = sigma_ls_final[k] ** 2 / metrics["sq_err"][i_ls][k]
    print(f"seed {seed}: LS sigma^2 = {sigma_ls_final[k]**2:.5f}, held-out MSE per coordinate = "
          f"{metrics['sq_err'][i_ls][k]:.5f}, ratio {ratio:.3f} (1 at eq. 10's optimum)")
x_lab, region, _ = data.sample_labelled(jax.random.PRNGKey(7), kit.pick(3000, 600))
x_lab, region = np.asarray(x_lab), np.asarray(region)
_, sigma_lv = reconstruct(result, i_lv, 0, x_lab)
per_region = [float(sigma_lv[region == r].mean()) for r in range(3)]
print("LV sigma(z) per region:", np.round(per_region, 4), " noise:", noise)
print("ideal LS sigma (closed form):", float(likelihoods.optimal_scalar_sigma(D * np.mean(noise**2), D)))

# %% [markdown]
# ## 4. Figure: the data, LS's sigma over training (App. A.2), and generations

# %%
fig, axes = plt.subplots(1, 4, figsize=(17, 4), layout="constrained")
names = ["left (moderate)", "middle (small)", "right (large)"]
for r in range(3):
    axes[0].scatter(*x_lab[region == r].T, s=2, label=f"{names[r]}, noise {noise[r]}")
axes[0].set(title="data", xlabel="x1", ylabel="x2")
axes[0].legend(markerscale=4, fontsize=8)
t_axis = np.arange(result.history["sigma"].shape[-1]) * config.record_every
for k, seed in enumerate(seeds):
    axes[1].plot(t_axis, result.history["sigma"][i_ls][k], label=f"LS sigma, seed {seed}")
for r in range(3):
    axes[1].axhline(noise[r], color="gray", ls=":", lw=1)
axes[1].axhline(likelihoods.optimal_scalar_sigma(D * np.mean(noise**2), D), color="k", ls="--",
                label="ideal LS sigma (exercise 3.1)")
axes[1].set(yscale="log", xlabel="step", ylabel="sigma", title="LS-VAE: learned sigma (dotted: noise levels)")
axes[1].legend(fontsize=8)
for ax, i in ((axes[2], i_ls), (axes[3], i_lv)):
    _, _, samples = generate(result, i, 0, len(x_lab))
    ax.scatter(*x_lab.T, s=1, color="lightgray", label="data")
    ax.scatter(*samples.T, s=1, color="C3", label="generated")
    ax.set(title=f"{settings[i].name}-VAE generations (seed {seeds[0]})", xlabel="x1",
           xlim=axes[0].get_xlim(), ylim=axes[0].get_ylim())
    ax.legend(markerscale=5, fontsize=8)
kit.save(fig, "lesson3_toy.png")

# %% [markdown]
# ## What to take away
#
# * Learning a scalar sigma drives it to the RMSE (eq. 10); the trained LS-VAE should satisfy
#   sigma^2 = MSE per coordinate at convergence. Check how close your run gets: the package's check
#   BS20.L-VAE finds sigma still falling at the end of its quick training, so the verdict there is
#   "not reproduced" within 10%.
# * An LV-VAE can follow the noise along the curve. In our runs its sigma(z) is ordered like the
#   noise but does not match its level (BS20.F4).
# * Table 1's orderings (LV > LS > F, best F at an intermediate sigma) are tested with seeds and a
#   t statistic in BS20.T1tab; App. A.2 (BS20.A2) trains an F-VAE on LS's recorded sigma schedule.
# * Discussion: why does the F-VAE with sigma = 0.03 score worse than sigma = 0.1 although its
#   reconstructions are sharper?

# %%
score(3)
kit.verify_hint("BS20.L-VAE", "BS20.T1tab", "BS20.A2", "BS20.F4")
