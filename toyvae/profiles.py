"""How much compute a run may spend, and which seeds it uses: the profiles every experiment declares
its plans for, and the process-wide seed offset of replication runs.

A leaf module (it imports nothing from the package), so that experiments, claims, figures and
the command line all read the same names without depending on one another:

* ``Profile.QUICK``: the default of ``toyvae verify`` and ``pytest paper_checks``; minutes on two
  CPU cores (small models, the same code and rules).
* ``Profile.FULL``: the experiments at the sizes the papers use (``toyvae verify --full``).

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
from collections.abc import Iterator, Mapping

__all__ = ["Profile", "plan_for", "shift_seeds", "SEED_STRIDE", "current_seed_offset", "set_seed_offset",
           "seed_offset", "offset_seed"]

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


def plan_for(plans: Mapping, profile) -> object:
    """The plan of ``profile`` in ``plans`` (``{Profile.QUICK: ..., Profile.FULL: ...}``), its seeds
    shifted by the process-wide offset (:func:`current_seed_offset` x :data:`SEED_STRIDE`)."""
    return shift_seeds(plans[Profile(profile)], _OFFSET * SEED_STRIDE)
