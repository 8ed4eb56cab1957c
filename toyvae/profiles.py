"""How much compute a run may spend, and which seeds it uses: the profiles every experiment declares
its plans for, and the process-wide seed offset of replication runs.

A leaf module (it imports nothing from the package), so that experiments, claims, figures and
the command line all read the same names without depending on one another:

* ``Profile.QUICK``: the default of ``toyvae verify`` and ``pytest paper_checks``; minutes on two
  CPU cores (small models, the same code and rules).
* ``Profile.FULL``: the experiments at the sizes the papers use (``toyvae verify --full``).

**Dry run of the full profile** (``TOYVAE_FULL_DRY_RUN``): so that a GPU lease is never spent discovering a
shape or memory error, every FULL plan can run end to end on a CPU at a tiny size. With the variable set,
:func:`plan_for` returns the FULL plan shrunk by :func:`shrink` (a module that does not read its sizes
through :func:`plan_for` passes them through :func:`full_sized`); nothing else changes: the same code path,
the same settings, model architectures (widths, depths, latents), batches and data dimensions. Values:

* ``1`` (or ``tiny``): step-like fields (``steps``, ``primary_steps``, ``chunk``) divided by 50 (so that a
  history still has the 40 blocks of ``BS20.A2-plateaus``), training seeds cut to the first three, sample sizes
  (``n_train``, ``n_eval``, ``n_samples``, ``n_train_eval``) those of the QUICK plan (the code's own constants,
  such as the 2000 draws of a Frechet distance, are sized for them), or divided by 50 with a floor of 100 where
  there is no QUICK plan to follow. Verdicts of such a run mean nothing: it checks that the code runs.
* ``steps/N``: only the step-like fields divided by N (seeds and sample sizes as in FULL): one timed chunk
  of the full profile, from which its duration is extrapolated (``scripts/gpu_full.sh`` says how).

A plan may name its own dry-run plan (``plan_for(PLANS, profile, dry=...)``: the SCALE section runs its
QUICK plan, whose FULL sizes a CPU cannot hold). Runs record the variable in their provenance
(``environment``), caches of experiments key on it, and checkpoints go to a subfolder of their own
(:func:`cache_subfolder`), so a dry run never mixes with a real one.

Each experiment module keeps its sizes in one mapping ``PLANS = {Profile.QUICK: ..., Profile.FULL: ...}``
and reads it through :func:`plan_for` (``plan_for(PLANS, profile)``); nothing threads a
``quick: bool`` through its calls.

Replication runs (``toyvae verify --seed-offset K``): :func:`plan_for` returns the plan with every
training seed shifted by ``K * SEED_STRIDE`` (K = 0, the default, returns the plan itself), so the
seed sets of different offsets are disjoint as long as a plan's seeds stay below ``SEED_STRIDE``.
The offset is process-wide: set it with :func:`set_seed_offset` (what
``toyvae.runtime.configure(seed_offset=K)`` calls) or for a block with the context manager
:func:`seed_offset`. Experiment caches key on it (:mod:`toyvae.experiments._cache`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import os
from collections.abc import Iterator, Mapping

__all__ = ["Profile", "plan_for", "shift_seeds", "SEED_STRIDE", "current_seed_offset", "set_seed_offset",
           "seed_offset", "offset_seed", "DRY_RUN_VAR", "DryRun", "full_dry_run", "shrink", "full_sized",
           "cache_subfolder"]

SEED_STRIDE = 1000
"""Seeds of offset K are the plan's seeds + K * SEED_STRIDE (plans use seeds below it)."""

_MAX_SEED = 2**32 - 1
_OFFSET = 0


class Profile(str, enum.Enum):
    """How much compute a check may spend (module docstring)."""

    QUICK = "quick"
    FULL = "full"

    def __str__(self) -> str:
        return self.value


def current_seed_offset() -> int:
    """The process-wide seed offset K (0 unless set)."""
    return _OFFSET


def _checked_offset(k) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValueError(f"seed offset must be an integer >= 0, got {k!r}")
    if k * SEED_STRIDE + SEED_STRIDE - 1 > _MAX_SEED:
        raise ValueError(f"seed offset {k} is too large: seeds must stay below 2**32 "
                         f"(offset * {SEED_STRIDE} < {_MAX_SEED + 1 - SEED_STRIDE})")
    return k


def set_seed_offset(k: int) -> None:
    """Set the process-wide seed offset K (an integer >= 0; seeds shift by K * SEED_STRIDE)."""
    global _OFFSET
    _OFFSET = _checked_offset(k)


@contextlib.contextmanager
def seed_offset(k: int) -> Iterator[int]:
    """``with seed_offset(K):`` plans read inside the block use seeds shifted by K * SEED_STRIDE."""
    global _OFFSET
    previous, _OFFSET = _OFFSET, _checked_offset(k)
    try:
        yield k
    finally:
        _OFFSET = previous


def _is_seed_tuple(value) -> bool:
    return isinstance(value, tuple) and all(isinstance(s, int) and not isinstance(s, bool) for s in value)


def shift_seeds(plan, delta: int):
    """``plan`` with its training seeds shifted by ``delta``.

    A dataclass plan: a field ``seeds`` holding a tuple of ints and a field ``seed`` holding an int are
    shifted, and dataclass-valued fields are shifted recursively (a plan of plans). A plain tuple
    ``(config, seeds)``: its tuples of ints are the seeds. Anything else (a seed *count*, sizes) is
    left as it is. ``delta == 0`` returns ``plan`` itself.
    """
    if delta == 0:
        return plan
    if dataclasses.is_dataclass(plan) and not isinstance(plan, type):
        changes = {}
        for f in dataclasses.fields(plan):
            value = getattr(plan, f.name)
            if f.name == "seeds" and _is_seed_tuple(value):
                changes[f.name] = tuple(s + delta for s in value)
            elif f.name == "seed" and isinstance(value, int) and not isinstance(value, bool):
                changes[f.name] = value + delta
            elif dataclasses.is_dataclass(value) and not isinstance(value, type):
                changes[f.name] = shift_seeds(value, delta)
        return dataclasses.replace(plan, **changes) if changes else plan
    if isinstance(plan, tuple):
        return tuple(tuple(s + delta for s in v) if _is_seed_tuple(v) and v else shift_seeds(v, delta) for v in plan)
    return plan


def offset_seed(seed: int) -> int:
    """``seed`` shifted by the process-wide offset (for experiments whose plan is a root seed, not a plan)."""
    return seed + _OFFSET * SEED_STRIDE


DRY_RUN_VAR = "TOYVAE_FULL_DRY_RUN"
"""The environment variable of the full profile's dry run (module docstring)."""

_STEP_FIELDS = ("steps", "primary_steps", "chunk")
_SAMPLE_FIELDS = ("n_train", "n_eval", "n_samples", "n_train_eval")
_SAMPLE_FLOOR = 100  # a round number: evaluations split their samples into blocks of 50


@dataclasses.dataclass(frozen=True)
class DryRun:
    """How a dry run shrinks a FULL plan: step-like fields divided by ``divisor`` (at least 1), training seeds
    cut to the first ``max_seeds`` (None: all), sample sizes shrunk when ``samples`` (:func:`shrink`)."""

    divisor: int
    max_seeds: int | None
    samples: bool

    @property
    def tag(self) -> str:
        """A short name: ``tiny`` or ``steps-N`` (checkpoint subfolders, cache keys)."""
        return "tiny" if self == TINY else f"steps-{self.divisor}"


TINY = DryRun(divisor=50, max_seeds=3, samples=True)


def full_dry_run() -> DryRun | None:
    """The dry run that ``TOYVAE_FULL_DRY_RUN`` asks for (module docstring), or None when it is unset, empty or "0"."""
    value = os.environ.get(DRY_RUN_VAR, "").strip()
    if value in ("", "0"):
        return None
    if value in ("1", "tiny"):
        return TINY
    if value.startswith("steps/"):
        try:
            divisor = int(value[len("steps/"):])
        except ValueError:
            divisor = 0
        if divisor >= 1:
            return DryRun(divisor=divisor, max_seeds=None, samples=False)
    raise ValueError(f"{DRY_RUN_VAR}={value!r}: expected 1, tiny or steps/N with an integer N >= 1")


def _shrunk_int(value: int, divisor: int, floor: int = 1) -> int:
    return max(min(value, floor), value // divisor)


def _is_instance(value) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def shrink(plan, dry: DryRun, like=None):
    """``plan`` at the size of the dry run ``dry`` (module docstring); structure, settings and architecture unchanged.

    Walks dataclasses (recursively, through dataclass-valued fields) and a top-level tuple: integer fields named ``steps``,
    ``primary_steps`` or ``chunk`` are divided by ``dry.divisor`` (at least 1), a tuple of ints named ``seeds``
    (or a tuple of ints in a plain ``(config, seeds)`` plan) keeps its first ``dry.max_seeds``, and with
    ``dry.samples`` the integer fields ``n_train``, ``n_eval``, ``n_samples``, ``n_train_eval`` take the value of
    the same field of ``like`` (the QUICK plan, walked alongside) where it has one, else are divided by
    ``dry.divisor`` with a floor of 100; a size is never raised. Anything else is returned as it is.
    """
    if _is_instance(plan):
        changes = {}
        for f in dataclasses.fields(plan):
            value = getattr(plan, f.name)
            other = getattr(like, f.name, None)
            is_int = isinstance(value, int) and not isinstance(value, bool)
            if f.name in _STEP_FIELDS and is_int:
                changes[f.name] = _shrunk_int(value, dry.divisor)
            elif f.name in _SAMPLE_FIELDS and is_int and dry.samples:
                quick = isinstance(other, int) and not isinstance(other, bool) and other >= 1
                changes[f.name] = min(value, other) if quick else _shrunk_int(value, dry.divisor, _SAMPLE_FLOOR)
            elif f.name == "seeds" and _is_seed_tuple(value) and dry.max_seeds is not None:
                changes[f.name] = value[:dry.max_seeds]
            elif _is_instance(value):
                changes[f.name] = shrink(value, dry, other if _is_instance(other) else None)
        changes = {k: v for k, v in changes.items() if v != getattr(plan, k)}
        return dataclasses.replace(plan, **changes) if changes else plan
    if isinstance(plan, tuple):  # a plain (config, seeds) plan: its tuple of ints are the seeds
        likes = like if isinstance(like, tuple) and len(like) == len(plan) else (None,) * len(plan)
        return tuple(v[:dry.max_seeds] if _is_seed_tuple(v) and v and dry.max_seeds is not None
                     else shrink(v, dry, o if _is_instance(o) else None) if _is_instance(v) else v
                     for v, o in zip(plan, likes))
    return plan


def full_sized(plan):
    """A FULL-profile size (a plan, a dataclass of sizes) as the current run uses it: ``plan`` itself, or
    shrunk by :func:`shrink` under a dry run. For modules that keep FULL sizes outside :func:`plan_for`."""
    dry = full_dry_run()
    return plan if dry is None else shrink(plan, dry)


def cache_subfolder() -> str | None:
    """The subfolder of the checkpoint folder this process uses: ``seed-offset-K`` for a replication run,
    ``full-dry-run-<tag>`` under a dry run (both when both), None otherwise."""
    parts = []
    if _OFFSET:
        parts.append(f"seed-offset-{_OFFSET}")
    dry = full_dry_run()
    if dry is not None:
        parts.append(f"full-dry-run-{dry.tag}")
    return "/".join(parts) or None


def plan_for(plans: Mapping, profile, *, dry=None) -> object:
    """The plan of ``profile`` in ``plans`` (``{Profile.QUICK: ..., Profile.FULL: ...}``), its seeds
    shifted by the process-wide offset (:func:`current_seed_offset` x :data:`SEED_STRIDE`).

    Under a dry run of the full profile (``TOYVAE_FULL_DRY_RUN``, module docstring) the FULL plan is shrunk by
    :func:`shrink` (sample sizes those of the QUICK plan), or replaced by ``dry`` where the caller names its own
    dry-run plan."""
    profile = Profile(profile)
    plan = plans[profile]
    if profile is Profile.FULL:
        mode = full_dry_run()
        if mode is not None:
            plan = dry if dry is not None else shrink(plan, mode, plans.get(Profile.QUICK))
    return shift_seeds(plan, _OFFSET * SEED_STRIDE)
