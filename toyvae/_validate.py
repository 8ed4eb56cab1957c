"""Argument checks shared by the public functions: each raises ``ValueError`` naming the parameter."""

from __future__ import annotations

import numpy as np

__all__ = ["as_finite", "positive", "nonnegative", "dimension", "probability"]


def as_finite(name: str, value) -> np.ndarray:
    """``value`` as a float64 array; ``ValueError`` if it is not numeric, or holds NaN or infinity."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a real number or array of them, got {value!r}") from err
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or infinity), got {value!r}")
    return arr


def positive(name: str, value) -> np.ndarray:
    """``value`` as a float64 array of finite numbers > 0."""
    arr = as_finite(name, value)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got {_show(arr)}")
    return arr


def nonnegative(name: str, value) -> np.ndarray:
    """``value`` as a float64 array of finite numbers >= 0."""
    arr = as_finite(name, value)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0, got {_show(arr)}")
    return arr


def probability(name: str, value, *, open_interval: bool = False) -> np.ndarray:
    """``value`` as a float64 array in [0, 1] (or (0, 1) with ``open_interval``)."""
    arr = as_finite(name, value)
    bad = (arr <= 0) | (arr >= 1) if open_interval else (arr < 0) | (arr > 1)
    if np.any(bad):
        interval = "(0, 1)" if open_interval else "[0, 1]"
        raise ValueError(f"{name} must lie in {interval}, got {_show(arr)}")
    return arr


def dimension(name: str, value, *, minimum: int = 2) -> np.ndarray:
    """``value`` as an int64 array of integers >= ``minimum`` (floats equal to integers are accepted)."""
    if isinstance(value, bool) or (isinstance(value, np.ndarray) and value.dtype == bool):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    arr = as_finite(name, value)
    if np.any(arr != np.round(arr)) or np.any(arr < minimum):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {_show(arr)}")
    return arr.astype(np.int64)


def _show(arr: np.ndarray) -> str:
    if arr.ndim == 0:
        return repr(float(arr))
    flat = arr.ravel()
    return f"array with values in [{flat.min()!r}, {flat.max()!r}]"
