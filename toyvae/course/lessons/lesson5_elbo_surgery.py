# %% [markdown]
# # Lesson 5: ELBO surgery and the aggregated posterior
#
# Claims: SL.Surgery, MB.MI, SL.AggPost.
#
# The rate of a VAE, R = E_x KL(q(z|x) || p(z)), is often read as "how much information the latent
# code carries". It carries more than that. Average the encoder over the data and you get the
# *aggregated posterior* q(z) = E_x q(z|x), the distribution of codes the decoder actually sees.
# Then (Hoffman and Johnson 2016, the "ELBO surgery" of the lecture slides)
#
#     E_x KL(q(z|x) || p(z))  =  I_q(x; z)  +  KL(q(z) || p(z)).
#
# The first term is the mutual information between data and code under the encoder; the second
# says how far the codes, taken together, are from the prior. Consequences:
#
# * the rate is an upper bound on the mutual information (MB, Sec. 3), with equality exactly when
#   the aggregated posterior is the prior;
# * a model whose q(z) misses the prior wastes rate on nothing the decoder can use, and sampling
#   from the prior then feeds the decoder codes it was not trained on;
# * the slides add that KL(q(z) || p(z)) shrinks as beta grows (SL.AggPost). In the linear-Gaussian
#   VAE the package finds something sharper: at the optimum it is exactly 0 for every beta.
#
# We derive the identity for a one-dimensional linear VAE, check it on trained linear VAEs in
# closed form and by Monte Carlo, and see where the aggregated posterior sits.

# %%
import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
from scipy.special import logsumexp

from toyvae.course import kit
from toyvae.course.exercises import ask, check, course_source, score
from toyvae.experiments.linear_vae import LinearVAEConfig
from toyvae.experiments.linear_vae import train as train_linear
from toyvae.theory import rate_distortion as rd

kit.start(5)

# %% [markdown]
# ## 1. The KL to the prior (NL26.KL)
#
# Everything below uses the split KL(N(mu, s) || N(0, 1)) = mu^2 / 2 + g(s), g(s) = (s - 1 - log s) / 2,
# derived from the Gaussian integral in `proofs/nl26_kl.py`. Note g >= 0 with equality only at s = 1.

# %%
kit.show_derivation("nl26_kl", results=("kl_1d",))

# %% [markdown]
# ## 2. The surgery identity, in one dimension
#
# There is no proof module for this identity (the package checks it numerically, SL.Surgery), so we
# derive it here, with every step asserted by sympy. Data x ~ N(0, v), encoder q(z|x) = N(a x, s):
#
# * rate: the mean of (a x)^2 / 2 + g(s) over x, that is a^2 v / 2 + g(s);
# * aggregated posterior: averaging N(a x, s) over x ~ N(0, v) gives a Gaussian again (z = a x + noise),
#   q(z) = N(0, S) with S = a^2 v + s;
# * mutual information: entropy of q(z) minus the mean entropy of q(z|x), (1/2) log(S / s);
# * KL(q(z) || p(z)) = g(S), the KL of N(0, S) to N(0, 1).

# %%
a, v, s = sp.symbols("a v s", positive=True)


def g(t):
    return (t - 1 - sp.log(t)) / 2


def step(lhs, rhs, sentence):
    assert sp.simplify(sp.expand_log(lhs - rhs, force=True)) == 0, sentence
    print("  asserted:", sentence)


S = a**2 * v + s
rate = a**2 * v / 2 + g(s)
mutual_information = (sp.log(S) - sp.log(s)) / 2
aggregate_kl = g(S)
step(rate, mutual_information + aggregate_kl, "rate = I_q(x; z) + KL(q(z) || p(z))")
step(rate - mutual_information, g(S), "rate - I_q = g(a^2 v + s) >= 0 (g >= 0): the rate bounds the information")
step(aggregate_kl.subs(s, 1 - a**2 * v), 0, "KL(q(z) || p(z)) = 0 when s = 1 - a^2 v: the codes together are N(0, 1)")
theta = sp.Symbol("theta", positive=True)
s_opt, a2_opt = theta / v, (1 - theta / v) / v  # the optimal linear VAE at water level theta < v
step((a2_opt * v + s_opt), 1, "the optimal VAE (s = theta/v, a^2 = (1 - s)/v) has a^2 v + s = 1: q(z) = p(z) exactly")

# %% [markdown]
# ### Exercises 5.1 to 5.5
# Use the formulas just derived (plain numpy). 5.4 and 5.5 are about the optimum of lesson 4
# (water level theta = beta / 2, posterior variance theta / v).

# %%
v_, a_, s_ = 2.0, 0.5, 0.3
ask("5.1")
# BEGIN SOLUTION
rate_1d = a_**2 * v_ / 2 + (s_ - 1 - np.log(s_)) / 2
# END SOLUTION
check("5.1", rate_1d)

# %%
ask("5.2")
# BEGIN SOLUTION
mi_1d = 0.5 * np.log((a_**2 * v_ + s_) / s_)
# END SOLUTION
check("5.2", mi_1d)

# %%
ask("5.3")
# BEGIN SOLUTION
S_ = a_**2 * v_ + s_
agg_kl_1d = (S_ - 1 - np.log(S_)) / 2
# END SOLUTION
check("5.3", agg_kl_1d)

# %%
ask("5.4")
# BEGIN SOLUTION
s_optimal = (1.0 / 2) / 2.0  # theta / v
# END SOLUTION
check("5.4", s_optimal)

# %%
ask("5.5")
# BEGIN SOLUTION
rate_optimal = 0.5 * np.log(2.0 / (1.0 / 2))  # = I_q, since KL(q(z) || p(z)) = 0
# END SOLUTION
check("5.5", rate_optimal)

# %% [markdown]
# ## 3. Trained linear VAEs: closed form (SL.Surgery, SL.AggPost)
#
# Same source and trainer as lesson 4. For each trained model `rate_distortion.linear_vae_parts`
# gives rate, I_q and KL(q(z) || p(z)) in closed form (q(z) = N(0, A Sigma A^T + diag s)); the
# identity must hold to rounding, and the optimum (`optimal_linear_vae`) must have KL(q(z) || p) = 0.

# %%
Sigma = course_source()
n = Sigma.shape[0]
G = np.eye(n)
betas = np.array([0.03, 0.1, 0.3, 1.0, 1.8])
seeds = (0, 1)
config = LinearVAEConfig(steps=kit.pick(3000, 300), batch=256)
with kit.timed(f"trained {len(betas)} betas x {len(seeds)} seeds x {config.steps} steps"):
    fit = train_linear(Sigma, np.stack([G] * len(betas)), betas, config, seeds=seeds)


def params_of(k, j):
    return rd.LinearVAEParams(fit.params.A[k, j], np.exp(fit.params.log_s[k, j]), fit.params.W[k, j])


parts = [[rd.linear_vae_parts(params_of(k, j), Sigma, G) for j in range(len(seeds))] for k in range(len(betas))]
optimum = [rd.linear_vae_parts(rd.optimal_linear_vae(Sigma, G, b), Sigma, G) for b in betas]
print(" beta    rate     I_q   KL(q(z)||p)  |rate - I_q - KL|   optimum: rate   KL(q(z)||p)")
for k, beta in enumerate(betas):
    for j in range(len(seeds)):
        p = parts[k][j]
        print(f"{beta:5.2f}  {p.rate:6.3f}  {p.mutual_information:6.3f}  {p.aggregate_kl:10.4f}  "
              f"{abs(p.rate - p.mutual_information - p.aggregate_kl):15.1e}   "
              f"{optimum[k].rate:12.3f}   {optimum[k].aggregate_kl:10.1e}")

# %% [markdown]
# ## 4. The same by Monte Carlo, with an empirical aggregated posterior
#
# For a nonlinear VAE there is no closed form: q(z) is estimated as the average of the posteriors of
# N data points, and the three terms as averages over codes z_n ~ q(z|x_n). We do it here on one
# trained linear VAE, where the closed form tells us the right answer. Standard errors are the
# spread over the N codes divided by sqrt(N), but they do not cover a second error: the log of a
# mixture estimate is biased. If the mixture for code z_n includes z_n's own posterior q(z|x_n),
# log q(z_n) comes out too high (by roughly E[q(z_n|x_n) / (N q(z_n))], not small when I_q is a
# few nats); if it leaves it out, the mixture is an unbiased estimate of q(z_n) but its log is
# too low (Jensen's inequality). Both biases shrink like 1/N; we print both estimates.

# %%
k_mc = 1  # beta = 0.1
A_mc, s_mc = fit.params.A[k_mc, 0], np.exp(fit.params.log_s[k_mc, 0])
N = kit.pick(2000, 500)
rng = np.random.default_rng(0)
x = rng.multivariate_normal(np.zeros(n), Sigma, size=N)
means = x @ A_mc.T
z = means + np.sqrt(s_mc) * rng.standard_normal(means.shape)


def log_normal(z_, mean, var):
    return -0.5 * np.sum((z_ - mean) ** 2 / var + np.log(2 * np.pi * var), axis=-1)


log_q_cond = log_normal(z, means, s_mc)
log_q_with_own, log_q_leave_out = np.empty(N), np.empty(N)
for i in range(0, N, 250):  # blocks of 250 codes against all N posteriors
    block = log_normal(z[i:i + 250, None, :], means[None, :, :], s_mc)
    log_q_with_own[i:i + 250] = logsumexp(block, axis=1) - np.log(N)
    rows = np.arange(block.shape[0])
    block[rows, i + rows] = -np.inf  # leave out the code's own posterior
    log_q_leave_out[i:i + 250] = logsumexp(block, axis=1) - np.log(N - 1)
log_p = log_normal(z, 0.0, 1.0)
exact = parts[k_mc][0]
print(f"N = {N} codes; closed form: rate {exact.rate:.4f}, I_q {exact.mutual_information:.4f}, "
      f"KL(q(z)||p) {exact.aggregate_kl:.4f}")
for label, log_q_agg in (("with own posterior", log_q_with_own), ("leave one out", log_q_leave_out)):
    terms = {"rate": log_q_cond - log_p, "I_q": log_q_cond - log_q_agg, "KL(q(z)||p)": log_q_agg - log_p}
    print(f"  {label:19s}" + "   ".join(f"{name} {vals.mean():7.4f} +- {vals.std(ddof=1) / np.sqrt(N):.4f}"
                                       for name, vals in terms.items()))

# %%
fig, (ax_kl, ax_eig) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
agg = np.array([[p.aggregate_kl for p in row] for row in parts])  # (betas, seeds)
share = agg / np.array([[p.rate for p in row] for row in parts])
for j, seed in enumerate(seeds):
    ax_kl.plot(betas, np.maximum(agg[:, j], 1e-8), "o-", label=f"KL(q(z) || p), seed {seed}")
    ax_kl.plot(betas, np.maximum(share[:, j], 1e-8), "s--", ms=4, label=f"as a fraction of the rate, seed {seed}")
ax_kl.set(xscale="log", yscale="log", xlabel="beta", ylabel="nats (or fraction)",
          title="trained models: KL(q(z) || p) (optimum: exactly 0)")
ax_kl.legend(fontsize=8)
for k, beta in enumerate(betas):
    for j in range(len(seeds)):
        A, s_k = fit.params.A[k, j], np.exp(fit.params.log_s[k, j])
        eig = np.linalg.eigvalsh(A @ Sigma @ A.T + np.diag(s_k))
        ax_eig.plot(np.full(n, beta) * (1 + 0.04 * j), eig, "o", color=f"C{k}", ms=4)
ax_eig.axhline(1.0, color="k", ls="--", label="prior N(0, I): every eigenvalue 1")
ax_eig.set(xscale="log", yscale="log", xlabel="beta", ylabel="eigenvalues of Cov q(z)",
           title="aggregated posterior of trained models")
ax_eig.legend(fontsize=8)
kit.save(fig, "lesson5_surgery.png")

# %% [markdown]
# ## What to take away
#
# * The rate splits exactly into information and a mismatch of the code distribution with the prior.
# * The optimal linear VAE matches the prior exactly for every beta, so "KL(q(z) || p) shrinks as beta
#   grows" is not a property of good models: it describes how trained models miss the optimum.
#   In the figure it is largest where training is slowest (small beta), and the eigenvalues of the
#   aggregated posterior's covariance spread away from 1 there.
# * Discussion: a collapsed latent (lesson 2) has q(z|x) = p(z) for every x. What are its three terms?

# %%
score(5)
kit.verify_hint("SL.Surgery", "MB.MI", "SL.AggPost")
