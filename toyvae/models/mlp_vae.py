"""The residual-MLP Gaussian VAE of Berger & Sebag 2020 (Sec. 4.1), for ONE example.

Encoder and decoder are the residual MLPs of :mod:`toyvae.models.mlp`; the likelihood, the three
decoder-sigma modes (F / LS / LV), the sigma floor and the ELBO are those of
:mod:`toyvae.models.gaussian`, which states the equations. The encoder outputs (m, log s)
(2 * latent_dim numbers), the decoder (mu, a) (2 * data_dim numbers, ``a`` the raw log-sigma of
``Mode.VECTOR``); ``log_sigma`` is the raw scalar of ``Mode.SCALAR``.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp

from toyvae.models import gaussian
from toyvae.models.gaussian import Mode
from toyvae.models.mlp import init_resnet, resnet

__all__ = ["Mode", "init", "init_vae", "encode", "decode_raw", "decode", "example_loss", "negative_elbo",
           "point_bounds"]


def init(data_dim: int, latent_dim: int, width: int, depth: int, sigma_floor: float = 0.0, *,
         key: jax.Array) -> dict:
    """Parameters ``{"enc", "dec", "log_sigma"}`` of one VAE.

    ``log_sigma`` is set so that the floored scalar sigma starts at exactly 1 (LS-VAE, Sec. 4.1 ii).
    """
    enc_key, dec_key = jax.random.split(key)
    return {
        "enc": init_resnet(enc_key, data_dim, 2 * latent_dim, width, depth),
        "dec": init_resnet(dec_key, latent_dim, 2 * data_dim, width, depth),
        "log_sigma": jnp.asarray(0.5 * math.log1p(-(sigma_floor**2)), jnp.float32),
    }


def init_vae(key: jax.Array, data_dim: int, latent_dim: int, width: int, depth: int,
             sigma_floor: float = 0.0) -> dict:
    """:func:`init` with the key first (the callers in ``toyvae.experiments``; new code calls
    ``init(..., key=key)``)."""
    return init(data_dim, latent_dim, width, depth, sigma_floor, key=key)


def encode(params: dict, x: jax.Array):
    """(m, s): mean and variance of q(z|x) for one x."""
    m, log_s = jnp.split(resnet(params["enc"], x), 2)
    return m, jnp.exp(log_s)


def decode_raw(params: dict, z: jax.Array):
    """(mu, a) for one z: the decoder mean and the raw log-sigma of ``Mode.VECTOR``."""
    mu, a = jnp.split(resnet(params["dec"], z), 2)
    return mu, a


def decode(params: dict, z: jax.Array, mode, given_sigma, floor: float):
    """(mu, sigma) of p(x|z) for one z; ``mode`` may be a traced integer (vmapped settings)."""
    mu, a = decode_raw(params, z)
    return mu, gaussian.decoder_sigma(mode, a, params["log_sigma"], given_sigma, floor)


negative_elbo = functools.partial(gaussian.negative_elbo, encode, decode_raw)
negative_elbo.__doc__ = """negative_elbo(params, x, key, mode, given_sigma, kl_weight, floor): see models.gaussian."""


def example_loss(params: dict, x: jax.Array, mode, given_sigma, kl_weight, floor: float, *, key: jax.Array):
    """The one-sample negative ELBO of one ``x`` (:func:`toyvae.models.gaussian.negative_elbo`): ``(loss, aux)``
    with aux ``distortion``, ``rate``, ``sigma``, ``sq_err``. :func:`negative_elbo` is the same with the key
    third (its callers in ``toyvae.experiments``)."""
    return negative_elbo(params, x, key, mode, given_sigma, kl_weight, floor)
point_bounds = functools.partial(gaussian.point_bounds, encode, decode_raw)
point_bounds.__doc__ = """point_bounds(params, x, key, mode, sigma, floor, k): see models.gaussian."""
