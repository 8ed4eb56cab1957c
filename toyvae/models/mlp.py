"""Residual MLPs for ONE example (batched by ``jax.vmap`` in the loss).

Berger & Sebag 2020, Sec. 4.1: encoder and decoder are "ResNets with 4 residual blocks of 200
neurons". Our reading of that architecture, for one input vector ``x``:

    h_0     = W_in x + b_in                                   (lift to the width)
    h_{k+1} = h_k + W2_k relu(W1_k h_k + b1_k) + b2_k         (k = 0 .. depth-1)
    y       = W_out relu(h_depth) + b_out                     (read out)

Two width x width products per block, so the paper's model (depth 4, width 200) does 8 of them
per network, 16 per encoder+decoder pass; with batch 100, forward plus backward that is
3 * 16 * 2 * 100 * 200 * 200 = 0.38 GFLOP per training step (the figure of issue 3).

Parameters are a plain dict pytree (float32). The block weights are stacked on a leading
``depth`` axis, so a model's pytree has the same structure for every depth and vmapping over
models adds one more leading axis.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["init", "init_resnet", "resnet", "resnet_flops"]


def _normal(key, shape, fan_in, scale=1.0):
    """Gaussian weights with variance scale^2 / fan_in (LeCun normal)."""
    return (scale / jnp.sqrt(fan_in)) * jax.random.normal(key, shape, dtype=jnp.float32)


def init(in_dim: int, out_dim: int, width: int, depth: int, *, key: jax.Array) -> dict:
    """Parameters of the residual MLP above.

    Args:
        in_dim, out_dim: input and output sizes.
        width: units per layer; depth: number of residual blocks.
        key: PRNG key (split into named subkeys, never reused).

    The second layer of every block starts at scale 1/sqrt(depth) so that the residual stream
    keeps unit variance at initialisation whatever the depth; the read-out starts small (0.1) so
    that initial outputs (means, log-variances, log-sigmas) sit near zero.
    """
    for name, v in (("in_dim", in_dim), ("out_dim", out_dim), ("width", width)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if int(depth) != depth or depth < 0:
        raise ValueError(f"depth must be a non-negative integer, got {depth!r}")
    in_key, w1_key, w2_key, out_key = jax.random.split(key, 4)
    return {
        "w_in": _normal(in_key, (width, in_dim), in_dim),
        "b_in": jnp.zeros((width,), jnp.float32),
        "w1": _normal(w1_key, (depth, width, width), width, jnp.sqrt(2.0)),
        "b1": jnp.zeros((depth, width), jnp.float32),
        "w2": _normal(w2_key, (depth, width, width), width, 1.0 / jnp.sqrt(max(depth, 1))),
        "b2": jnp.zeros((depth, width), jnp.float32),
        "w_out": _normal(out_key, (out_dim, width), width, 0.1),
        "b_out": jnp.zeros((out_dim,), jnp.float32),
    }


def init_resnet(key: jax.Array, in_dim: int, out_dim: int, width: int, depth: int) -> dict:
    """:func:`init` with the key first (the models, experiments and course call it so)."""
    return init(in_dim, out_dim, width, depth, key=key)


def resnet(params: dict, x: jax.Array) -> jax.Array:
    """Apply the residual MLP to ONE input vector ``x`` of shape (in_dim,)."""
    h = params["w_in"] @ x + params["b_in"]
    depth = params["w1"].shape[0]
    for k in range(depth):  # depth is small and static: unrolled, one fused program
        u = jax.nn.relu(params["w1"][k] @ h + params["b1"][k])
        h = h + params["w2"][k] @ u + params["b2"][k]
    return params["w_out"] @ jax.nn.relu(h) + params["b_out"]


def resnet_flops(in_dim: int, out_dim: int, width: int, depth: int, batch: int) -> float:
    """Floating-point operations of one forward AND backward pass over a batch.

    Counts the matrix products only (2 flops per multiply-add); backward = 2x forward.
    """
    macs = in_dim * width + 2 * depth * width * width + width * out_dim
    return 3.0 * 2.0 * batch * macs
