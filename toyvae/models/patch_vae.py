"""A small MLP VAE on image patches with neural reconstruction losses (NL26 Sec. 3), for ONE example.

Per example, with ``xhat`` the decoder mean of one reparameterised ``z ~ q(z|x) = N(mu(x), diag s(x))``:

    loss = (1 - lambda_f - lambda_a) ||x - xhat||^2 + lambda_f ||phi(x) - phi(xhat)||^2
           + lambda_a * (-Dis(xhat)) + beta * KL(q(z|x) || N(0, I))

(NL26's convex combination ``lambda d_neural + (1 - lambda) d_pix`` when one of the two weights is 0).

* Feature network (the "perceptual" term, fixed): ``phi(x) = tanh(2 F x) / 2`` with ``F`` the
  horizontal and vertical first differences of the patch, scaled to spectral norm 1.
  ``u -> tanh(2u)/2`` is 1-Lipschitz, so ``phi`` is 1-Lipschitz and ``d_phi <= d_pix``
  (NL26 Assumption 26 / Cor. 28 with L = 1). Edge filters stand in for the first layers of the
  perceptual networks of the paper (LPIPS, DINOv2), which cannot be downloaded here.
* Adversarial term: hinge loss with a small MLP discriminator ``Dis`` (n-64-1, leaky ReLU),
  ``L_Dis = E relu(1 - Dis(x)) + E relu(1 + Dis(xhat))``, generator term ``-Dis(xhat)``.
  :func:`example_loss` returns the sum of the VAE's loss (discriminator held fixed by a
  stop-gradient) and the discriminator's loss (reconstruction held fixed): one gradient then
  trains both, each on its own objective, in the same step.

Encoder n-64-64-2*latent, decoder latent-64-64-n (ReLU).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from toyvae.models.gaussian import kl_standard_normal

__all__ = ["PATCH", "LATENT", "HIDDEN", "feature_matrix", "features", "init", "init_vae", "encode", "decode",
           "discriminate", "kl", "example_loss"]

PATCH = 8
LATENT = 16
HIDDEN = 64


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
    return [(jax.random.normal(k, (o, i), jnp.float32) * jnp.sqrt(2.0 / i), jnp.zeros(o, jnp.float32))
            for k, i, o in zip(keys, sizes[:-1], sizes[1:])]


def _mlp(layers, x, act=jax.nn.relu):
    for W, b in layers[:-1]:
        x = act(W @ x + b)
    W, b = layers[-1]
    return W @ x + b


def init(n: int = PATCH * PATCH, *, key: jax.Array) -> dict:
    """Encoder n-64-64-2*16, decoder 16-64-64-n, discriminator n-64-1."""
    enc_key, dec_key, dis_key = jax.random.split(key, 3)
    return {
        "enc": _mlp_init(enc_key, [n, HIDDEN, HIDDEN, 2 * LATENT]),
        "dec": _mlp_init(dec_key, [LATENT, HIDDEN, HIDDEN, n]),
        "dis": _mlp_init(dis_key, [n, HIDDEN, 1]),
    }


def init_vae(key: jax.Array, n: int = PATCH * PATCH) -> dict:
    """:func:`init` with the key first (the callers in ``toyvae.experiments``; new code calls ``init(n, key=key)``)."""
    return init(n, key=key)


def encode(params, x):
    """Posterior mean and variance ``(mu, s)`` for one patch (log s clipped to [-12, 6])."""
    h = _mlp(params["enc"], x)
    return h[:LATENT], jnp.exp(jnp.clip(h[LATENT:], -12.0, 6.0))


def decode(params, z):
    """Decoder mean for one latent."""
    return _mlp(params["dec"], z)


def discriminate(params, x):
    """Discriminator score ``Dis(x)`` for one patch (higher: judged real)."""
    return _mlp(params["dis"], x, act=lambda u: jax.nn.leaky_relu(u, 0.2))[0]


# KL(N(mu, diag s) || N(0, I)) = |mu|^2/2 + sum g(s), the models' one KL. It replaced a copy written with
# ``mu**2``, which lowers to the same HLO as ``square(mu)``: the same bits (tests/test_conformance.py).
kl = kl_standard_normal


def example_loss(params, x, lam_feature, lam_adversarial, beta, F, *, key):
    """VAE loss (discriminator frozen) + hinge discriminator loss (reconstruction frozen) for one patch.

    Returns (loss, aux) with aux ``rate`` (KL), ``distortion`` (pixel squared error) and ``vae_loss``.
    """
    mu, s = encode(params, x)
    z = mu + jnp.sqrt(s) * jax.random.normal(key, mu.shape, mu.dtype)
    xhat = decode(params, z)
    dis = jax.lax.stop_gradient(params["dis"])
    d_pix = jnp.sum((x - xhat) ** 2)
    d_feat = jnp.sum((features(x, F) - features(xhat, F)) ** 2)
    rate = kl(mu, s)
    vae = ((1.0 - lam_feature - lam_adversarial) * d_pix + lam_feature * d_feat
           - lam_adversarial * discriminate({"dis": dis}, xhat) + beta * rate)
    fake = jax.lax.stop_gradient(xhat)
    dis_loss = jax.nn.relu(1.0 - discriminate(params, x)) + jax.nn.relu(1.0 + discriminate(params, fake))
    return vae + dis_loss, {"rate": rate, "distortion": d_pix, "vae_loss": vae}
