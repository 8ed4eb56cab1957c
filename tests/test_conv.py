"""Convolutional VAE networks (toyvae.models.conv): shapes, batching by vmap, stacked models, FLOPs."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyvae.models import conv

TINY = conv.ConvConfig(image_size=16, widths=(8, 16), latent_dim=4)

# Compiled once for the module: eager calls would compile every operation separately.
init = jax.jit(conv.init, static_argnums=0)
encode = jax.jit(conv.encode)
decode = jax.jit(conv.decode)
encode_batch = jax.jit(jax.vmap(conv.encode, in_axes=(None, 0)))
decode_batch = jax.jit(jax.vmap(conv.decode, in_axes=(None, 0)))


@pytest.fixture(scope="module")
def tiny():
    return init(TINY, key=jax.random.key(1))


def _xs(config, n, seed=0):
    """Inputs drawn with NumPy: eager JAX random calls would each compile (seconds on a busy CPU)."""
    return np.random.default_rng(seed).uniform(size=(n,) + config.image_shape).astype(np.float32)


@pytest.mark.parametrize("image_size, latent", [(16, 64), (16, 2048), (64, 64), (64, 2048)])
def test_shapes_and_initial_outputs(image_size, latent):
    widths = conv.CPU_SCALED.widths if image_size == 16 else conv.ConvConfig().widths
    config = conv.ConvConfig(image_size=image_size, widths=widths, latent_dim=latent)
    params = init(config, key=jax.random.key(0))
    x = _xs(config, 1)[0]  # one example keeps the 64 x 64, 2048-latent case cheap
    m, log_s = encode(params, x)
    mu, a = decode(params, m)
    assert m.shape == log_s.shape == (latent,)
    assert mu.shape == a.shape == (3, image_size, image_size)
    # output layers start at 1/100 of LeCun scale: everything of order 0.01, and not zero
    for name, value in {"m": m, "log_s": log_s, "mu - 1/2": np.asarray(mu) - 0.5, "a": a}.items():
        top = np.abs(np.asarray(value)).max()
        assert 0 < top < 0.2, (name, top)
    assert conv.parameter_count(config) == sum(leaf.size for leaf in jax.tree_util.tree_leaves(params))


def test_without_pixel_log_sigma_a_is_zero_and_the_last_layer_narrower():
    config = conv.ConvConfig(image_size=16, widths=(8, 16), latent_dim=4, pixel_log_sigma=False)
    params = init(config, key=jax.random.key(0))
    mu, a = decode(params, np.ones(4, np.float32))
    assert params.to_pixels.weight.shape[0] == 3 and mu.shape == (3, 16, 16)
    np.testing.assert_array_equal(a, np.zeros((3, 16, 16)))


def test_parameter_count_by_hand():
    # image 8, 1 channel, one stage of width 2, latent 3, mu and a: 1 channel each
    config = conv.ConvConfig(image_size=8, channels=1, widths=(2,), latent_dim=3)
    by_hand = ((1 * 2 * 16 + 2)            # Conv 4x4, 1 -> 2
               + (32 * 6 + 6)              # Linear 2*4*4 -> 2*3
               + (3 * 32 + 32)             # Linear 3 -> 2*4*4
               + (2 * 2 * 16 + 2)          # ConvTranspose 4x4, 2 -> 2
               + (2 * 2 * 9 + 2))          # Conv 3x3, 2 -> 2
    assert conv.parameter_count(config) == by_hand


def test_vmap_over_examples_equals_a_loop(tiny):
    xs = _xs(TINY, 5)
    batched = encode_batch(tiny, xs)
    looped = [encode(tiny, x) for x in xs]
    zs = np.random.default_rng(2).standard_normal((5, TINY.latent_dim)).astype(np.float32)
    batched_dec = decode_batch(tiny, zs)
    looped_dec = [decode(tiny, z) for z in zs]
    # The same arithmetic, but XLA may tile and sum a batched convolution in another order than an
    # unbatched one: float32 sums of at most 16 * 16 = 256 products, each rounding by 2^-24
    # relative, differ by far less than 1e-5 of the output scale.
    for got, want in ((batched, looped), (batched_dec, looped_dec)):
        for i in range(2):
            want_i = np.stack([w[i] for w in want])
            scale = float(np.max(np.abs(want_i)))
            np.testing.assert_allclose(got[i], want_i, rtol=0, atol=1e-5 * scale)


def test_vmap_over_two_stacked_models():
    keys = jax.random.split(jax.random.key(3), 2)
    stacked = jax.vmap(lambda k: conv.init(TINY, key=k))(keys)
    assert stacked.down[0].weight.shape == (2, 8, 3, 4, 4)
    xs = _xs(TINY, 3)
    # models on the outer axis, examples on the inner one: what the engine does
    m, log_s = jax.jit(jax.vmap(jax.vmap(conv.encode, in_axes=(None, 0)), in_axes=(0, None)))(stacked, xs)
    assert m.shape == (2, 3, TINY.latent_dim)
    mu, a = jax.jit(jax.vmap(jax.vmap(conv.decode, in_axes=(None, 0)), in_axes=(0, None)))(stacked, m[0])
    assert mu.shape == a.shape == (2, 3) + TINY.image_shape
    for j, key in enumerate(keys):
        m_j, _ = encode_batch(init(TINY, key=key), xs)
        np.testing.assert_allclose(m[j], m_j, rtol=0, atol=1e-5 * np.abs(np.asarray(m_j)).max())  # as above
    assert not np.allclose(m[0], m[1])  # two different models


def test_gradients_are_finite_and_reach_every_layer(tiny):
    xs = _xs(TINY, 4)

    def loss(p):
        def one(x):
            m, log_s = conv.encode(p, x)
            mu, a = conv.decode(p, m + jnp.exp(0.5 * log_s))
            return jnp.sum(jnp.square(x - mu) * jnp.exp(-2 * a) + 2 * a) + jnp.sum(jnp.square(m))
        return jnp.mean(jax.vmap(one)(xs))

    grads = jax.jit(jax.grad(loss))(tiny)
    for path, g in jax.tree_util.tree_leaves_with_path(grads):
        g = np.asarray(g)
        assert np.all(np.isfinite(g)), path
        assert np.abs(g).max() > 0, path


def test_flops_by_hand_for_a_tiny_model():
    # image 8, 1 channel, one stage of width 2, latent 3. Along one axis a 4-tap stride-2 layer
    # between 8 and 4 pixels has 4 * 4 - 2 = 14 real taps (the first and last positions each
    # lose one to padding); the 3-tap output convolution 8 * 3 - 2 = 22.
    config = conv.ConvConfig(image_size=8, channels=1, widths=(2,), latent_dim=3)
    macs = (14**2 * 1 * 2      # Conv 4x4 stride 2, 1 -> 2 channels, 8 -> 4 pixels
            + 32 * 6           # Linear 2*4*4 -> (m, log s)
            + 3 * 32           # Linear z -> 2*4*4
            + 14**2 * 2 * 2    # ConvTranspose 4x4 stride 2, 2 -> 2 channels, 4 -> 8 pixels
            + 22**2 * 2 * 2)   # Conv 3x3, 2 -> (mu, a)
    assert conv.flops_per_example(config) == 2 * macs == 6800


def test_flops_agree_with_xla_cost_analysis():
    # An independent count: XLA's cost analysis of the compiled encode and decode. It also counts
    # bias additions and activations (a few flops per output element, against 48 or more
    # multiply-adds per element here), so it may exceed ours by a few percent, never fall below.
    config = conv.CPU_SCALED
    params = jax.eval_shape(lambda k: conv.init(config, key=k), jax.random.key(0))
    x = jax.ShapeDtypeStruct(config.image_shape, jnp.float32)
    z = jax.ShapeDtypeStruct((config.latent_dim,), jnp.float32)

    def xla_flops(fn, arg):
        cost = jax.jit(fn).lower(params, arg).compile().cost_analysis()
        return (cost if isinstance(cost, dict) else cost[0])["flops"]

    ours = conv.flops_per_example(config)
    theirs = xla_flops(conv.encode, x) + xla_flops(conv.decode, z)
    assert 0 <= theirs - ours <= 0.05 * ours, (ours, theirs)


@pytest.mark.parametrize("kwargs", [{"image_size": 20}, {"widths": ()}, {"latent_dim": 0},
                                    {"widths": (8, 0)}, {"pixel_log_sigma": 1}])
def test_bad_configs_are_rejected(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        conv.ConvConfig(**kwargs)


def test_wrong_input_shapes_are_named(tiny):
    with pytest.raises(ValueError, match=r"x must have shape \(3, 16, 16\)"):
        encode(tiny, np.zeros((16, 16, 3), np.float32))
    with pytest.raises(ValueError, match=r"z must have shape \(4,\)"):
        decode(tiny, np.zeros(5, np.float32))
