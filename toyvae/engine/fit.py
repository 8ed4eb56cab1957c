"""``fit``: the package's only training loop. Trains settings x seeds of one :class:`Program` at once.

Models. ``knobs`` has a leading settings axis (S settings) and ``seeds`` lists K seeds; the S x K
models are stacked setting-major on one leading axis and trained as ONE compiled program: a
``lax.scan`` of ``chunk`` steps written for one model, applied to all of them by a layout:

* ``layout="models"`` (default): independent models spread over the devices (one JAX CPU device
  per core, see ``engine.parallel``) and vmapped in cache-sized groups on each; no communication.
* ``layout="data"``: every model's batch is split over all devices (``jax.sharding``; XLA inserts
  the all-reduce of the gradients): one big model on several accelerators.

A Python loop over chunks drives the progress bar, the non-finite guard and the checkpoints.

Randomness (common random numbers). Model (setting s, seed k) initialises from ``init_key`` and at
global step t draws its batch from ``x_key`` and its loss noise from ``loss_key``, where
``init_key, data_key = split(PRNGKey(k))`` and ``x_key, loss_key = split(fold_in(data_key, t))``.
Nothing depends on the setting, so every setting trained with seed k starts from the same weights
(when ``init`` ignores the knobs) and sees the same batches and noise: differences between
settings are not seed noise. Probes use ``fold_in(init_key, 1)``, the same key at every probe.
A checkpoint resumes only the run that wrote it: same program, same code, knobs, seeds, shared
data and sizes (:mod:`toyvae.engine.checkpoint`); any other file is refused before work, never
resumed or overwritten. A run resumed from a checkpoint is bit-identical to an uninterrupted one; the same call on the
same machine is bit-identical; a model trained alone and inside a larger program computes the same
function but its float32 rounding may differ (other kernels), which training amplifies.

Histories. Every step's loss and ``aux`` values are averaged over blocks of ``record_every`` steps
(inside the compiled program); probes are recorded at step 0 and after every chunk. With
``average_from`` the engine also keeps the running mean of the parameters over the steps from
``average_from`` on (Polyak averaging: an annealed end of training that removes the step-to-step
jitter of constant-step Adam; ``Fit.averaged``).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from tqdm.auto import tqdm

from toyvae.engine import checkpoint as _ckpt
from toyvae.engine.checkpoint import CheckpointError
from toyvae.engine.parallel import map_models
from toyvae.engine.program import Program

__all__ = [
    "Fit",
    "TrainState",
    "NonFiniteLossError",
    "CheckpointError",
    "fit",
    "stack_knobs",
    "model_keys",
    "apply_models",
    "with_transform",
    "default_cache_dir",
    "LAYOUTS",
]

LAYOUTS = ("models", "data")


class NonFiniteLossError(FloatingPointError):
    """Training produced NaN or infinity; the message names setting, seed and step."""


class TrainState(NamedTuple):
    """Everything that evolves during training (leading axis: models).

    Attributes:
        params: the model parameters (a program's multiplier lives here too, as a leaf).
        opt_state: the optimiser state of ``program.optimizer(knobs)``.
        average: running mean of ``params`` from ``average_from`` on (``()`` when not averaging).
    """

    params: Any
    opt_state: Any
    average: Any


def default_cache_dir() -> Path:
    """``$TOYVAE_CACHE`` or ``~/.cache/toyvae``: where long runs keep their checkpoints; a replication run
    (seed offset K > 0, :mod:`toyvae.profiles`) keeps its own in the subfolder ``seed-offset-K``, a dry run of
    the full profile (``TOYVAE_FULL_DRY_RUN``) in ``full-dry-run-<tag>`` (:func:`toyvae.profiles.cache_subfolder`)."""
    from toyvae.profiles import cache_subfolder

    base = Path(os.environ.get("TOYVAE_CACHE", Path.home() / ".cache" / "toyvae"))
    sub = cache_subfolder()
    return base / sub if sub else base


def model_keys(seed: int) -> tuple[jax.Array, jax.Array]:
    """(init_key, data_key) of a seed: the same for every setting (common random numbers)."""
    init_key, data_key = jax.random.split(jax.random.PRNGKey(int(seed)))
    return init_key, data_key


def stack_knobs(settings: Sequence[dict]) -> dict:
    """One knobs pytree with a leading settings axis from a list of per-setting dicts of numbers/arrays.

    Every dict must have the same keys and, per key, the same shape. Floats become float32.
    """
    if isinstance(settings, dict) or not isinstance(settings, Sequence) or isinstance(settings, str):
        raise TypeError(f"settings must be a list of dicts of knobs, one per setting; got a {type(settings).__name__}"
                        + (" (wrap one setting in a list: [settings])" if isinstance(settings, dict) else ""))
    if not settings:
        raise ValueError("settings must hold at least one dict of knobs")
    for i, s in enumerate(settings):
        if not isinstance(s, dict):
            raise TypeError(f"setting {i} must be a dict of knobs, got {type(s).__name__} {s!r}")
    keys = set(settings[0])
    for i, s in enumerate(settings):
        if set(s) != keys:
            raise ValueError(f"setting {i} has knobs {sorted(s)}, setting 0 has {sorted(keys)}")
    out = {}
    for k in sorted(keys):
        arrays = [np.asarray(s[k]) for s in settings]
        for i, a in enumerate(arrays):
            if a.dtype.kind not in "biuf":
                raise TypeError(f"knob {k!r} of setting {i} must be a number or an array of numbers, got "
                                f"{settings[i][k]!r}")
        if len({a.shape for a in arrays}) != 1:
            raise ValueError(f"knob {k!r} has different shapes across settings: {[a.shape for a in arrays]}")
        a = np.stack(arrays)
        out[k] = jnp.asarray(a, jnp.float32 if np.issubdtype(a.dtype, np.floating) else a.dtype)
    return out


@dataclasses.dataclass(frozen=True, eq=False)
class Fit:
    """The outcome of :func:`fit`.

    Attributes:
        program: the trained program; names: one label per setting; seeds: the seeds.
        knobs: the knobs, leading axis = settings.
        params: parameters with leading axes (settings, seeds).
        averaged: running mean of the parameters from ``average_from`` on, same layout (or None).
        history: "loss" and every ``aux`` key: arrays (settings, seeds, steps // record_every, ...)
            of block means over ``record_every`` steps.
        probes: every probe key: arrays (settings, seeds, len(probe_steps), ...).
        probe_steps: the steps at which probes were recorded (0 and every chunk's end).
        steps, record_every, average_from: as passed to :func:`fit`.
        seconds: wall time of the loop (compilation included); steps_run: steps done in this
            process (0 when everything came from a checkpoint).
    """

    program: Program
    names: tuple[str, ...]
    seeds: tuple[int, ...]
    knobs: Any
    params: Any
    averaged: Any
    history: dict[str, np.ndarray]
    probes: dict[str, np.ndarray]
    probe_steps: np.ndarray
    steps: int
    record_every: int
    average_from: int | None
    seconds: float
    steps_run: int

    def index(self, name: str) -> int:
        """Index of the setting called ``name``."""
        if name not in self.names:
            raise ValueError(f"setting {name!r} not among {list(self.names)}")
        return self.names.index(name)

    def model(self, setting: int, seed: int, *, averaged: bool = False):
        """Parameters of one model (indices into names and seeds)."""
        params = self.averaged if averaged else self.params
        if params is None:
            raise ValueError("this fit kept no averaged parameters (pass average_from to fit)")
        return jax.tree_util.tree_map(lambda a: a[setting, seed], params)

    def setting_knobs(self, setting: int):
        """The knobs of one setting."""
        return jax.tree_util.tree_map(lambda a: a[setting], self.knobs)

    def window_mean(self, key: str, fraction: float) -> np.ndarray:
        """Mean of ``history[key]`` over the last ``fraction`` of the records: (settings, seeds, ...)."""
        if not 0 < fraction <= 1:
            raise ValueError(f"fraction must lie in (0, 1], got {fraction!r}")
        h = self.history[key]
        n = max(1, int(round(fraction * h.shape[2])))
        return h[:, :, -n:].mean(axis=2)


# ------------------------------------------------------------------------------------------------
# The compiled programs
# ------------------------------------------------------------------------------------------------


def _data_mesh() -> Mesh:
    return Mesh(np.array(jax.devices()), ("data",))


def _constrain(batch, layout: str):
    """Under the data layout, split every batch leaf's leading (examples) axis over the devices."""
    if layout != "data" or len(jax.devices()) == 1:
        return batch
    sharding = NamedSharding(_data_mesh(), PartitionSpec("data"))
    return jax.tree_util.tree_map(lambda a: jax.lax.with_sharding_constraint(a, sharding), batch)


def _over_models(one, args, shared, *, layout: str, group):
    """``one(model_args, shared)`` for every model of ``args`` under the layout."""
    if layout == "models":
        return map_models(one, args, shared=shared, group=group)
    return jax.vmap(one, in_axes=(0, None))(args, shared)


def _step(program: Program, state: TrainState, t, knobs, data_key, shared, *, layout, average_from):
    """One optimiser step of ONE model at global step ``t``: (new state, (loss, aux))."""
    x_key, loss_key = jax.random.split(jax.random.fold_in(data_key, t))
    batch = _constrain(program.sample(knobs, shared, key=x_key), layout)

    def objective(params):
        return program.loss(params, batch, knobs, key=loss_key, step=t)

    (loss, aux), grads = jax.value_and_grad(objective, has_aux=True)(state.params)
    updates, opt_state = program.optimizer(knobs).update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    if program.post is not None:
        params = program.post(params, aux, knobs, step=t)
    average = state.average
    if average_from is not None:
        count = (t - average_from + 1).astype(jnp.float32)
        average = jax.tree_util.tree_map(
            lambda avg, p: jnp.where(t < average_from, p, avg + (p - avg) / jnp.maximum(count, 1.0)),
            average, params)
    return TrainState(params, opt_state, average), (loss, aux)


@functools.partial(jax.jit, static_argnames=("program", "average_from", "layout"))
def _init_all(init_keys, knobs, *, program: Program, average_from, layout):
    def one(key, kn):
        params = program.init(kn, key=key)
        return TrainState(params, program.optimizer(kn).init(params), params if average_from is not None else ())

    return jax.vmap(one)(init_keys, knobs)


@functools.partial(jax.jit, static_argnames=("program", "layout", "group"))
def _probe_all(params, knobs, probe_keys, shared, *, program: Program, layout, group):
    def one(args, sh):
        p, kn, key = args
        return program.probe(p, kn, sh, key=key)

    return _over_models(one, (params, knobs, probe_keys), shared, layout=layout, group=group)


@functools.partial(jax.jit, static_argnames=("program", "length", "record_every", "average_from", "layout",
                                             "group"), donate_argnums=(0,))
def _run_chunk(state, start, knobs, data_keys, probe_keys, shared, *, program: Program, length: int,
               record_every: int, average_from, layout: str, group):
    """``length`` steps of every model from global step ``start``: one compiled program.

    Returns (state, per-step losses (models, length), block means {key: (models, length // r, ...)},
    all-parameters-finite flags (models,), probes after the chunk (or {})).
    """

    def one(args, sh):
        st, kn, data_key, probe_key = args
        start_, shared_ = sh

        def scan_step(carry, i):
            return _step(program, carry, start_ + i, kn, data_key, shared_, layout=layout,
                         average_from=average_from)

        st, (losses, aux) = jax.lax.scan(scan_step, st, jnp.arange(length, dtype=jnp.int32))
        records = {"loss": losses, **aux}
        blocks = jax.tree_util.tree_map(
            lambda a: jnp.mean(a.reshape((length // record_every, record_every) + a.shape[1:]), axis=1), records)
        finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree_util.tree_leaves(st.params)]))
        probes = program.probe(st.params, kn, shared_, key=probe_key) if program.probe is not None else {}
        return st, losses, blocks, finite, probes

    return _over_models(one, (state, knobs, data_keys, probe_keys), (start, shared), layout=layout, group=group)


# ------------------------------------------------------------------------------------------------
# Checkpoints
# ------------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------------
# fit
# ------------------------------------------------------------------------------------------------


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


MAX_SEED = 2**32 - 1
"""Seeds are unsigned 32-bit integers (``PRNGKey`` keeps the low 32 bits: 0 and 2**32 would collide)."""


def _transform_identity(transform) -> tuple:
    """A stable description of an Optax transformation: its functions' names and numeric parameters."""
    out = []
    for f in transform:
        cells = []
        for cell in getattr(f, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, (int, float, str, bool)) or value is None:
                cells.append(value)
        out.append((getattr(f, "__qualname__", type(f).__name__), tuple(cells)))
    return tuple(out)


@functools.lru_cache(maxsize=64)
def with_transform(program: Program, transform: optax.GradientTransformation) -> Program:
    """``program`` whose optimiser is ``optax.chain(program.optimizer(knobs), transform)`` (cached, so the
    same pair compiles once)."""
    if not (isinstance(transform, tuple) and hasattr(transform, "init") and hasattr(transform, "update")):
        raise TypeError(f"transform must be an optax.GradientTransformation, got {type(transform).__name__}")
    base_optimizer = program.optimizer

    def optimizer(knobs):
        return optax.chain(base_optimizer(knobs), transform)

    return dataclasses.replace(program, name=f"{program.name}+transform", optimizer=optimizer,
                               identity=(program.fingerprint, _transform_identity(transform)))


def _as_seeds(seeds) -> tuple[int, ...]:
    if seeds is None or isinstance(seeds, (str, bytes, dict)):
        raise TypeError(f"seeds must be a sequence of integers in [0, 2**32), got {seeds!r}")
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        seeds = (seeds,)
    try:
        seeds = tuple(seeds)
    except TypeError:
        raise TypeError(f"seeds must be a sequence of integers in [0, 2**32), got {seeds!r}") from None
    if not seeds:
        raise ValueError("seeds must not be empty")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 <= s <= MAX_SEED:
            raise ValueError(f"every seed must be an integer in [0, 2**32), got {s!r} in seeds {seeds!r}")
    return tuple(int(s) for s in seeds)


def _as_knobs(knobs, names):
    knobs = {} if knobs is None else knobs
    knobs = jax.tree_util.tree_map(jnp.asarray, knobs)
    leaves = jax.tree_util.tree_leaves(knobs)
    if not leaves:
        return knobs, (len(names) if names is not None else 1)
    sizes = {a.shape[0] if a.ndim else None for a in leaves}
    if len(sizes) != 1 or None in sizes:
        raise ValueError("every leaf of knobs must share the leading (settings) axis, got shapes "
                         f"{[a.shape for a in leaves]}")
    return knobs, sizes.pop()


def fit(program: Program, knobs, seeds: Sequence[int], shared=None, *, steps: int, chunk: int = 500,
        record_every: int = 10, average_from: int | None = None, names: Sequence[str] | None = None,
        checkpoint: str | os.PathLike | None = None, progress: bool = True, desc: str | None = None,
        layout: str = "models", group: int | None | str = "auto", stop_after: int | None = None,
        transform: optax.GradientTransformation | None = None) -> Fit:
    """Train every (setting, seed) model of ``program`` for ``steps`` steps (module docstring).

    Args:
        program: the one-model description (:class:`~toyvae.engine.program.Program`).
        knobs: pytree whose leaves share a leading settings axis (``stack_knobs`` builds one).
        seeds: integer seeds (the models of a seed share init and batches across settings).
        shared: pytree of arrays every model reads (passed to ``sample`` and ``probe``).
        steps: optimiser steps; chunk: steps per call of the compiled program (the granularity of
            the progress bar, the guard, the probes and the checkpoints); record_every: steps
            averaged into one history entry (must divide ``chunk`` and ``steps``).
        average_from: keep the running mean of the parameters from this step on (None: off).
        names: one label per setting (default "0", "1", ...): used in messages and ``Fit.index``.
        checkpoint: optional .npz path, saved (atomically) after every chunk and resumed from when it
            holds this run (program, its code, knobs, seeds, shared data, sizes); a file of another run
            is refused (:class:`CheckpointError`), never resumed or overwritten.
        progress: a tqdm bar over steps; desc: its label (default: the program's name).
        layout: "models" or "data" (module docstring); group: models vmapped together per device
            under "models" (see ``engine.parallel.map_models``).
        stop_after: stop once this many steps are done (a simulated interruption, for tests).
        transform: an Optax transformation chained after the program's optimiser, on every model
            (``optax.chain(program.optimizer(knobs), transform)``): a cross-cutting change such as
            ``optax.clip_by_global_norm(1.0)`` on the updates or ``optax.scale_by_schedule(decay)`` for an
            annealed end, without editing the program. Build it once and reuse it (a new object compiles
            anew); a checkpoint records its functions and numeric parameters.

    Raises:
        NonFiniteLossError: a loss or a parameter became NaN or infinite (setting, seed, step).
        CheckpointError: the checkpoint path cannot be written, or the file there cannot be read or
            belongs to another run (the message names the file and what differs); before any training.
        ValueError, TypeError: bad arguments (checked before any work).
    """
    if not isinstance(program, Program):
        raise TypeError(f"program must be a toyvae.engine.Program, got {type(program).__name__}")
    if transform is not None:
        program = with_transform(program, transform)
    steps = _check_int("steps", steps, 1)
    chunk = _check_int("chunk", chunk, 1)
    record_every = _check_int("record_every", record_every, 1)
    if chunk % record_every or steps % record_every:
        raise ValueError(f"record_every ({record_every}) must divide chunk ({chunk}) and steps ({steps})")
    if average_from is not None:
        average_from = _check_int("average_from", average_from, 0)
        if average_from >= steps:
            raise ValueError(f"average_from must be below steps ({steps}), got {average_from}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if stop_after is not None:
        stop_after = _check_int("stop_after", stop_after, 1)
    seeds = _as_seeds(seeds)
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    path = _ckpt.check_path(checkpoint)  # before any work: a path that cannot be written fails now
    knobs, n_set = _as_knobs(knobs, names)
    if program.check is not None:
        program.check(knobs)  # the program's own check of the knobs (e.g. a target's gamma > 0)
    names = tuple(str(i) for i in range(n_set)) if names is None else tuple(str(n) for n in names)
    if len(names) != n_set or len(set(names)) != n_set:
        raise ValueError(f"names must be {n_set} distinct labels (one per setting), got {list(names)}")
    shared = jax.tree_util.tree_map(jnp.asarray, shared) if shared is not None else ()
    n_seed = len(seeds)
    n_models = n_set * n_seed

    keys = [model_keys(s) for s in seeds]
    init_keys = jnp.tile(jnp.stack([k[0] for k in keys]), (n_set, 1))
    data_keys = jnp.tile(jnp.stack([k[1] for k in keys]), (n_set, 1))
    probe_keys = jax.vmap(lambda k: jax.random.fold_in(k, 1))(init_keys)
    flat_knobs = jax.tree_util.tree_map(lambda a: jnp.repeat(a, n_seed, axis=0), knobs)
    # every device gets as many models (copies of the last one make up the count, dropped below), so
    # that the compiled chunk needs no cross-device step (see _models_padding)
    n_pad = _models_padding(n_models, layout)
    init_keys, data_keys, probe_keys, flat_knobs = _pad_models((init_keys, data_keys, probe_keys, flat_knobs), n_pad)

    start_time = time.perf_counter()

    def place(state):
        if layout == "data":
            return jax.device_put(state, NamedSharding(_data_mesh(), PartitionSpec()))
        if 1 < min(len(jax.devices()), n_models + n_pad) and (n_models + n_pad) % len(jax.devices()) == 0:
            # the chunk program returns the state split over the devices along the models axis; giving the
            # first call the same layout spares a second compilation of the same program
            mesh = Mesh(np.array(jax.devices()), ("models",))
            return jax.device_put(state, NamedSharding(mesh, PartitionSpec("models")))
        return state

    state = place(_init_all(init_keys, flat_knobs, program=program, average_from=average_from, layout=layout))
    # history layout from one traced step (shapes only, nothing runs). One model's slice is described
    # abstractly: indexing the models-sharded state here would run a cross-device gather (an XLA:CPU
    # all-reduce whose rendezvous aborts the process when one device is still busy after 40 s)
    one_model = lambda a: jax.ShapeDtypeStruct(a.shape[1:], a.dtype)  # noqa: E731
    whole = lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype)  # noqa: E731
    loss_shape, aux_shape = _aux_shapes(program, average_from, _signature((
        jax.tree_util.tree_map(one_model, (state, flat_knobs, data_keys)), jax.tree_util.tree_map(whole, shared))))
    if loss_shape.shape != ():
        raise ValueError(f"program {program.name!r}: loss must return a scalar, got shape {loss_shape.shape}")
    if not isinstance(aux_shape, dict):
        raise TypeError(f"program {program.name!r}: loss must return (scalar, dict), got aux {type(aux_shape).__name__}")
    n_rec = steps // record_every
    history = {"loss": np.full((n_models, n_rec), np.nan, np.float32)}
    for k, sd in aux_shape.items():
        history[k] = np.full((n_models, n_rec) + tuple(sd.shape), np.nan, np.float32)
    probes: list[dict] = []

    run = (_ckpt.manifest(program, names, seeds, knobs, shared, steps, chunk, record_every, average_from)
           if path is not None else None)  # (hashing a large shared data set costs time: only when saved)
    step = 0
    if path is not None and path.exists():  # refused (CheckpointError) unless it is this run's
        state, step, history, probes = _ckpt.load(path, state, run, history)  # (the state: a template)
        state = place(_pad_models(state, n_pad))
    if program.probe is not None and not probes:
        probes.append(jax.tree_util.tree_map(lambda a: np.asarray(a)[:n_models], _probe_all(
            state.params, flat_knobs, probe_keys, shared, program=program, layout=layout, group=group)))
    first_step = step
    last = steps if stop_after is None else min(steps, stop_after)
    with tqdm(total=steps, initial=step, desc=desc or program.name, disable=not progress, leave=False,
              unit="step") as bar:
        while step < last:
            length = min(chunk, steps - step)
            state, losses, blocks, finite, chunk_probes = _run_chunk(
                state, jnp.int32(step), flat_knobs, data_keys, probe_keys, shared, program=program,
                length=length, record_every=record_every, average_from=average_from, layout=layout,
                group=group)
            _guard(np.asarray(losses)[:n_models], np.asarray(finite)[:n_models], step, length, names, seeds)
            r0 = step // record_every
            for k, v in blocks.items():
                history[k][:, r0:r0 + length // record_every] = np.asarray(v)[:n_models]
            if program.probe is not None:
                probes.append(jax.tree_util.tree_map(lambda a: np.asarray(a)[:n_models], chunk_probes))
            step += length
            bar.update(length)
            if path is not None:  # saved without the padding: a checkpoint does not depend on the device count
                _ckpt.save(path, jax.tree_util.tree_map(lambda a: np.asarray(a)[:n_models], state), step, history,
                           probes, run)
    seconds = time.perf_counter() - start_time

    def unflatten(a):
        a = np.asarray(a)[:n_models]
        return a.reshape((n_set, n_seed) + a.shape[1:])

    params = jax.tree_util.tree_map(lambda a: jnp.asarray(unflatten(a)), state.params)
    averaged = (jax.tree_util.tree_map(lambda a: jnp.asarray(unflatten(a)), state.average)
                if average_from is not None else None)
    hist = {k: unflatten(v) for k, v in history.items()}
    probe_arrays = {k: np.stack([unflatten(p[k]) for p in probes], axis=2) for k in (probes[0] if probes else {})}
    probe_steps = np.array([0] + [min(steps, (i + 1) * chunk) for i in range(len(probes) - 1)], np.int64)
    return Fit(program=program, names=names, seeds=seeds, knobs=knobs, params=params, averaged=averaged,
               history=hist, probes=probe_arrays, probe_steps=probe_steps, steps=steps,
               record_every=record_every, average_from=average_from, seconds=seconds,
               steps_run=step - first_step)


def _signature(tree):
    """A hashable description of a pytree of abstract arrays: its structure, shapes and dtypes."""
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    return treedef, tuple((tuple(a.shape), jnp.dtype(a.dtype)) for a in leaves)


@functools.lru_cache(maxsize=256)
def _aux_shapes(program: Program, average_from, signature):
    """(loss, aux) shapes of one step of ``program`` for one model: traced once per program and
    signature (tracing a step costs ~0.2 s, a tenth of a short fit of a 4-block MLP VAE)."""
    treedef, leaves = signature
    (state, knobs, data_key), shared = jax.tree_util.tree_unflatten(
        treedef, [jax.ShapeDtypeStruct(shape, dtype) for shape, dtype in leaves])

    def loss_only(st, kn, dk, sh):  # the loss alone first: a non-scalar loss is named before grad fails on it
        x_key, loss_key = jax.random.split(jax.random.fold_in(dk, 0))
        return program.loss(st.params, program.sample(kn, sh, key=x_key), kn, key=loss_key, step=jnp.int32(0))

    out = jax.eval_shape(loss_only, state, knobs, data_key, shared)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError(f"program {program.name!r}: loss must return (scalar, dict), got {type(out).__name__}")
    if getattr(out[0], "shape", None) != ():
        raise ValueError(f"program {program.name!r}: loss must return a scalar, got shape "
                         f"{getattr(out[0], 'shape', None)}")
    return jax.eval_shape(
        lambda st, kn, dk, sh: _step(program, st, jnp.int32(0), kn, dk, sh, layout="models",
                                     average_from=average_from)[1],
        state, knobs, data_key, shared)


def _models_padding(n_models: int, layout: str) -> int:
    """Models to add so that every device of the "models" layout trains as many.

    ``map_models`` would otherwise pad inside the compiled program and slice the result back, which
    XLA compiles into cross-device collectives at the end of every chunk; on XLA:CPU a collective is
    a rendezvous of the devices' threads that aborts the process when one device arrives 40 s after
    the other, which a long chunk on a loaded machine can produce.
    """
    n_dev = len(jax.devices())
    if layout != "models" or n_models <= n_dev:
        return 0  # map_models then gives each model its own device (or uses one device)
    return -n_models % n_dev


def _pad_models(tree, n_pad: int):
    """``tree`` with its leading (models) axis extended by ``n_pad`` copies of the last model."""
    if not n_pad:
        return tree
    return jax.tree_util.tree_map(lambda a: jnp.concatenate([a, jnp.repeat(a[-1:], n_pad, 0)]), tree)


def _guard(losses: np.ndarray, finite: np.ndarray, start: int, length: int, names, seeds) -> None:
    """Raise on the first non-finite loss (or parameters), naming its setting, seed and step."""
    bad = ~np.isfinite(losses)  # (models, length)
    if bad.any():
        m, t = min(((int(m), int(t)) for m, t in np.argwhere(bad)), key=lambda mt: (mt[1], mt[0]))
        s, k = divmod(m, len(seeds))
        raise NonFiniteLossError(
            f"non-finite loss {losses[m, t]} in setting {names[s]!r}, seed {seeds[k]}, at step {start + t}")
    if not finite.all():
        m = int(np.flatnonzero(~finite)[0])
        s, k = divmod(m, len(seeds))
        raise NonFiniteLossError(
            f"non-finite parameters in setting {names[s]!r}, seed {seeds[k]}, within steps "
            f"{start}..{start + length - 1}")


# ------------------------------------------------------------------------------------------------
# Applying a one-model function to every trained model (evaluation)
# ------------------------------------------------------------------------------------------------


@functools.partial(jax.jit, static_argnames=("fn", "group"))
def _apply(params, knobs, key, shared, *, fn, group):
    return map_models(lambda args, sh: fn(args[0], args[1], sh, key=key), (params, knobs), shared=shared,
                      group=group)


def apply_models(fn, result: Fit, shared=None, *, key: jax.Array | None = None, averaged: bool = False,
                 group: int | None | str = "auto"):
    """``fn(params, knobs, shared, *, key)`` for every model of ``result``: NumPy arrays (settings, seeds, ...).

    Every model gets the same ``key`` (default ``PRNGKey(10_000)``), so evaluations are paired:
    the same held-out points and noise for every setting and seed. ``fn`` must be hashable and
    stable (a module-level function or a cached one): it is a static argument of a jitted call.
    """
    if not isinstance(result, Fit):
        raise TypeError(f"apply_models needs the Fit returned by fit(), got {type(result).__name__}")
    if not callable(fn):
        raise TypeError(f"fn must be a function fn(params, knobs, shared, *, key), got {fn!r}")
    params = result.averaged if averaged else result.params
    if params is None:
        raise ValueError("this fit kept no averaged parameters (pass average_from to fit)")
    n_set, n_seed = len(result.names), len(result.seeds)
    flat = jax.tree_util.tree_map(lambda a: a.reshape((n_set * n_seed,) + a.shape[2:]), params)
    knobs = jax.tree_util.tree_map(lambda a: jnp.repeat(a, n_seed, axis=0), result.knobs)
    key = jax.random.PRNGKey(10_000) if key is None else key
    shared = jax.tree_util.tree_map(jnp.asarray, shared) if shared is not None else ()
    n_pad = _models_padding(n_set * n_seed, "models")  # as in fit: no cross-device step in _apply
    out = _apply(_pad_models(flat, n_pad), _pad_models(knobs, n_pad), key, shared, fn=fn, group=group)
    return jax.tree_util.tree_map(
        lambda a: np.asarray(a)[:n_set * n_seed].reshape((n_set, n_seed) + a.shape[1:]), out)
