"""Run a one-model program over many models: spread over devices, vmapped in small groups.

Every multi-model program of the engine (``train``, the sphere section) is written for ONE model
and applied to a stack of models (a leading axis) by :func:`map_models`:

    per device:  lax.map(one_model, its models, batch_size=group)      (vmap within a group)
    devices:     shard_map over the leading axis, one share per device  (no communication)

Why not one ``vmap`` over all models (measured with ``toyvae bench`` on the 2-core development
machine, model of Berger & Sebag 2020: 4 blocks of 200, batch 100)?

* XLA:CPU runs a 100x200x200 product, batched or not, on ONE thread: a vmap over models loops
  over them inside each product and leaves the second core idle. JAX can expose every core as a
  separate CPU device (``JAX_NUM_CPU_DEVICES``, which ``import toyvae`` sets to the number of
  usable cores unless it is already set); independent models on different devices then run in
  parallel, with no collective at all.
* A vmap over many large models makes every step stream all their parameters and Adam moments
  through memory (about 600 MB for Table 1's 80 models); a small group keeps its working set in
  the cache for a whole chunk of steps. Per-model throughput on one core, paper's model: 80 at
  once 0.84x a lone model, groups of 2 1.09x. Small models gain from wide vmaps instead (width 32:
  all 8 models of a device together 1.37x groups of 1), as they are bound by per-operation
  overhead, not by memory.

Hence the rule of ``group="auto"`` on a CPU: vmap as many models as keep their state (the
arguments' bytes per model: parameters and Adam moments) within ``CACHE_BUDGET``; on a GPU,
which wants the widest batch, all the models of a device. Grouping changes the loop structure,
not the function computed; the rounding of a model's numbers can differ between groupings (a
vmapped product is a different kernel), so results are bit-identical for the same call on the
same machine, not across device counts or groupings.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, PartitionSpec

__all__ = ["CACHE_BUDGET", "default_group", "map_models"]

CACHE_BUDGET = 16 * 2**20  # bytes of model state per vmapped group on a CPU: half this machine's 32 MiB L3


def default_group(bytes_per_model: int, platform: str | None = None) -> int | None:
    """Models vmapped together per device: see the module docstring (None = all of them)."""
    platform = platform or jax.default_backend()
    if platform != "cpu":
        return None
    return max(1, CACHE_BUDGET // max(int(bytes_per_model), 1))


def map_models(one_model: Callable, args, *, shared=None, group: int | None | str = "auto", devices=None):
    """``one_model`` applied to every model of ``args``: a pytree whose leaves share a leading axis.

    Call it inside ``jax.jit``. Returns the stacked outputs, leading axis = models, in order.

    Args:
        one_model: function of one model's slice of ``args`` (a pytree without the models axis),
            or, when ``shared`` is given, ``one_model(slice, shared)``.
        shared: an optional pytree that every model reads whole (a data set, a frozen model):
            replicated on every device, not split along the models axis.
        group: models vmapped together on a device (``lax.map``'s ``batch_size``); None means
            all of a device's models at once; "auto" (default): :func:`default_group` of the
            arguments' bytes per model (pass None for models built inside ``one_model``).
        devices: devices to spread the models over (default: all of ``jax.devices()``).
            The models axis is padded (by repeating the last model) to a multiple of their
            number, and the padding is dropped from the result.
    """
    devices = list(jax.devices() if devices is None else devices)
    leaves = jax.tree_util.tree_leaves(args)
    if not leaves:
        raise ValueError("args must hold at least one array")
    n = leaves[0].shape[0]
    if any(a.shape[:1] != (n,) for a in leaves):
        raise ValueError("every leaf of args must share the leading (models) axis")
    if group == "auto":
        group = default_group(sum(a[0].nbytes for a in leaves), devices[0].platform)
    if group is not None and (isinstance(group, str) or int(group) != group or group < 1):
        raise ValueError(f"group must be a positive integer or None, got {group!r}")

    def local(a, sh=None):
        size = jax.tree_util.tree_leaves(a)[0].shape[0]
        fn = one_model if shared is None else (lambda m: one_model(m, sh))
        if any(leaf.size == 0 for leaf in jax.tree_util.tree_leaves(a)):
            return jax.vmap(fn)(a)  # lax.map's batching reshape cannot infer a dimension of an empty leaf
        return jax.lax.map(fn, a, batch_size=min(group or size, size))

    n_dev = min(len(devices), n)
    if n_dev == 1:
        return local(args, shared)
    pad = -n % n_dev
    if pad:
        args = jax.tree_util.tree_map(lambda a: jnp.concatenate([a, jnp.repeat(a[-1:], pad, 0)]), args)
    mesh = Mesh(np.array(devices[:n_dev]), ("models",))
    spec = PartitionSpec("models")
    if shared is None:
        out = jax.shard_map(local, mesh=mesh, in_specs=(spec,), out_specs=spec, check_vma=False)(args)
    else:
        out = jax.shard_map(local, mesh=mesh, in_specs=(spec, PartitionSpec()), out_specs=spec,
                            check_vma=False)(args, shared)
    return jax.tree_util.tree_map(lambda a: a[:n], out) if pad else out
