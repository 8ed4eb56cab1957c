"""Argument checks shared by the public functions: each raises ``ValueError`` naming the parameter.

The package's rule for bad input: a ``ValueError`` whose message starts with the parameter's name
(or names the file), raised before any long computation. Non-numeric values (strings, ``None``,
complex numbers) are also reported as ``ValueError``, so that callers catch one exception type.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_finite",
    "positive",
    "nonnegative",
    "dimension",
    "probability",
    "scalar",
    "broadcast_shape",
    "seed",
    "flag",
]

# Largest dimension accepted: dimensions are returned as int64 (their arithmetic is exact there).
_INT64_MAX = np.iinfo(np.int64).max


def as_finite(name: str, value) -> np.ndarray:
    """``value`` as a float64 array; ``ValueError`` if it is not real-numeric, or holds NaN or infinity.

    Booleans count as the numbers 0 and 1; strings, bytes, ``None`` and complex numbers are refused
    (``np.asarray("1.5", float)`` would silently parse a string).
    """
    if value is None or isinstance(value, (str, bytes)):
        raise ValueError(f"{name} must be a real number or array of them, got {value!r}")
    try:
        raw = np.asarray(value)
        if raw.dtype.kind not in "biufO":  # strings, bytes, complex, datetimes
            raise TypeError(raw.dtype)
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as err:
        raise ValueError(f"{name} must be a real number or array of them, got {_brief(value)}") from err
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or infinity), got {_brief(value)}")
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
    """``value`` as an int64 array of integers in ``[minimum, 2**63 - 1]``.

    Integers are checked exactly (Python ints of any size, NumPy integer arrays); floats equal to
    integers are accepted. Booleans are refused (``True`` is not a dimension), and so are values
    beyond int64, which no array in memory can have as a size.
    """
    expected = f"an integer in [{minimum}, 2**63 - 1]"
    raw = None
    if not isinstance(value, (str, bytes)):
        try:
            raw = np.asarray(value)
        except (TypeError, ValueError, OverflowError):
            pass  # as_finite below says what is wrong
    if isinstance(value, (bool, np.bool_)) or (raw is not None and raw.dtype.kind == "b"):
        raise ValueError(f"{name} must be {expected}, got {_brief(value)}")
    if raw is not None and raw.dtype.kind in "iu":  # exact integer comparisons, no float rounding
        if np.any(raw < minimum) or np.any(raw > _INT64_MAX):
            raise ValueError(f"{name} must be {expected}, got {_show(raw)}")
        return raw.astype(np.int64)
    arr = as_finite(name, value)  # floats, and Python ints too large for any integer dtype
    if np.any(arr != np.round(arr)) or np.any(arr < minimum) or np.any(arr >= 2.0**63):
        raise ValueError(f"{name} must be {expected}, got {_show(arr)}")
    return arr.astype(np.int64)


def scalar(name: str, arr: np.ndarray) -> float | int:
    """The one value of a checked 0-d array as a Python float (or int, for :func:`dimension`'s int64,
    kept exact); ``ValueError`` naming ``name`` for any other shape."""
    if np.ndim(arr) != 0:
        raise ValueError(f"{name} must be a scalar, got an array of shape {np.shape(arr)}")
    return np.asarray(arr).item()


def broadcast_shape(**arrays: np.ndarray) -> tuple[int, ...]:
    """The common shape of the named arrays, or ``ValueError`` naming each parameter and its shape.

    Called before the arithmetic, so that a mismatch is reported with the user's names rather than
    by NumPy's broadcasting message about positional operands.
    """
    shapes = {name: np.shape(arr) for name, arr in arrays.items()}
    try:
        return np.broadcast_shapes(*shapes.values())
    except ValueError:
        listing = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        names = ", ".join(shapes)
        raise ValueError(f"{names}: shapes do not broadcast against each other ({listing})") from None


def seed(name: str, value) -> int:
    """A seed for ``numpy.random.default_rng``: a non-negative integer (not a bool, not None)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def flag(name: str, value) -> bool:
    """A switch: ``True`` or ``False`` (NumPy booleans included), nothing else."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _brief(value) -> str:
    text = " ".join(repr(value).split())  # an array's repr spans lines
    return text if len(text) <= 80 else text[:77] + "..."


def _show(arr: np.ndarray) -> str:
    arr = np.asarray(arr)
    if arr.ndim == 0:
        return repr(arr.item()) if arr.dtype.kind in "iu" else repr(float(arr))
    if arr.size == 0:
        return f"an empty array of shape {arr.shape}"
    flat = arr.ravel()
    return f"array with values in [{flat.min().item()!r}, {flat.max().item()!r}]"
