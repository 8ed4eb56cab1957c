"""The CPU convolutions of toyvae.models.conv_vae (patches + one product; transposed convolutions as
sub-pixel phases) against ``lax.conv_general_dilated``: values and both gradients, alone and vmapped
over one-example calls as the models use them.

Tolerance: both sides compute, for every output, the same sum of n products in another order (and
the sub-pixel form leaves out the products with the dilation's zeros, which are exact zeros). Each
float32 sum of n terms is within gamma_n * sum |terms| of the exact value, gamma_n = n u / (1 - n u),
u = 2^-24 (Higham, Accuracy and Stability of Numerical Algorithms, eq. 3.5); so the two differ by at
most 2 gamma_n * sum |terms|. ``sum |terms|`` is computed exactly as the same linear map applied to
absolute values (the convolution of |x| and |w|; the gradient of sum(conv(|x|, w) * |g|) in w; of
sum(conv(x, |w|) * |g|) in x). A deterministic bound: these tests cannot fail by chance.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from toyvae.models import conv_vae

U = 2.0**-24

CASES = [  # (input side, kernel, stride, input dilation, padding): the networks' three kinds and odd ones
    (8, 4, 2, 1, 1),  # encoder: 4x4 stride 2, padding 1
    (4, 4, 1, 2, 2),  # decoder: transposed 4x4 stride 2 padding 1 = input dilated by 2, padded by 2
    (8, 3, 1, 1, 1),  # output layer: 3x3, padding 1
    (7, 4, 2, 1, 1),  # odd side
    (5, 3, 2, 1, 0),  # no padding
    (5, 4, 1, 3, 2),  # dilation 3 (falls back where the output length is not a multiple of 3)
    (6, 5, 1, 2, 3),  # kernel 5, dilation 2
]


def _ref(x, w, kw):
    return lax.conv_general_dilated(x, w, kw["stride"], kw["padding"], lhs_dilation=kw["lhs_dilation"],
                                    dimension_numbers=("NHWC", "HWIO", "NHWC"), precision=lax.Precision.HIGHEST)


def _gamma(n):
    return n * U / (1 - n * U)


def _assert_within(got, want, abs_terms, n):
    bound = 2 * _gamma(n) * np.asarray(abs_terms, np.float64) + 1e-30
    err = np.abs(np.asarray(got, np.float64) - np.asarray(want, np.float64))
    assert np.all(err <= bound), f"max error / bound {np.max(err / bound):.3g} (n = {n})"


@pytest.mark.parametrize("n, k, stride, dilation, pad", CASES)
def test_gemm_convolution_matches_lax_with_gradients(n, k, stride, dilation, pad):
    rng = np.random.default_rng(n * 100 + k * 10 + dilation)
    cin, cout, batch = 5, 4, 3
    x = jnp.asarray(rng.standard_normal((batch, n, n + 1, cin)), jnp.float32)
    w = jnp.asarray(rng.standard_normal((k, k, cin, cout)), jnp.float32)
    kw = dict(stride=(stride, stride), lhs_dilation=(dilation, dilation), padding=((pad, pad), (pad, pad + 1)))
    want = _ref(x, w, kw)
    got = conv_vae.conv_nhwc(x, w, implementation="patches", **kw)
    assert got.shape == want.shape
    _assert_within(got, want, _ref(jnp.abs(x), jnp.abs(w), kw), k * k * cin)

    g = jnp.asarray(rng.standard_normal(want.shape), jnp.float32)
    gx, gw = jax.grad(lambda x, w: jnp.sum(conv_vae.conv_nhwc(x, w, implementation="patches", **kw) * g), (0, 1))(x, w)
    rx, rw = jax.grad(lambda x, w: jnp.sum(_ref(x, w, kw) * g), (0, 1))(x, w)
    abs_x = jax.grad(lambda x: jnp.sum(_ref(x, jnp.abs(w), kw) * jnp.abs(g)))(x)
    abs_w = jax.grad(lambda w: jnp.sum(_ref(jnp.abs(x), w, kw) * jnp.abs(g)))(w)
    _assert_within(gx, rx, abs_x, k * k * cout)  # an input feeds at most k^2 outputs per output channel
    _assert_within(gw, rw, abs_w, int(np.prod(want.shape[:3])))  # summed over batch and output positions


@pytest.mark.parametrize("n, k, stride, dilation, pad", CASES[:3])
def test_gemm_convolution_vmapped_over_examples_is_the_batched_one(n, k, stride, dilation, pad):
    """The models call the convolution on ONE example (1, H, W, C) under ``jax.vmap`` (bounds as above)."""
    rng = np.random.default_rng(7)
    x = jnp.asarray(rng.standard_normal((4, n, n, 3)), jnp.float32)
    w = jnp.asarray(rng.standard_normal((k, k, 3, 2)), jnp.float32)
    kw = dict(stride=(stride, stride), lhs_dilation=(dilation, dilation), padding=((pad, pad), (pad, pad)))
    want = _ref(x, w, kw)
    g = jnp.asarray(rng.standard_normal(want.shape), jnp.float32)

    def loss(x, w):
        y = jax.vmap(lambda xi: conv_vae.conv_nhwc(xi[None], w, implementation="patches", **kw)[0])(x)
        return jnp.sum(y * g), y

    (_, got), (gx, gw) = jax.jit(jax.value_and_grad(loss, (0, 1), has_aux=True))(x, w)
    rx, rw = jax.grad(lambda x, w: jnp.sum(_ref(x, w, kw) * g), (0, 1))(x, w)
    _assert_within(got, want, _ref(jnp.abs(x), jnp.abs(w), kw), k * k * 3)
    _assert_within(gx, rx, jax.grad(lambda x: jnp.sum(_ref(x, jnp.abs(w), kw) * jnp.abs(g)))(x), k * k * 2)
    _assert_within(gw, rw, jax.grad(lambda w: jnp.sum(_ref(jnp.abs(x), w, kw) * jnp.abs(g)))(w),
                   int(np.prod(want.shape[:3])))


def test_default_implementation_is_gemm_on_the_cpu_only():
    assert conv_vae.default_implementation() == ("gemm" if jax.default_backend() == "cpu" else "lax")
    with pytest.raises(ValueError, match="implementation"):
        conv_vae.conv_nhwc(jnp.zeros((1, 4, 4, 1)), jnp.zeros((3, 3, 1, 1)), implementation="fft")
