"""The engine's contract: a :class:`Program` describes the training of ONE model by pure functions.

Everything a model family needs to say about its training fits in six functions; everything else
(many models at once, devices, ``lax.scan`` chunks, histories, the non-finite guard, checkpoints,
progress) belongs to :func:`toyvae.engine.fit.fit`, written once for all of them.

    init(knobs, *, key)                          -> params
    sample(knobs, shared, *, key)                -> batch        (drawn inside the jitted step)
    loss(params, batch, knobs, *, key, step)     -> (scalar, aux)  aux: dict of arrays to record
    optimizer(knobs)                             -> optax.GradientTransformation (schedules here)
    post(params, aux, knobs, *, step)            -> params       (optional: projection, rule update)
    probe(params, knobs, shared, *, key)         -> dict         (optional: recorded after each chunk)
    check(knobs)                                 -> None         (optional: raises on bad knobs, before work)

``knobs`` is one setting's slice of the pytree passed to ``fit`` (everything that differs between
the settings of one program: sigma or a sigma path, beta, a metric G, a target). Inside these
functions the knobs are traced arrays: read them with ``jnp``, never branch on them in Python.
``shared`` holds large arrays that every model reads (an image set, a covariance factor, a frozen
primary model): it is an argument of the compiled program, not a constant baked into it.
``step`` is the global step (a traced int32): schedules of the knobs read it.

A program is compared by identity (it is a static argument of the compiled step), so build
programs in cached factories (``functools.cache``): the same configuration then returns the same
object and a second call does not recompile. ``identity`` is what distinguishes two programs of
the same name in a checkpoint (their configuration); the checkpoint also records a hash of the
code the program's functions reach (:func:`toyvae.engine.checkpoint.code_hash`), so a checkpoint of
other code is refused, never resumed. ``check(knobs)`` (optional) is called by ``fit`` with the
stacked knobs before any work and raises a ``ValueError`` naming a bad knob.

:func:`batch_mean` turns a one-example loss into the batch loss most programs use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["Program", "batch_mean"]


@dataclasses.dataclass(frozen=True, eq=False)
class Program:
    """One model's training (module docstring). Compared and hashed by identity."""

    name: str
    init: Callable[..., Any]
    sample: Callable[..., Any]
    loss: Callable[..., tuple[jax.Array, dict]]
    optimizer: Callable[[Any], Any]
    post: Callable[..., Any] | None = None
    probe: Callable[..., dict] | None = None
    identity: Hashable = None
    check: Callable[[Any], None] | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")
        for field in ("init", "sample", "loss", "optimizer"):
            if not callable(getattr(self, field)):
                raise TypeError(f"Program {self.name!r}: {field} must be callable, got {getattr(self, field)!r}")
        for field in ("post", "probe", "check"):
            value = getattr(self, field)
            if value is not None and not callable(value):
                raise TypeError(f"Program {self.name!r}: {field} must be callable or None, got {value!r}")

    @property
    def fingerprint(self) -> str:
        """What a checkpoint of this program must match (its name and configuration)."""
        return f"{self.name}:{self.identity!r}"


def batch_mean(example_loss: Callable, params, batch, *args, key: jax.Array, **kwargs):
    """Mean over the batch of ``example_loss(params, example, *args, key=k, **kwargs) -> (loss, aux)``.

    ``batch`` is a pytree whose leaves share a leading batch axis; every example gets its own key
    (``split(key, n)``); the aux dict is averaged over the batch too.
    """
    n = jax.tree_util.tree_leaves(batch)[0].shape[0]
    keys = jax.random.split(key, n)
    loss, aux = jax.vmap(lambda x, k: example_loss(params, x, *args, key=k, **kwargs))(batch, keys)
    return jnp.mean(loss), jax.tree_util.tree_map(lambda a: jnp.mean(a, axis=0), aux)
