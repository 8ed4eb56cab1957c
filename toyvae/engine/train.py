"""Training: many VAEs (settings x seeds) as ONE compiled program, many steps per call.

``train(config, sampler, settings, seeds)`` trains ``len(settings) * len(seeds)`` models. The
models are stacked on a leading axis. The program is written for one model, a ``lax.scan`` of
``config.chunk`` Adam steps, and applied to all of them by ``engine.parallel.map_models``
(models spread over the CPU cores as devices, vmapped in small groups on each: see there for
the measurements behind that layout). A Python loop over chunks drives the progress bar, the
non-finite guard and the checkpoints.

Randomness: model (setting s, seed k) initialises its parameters from ``PRNGKey(seed)`` and
draws its data and reparameterisation noise at step t from ``fold_in(data_key(seed), t)``.
So every setting trained with the same seed starts from the same weights and sees the same
batches (common random numbers: setting differences are not seed noise), and a run resumed
from a checkpoint is bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

from toyvae.engine.decoders import Mode, init_vae, negative_elbo
from toyvae.engine.parallel import map_models

__all__ = [
    "VAEConfig",
    "Setting",
    "TrainState",
    "TrainResult",
    "NonFiniteLossError",
    "train",
    "model_keys",
    "default_cache_dir",
]


@dataclasses.dataclass(frozen=True)
class VAEConfig:
    """Static configuration shared by all models of one compiled program.

    Attributes:
        data_dim, latent_dim: sizes of x and z.
        width, depth: residual MLP of encoder and decoder (paper: 200 and 4).
        batch: fresh data points per step (paper: 100).
        steps: Adam steps; lr: Adam learning rate; adam_eps: Adam's epsilon (optax default).
        sigma_floor: lower floor of a learned sigma (decoders.py); 0 disables it.
        chunk: steps per call of the jitted program (progress bar, guard and checkpoint
            granularity); record_every: steps averaged into one history entry.
    """

    data_dim: int = 2
    latent_dim: int = 2
    width: int = 200
    depth: int = 4
    batch: int = 100
    steps: int = 10_000
    lr: float = 1e-3
    adam_eps: float = 1e-8
    sigma_floor: float = 1e-3
    chunk: int = 500
    record_every: int = 10

    def __post_init__(self):
        for name in ("data_dim", "latent_dim", "width", "batch", "steps", "chunk", "record_every"):
            v = getattr(self, name)
            if int(v) != v or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if int(self.depth) != self.depth or self.depth < 0:
            raise ValueError(f"depth must be a non-negative integer, got {self.depth!r}")
        if not (np.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be positive, got {self.lr!r}")
        if not (np.isfinite(self.sigma_floor) and 0 <= self.sigma_floor < 1):
            raise ValueError(f"sigma_floor must lie in [0, 1), got {self.sigma_floor!r}")
        if self.chunk % self.record_every:
            raise ValueError(f"chunk ({self.chunk}) must be a multiple of record_every ({self.record_every})")


@dataclasses.dataclass(frozen=True, eq=False)
class Setting:
    """One decoder variant (a row of Table 1). Use the constructors below.

    Attributes:
        name: label used in messages and tables.
        mode: ``Mode.GIVEN`` (fixed or scheduled), ``SCALAR`` (LS-VAE) or ``VECTOR`` (LV-VAE).
        sigma: the fixed sigma of a GIVEN setting.
        schedule: optional sigma per step of a GIVEN setting (App. A.2); the last value is held.
        kl_weight: lambda in front of the KL term (Sec. 3.2); 1 for a plain VAE.
    """

    name: str
    mode: Mode
    sigma: float = 1.0
    schedule: np.ndarray | None = None
    kl_weight: float = 1.0

    def __post_init__(self):
        if not (np.isfinite(self.sigma) and self.sigma > 0):
            raise ValueError(f"sigma must be positive, got {self.sigma!r}")
        if not (np.isfinite(self.kl_weight) and self.kl_weight >= 0):
            raise ValueError(f"kl_weight must be non-negative, got {self.kl_weight!r}")
        if self.schedule is not None:
            s = np.asarray(self.schedule, np.float64)
            if s.ndim != 1 or s.size == 0 or not np.all(np.isfinite(s) & (s > 0)):
                raise ValueError("schedule must be a non-empty 1-D array of positive sigmas")

    @classmethod
    def fixed(cls, sigma: float, name: str | None = None, kl_weight: float = 1.0) -> "Setting":
        return cls(name or f"F {sigma:g}", Mode.GIVEN, float(sigma), None, float(kl_weight))

    @classmethod
    def scalar(cls, name: str = "LS") -> "Setting":
        return cls(name, Mode.SCALAR)

    @classmethod
    def vector(cls, name: str = "LV") -> "Setting":
        return cls(name, Mode.VECTOR)

    @classmethod
    def scheduled(cls, schedule, name: str = "F sched") -> "Setting":
        s = np.asarray(schedule, np.float64)
        return cls(name, Mode.GIVEN, float(s[-1]) if s.size else 1.0, s)

    def sigma_per_step(self, steps: int) -> np.ndarray:
        """The given sigma at steps 0 .. steps-1 (ones for learned modes, unused there)."""
        if self.schedule is None:
            return np.full(steps, self.sigma, np.float32)
        s = np.asarray(self.schedule, np.float32)
        return s[np.minimum(np.arange(steps), s.size - 1)]


class TrainState(NamedTuple):
    """Parameters and Adam state of all models (leading axis: models, setting-major)."""

    params: dict
    opt_state: optax.OptState


@dataclasses.dataclass(frozen=True, eq=False)
class TrainResult:
    """The outcome of :func:`train`.

    Attributes:
        params: parameter pytree with leading axes (n_settings, n_seeds).
        history: "loss", "distortion", "rate", "sigma" (mean decoder sigma), each an array
            (n_settings, n_seeds, steps // record_every) of averages over record_every steps.
        seconds: wall time of the training loop (compilation included); steps_run: steps done
            in this process (0 when everything came from a checkpoint).
    """

    config: VAEConfig
    settings: tuple[Setting, ...]
    seeds: tuple[int, ...]
    params: dict
    history: dict[str, np.ndarray]
    seconds: float
    steps_run: int

    def model(self, setting: int, seed: int) -> dict:
        """Parameters of one model (indices into settings and seeds)."""
        return jax.tree_util.tree_map(lambda a: a[setting, seed], self.params)

    def index(self, name: str) -> int:
        """Index of the setting called ``name``."""
        names = [s.name for s in self.settings]
        if name not in names:
            raise ValueError(f"setting {name!r} not among {names}")
        return names.index(name)


class NonFiniteLossError(FloatingPointError):
    """Training produced NaN or infinity; the message names setting, seed and step."""


def default_cache_dir() -> Path:
    """``$TOYVAE_CACHE`` or ``~/.cache/toyvae``: where long runs keep their checkpoints."""
    return Path(os.environ.get("TOYVAE_CACHE", Path.home() / ".cache" / "toyvae"))


def model_keys(seed: int):
    """(init_key, data_key) of a seed: the same for every setting (common random numbers)."""
    init_key, data_key = jax.random.split(jax.random.PRNGKey(int(seed)))
    return init_key, data_key


def _optimizer(config: VAEConfig) -> optax.GradientTransformation:
    return optax.adam(config.lr, eps=config.adam_eps)


@functools.partial(jax.jit, static_argnames=("config",))
def _init(init_keys, config: VAEConfig) -> TrainState:
    def one(key):
        params = init_vae(key, config.data_dim, config.latent_dim, config.width, config.depth,
                          config.sigma_floor)
        return TrainState(params, _optimizer(config).init(params))

    return jax.vmap(one)(init_keys)


@functools.partial(jax.jit, static_argnames=("config", "sampler", "length", "group"),
                   donate_argnums=(0,))
def _run_chunk(state: TrainState, start, modes, sigmas, kl_weights, data_keys, *,
               config: VAEConfig, sampler: Callable, length: int, group):
    """``length`` Adam steps of every model, from global step ``start``: one compiled program.

    Written for one model (a ``lax.scan`` over steps) and applied to all of them by
    :func:`~toyvae.engine.parallel.map_models` (devices x vmapped groups).
    """
    opt = _optimizer(config)

    def model_step(params, opt_state, t, mode, given, kl_weight, data_key):
        key = jax.random.fold_in(data_key, t)
        x_key, eps_key = jax.random.split(key)
        x = sampler(x_key, config.batch)
        eps_keys = jax.random.split(eps_key, config.batch)

        def batch_loss(p):
            loss, aux = jax.vmap(negative_elbo, in_axes=(None, 0, 0, None, None, None, None))(
                p, x, eps_keys, mode, given, kl_weight, config.sigma_floor)
            return jnp.mean(loss), jax.tree_util.tree_map(jnp.mean, aux)

        (loss, (dist, rate, sig)), grads = jax.value_and_grad(batch_loss, has_aux=True)(params)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, jnp.stack([loss, dist, rate, sig])

    def one_model(model):
        params, opt_state, mode, sigma_row, kl_weight, data_key = model

        def scan_step(carry, i):
            params, opt_state, rec = model_step(*carry, start + i, mode, sigma_row[i], kl_weight,
                                                data_key)
            return (params, opt_state), rec

        (params, opt_state), recs = jax.lax.scan(scan_step, (params, opt_state), jnp.arange(length))
        return params, opt_state, recs

    params, opt_state, recs = map_models(
        one_model, (state.params, state.opt_state, modes, sigmas, kl_weights, data_keys), group=group)
    return TrainState(params, opt_state), recs  # recs: (models, length, 4)


def _program_key(config: VAEConfig) -> VAEConfig:
    """The fields that shape the compiled step (steps, chunk and record_every do not)."""
    return dataclasses.replace(config, steps=1, chunk=1, record_every=1)


_HISTORY_KEYS = ("loss", "distortion", "rate", "sigma")


def _fingerprint(config, sampler, settings, seeds) -> str:
    h = hashlib.sha256(repr((config, sampler, seeds)).encode())
    for s in settings:
        h.update(repr((s.name, int(s.mode), s.sigma, s.kl_weight)).encode())
        h.update(s.sigma_per_step(config.steps).tobytes())
    return h.hexdigest()


def _save(path: Path, state: TrainState, step: int, history: np.ndarray, fingerprint: str):
    leaves = jax.tree_util.tree_leaves(state)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, step=step, history=history, fingerprint=fingerprint,
             **{f"leaf{i:04d}": np.asarray(a) for i, a in enumerate(leaves)})
    os.replace(tmp, path)


def _load(path: Path, template: TrainState, fingerprint: str):
    with np.load(path) as f:
        if str(f["fingerprint"]) != fingerprint:
            return None
        treedef = jax.tree_util.tree_structure(template)
        n = treedef.num_leaves
        leaves = [jnp.asarray(f[f"leaf{i:04d}"]) for i in range(n)]
        return jax.tree_util.tree_unflatten(treedef, leaves), int(f["step"]), np.array(f["history"])


def train(config: VAEConfig, sampler: Callable, settings: Sequence[Setting], seeds: Sequence[int],
          *, checkpoint: str | os.PathLike | None = None, progress: bool = True,
          stop_after: int | None = None, desc: str = "train", group: int | None | str = "auto",
          ) -> TrainResult:
    """Train every (setting, seed) pair as one compiled program (engine.parallel.map_models over the models).

    Args:
        config: the shared static configuration.
        sampler: hashable ``sample(key, n) -> (n, data_dim)`` (engine.data).
        settings: decoder variants; seeds: integer seeds. Models = settings x seeds.
        checkpoint: optional .npz path; saved after every chunk and resumed from when its
            fingerprint (config, sampler, settings, seeds) matches.
        progress: show a tqdm bar over steps.
        stop_after: stop after this many steps (a simulated interruption, for tests).
        group: models vmapped together on one device (``engine.parallel.map_models``); "auto"
            fits a group's state in the cache on a CPU (1 model of the paper's size) and takes
            all of a device's models on a GPU. It changes speed, and rounding, not the function.

    Raises:
        NonFiniteLossError: a loss became NaN or infinite (message: setting, seed, step).
    """
    settings = tuple(settings)
    seeds = tuple(int(s) for s in seeds)
    if not settings:
        raise ValueError("settings must not be empty")
    if not seeds:
        raise ValueError("seeds must not be empty")
    n_set, n_seed = len(settings), len(seeds)
    keys = [model_keys(s) for s in seeds]
    init_keys = jnp.stack([jnp.stack([k[0] for k in keys])] * n_set).reshape(n_set * n_seed, -1)
    data_keys = jnp.stack([jnp.stack([k[1] for k in keys])] * n_set).reshape(n_set * n_seed, -1)
    modes = jnp.asarray(np.repeat([int(s.mode) for s in settings], n_seed), jnp.int32)
    kl_weights = jnp.asarray(np.repeat([s.kl_weight for s in settings], n_seed), jnp.float32)
    sigmas = np.repeat(np.stack([s.sigma_per_step(config.steps) for s in settings]), n_seed, axis=0)

    start_time = time.perf_counter()
    state = _init(init_keys, _program_key(config))
    step = 0
    n_rec = config.steps // config.record_every
    history = np.full((n_set * n_seed, n_rec, 4), np.nan, np.float32)
    path = Path(checkpoint) if checkpoint is not None else None
    fingerprint = _fingerprint(config, sampler, settings, seeds)
    if path is not None and path.exists():
        loaded = _load(path, state, fingerprint)
        if loaded is not None:
            state, step, history = loaded
    first_step = step
    last = config.steps if stop_after is None else min(config.steps, int(stop_after))
    with tqdm(total=config.steps, initial=step, desc=desc, disable=not progress, leave=False) as bar:
        while step < last:
            length = min(config.chunk, config.steps - step)
            state, recs = _run_chunk(state, jnp.int32(step), modes, sigmas[:, step:step + length],
                                     kl_weights, data_keys, config=_program_key(config),
                                     sampler=sampler, length=length, group=group)
            recs = np.asarray(recs)  # (models, length, 4)
            _guard(recs[:, :, 0].T, step, settings, seeds)
            usable = length - length % config.record_every
            blocks = recs[:, :usable].reshape(n_set * n_seed, -1, config.record_every, 4).mean(axis=2)
            r0 = step // config.record_every
            history[:, r0:r0 + blocks.shape[1]] = blocks
            step += length
            bar.update(length)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                _save(path, state, step, history, fingerprint)
    seconds = time.perf_counter() - start_time

    def unflatten(a):
        return np.asarray(a).reshape((n_set, n_seed) + a.shape[1:])

    params = jax.tree_util.tree_map(lambda a: jnp.asarray(unflatten(a)), state.params)
    hist = {k: unflatten(history[..., i]) for i, k in enumerate(_HISTORY_KEYS)}
    return TrainResult(config, settings, seeds, params, hist, seconds, step - first_step)


def _guard(losses: np.ndarray, start: int, settings, seeds):
    """Raise on the first non-finite loss, naming its setting, seed and step."""
    bad = ~np.isfinite(losses)
    if bad.any():
        t, m = np.argwhere(bad)[np.argmin(np.argwhere(bad)[:, 0])]
        s, k = divmod(int(m), len(seeds))
        raise NonFiniteLossError(
            f"non-finite loss {losses[t, m]} in setting {settings[s].name!r}, seed {seeds[k]}, "
            f"at step {start + int(t)}")
