"""One owner for the experiments' run caches: ``@cached`` and ``clear_caches()``.

An experiment's ``run``-like function decorated with :func:`cached` trains once per process for
each distinct call: the key is the call's arguments bound to the signature with defaults applied
(so ``shared_sweep(p)`` and ``shared_sweep(p, 0)`` are one entry, and ``"quick"`` equals
``Profile.QUICK``), plus the process-wide seed offset of :mod:`toyvae.profiles` and the full profile's
dry run (``TOYVAE_FULL_DRY_RUN``): the plan a profile stands for depends on both
(:func:`toyvae.profiles.plan_for`). :func:`clear_caches` (also
``toyvae.clear_caches()``) empties every such cache.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable

from toyvae import profiles

__all__ = ["cached", "clear_caches"]

_CACHES: list[dict] = []
_LOCK = threading.RLock()


def cached(function: Callable) -> Callable:
    """Cache ``function``'s results per (normalised arguments, seed offset) (module docstring)."""
    signature = inspect.signature(function)
    store: dict = {}
    _CACHES.append(store)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        key = (tuple(bound.arguments.items()), profiles.current_seed_offset(), profiles.full_dry_run())
        with _LOCK:
            if key in store:
                return store[key]
        value = function(*args, **kwargs)
        with _LOCK:
            return store.setdefault(key, value)

    wrapper.cache_clear = store.clear  # the functools.cache spelling, for callers that use it
    return wrapper


def clear_caches() -> None:
    """Forget every cached experiment run (the next call trains again)."""
    with _LOCK:
        for store in _CACHES:
            store.clear()
