"""The SCALE conv VAE family (toyvae.models.conv_vae): same function as models.conv, canonical convolutions
with exact gradients, the three decoders, the neural loss and its 1-Lipschitz feature network."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyvae.models import conv, conv_vae, gaussian
from toyvae.models.gaussian import Mode

TINY = conv.ConvConfig(image_size=16, widths=(4, 8), latent_dim=6)


@pytest.fixture(scope="module")
def tiny():
    return jax.jit(conv_vae.init, static_argnums=0)(TINY, key=jax.random.key(3))


def _images(config, n, seed=0):
    return np.random.default_rng(seed).uniform(size=(n,) + config.image_shape).astype(np.float32)


@pytest.mark.parametrize("image_size, widths, latent", [(16, (4, 8), 6), (64, (64, 128, 256, 512), 2048)])
def test_channels_last_forward_is_conv_encode_and_decode(image_size, widths, latent):
    config = conv.ConvConfig(image_size=image_size, widths=widths, latent_dim=latent)
    params = jax.jit(conv_vae.init, static_argnums=0)(config, key=jax.random.key(0))
    x = _images(config, 2)
    m_ref, log_s_ref = jax.jit(jax.vmap(conv.encode, (None, 0)))(params["net"], x)
    m, s = jax.jit(jax.vmap(conv_vae.encode, (None, 0)))(params, x)
    mu_ref, a_ref = jax.jit(jax.vmap(conv.decode, (None, 0)))(params["net"], m_ref)
    mu, a = jax.jit(jax.vmap(conv_vae.decode_raw, (None, 0)))(params, m_ref)
    # The same products in another memory layout: XLA may tile the sums differently, float32 sums of at most
    # 8192 terms (the 64 x 64 encoder's last linear layer), each rounding by 2^-24 relative: 1e-5 of the scale.
    for got, want in ((m, m_ref), (s, np.exp(log_s_ref)), (mu, mu_ref), (a, a_ref)):
        scale = float(np.max(np.abs(want)))
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * scale)


CASES = [  # (input side, kernel, stride, input dilation, padding): the three of the networks and odd sizes
    (16, 4, 2, 1, 1), (8, 4, 1, 2, 2), (16, 3, 1, 1, 1), (15, 4, 2, 1, 1), (7, 4, 1, 2, 2), (9, 3, 2, 1, 0),
    (6, 3, 3, 2, 2)]


@pytest.mark.parametrize("n, k, stride, dilation, pad", CASES)
def test_canonical_convolution_has_autodiffs_gradients(n, k, stride, dilation, pad):
    rng = np.random.default_rng(n * 100 + k)
    x = jnp.asarray(rng.standard_normal((3, n, n + 1, 5)), jnp.float32)
    w = jnp.asarray(rng.standard_normal((k, k, 5, 4)), jnp.float32)
    kw = dict(stride=(stride, stride), lhs_dilation=(dilation, dilation), padding=((pad, pad), (pad, pad + 1)))
    y_ref = conv_vae.conv_nhwc(x, w, canonical=False, **kw)
    g = jnp.asarray(rng.standard_normal(y_ref.shape), jnp.float32)

    def loss(canonical):
        return lambda x, w: jnp.sum(conv_vae.conv_nhwc(x, w, canonical=canonical, **kw) * g)

    got = jax.grad(loss(True), (0, 1))(x, w)
    want = jax.grad(loss(False), (0, 1))(x, w)
    np.testing.assert_array_equal(conv_vae.conv_nhwc(x, w, canonical=True, **kw), y_ref)
    for a, b in zip(got, want):
        # the same sums of products, possibly in another order: float32 rounding of sums of <= 500 terms
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5 * float(np.max(np.abs(b))))


def test_whole_model_gradients_agree_between_the_two_backward_passes(tiny):
    x = _images(TINY, 4)
    key = jax.random.key(5)

    def loss(canonical):
        def f(params):
            def one(xi, k):
                m, s = conv_vae.encode(params, xi, canonical=canonical)
                z = m + jnp.sqrt(s) * jax.random.normal(k, m.shape)
                mu, a = conv_vae.decode_raw(params, z, canonical=canonical)
                return gaussian.gaussian_nll(xi, mu, gaussian.floored_sigma(a, conv_vae.FLOOR)) + \
                    gaussian.kl_standard_normal(m, s)

            return jnp.mean(jax.vmap(one)(x, jax.random.split(key, x.shape[0])))

        return jax.jit(jax.grad(f))

    got, want = loss(True)(tiny), loss(False)(tiny)
    for a, b in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-4 * max(float(np.max(np.abs(b))), 1e-6))


def test_negative_elbo_is_the_nll_plus_kl_of_conv_networks(tiny):
    """An independent reimplementation on models.conv's functions, same z."""
    x = _images(TINY, 1)[0]
    key = jax.random.key(11)
    for mode, sigma in ((Mode.GIVEN, math.sqrt(0.5)), (Mode.SCALAR, 0.0), (Mode.VECTOR, 0.0)):
        loss, aux = conv_vae.negative_elbo(tiny, x, key, int(mode), sigma, 1.0, conv_vae.FLOOR)
        m, log_s = conv.encode(tiny["net"], x)
        s = np.exp(np.clip(log_s, *conv_vae.LOG_S_RANGE))
        z = m + np.sqrt(s) * jax.random.normal(key, m.shape)
        mu, a = conv.decode(tiny["net"], z)
        if mode == Mode.GIVEN:
            sig = np.full(mu.shape, sigma)
        elif mode == Mode.SCALAR:
            sig = np.full(mu.shape, math.sqrt(math.exp(2 * float(tiny["log_sigma"])) + conv_vae.FLOOR**2))
        else:
            sig = np.sqrt(np.exp(2 * np.asarray(a, np.float64)) + conv_vae.FLOOR**2)
        nll = np.sum(0.5 * ((np.asarray(x) - np.asarray(mu)) / sig) ** 2 + np.log(sig) + 0.5 * math.log(2 * math.pi))
        kl = 0.5 * np.sum(np.asarray(m) ** 2) + 0.5 * np.sum(s - 1 - np.log(s))
        # float32 sums over 768 pixels of terms of order 1: relative 1e-5
        np.testing.assert_allclose(float(loss), nll + kl, rtol=1e-5)
        np.testing.assert_allclose(float(aux["rate"]), kl, rtol=1e-5)


def test_neural_loss_at_lambda_0_beta_1_is_the_negative_elbo(tiny):
    x = _images(TINY, 1)[0]
    key = jax.random.key(2)
    for mode in (Mode.GIVEN, Mode.SCALAR, Mode.VECTOR):
        want, _ = conv_vae.negative_elbo(tiny, x, key, int(mode), 0.7, 1.0, conv_vae.FLOOR)
        got, aux = conv_vae.example_loss(tiny, x, int(mode), 0.7, 0.0, 1.0, key=key)
        np.testing.assert_allclose(float(got), float(want), rtol=1e-6)
        assert set(aux) == {"distortion", "rate", "d_pix", "d_feature", "sigma"}
    # lambda = 1: the pixel likelihood no longer enters, the feature distortion does
    loss1, aux1 = conv_vae.example_loss(tiny, x, int(Mode.GIVEN), 0.7, 1.0, 0.5, key=key)
    np.testing.assert_allclose(float(loss1), float(aux1["d_feature"] + 0.5 * aux1["rate"]), rtol=1e-6)


def test_edge_operator_has_spectral_norm_one_and_features_are_1_lipschitz():
    for size in (4, 16):
        n = 3 * size * size
        E = np.asarray(jax.vmap(lambda v: conv_vae.edge_operator(v.reshape(3, size, size)), in_axes=1, out_axes=1)(
            jnp.eye(n)), np.float64)
        # the largest singular value is the scaled one: 1 up to float32 rounding of the entries
        np.testing.assert_allclose(np.linalg.norm(E, 2), 1.0, rtol=1e-6)
        raw = E * conv_vae.edge_norm(size)  # the unscaled differences
        np.testing.assert_allclose(conv_vae.edge_norm(size) ** 2, np.linalg.eigvalsh(raw.T @ raw)[-1], rtol=1e-5)
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(200, 3, 8, 8)).astype(np.float32)
    y = rng.uniform(size=(200, 3, 8, 8)).astype(np.float32)
    phi = jax.vmap(conv_vae.neural_features)
    ratio = np.sum((np.asarray(phi(x)) - np.asarray(phi(y))) ** 2, 1) / np.sum((x - y).reshape(200, -1) ** 2, 1)
    assert ratio.max() <= 1.0 + 1e-5  # float32 features


def test_learned_sigma_respects_the_floor_and_bad_configs_are_refused(tiny):
    z = jnp.zeros(TINY.latent_dim)
    low = jax.tree_util.tree_map(lambda a: a, tiny)
    low["log_sigma"] = jnp.asarray(-40.0)
    for mode in (Mode.SCALAR, Mode.VECTOR):
        _, sigma = conv_vae.decode(low, z, int(mode), 0.0)
        assert float(jnp.min(sigma)) >= conv_vae.FLOOR * (1 - 1e-6)
    with pytest.raises(ValueError, match="pixel_log_sigma"):
        conv_vae.init(conv.ConvConfig(image_size=16, widths=(4, 8), latent_dim=2, pixel_log_sigma=False),
                      key=jax.random.key(0))
    with pytest.raises(ValueError, match="x must have shape"):
        conv_vae.encode(tiny, jnp.zeros((3, 8, 8)))
    with pytest.raises(ValueError, match="z must have shape"):
        conv_vae.decode_raw(tiny, jnp.zeros(3))
