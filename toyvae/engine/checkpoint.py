"""Checkpoints of :func:`toyvae.engine.fit.fit`: what a run must match to resume, and atomic files.

A checkpoint records a *manifest*: the parts of the run that decide its numbers, each hashed or
spelled out: the program (name, configuration ``identity``), the **code** the program runs
(:func:`code_hash`: the source of every toyvae module its functions reach), the settings (names,
knobs), the seeds, the shared data, ``steps``, ``chunk``, ``record_every`` and ``average_from``.
A file whose manifest differs is refused with a :class:`CheckpointError` that names the file and
what differs; it is never resumed and never overwritten (delete it, or pass another path).

Files are written atomically: a temporary file in the same folder, then ``os.replace``; an
interrupted write leaves the previous checkpoint intact. :func:`check_path` is run by ``fit``
before any work, so a path that cannot be written fails at once.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import sys
import tempfile
import types
import zipfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from toyvae.engine.program import Program

__all__ = ["CheckpointError", "code_hash", "manifest", "check_path", "save", "load"]


class CheckpointError(ValueError):
    """A checkpoint file cannot be read, written, or belongs to another run; the message names the file."""


# ------------------------------------------------------------------------------------------------
# The code of a program
# ------------------------------------------------------------------------------------------------

_ROOT = Path(__file__).resolve().parents[1]  # the toyvae package folder
_LIBRARIES = tuple({str(Path(p).resolve()) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})


def _own_file(module) -> Path | None:
    """The source file of ``module`` if it is toyvae's or the user's code (not an installed library's)."""
    path = getattr(module, "__file__", None)
    if path is None:
        return None
    path = Path(path).resolve()
    if getattr(module, "__name__", "").startswith("toyvae"):
        return path
    if str(path).startswith(_LIBRARIES) or "site-packages" in path.parts or "dist-packages" in path.parts:
        return None  # jax, optax, numpy, the standard library: their versions are in the provenance
    return path


def _functions_of(obj):
    """The Python functions ``obj`` stands for (a function, a partial, a Program, a bound method)."""
    if isinstance(obj, Program):
        return [f for f in (obj.init, obj.sample, obj.loss, obj.optimizer, obj.post, obj.probe, obj.check)
                if f is not None]
    if isinstance(obj, functools.partial):
        return [obj.func, *obj.args, *obj.keywords.values()]
    if isinstance(obj, types.MethodType):
        return [obj.__func__]
    return []


def _simple(value) -> bool:
    if isinstance(value, (int, float, complex, str, bytes, bool, type(None))):
        return True
    return isinstance(value, tuple) and all(_simple(v) for v in value)


def _code_bytes(code: types.CodeType) -> bytes:
    parts = [code.co_qualname.encode(), code.co_code, repr(code.co_names).encode()]
    for const in code.co_consts:
        parts.append(_code_bytes(const) if isinstance(const, types.CodeType) else repr(const).encode())
    return b"\0".join(parts)


def _reach(obj, files: set, functions: list, seen: set) -> None:
    """Collect the own source files and functions ``obj`` reaches: defining modules, closures, globals."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, types.ModuleType):
        path = _own_file(obj)
        if path is None or path in files:
            return
        files.add(path)
        for value in list(vars(obj).values()):  # what the module imports from our code, transitively
            module = value if isinstance(value, types.ModuleType) else sys.modules.get(getattr(value, "__module__", "") or "")
            if module is not None and _own_file(module) is not None:
                _reach(module, files, functions, seen)
        return
    if isinstance(obj, (Program, functools.partial, types.MethodType)):
        for f in _functions_of(obj):
            _reach(f, files, functions, seen)
        return
    if isinstance(obj, types.FunctionType):
        module = sys.modules.get(obj.__module__ or "")
        if module is None or _own_file(module) is None:
            return
        _reach(module, files, functions, seen)
        cells = []
        for cell in obj.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if _simple(value):
                cells.append(value)
            else:
                _reach(value, files, functions, seen)
        functions.append(_code_bytes(obj.__code__) + repr(cells).encode() + repr(obj.__defaults__).encode()
                         if _simple(obj.__defaults__) else _code_bytes(obj.__code__) + repr(cells).encode())
        for name in obj.__code__.co_names:
            if name in obj.__globals__:
                _reach(obj.__globals__[name], files, functions, seen)


@functools.lru_cache(maxsize=256)
def code_hash(program: Program) -> str:
    """sha256 of the code a program runs: the source of every module of toyvae or of the user that its
    functions reach (defining modules and what they import from toyvae), and the functions themselves
    (bytecode, constants and the numbers in their closures, so two closures of one factory differ)."""
    files: set[Path] = set()
    functions: list[bytes] = []
    _reach(program, files, functions, set())
    h = hashlib.sha256()
    for path in sorted(files):
        try:
            rel = path.relative_to(_ROOT.parent)
        except ValueError:
            rel = path.name
        h.update(str(rel).encode())
        h.update(path.read_bytes())
    for f in functions:  # in the order reached: init, sample, loss, optimizer, post, probe
        h.update(f)
    return h.hexdigest()


# ------------------------------------------------------------------------------------------------
# The manifest of a run
# ------------------------------------------------------------------------------------------------


def _tree_hash(tree) -> str:
    h = hashlib.sha256(str(jax.tree_util.tree_structure(tree)).encode())
    for leaf in jax.tree_util.tree_leaves(tree):
        a = np.asarray(leaf)
        h.update(repr((a.dtype.str, a.shape)).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def manifest(program: Program, names, seeds, knobs, shared, steps, chunk, record_every, average_from) -> dict:
    """What a checkpoint must match to be resumed (module docstring); JSON-able."""
    return {"program": program.name, "identity": repr(program.identity), "code": code_hash(program),
            "names": list(names), "seeds": [int(s) for s in seeds], "knobs": _tree_hash(knobs),
            "shared": _tree_hash(shared), "steps": int(steps), "chunk": int(chunk),
            "record_every": int(record_every), "average_from": average_from}


_WHAT = {"program": "the program's name", "identity": "the program's configuration", "code": "the program's code",
         "names": "the settings' names", "seeds": "the seeds", "knobs": "the knobs", "shared": "the shared data",
         "steps": "steps", "chunk": "chunk", "record_every": "record_every", "average_from": "average_from"}


def _differences(saved: dict, wanted: dict) -> list[str]:
    out = []
    for key, what in _WHAT.items():
        if saved.get(key) != wanted.get(key):
            if key in ("code", "knobs", "shared"):
                out.append(what)
            else:
                out.append(f"{what} ({saved.get(key)!r} in the file, {wanted.get(key)!r} now)")
    return out


# ------------------------------------------------------------------------------------------------
# Files
# ------------------------------------------------------------------------------------------------


def check_path(checkpoint) -> Path | None:
    """The checkpoint path as a ``Path`` (None for None), after checking it can be written.

    Raises:
        TypeError: ``checkpoint`` is not a str or path.
        CheckpointError: a folder, a folder that cannot be created (a regular file in the way) or
            one that cannot be written.
    """
    if checkpoint is None:
        return None
    if not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(f"checkpoint must be a path (str or os.PathLike) or None, got {type(checkpoint).__name__} "
                        f"{checkpoint!r}")
    path = Path(checkpoint)
    if path.is_dir():
        raise CheckpointError(f"checkpoint {path} is a folder; give a file path (e.g. {path / 'run.npz'})")
    blocker = next((a for a in path.parents if a.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise CheckpointError(f"checkpoint {path}: {blocker} is a file, not a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as err:
        raise CheckpointError(f"checkpoint {path}: cannot write in folder {path.parent} "
                              f"({err.strerror or err})") from None
    return path


def save(path: Path, state, step: int, history: dict, probes: list, run: dict) -> None:
    """Write the checkpoint atomically (a temporary file in the same folder, then ``os.replace``)."""
    arrays = {f"state{i:04d}": np.asarray(a) for i, a in enumerate(jax.tree_util.tree_leaves(state))}
    arrays.update({f"history:{k}": v for k, v in history.items()})
    for i, p in enumerate(probes):
        arrays.update({f"probe{i:04d}:{k}": np.asarray(v) for k, v in p.items()})
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, step=step, manifest=json.dumps(run, sort_keys=True), n_probes=len(probes), **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path, template, run: dict, history: dict):
    """(state, step, history, probes) from ``path``; the file must hold the same run (``manifest``).

    Raises:
        CheckpointError: unreadable, or written by another run (the message names what differs).
    """
    try:
        with np.load(path) as f:
            if "manifest" not in f.files:
                raise CheckpointError(
                    f"checkpoint {path} was written by an earlier version of toyvae (no record of its program's "
                    f"code); delete it to train this run from step 0, or pass another checkpoint path")
            saved = json.loads(str(f["manifest"]))
            if saved != run:
                raise CheckpointError(
                    f"checkpoint {path} belongs to another run: {'; '.join(_differences(saved, run))} differ. "
                    f"It was neither resumed nor overwritten: delete it to train this run from step 0, or pass "
                    f"another checkpoint path")
            treedef = jax.tree_util.tree_structure(template)
            leaves = [jnp.asarray(f[f"state{i:04d}"]) for i in range(treedef.num_leaves)]
            hist = {k: np.array(f[f"history:{k}"]) for k in history}
            probes = []
            for i in range(int(f["n_probes"])):
                prefix = f"probe{i:04d}:"
                probes.append({name[len(prefix):]: np.array(f[name]) for name in f.files if name.startswith(prefix)})
            state = jax.tree_util.tree_unflatten(treedef, leaves)
            return state, int(f["step"]), hist, probes
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError) as err:
        raise CheckpointError(
            f"checkpoint {path} is unreadable ({type(err).__name__}: {err}); delete it to restart "
            f"this run from step 0") from None
