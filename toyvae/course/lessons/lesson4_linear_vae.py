# %% [markdown]
# # Lesson 4: The linear-Gaussian VAE: posterior variances and rate-distortion
#
# Claims: NL26.KL, NL26.E44, NL26.T46, NL26.T41, NL26.T46-trained, SL.RD.
#
# Nonlinear VAEs hide their optimum; linear ones show it. Take Gaussian data x ~ N(0, Sigma) in
# R^n, an encoder q(z|x) = N(A x, diag s) whose variances s do not depend on x, a decoder mean W z,
# the standard normal prior, and the loss
#
#     d_G(x, W z) + beta KL(q(z|x) || p(z)),     d_G(x, y) = (x - y)^T G (x - y)  (no factor 1/2).
#
# Everything about this model is available in closed form, following the appendix of "How neural
# losses shape VAE latents" (NL26):
#
# * the KL splits into a mean part |mu|^2 / 2 and a variance part sum_i g(s_i) with
#   g(s) = (s - 1 - log s) / 2;
# * the expected distortion is the distortion at the posterior mean plus sum_i c_i s_i, where
#   c_i = (W^T G W)_ii measures how much the decoder amplifies latent i under the metric (eq. 44);
# * so in s the loss separates into terms c_i s_i + beta g(s_i), each strictly convex, with the
#   unique minimiser s*_i = beta / (beta + 2 c_i) (eq. 46);
# * the variance-KL at the optimum falls strictly from infinity to 0 as beta grows, so every target
#   is met by exactly one beta (Theorem 41: this is what makes "matched rate" comparisons possible);
# * over all linear VAEs, the best trade-off between rate and distortion is the rate-distortion
#   curve of the Gaussian source, given by reverse water-filling at level theta = beta / 2.
#
# We derive the first four, compute the curve, and check both against linear VAEs trained by Adam.

# %%
import matplotlib.pyplot as plt
import numpy as np

from toyvae.course import kit
from toyvae.course.exercises import SOURCE_NAME, ask, check, course_source, score
from toyvae.experiments.linear_vae import LinearVAEConfig
from toyvae.experiments.linear_vae import train as train_linear
from toyvae.theory import linear_gaussian as lg
from toyvae.theory import rate_distortion as rd

kit.start(4)

# %% [markdown]
# ## 1. The KL, the expected distortion, and the optimal variances
#
# The KL of a diagonal Gaussian to N(0, I) comes from the Gaussian integral, coordinate by
# coordinate (`proofs/nl26_kl.py`). The expected distortion follows from writing
# z = mu + sqrt(s) eps and taking expectations of a quadratic in eps: the cross term vanishes and
# E[eps^T B eps] = trace B (`proofs/nl26_e44.py`). Put together, only c_i s_i + beta g(s_i) depends
# on s_i (`proofs/nl26_t46.py`).

# %%
kit.show_derivation("nl26_kl", results=("g",))
print()
kit.show_derivation("nl26_e44")
print()
kit.show_derivation("nl26_t46", results=("s_star",))

# %% [markdown]
# ### Exercise 4.1
# Use eq. 46 by hand.

# %%
ask("4.1")
# BEGIN SOLUTION
s_star_41 = 0.5 / (0.5 + 2 * 2.0)
# END SOLUTION
check("4.1", s_star_41)

# %% [markdown]
# ## 2. Matching a rate: Theorem 41
#
# V(beta) = sum_i g(s*_i(beta)). Its derivative is a sum of negative terms, one for each c_i > 0,
# and V runs from +infinity (beta -> 0) to 0 (beta -> infinity): a continuous, strictly
# decreasing map, hence one beta per target.

# %%
kit.show_derivation("nl26_t41", results=("dV_dbeta",))

# %% [markdown]
# ### Exercise 4.2
# Write V(beta) yourself (numpy) and find its root V(beta) = 2 by bisection on log beta (V is
# decreasing, so the bisection cannot go wrong).

# %%
ask("4.2")
# BEGIN SOLUTION
c_42 = np.array([0.25, 1.0, 4.0])


def variance_kl_at_optimum(beta):
    s = beta / (beta + 2 * c_42)
    return np.sum((s - 1 - np.log(s)) / 2)


lo, hi = -20.0, 20.0  # log beta
for _ in range(200):
    mid = (lo + hi) / 2
    lo, hi = (mid, hi) if variance_kl_at_optimum(np.exp(mid)) > 2.0 else (lo, mid)
beta_for_two_nats = np.exp((lo + hi) / 2)
# END SOLUTION
check("4.2", beta_for_two_nats)

# %% [markdown]
# ## 3. The best any linear VAE can do: reverse water-filling (SL.RD)
#
# Rotate the data onto the eigenvectors of its covariance (under the metric G: of
# G^{1/2} Sigma G^{1/2}), with eigenvalues mu_i. At water level theta, every component with
# mu_i > theta is coded with error theta and costs (1/2) log(mu_i / theta) nats; the others are
# dropped and cost their whole variance mu_i. The slope of this curve is -2 theta, so the VAE with
# KL weight beta sits at theta = beta / 2. Our source for lessons 4 to 6 is
# `toyvae.course.exercises.course_source()`: six coordinates with a spectrum falling like k^-2, as
# the power spectrum of a natural image does.

# %%
Sigma = course_source()
n = Sigma.shape[0]
G = np.eye(n)
spectrum = rd.metric_weighted_spectrum(Sigma, G)
print(SOURCE_NAME, "\n  spectrum: 1/k^2 for k = 1..6")

# %% [markdown]
# ### Exercises 4.3 to 4.5
# Compute by hand from the spectrum above (no `rate_distortion` calls): the rate and distortion of
# the optimal VAE at beta = 0.1, and R(D) at D = 0.5 (find the water level with sum_i min(theta,
# mu_i) = 0.5 first).

# %%
ask("4.3")
# BEGIN SOLUTION
theta_01 = 0.1 / 2
rate_01 = np.sum(0.5 * np.log(np.maximum(spectrum, theta_01) / theta_01))
# END SOLUTION
check("4.3", rate_01)

# %%
ask("4.4")
# BEGIN SOLUTION
distortion_01 = np.sum(np.minimum(spectrum, 0.1 / 2))
# END SOLUTION
check("4.4", distortion_01)

# %%
ask("4.5")
# BEGIN SOLUTION
lo, hi = 0.0, spectrum.max()
for _ in range(200):  # sum_i min(theta, mu_i) increases in theta
    theta = (lo + hi) / 2
    lo, hi = (theta, hi) if np.sum(np.minimum(spectrum, theta)) < 0.5 else (lo, theta)
rate_at_half = np.sum(0.5 * np.log(np.maximum(spectrum, theta) / theta))
# END SOLUTION
check("4.5", rate_at_half)

# %% [markdown]
# ## 4. Trained linear VAEs (NL26.T46-trained, SL.RD)
#
# `toyvae.experiments.linear_vae.train` trains one linear VAE per (metric, beta) and seed, on fresh
# Gaussian batches, with Adam. Two checks on the trained models:
#
# * eq. 46 with the model's OWN decoder: s_i = beta / (beta + 2 c_i), c_i from the trained W;
# * their exact rate and distortion (closed forms of `rate_distortion.linear_vae_parts`) lie on or
#   above the rate-distortion curve.

# %%
betas = np.geomspace(0.05, 1.0, 5)
seeds = kit.pick((0, 1), (0, 1))
config = LinearVAEConfig(steps=kit.pick(3000, 300), batch=256)
with kit.timed(f"trained {len(betas)} betas x {len(seeds)} seeds x {config.steps} steps"):
    fit = train_linear(Sigma, np.stack([G] * len(betas)), betas, config, seeds=seeds)
s_trained = np.exp(fit.params.log_s)  # (betas, seeds, latents)
points = []
print(" beta    max |s / eq.46 - 1|    rate    distortion   R(D) at that distortion")
for k, beta in enumerate(betas):
    for j in range(len(seeds)):
        W = fit.params.W[k, j]
        s_eq46 = lg.optimal_posterior_variance(lg.metric_coefficients(W, G), beta)
        parts = rd.linear_vae_parts(rd.LinearVAEParams(fit.params.A[k, j], s_trained[k, j], W), Sigma, G)
        points.append((beta, parts.rate, parts.distortion))
        print(f"{beta:6.3f}   {np.max(np.abs(s_trained[k, j] / s_eq46 - 1)):12.2e}        {parts.rate:6.3f}   "
              f"{parts.distortion:8.4f}    {rd.rate_distortion(spectrum, parts.distortion):8.3f}")

# %%
fig, (ax_wf, ax_rd, ax_s) = plt.subplots(1, 3, figsize=(16, 4.2), layout="constrained")
theta_show = 0.1 / 2
idx = np.arange(1, n + 1)
ax_wf.bar(idx, spectrum, color="lightsteelblue", label="variance mu_i of component i")
ax_wf.bar(idx, np.minimum(spectrum, theta_show), color="C0", label="error left: min(theta, mu_i)")
ax_wf.axhline(theta_show, color="k", ls="--", label=f"water level theta = beta/2 = {theta_show}")
ax_wf.set(yscale="log", xlabel="component (by decreasing variance)", ylabel="variance",
          title="reverse water-filling at beta = 0.1")
ax_wf.legend(fontsize=8)

thetas = np.geomspace(2e-3, spectrum.max(), 300)
curve = rd.reverse_water_filling(spectrum, thetas)
ax_rd.plot(curve.distortion, curve.rate, "k-", label="R(D), exact")
pts = np.array(points)
sc = ax_rd.scatter(pts[:, 2], pts[:, 1], c=np.log10(pts[:, 0]), cmap="viridis", zorder=3,
                   label="trained VAEs (colour: log10 beta)")
opt = rd.reverse_water_filling(spectrum, rd.water_level(betas))
ax_rd.plot(opt.distortion, opt.rate, "r+", ms=12, label="optimum at each beta")
fig.colorbar(sc, ax=ax_rd)
ax_rd.set(xlabel="distortion (summed squared error)", ylabel="rate (nats)", title="rate-distortion")
ax_rd.legend(fontsize=8)

for k, beta in enumerate(betas):
    W = fit.params.W[k]
    s_pred = np.array([lg.optimal_posterior_variance(lg.metric_coefficients(W[j], G), beta) for j in range(len(seeds))])
    ax_s.loglog(s_pred.ravel(), s_trained[k].ravel(), "o", label=f"beta = {beta:.3g}")
ax_s.plot([1e-3, 1.2], [1e-3, 1.2], "k:")
ax_s.set(xlabel="beta / (beta + 2 c_i), trained decoder", ylabel="trained s_i",
         title="eq. 46 on trained models")
ax_s.legend(fontsize=8)
kit.save(fig, "lesson4_linear_vae.png")

# %% [markdown]
# ## What to take away
#
# * In the linear-Gaussian VAE the posterior variances are decided by one number per latent, c_i:
#   latents the decoder (under the metric) amplifies more get smaller variances.
# * beta sets a water level: components of the data with variance below beta/2 are not coded at all.
#   That is posterior collapse again (lesson 2), now per direction and graded by beta.
# * Trained models sit on or above the exact curve; where training has converged they are on it.
# * Discussion: at beta = 1, how many of the six components are coded? What happens to the others'
#   posterior variances?

# %%
score(4)
kit.verify_hint("NL26.KL", "NL26.E44", "NL26.T46", "NL26.T41", "NL26.T46-trained", "SL.RD")
