# %% [markdown]
# # Lesson 1: The Gaussian likelihood, squared error and the decoder sigma
#
# Claims: QA.1, BS20.S32-mse, BS20.S32, SL.Sigma. No training: the lesson runs in seconds.
#
# Many VAE implementations write their reconstruction loss as a squared error (summed or averaged
# over pixels) and never mention a likelihood. Yet the ELBO needs a decoder *distribution*
# p(x|z). This lesson shows that a squared-error loss always is a Gaussian decoder N(f(z), sigma^2 I)
# in disguise, and computes which sigma it hides:
#
# * the Gaussian negative log-likelihood is the squared error divided by 2 sigma^2, plus a term that
#   does not depend on the decoder output: minimising one minimises the other;
# * a summed squared error is sigma^2 = 1/2; a squared error averaged over D coordinates is
#   sigma^2 = D/2, which for images is a very wide decoder;
# * putting a weight beta on the KL (a beta-VAE) is the same as changing sigma to sigma sqrt(beta);
# * if sigma is learned instead of fixed, its best value is the root mean squared error, and the
#   reconstruction term becomes (D/2) log MSE plus a constant.
#
# Conventions of the package: -log N(x; m, sigma^2 I) = |x - m|^2 / (2 sigma^2) + (D/2) log(2 pi sigma^2),
# logarithms are natural, everything is in nats.

# %%
import matplotlib.pyplot as plt
import numpy as np

from toyvae.course import kit
from toyvae.course.exercises import ask, check, score
from toyvae.theory import likelihoods

kit.start(1)

# %% [markdown]
# ## 1. The NLL is a weighted squared error plus a constant (QA.1)
#
# Take the log of a product of D one-dimensional Gaussian densities. Each factor contributes
# (x_i - f_i)^2 / (2 sigma^2) and a normalising term log(sigma sqrt(2 pi)). The first terms add up to
# the squared error SE over 2 sigma^2; the normalising terms depend on sigma only. The derivation in
# `proofs/qa1.py` does exactly this in sympy (and the same for a Bernoulli decoder, whose NLL is the
# binary cross-entropy). Here are its asserted steps:

# %%
kit.show_derivation("qa1", results=("gaussian_constant",))

# %% [markdown]
# The same thing with numbers: for a fixed x and three random decoder outputs f, the NLL changes,
# but NLL - SE / (2 sigma^2) does not.

# %%
rng = np.random.default_rng(0)
D, sigma = 16, 0.5
x = rng.normal(size=D)
differences = []
for _ in range(3):
    f = rng.normal(size=D)
    nll = float(likelihoods.gaussian_nll(x, f, sigma))
    weighted_se = float(np.sum((x - f) ** 2) / (2 * sigma**2))
    differences.append(nll - weighted_se)
    print(f"NLL {nll:9.4f}   SE/(2 sigma^2) {weighted_se:9.4f}   "
          f"(NLL - SE/(2 sigma^2)) minus the first draw's: {differences[-1] - differences[0]:+.1e}")

# %% [markdown]
# ### Exercise 1.1
# Compute the constant by hand (from the formula above), not by calling `gaussian_nll`.

# %%
ask("1.1")
# BEGIN SOLUTION
constant = D / 2 * np.log(2 * np.pi * sigma**2)
# END SOLUTION
check("1.1", constant)

# %% [markdown]
# ## 2. Which sigma does a squared-error loss hide? (BS20.S32-mse, BS20.S32)
#
# A loss w |x - f|^2 has the same gradients in f as the Gaussian NLL when 1 / (2 sigma^2) = w, so
# sigma^2 = 1 / (2 w). The plain summed error (w = 1) is sigma^2 = 1/2; the error averaged over D
# coordinates (w = 1/D) is sigma^2 = D/2. Berger and Sebag (2020, Sec. 3.2) add a second
# equivalence: a weight lambda on the KL term, with decoder sigma, has exactly the minimisers of the
# unweighted VAE with sigma sqrt(lambda) (the two losses differ by the factor lambda and a constant).
# The derivations `proofs/bs20_s32_mse.py` and `proofs/bs20_s32.py`:

# %%
kit.show_derivation("bs20_s32_mse", results=("sigma2_for_weight",))
print()
kit.show_derivation("bs20_s32", results=("sigma_prime",))

# %% [markdown]
# ### Exercises 1.2 and 1.3
# Work them out from the two rules above (a square root is all you need).

# %%
ask("1.2")
# BEGIN SOLUTION
sigma_mean_mse = np.sqrt(784 / 2)
# END SOLUTION
check("1.2", sigma_mean_mse)

# %%
ask("1.3")
# BEGIN SOLUTION
sigma_beta_vae = np.sqrt(1 / 2) * np.sqrt(4.0)
# END SOLUTION
check("1.3", sigma_beta_vae)

# %% [markdown]
# Compare your answer to exercise 1.2 with the range [0, 1] of a pixel. A decoder sigma many times
# larger than the whole range says that every pixel is almost pure noise: the KL term then costs far
# more than any detail of the image is worth, and the model is pushed towards blurry outputs or a
# collapsed latent code. Lesson 2 makes this exact on data where the answer is known in closed form.
#
# ## 3. Learning sigma: the optimum is the RMSE (SL.Sigma)
#
# With a learned scalar sigma the reconstruction term is rec(sigma) = D MSE / (2 sigma^2) +
# (D/2) log(2 pi sigma^2), where MSE is the squared error per coordinate. Its derivative in sigma is
# D (sigma^2 - MSE) / sigma^3: negative below sqrt(MSE), positive above, so sigma = sqrt(MSE) is the
# only minimum, and there rec = (D/2) log MSE + (D/2)(1 + log 2 pi). The gradient of log MSE is the
# gradient of the MSE divided by the MSE itself: the loss rescales itself as the fit improves.

# %%
kit.show_derivation("sl_sigma", results=("sigma_x",))

# %% [markdown]
# A brute-force check and the figure: rec(sigma) for three error levels, minimised on a fine grid of
# sigma, against sqrt(MSE) and the closed form `likelihoods.profiled_gaussian_nll`.

# %%
D_img = 64
sigmas = np.geomspace(0.01, 1.0, 4001)
fig, (ax_rec, ax_sig) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
grid_argmin = {}  # MSE -> the grid's best sigma
for mse in (0.003, 0.01, 0.05):
    rec = D_img * mse / (2 * sigmas**2) + D_img / 2 * np.log(2 * np.pi * sigmas**2)
    best = grid_argmin[mse] = sigmas[np.argmin(rec)]
    print(f"MSE {mse:5.3f}: grid argmin sigma {best:.4f}, sqrt(MSE) {np.sqrt(mse):.4f}; "
          f"min rec {rec.min():8.3f}, closed form {float(likelihoods.profiled_gaussian_nll(mse, D_img)):8.3f}")
    ax_rec.plot(sigmas, rec, label=f"MSE = {mse}")
    ax_rec.plot([np.sqrt(mse)], [likelihoods.profiled_gaussian_nll(mse, D_img)], "ko")
ax_rec.set(xscale="log", ylim=(-200, 300), xlabel="decoder sigma", ylabel="reconstruction term (nats)",
           title=f"rec(sigma), D = {D_img}: minimum at sqrt(MSE) (dots)")
ax_rec.legend()
dims = np.arange(1, 4097)
ax_sig.plot(dims, [likelihoods.sigma_for_squared_error(reduction="mean", D=int(d)) for d in dims],
            label="mean over D coordinates: sqrt(D/2)")
ax_sig.axhline(likelihoods.sigma_for_squared_error(reduction="sum"), color="C1", label="sum: sqrt(1/2)")
for beta in (4.0, 0.25):
    ax_sig.axhline(likelihoods.sigma_for_kl_weight(np.sqrt(0.5), beta), color="C2", ls="--")
ax_sig.text(1.2, 1.5, "sum with KL weight 4", color="C2")
ax_sig.text(1.2, 0.28, "sum with KL weight 1/4", color="C2")
ax_sig.axvline(784, color="gray", ls=":")
ax_sig.text(800, 3.0, "D = 784\n(28 x 28 image)", color="gray")
ax_sig.set(xscale="log", yscale="log", xlabel="number of coordinates D", ylabel="implied decoder sigma",
           title="the sigma a squared-error loss hides")
ax_sig.legend(loc="upper left")
kit.save(fig, "lesson1_sigma.png")

# %% [markdown]
# ### Exercise 1.4
# Use the profiled form (D/2) log MSE + (D/2)(1 + log 2 pi) by hand.

# %%
ask("1.4")
# BEGIN SOLUTION
rec_at_best_sigma = 100 / 2 * np.log(0.02) + 100 / 2 * (1 + np.log(2 * np.pi))
# END SOLUTION
check("1.4", rec_at_best_sigma)

# %% [markdown]
# ## What to take away
#
# * "MSE loss" is a Gaussian decoder whose sigma is fixed by the reduction and the KL weight; read
#   it off before interpreting an ELBO.
# * A learned sigma turns the squared error into its logarithm and settles at the RMSE.
# * Discussion: two papers train "the same" VAE with summed and with averaged MSE. Which one is more
#   likely to show posterior collapse, and why?

# %%
score(1)
kit.verify_hint("QA.1", "BS20.S32-mse", "BS20.S32", "SL.Sigma")
