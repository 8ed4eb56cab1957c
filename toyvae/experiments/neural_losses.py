"""Small nonlinear VAEs on natural-image patches trained with neural reconstruction losses (NL26 Sec. 3).

Data: 8 x 8 grey patches from scikit-learn's sample images (:func:`toyvae.data.patches.image_patches`),
standardised; 64 pixels, 16 latents. Per example, with ``xhat`` the decoder mean of one
reparameterised ``z ~ q(z|x) = N(mu(x), diag s(x))``:

    loss = (1 - lambda_f - lambda_a) ||x - xhat||^2 + lambda_f ||phi(x) - phi(xhat)||^2
           + lambda_a * (-D(xhat)) + beta * KL(q(z|x) || N(0, I))

(one of ``lambda_f``, ``lambda_a`` is zero in each configuration, so this is NL26's convex
combination ``lambda d_neural + (1 - lambda) d_pix``).

* Feature network (the "perceptual" term, fixed, not trained): ``phi(x) = tanh(2 F x) / 2`` with
  ``F`` the horizontal and vertical first differences of the patch (112 edge responses), scaled to
  spectral norm 1. ``u -> tanh(2u)/2`` is 1-Lipschitz, so ``phi`` is 1-Lipschitz and
  ``d_phi <= L^2 d_pix`` with ``L = 1`` (NL26 Assumption 26 / Cor. 28). Edge filters stand in for
  the first layers of the perceptual networks of the paper (LPIPS, DINOv2), which we cannot use.
* Adversarial term: hinge loss with a small MLP discriminator ``D`` (64-64-1, leaky ReLU) trained
  alternately (one discriminator step, then one VAE step, inside the same jitted step):
  ``L_D = E relu(1 - D(x)) + E relu(1 + D(xhat))``, generator term ``-D(xhat)`` (unconditional, as
  a PatchGAN on a single patch).
* Rate held at a target (NL26 Sec. 3.2, GECO-style; Rezende & Viola 2018): ``beta`` is a Lagrange
  multiplier updated after every step by dual ascent in log space,
  ``log beta <- clip(log beta + eta * (KL_batch - R_target), -10, 5)`` with ``eta = 0.005``.

Every configuration is a row of a :class:`Setting` array; all of them train together,
``engine.parallel.map_models`` over configurations (vmapped, spread over the CPU cores), ``lax.scan``
over Adam steps.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from toyvae.data import patches
from toyvae.engine.parallel import map_models

__all__ = [
    "NeuralConfig",
    "Setting",
    "feature_matrix",
    "features",
    "init_vae",
    "encode",
    "decode",
    "discriminate",
    "train",
    "evaluate",
    "surgery_monte_carlo",
    "shared_runs",
    "PATCH",
    "LATENT",
    "GECO_RATE",
]

PATCH = 8
LATENT = 16
HIDDEN = 64
GECO_ETA = 0.005
GECO_RATE = 5.0  # nats; about the linear-Gaussian reference rate of these patches at beta = 0.3


@dataclasses.dataclass(frozen=True)
class NeuralConfig:
    steps: int = 2000
    batch: int = 64
    learning_rate: float = 1e-3
    n_train: int = 20000
    n_eval: int = 1000


class Setting(NamedTuple):
    """Per-configuration weights (each a float array with one entry per configuration)."""

    lam_feature: np.ndarray
    lam_adversarial: np.ndarray
    beta: np.ndarray  # initial beta (fixed unless geco)
    geco: np.ndarray  # 1.0: hold the rate at GECO_RATE by adapting beta


def feature_matrix(size: int = PATCH) -> np.ndarray:
    """Horizontal and vertical first differences of a ``size x size`` patch, spectral norm 1."""
    idx = np.arange(size * size).reshape(size, size)
    rows = []
    for a, b in [(idx[:, :-1], idx[:, 1:]), (idx[:-1, :], idx[1:, :])]:
        for i, j in zip(a.ravel(), b.ravel()):
            r = np.zeros(size * size)
            r[i], r[j] = -1.0, 1.0
            rows.append(r)
    F = np.array(rows)
    return F / np.linalg.norm(F, 2)


def features(x: jax.Array, F: jax.Array) -> jax.Array:
    """``phi(x) = tanh(2 F x) / 2``: 1-Lipschitz edge responses (module docstring)."""
    return 0.5 * jnp.tanh(2.0 * (F @ x))


def _mlp_init(key, sizes):
    keys = jax.random.split(key, len(sizes) - 1)
    return [(jax.random.normal(k, (o, i)) * jnp.sqrt(2.0 / i), jnp.zeros(o)) for k, i, o in zip(keys, sizes[:-1], sizes[1:])]


def _mlp(layers, x, act=jax.nn.relu):
    for W, b in layers[:-1]:
        x = act(W @ x + b)
    W, b = layers[-1]
    return W @ x + b


def init_vae(key: jax.Array, n: int = PATCH * PATCH) -> dict:
    """Encoder n-64-64-2*16, decoder 16-64-64-n, discriminator n-64-1."""
    enc_key, dec_key, dis_key = jax.random.split(key, 3)
    return {
        "enc": _mlp_init(enc_key, [n, HIDDEN, HIDDEN, 2 * LATENT]),
        "dec": _mlp_init(dec_key, [LATENT, HIDDEN, HIDDEN, n]),
        "dis": _mlp_init(dis_key, [n, HIDDEN, 1]),
    }


def encode(params, x):
    """Posterior mean and variance ``(mu, s)`` for one patch."""
    h = _mlp(params["enc"], x)
    return h[:LATENT], jnp.exp(jnp.clip(h[LATENT:], -12.0, 6.0))


def decode(params, z):
    return _mlp(params["dec"], z)


def _dis(layers, x):
    return _mlp(layers, x, act=lambda u: jax.nn.leaky_relu(u, 0.2))[0]


def discriminate(params, x):
    """Discriminator score ``D(x)`` for one patch (higher: judged real)."""
    return _dis(params["dis"], x)


def _kl(mu, s):
    return 0.5 * jnp.sum(mu**2) + 0.5 * jnp.sum(s - 1.0 - jnp.log(s))


def _vae_example(params, dis, x, w, beta, F, key):
    mu, s = encode(params, x)
    z = mu + jnp.sqrt(s) * jax.random.normal(key, mu.shape)
    xhat = decode(params, z)
    d_pix = jnp.sum((x - xhat) ** 2)
    d_feat = jnp.sum((features(x, F) - features(xhat, F)) ** 2)
    adv = -_dis(dis, xhat)
    kl = _kl(mu, s)
    loss = (1.0 - w.lam_feature - w.lam_adversarial) * d_pix + w.lam_feature * d_feat + w.lam_adversarial * adv + beta * kl
    return loss, (kl, d_pix, xhat)


@functools.partial(jax.jit, static_argnames=("config",))
def _train(data, F, settings: Setting, keys, config: NeuralConfig):
    opt = optax.adam(config.learning_rate)

    def one(w, key):
        init_key, run_key = jax.random.split(key)
        params = init_vae(init_key, data.shape[1])
        state = opt.init(params)
        log_beta = jnp.log(w.beta)

        def step(carry, k):
            params, state, log_beta = carry
            idx_key, noise_key = jax.random.split(k)
            xs = data[jax.random.randint(idx_key, (config.batch,), 0, data.shape[0])]
            noise = jax.random.split(noise_key, config.batch)
            beta = jnp.exp(log_beta)

            def vae_loss(p):
                loss, (kl, d_pix, xhat) = jax.vmap(lambda x, kk: _vae_example(p, jax.lax.stop_gradient(p["dis"]), x, w, beta, F, kk))(xs, noise)
                return loss.mean(), (kl.mean(), d_pix.mean(), xhat)

            def dis_loss(p, xhat):
                real = jax.vmap(lambda x: _dis(p["dis"], x))(xs)
                fake = jax.vmap(lambda x: _dis(p["dis"], x))(jax.lax.stop_gradient(xhat))
                return jnp.mean(jax.nn.relu(1.0 - real)) + jnp.mean(jax.nn.relu(1.0 + fake))

            (loss, (kl, d_pix, xhat)), g_vae = jax.value_and_grad(vae_loss, has_aux=True)(params)
            g_dis = jax.grad(dis_loss)(params, xhat)
            grads = {"enc": g_vae["enc"], "dec": g_vae["dec"], "dis": g_dis["dis"]}
            updates, state = opt.update(grads, state, params)
            params = optax.apply_updates(params, updates)
            log_beta = jnp.where(w.geco > 0, jnp.clip(log_beta + GECO_ETA * (kl - GECO_RATE), -10.0, 5.0), log_beta)
            return (params, state, log_beta), jnp.stack([loss, kl, d_pix, jnp.exp(log_beta)])

        (params, _, log_beta), trace = jax.lax.scan(step, (params, state, log_beta), jax.random.split(run_key, config.steps))
        return params, jnp.exp(log_beta), trace

    return map_models(lambda a: one(*a), (settings, keys), group=None)


def train(settings: Setting, config: NeuralConfig = NeuralConfig(), *, seed: int = 0):
    """Train one VAE per configuration on image patches; returns (params, final beta, trace (K, steps, 4))."""
    data = jnp.asarray(patches.image_patches(config.n_train, PATCH, seed=seed))
    settings = Setting(*(jnp.asarray(np.asarray(a, np.float32)) for a in settings))
    K = settings.beta.shape[0]
    key = jax.random.PRNGKey(seed)
    keys = jax.vmap(lambda k: jax.random.fold_in(key, k))(jnp.arange(K))
    return _train(data, jnp.asarray(feature_matrix(), jnp.float32), settings, keys, config)


def _take(params, k):
    return jax.tree_util.tree_map(lambda a: a[k], params)


def evaluate(params, k: int, x) -> dict:
    """Rate ``E_x KL(q(z|x) || p)``, pixel distortion at the posterior mean, and ``A_post`` of configuration k.

    ``A_post`` is the mean over patches of ``Var_i log s_i(x)`` (the ``"mean_of_variances"`` of
    :func:`toyvae.theory.linear_gaussian.posterior_anisotropy`; NL26 Fig. 6 reports the average
    per-sample anisotropy).
    """
    from toyvae.theory.linear_gaussian import posterior_anisotropy

    p = _take(params, k)
    mu, s = jax.vmap(lambda xi: encode(p, xi))(jnp.asarray(x))
    xhat = jax.vmap(lambda m: decode(p, m))(mu)
    mu, s = np.asarray(mu, np.float64), np.asarray(s, np.float64)
    kl = 0.5 * np.sum(mu**2, 1) + 0.5 * np.sum(s - 1 - np.log(s), 1)
    return {
        "rate": float(kl.mean()),
        "rate_se": float(kl.std() / np.sqrt(kl.size)),
        "distortion_pix": float(np.mean(np.sum((np.asarray(x) - np.asarray(xhat)) ** 2, 1))),
        "A_post": float(posterior_anisotropy(s, aggregate="mean_of_variances")),
        "mu": mu,
        "s": s,
    }


def surgery_monte_carlo(mu: np.ndarray, s: np.ndarray, *, samples_per_point: int = 4, seed: int = 0) -> dict:
    """ELBO surgery by Monte Carlo for an empirical data set of N points with Gaussian posteriors.

    ``q(z) = (1/N) sum_n N(z; mu_n, diag s_n)`` exactly (a mixture over the N points). With
    ``x`` uniform over the points and ``z ~ q(z|x)``:
    ``I_q = E[log q(z|x) - log q(z)]`` and ``KL(q(z) || p) = E[log q(z) - log p(z)]``; the analytic
    rate ``E_x KL(q(z|x) || p)`` should equal their sum. Returns estimates with standard errors.
    """
    rng = np.random.default_rng(seed)
    N, d = mu.shape
    n_idx = np.repeat(np.arange(N), samples_per_point)
    z = mu[n_idx] + np.sqrt(s[n_idx]) * rng.standard_normal((n_idx.size, d))

    def log_normal(z, m, v):
        return -0.5 * np.sum((z - m) ** 2 / v + np.log(2 * np.pi * v), axis=-1)

    log_cond = log_normal(z, mu[n_idx], s[n_idx])
    log_q = np.empty(z.shape[0])
    for start in range(0, z.shape[0], 500):  # (chunk x N x d) at a time
        zc = z[start : start + 500, None, :]
        ll = log_normal(zc, mu[None], s[None])
        m = ll.max(1)
        log_q[start : start + 500] = m + np.log(np.mean(np.exp(ll - m[:, None]), 1))
    log_p = log_normal(z, 0.0, 1.0)
    rate_exact = float(np.mean(0.5 * np.sum(mu**2, 1) + 0.5 * np.sum(s - 1 - np.log(s), 1)))
    M = z.shape[0]
    mi, agg, tot = log_cond - log_q, log_q - log_p, log_cond - log_p
    se = lambda a: float(a.std() / np.sqrt(M))  # noqa: E731
    return {
        "rate_exact": rate_exact,
        "mutual_information": float(mi.mean()),
        "mutual_information_se": se(mi),
        "aggregate_kl": float(agg.mean()),
        "aggregate_kl_se": se(agg),
        "rate_mc": float(tot.mean()),
        "rate_mc_se": se(tot),
        "log_N": float(np.log(N)),
        "samples": M,
    }


# ---------------------------------------------------------------------------------------------
# The shared nonlinear runs (one compile, all claims), cached per process.

LAMBDAS = (0.0, 0.25, 0.5, 0.75, 1.0)
BETA0 = 0.3
BETA_SWEEP = (0.1, 0.6, 1.2, 3.0)  # with BETA0: SL.AggPost; 0.6 and 1.2 are the pixel-only controls
GECO_LAMBDAS = (0.0, 0.5, 1.0)


class Runs(NamedTuple):
    settings: Setting
    params: dict
    final_beta: np.ndarray
    trace: np.ndarray
    eval_x: np.ndarray
    feature: slice  # lambda sweep, feature loss, beta = BETA0
    betas: slice  # pixel loss, beta sweep
    adversarial: slice  # lambda = 0.25..1, hinge adversarial, beta = BETA0
    geco: slice  # lambda in GECO_LAMBDAS, feature loss, rate held at GECO_RATE


@functools.cache
def shared_runs(quick: bool = True, seed: int = 0) -> Runs:
    """Every nonlinear configuration in one vmapped run (see the module docstring)."""
    lf, la, b, g = [], [], [], []
    for lam in LAMBDAS:
        lf.append(lam), la.append(0.0), b.append(BETA0), g.append(0.0)
    for beta in BETA_SWEEP:
        lf.append(0.0), la.append(0.0), b.append(beta), g.append(0.0)
    for lam in LAMBDAS[1:]:
        lf.append(0.0), la.append(lam), b.append(BETA0), g.append(0.0)
    for lam in GECO_LAMBDAS:
        lf.append(lam), la.append(0.0), b.append(BETA0), g.append(1.0)
    settings = Setting(*(np.array(v) for v in (lf, la, b, g)))
    config = NeuralConfig() if quick else NeuralConfig(steps=10000, batch=128, n_train=50000, n_eval=2000)
    params, final_beta, trace = train(settings, config, seed=seed)
    eval_x = patches.image_patches(config.n_eval, PATCH, seed=seed + 1000)
    n1, n2, n3 = len(LAMBDAS), len(LAMBDAS) + len(BETA_SWEEP), len(LAMBDAS) + len(BETA_SWEEP) + len(LAMBDAS) - 1
    return Runs(settings, params, np.asarray(final_beta), np.asarray(trace), eval_x,
                slice(0, n1), slice(n1, n2), slice(n2, n3), slice(n3, n3 + len(GECO_LAMBDAS)))
