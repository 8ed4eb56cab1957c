"""Evaluation of trained VAEs on fresh held-out samples, in nats per point with all constants.

For one point x, with K samples z_k = m(x) + sqrt(s(x)) eps_k from q(z|x):

* ELBO   = (1/K) sum_k log p(x|z_k) - KL(q(z|x) || p(z))   (KL exact, eq. 3 of Berger & Sebag),
* IWAE_K = log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)        (Burda et al. 2016; >= ELBO on
  average, -> log p(x) as K grows: our tighter log-likelihood),
* rate = KL, distortion = -(1/K) sum_k log p(x|z_k), and the squared error per dimension
  (1/K) sum_k ||x - mu(z_k)||^2 / D that eq. 10's optimal sigma^2 equals (BS20.L-VAE).

``log p(x|z)`` includes (D/2) log 2 pi and sum_i log sigma_i, so a fixed-sigma and a
learned-sigma model are scored in the same units (the paper's "2 log sigma" correction of
Table 1's F-VAE rows is this term for D = 2).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from toyvae.experiments.bs20_train import TrainResult
from toyvae.models.mlp_vae import decode, encode, point_bounds

__all__ = ["point_bounds", "evaluate", "reconstruct", "generate", "final_sigma"]


@functools.partial(jax.jit, static_argnames=("floor", "k", "block"))
def _bounds_all_models(params, x, keys, modes, sigmas, *, floor, k, block):
    """Bounds of every model (leading axis) on every point; points in blocks to bound memory."""

    def one_model(p, mode, sigma):
        def one_block(args):
            xb, kb = args
            return jax.vmap(point_bounds, in_axes=(None, 0, 0, None, None, None, None))(
                p, xb, kb, mode, sigma, floor, k)

        n = x.shape[0]
        out = jax.lax.map(one_block, (x.reshape(n // block, block, -1), keys.reshape(n // block, block, -1)))
        return out.reshape(n, -1)

    return jax.vmap(one_model)(params, modes, sigmas)


def final_sigma(result: TrainResult) -> np.ndarray:
    """The given sigma at the last step of each setting (used for GIVEN modes), (n_settings,)."""
    return np.array([s.sigma_per_step(result.config.steps)[-1] for s in result.settings], np.float32)


def evaluate(result: TrainResult, sampler, *, n: int = 2000, k: int = 100, seed: int = 10_000,
             block: int = 50, averaged: bool = False) -> dict[str, np.ndarray]:
    """Held-out metrics of every model: dict of arrays (n_settings, n_seeds), means over n points.

    Keys: "elbo", "iwae", "rate", "distortion", "sq_err" (per dimension), "elbo_se" (standard
    error of the ELBO mean over the n points). The n points come from ``sampler`` with
    ``PRNGKey(seed)``, a stream disjoint from training's (``fold_in`` of other keys).
    """
    if k < 1 or n < 1 or n % block:
        raise ValueError(f"need k >= 1 and n a positive multiple of block={block}; got k={k}, n={n}")
    n_set, n_seed = len(result.settings), len(result.seeds)
    data_key, eps_key = jax.random.split(jax.random.PRNGKey(seed))
    x = sampler(data_key, n)
    keys = jax.random.split(eps_key, n)
    params = result.averaged if averaged else result.params
    if params is None:
        raise ValueError("this result kept no averaged parameters (set VAEConfig.average_last)")
    flat = jax.tree_util.tree_map(lambda a: a.reshape((n_set * n_seed,) + a.shape[2:]), params)
    modes = jnp.repeat(jnp.array([int(s.mode) for s in result.settings]), n_seed)
    sigmas = jnp.repeat(jnp.asarray(final_sigma(result)), n_seed)
    out = np.asarray(_bounds_all_models(flat, x, keys, modes, sigmas, floor=result.config.sigma_floor,
                                        k=k, block=block), np.float64)  # (models, n, 5)
    out = out.reshape(n_set, n_seed, n, 5)
    res = {name: out[..., i].mean(axis=-1) for i, name in enumerate(("elbo", "iwae", "rate", "distortion", "sq_err"))}
    res["elbo_se"] = out[..., 0].std(axis=-1, ddof=1) / np.sqrt(n)
    return res


@functools.partial(jax.jit, static_argnames=("floor",))
def _reconstruct(params, x, mode, sigma, *, floor):
    def one(xi):
        m, _ = encode(params, xi)
        return decode(params, m, mode, sigma, floor)

    return jax.vmap(one)(x)


def reconstruct(result: TrainResult, setting: int, seed: int, x, *, averaged: bool = False
                ) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma) of p(x|z) at z = m(x), the posterior mean, for each row of x."""
    mode = int(result.settings[setting].mode)
    mu, sig = _reconstruct(result.model(setting, seed, averaged=averaged), jnp.asarray(x), mode, final_sigma(result)[setting],
                           floor=result.config.sigma_floor)
    return np.asarray(mu), np.asarray(sig)


@functools.partial(jax.jit, static_argnames=("floor", "n", "latent_dim"))
def _generate(params, key, mode, sigma, *, floor, n, latent_dim):
    z_key, x_key = jax.random.split(key)
    z = jax.random.normal(z_key, (n, latent_dim))
    mu, sig = jax.vmap(decode, in_axes=(None, 0, None, None, None))(params, z, mode, sigma, floor)
    return mu, sig, mu + sig * jax.random.normal(x_key, mu.shape)


def generate(result: TrainResult, setting: int, seed: int, n: int, key_seed: int = 20_000, *,
             averaged: bool = False):
    """(means, sigmas, samples) of p(x|z) for n prior draws z ~ N(0, I)."""
    mode = int(result.settings[setting].mode)
    out = _generate(result.model(setting, seed, averaged=averaged), jax.random.PRNGKey(key_seed), mode,
                    final_sigma(result)[setting], floor=result.config.sigma_floor, n=int(n),
                    latent_dim=result.config.latent_dim)
    return tuple(np.asarray(a) for a in out)
