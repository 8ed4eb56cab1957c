"""Where a run of the checks came from: package, commit, library versions, device and numerics.

:func:`provenance` gathers what a reader needs to rerun a verdict or to explain a difference in the
last digits: the toyvae version and git commit, the Python and library versions, the JAX backend
and its devices, and the settings that change float32 rounding (matmul precision, TF32, x64).

It is cheap (about a second, most of it JAX starting its CPU backend) and it does not start an
accelerator that was not asked for: the entry points call :func:`toyvae.runtime.configure`, which sets
``JAX_PLATFORMS=cpu`` unless the user set it, and this module only asks JAX for the devices of the
platforms ``JAX_PLATFORMS`` allows. ``runtime`` records what ``configure`` set: platform, CPU devices,
the persistent compilation cache's folder (None when off) and the seed offset of a replication run.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import toyvae

__all__ = ["provenance", "LIBRARIES", "version_line", "format_provenance"]

# The distributions whose versions change our numbers (or our figures); None in the record when absent.
LIBRARIES = ("jax", "jaxlib", "numpy", "scipy", "optax", "sympy", "matplotlib", "equinox")

# Environment variables that choose the device or change rounding; recorded when set.
_ENVIRONMENT = ("JAX_PLATFORMS", "JAX_NUM_CPU_DEVICES", "JAX_ENABLE_X64", "JAX_DEFAULT_MATMUL_PRECISION",
                "NVIDIA_TF32_OVERRIDE", "XLA_FLAGS", "CUDA_VISIBLE_DEVICES", "TOYVAE_CACHE", "TOYVAE_COMPILE_CACHE",
                "TOYVAE_COMPILE_CACHE_DIR", "TOYVAE_FULL_DRY_RUN", "TOYVAE_SCALE_DRY_RUN")

# Precision settings under which XLA computes float32 products in float32 on NVIDIA GPUs
# (jax.default_matmul_precision); under any other setting Ampere and later GPUs may use TF32.
_FULL_F32 = {"highest", "float32", "precision.highest"}


def provenance(*, devices: bool = True) -> dict[str, Any]:
    """A JSON-able record of the software and hardware a run uses.

    Args:
        devices: also ask JAX for its backend and devices (starts JAX on the platforms
            ``JAX_PLATFORMS`` names, the CPU by default). ``False`` records only versions, git and
            environment, without importing JAX.

    Returns:
        a dict with ``toyvae`` (version), ``git`` (``{"commit", "dirty"}`` or None outside a git
        checkout), ``python``, ``libraries`` (name -> version or None), ``jax`` (backend, devices,
        matmul precision, TF32, x64; None when ``devices`` is False or JAX is absent), ``machine``,
        ``environment`` (the variables of ``_ENVIRONMENT`` that are set) and ``time_utc``.
    """
    return {
        "toyvae": toyvae.__version__,
        "git": git_state(Path(toyvae.__file__).resolve().parents[1]),
        "python": platform.python_version(),
        "libraries": {name: _version(name) for name in LIBRARIES},
        "jax": _jax_state() if devices else None,
        "machine": {"system": platform.system(), "machine": platform.machine(), "cpu_cores": _usable_cores()},
        "environment": {k: os.environ[k] for k in _ENVIRONMENT if k in os.environ},
        "runtime": _runtime_state(),
        "time_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def _runtime_state() -> dict[str, Any]:
    """What :func:`toyvae.runtime.configure` set (compile cache folder, seed offset, ...)."""
    from toyvae import runtime

    return runtime.state()


def git_state(root: Path) -> dict[str, Any] | None:
    """``{"commit": sha, "dirty": bool}`` of the git checkout at ``root``, or None if it is not one.

    Read-only: ``--no-optional-locks`` keeps ``git status`` from refreshing the index, so this never
    contends with a commit in progress. ``dirty`` counts untracked files too (a new module changes
    what runs); it is None when git cannot tell.
    """
    if not (root / ".git").exists():
        return None

    def git(*args: str) -> str | None:
        try:
            proc = subprocess.run(["git", "--no-optional-locks", "-C", str(root), *args],
                                  capture_output=True, text=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return proc.stdout.strip() if proc.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    status = git("status", "--porcelain")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _jax_state() -> dict[str, Any] | None:
    """Backend, devices and the numerics settings of JAX (None when JAX is not installed)."""
    try:
        import jax
    except ImportError:
        return None
    try:
        devs = jax.devices()  # the default backend's devices, on the platforms JAX_PLATFORMS allows
        backend = jax.default_backend()
    except Exception as err:  # noqa: BLE001 - e.g. JAX_PLATFORMS=cuda on a machine without a GPU
        return {"error": " ".join(f"{type(err).__name__}: {err}".split())[:300],
                "platforms": os.environ.get("JAX_PLATFORMS", "")}
    precision = jax.config.jax_default_matmul_precision
    kinds = sorted({d.device_kind for d in devs})
    capabilities = sorted({str(cc) for d in devs if (cc := getattr(d, "compute_capability", None))})
    return {
        "backend": backend,
        "platforms": os.environ.get("JAX_PLATFORMS", ""),
        "device_count": len(devs),
        "device_kinds": kinds,
        "compute_capabilities": capabilities,
        "default_matmul_precision": None if precision is None else str(precision),
        "tf32_possible": _tf32_possible(backend, capabilities, precision),
        "x64": bool(jax.config.jax_enable_x64),
    }


def _tf32_possible(backend: str, capabilities: list[str], precision) -> bool | None:
    """Whether float32 matrix products may run in TF32 (10-bit mantissa) on this backend.

    Only NVIDIA GPUs of compute capability 8.0 (Ampere) and later have TF32; JAX's default precision
    lets XLA use it there unless ``jax_default_matmul_precision`` asks for full float32 ("highest")
    or ``NVIDIA_TF32_OVERRIDE=0`` turns it off in cuBLAS. None: a GPU whose capability is unknown.
    """
    if backend not in ("gpu", "cuda"):
        return False
    if precision is not None and str(precision).lower() in _FULL_F32:
        return False
    if os.environ.get("NVIDIA_TF32_OVERRIDE") == "0":
        return False
    if not capabilities:
        return None
    return any(float(cc) >= 8.0 for cc in capabilities)


# ----------------------------------------------------------------------------------------------
# Text forms: `toyvae --version` and `toyvae env`
# ----------------------------------------------------------------------------------------------


def describe_device(jax_state: dict[str, Any] | None) -> str:
    """``"cpu: 2 x cpu"`` or ``"gpu: 1 x NVIDIA H100 80GB HBM3 (precision highest)"``."""
    if not jax_state:
        return "not recorded"
    if "error" in jax_state:
        return f"unavailable ({jax_state['error']})"
    text = f"{jax_state['backend']}: {jax_state['device_count']} x {', '.join(jax_state['device_kinds'])}"
    if jax_state["backend"] not in ("cpu",):
        text += f" (matmul precision {jax_state['default_matmul_precision'] or 'default'}"
        text += ", TF32 possible)" if jax_state.get("tf32_possible") else ")"
    return text


def describe_commit(git: dict[str, Any] | None) -> str:
    """``"commit 34908e1"`` (``", dirty"`` when the tree has changes) or ``"not a git checkout"``."""
    if not git:
        return "not a git checkout"
    return f"commit {git['commit'][:10]}" + (", dirty tree" if git.get("dirty") else "")


def version_line(record: dict[str, Any] | None = None) -> str:
    """Two lines for ``toyvae --version``: the package and commit; the key libraries and the device."""
    record = provenance() if record is None else record
    libs = record["libraries"]
    shown = ", ".join(f"{name} {libs.get(name) or '(absent)'}" for name in ("jax", "jaxlib", "numpy", "scipy", "optax"))
    return (f"toyvae {record['toyvae']} ({describe_commit(record['git'])}; Python {record['python']})\n"
            f"{shown}; device {describe_device(record['jax'])}")


def format_provenance(record: dict[str, Any]) -> str:
    """``toyvae env``: one ``key: value`` line per item."""
    jax_state = record.get("jax") or {}
    if "error" in jax_state:
        jax_state = {}
        error = record["jax"]["error"]
    else:
        error = None
    lines = [
        f"toyvae              {record['toyvae']}",
        f"git                 {describe_commit(record['git'])}"
        + (f" ({record['git']['commit']})" if record.get("git") else ""),
        f"python              {record['python']}",
    ]
    lines += [f"{name:<20}{version or '(not installed)'}" for name, version in record["libraries"].items()]
    if jax_state:
        lines += [
            f"jax backend         {jax_state['backend']} (JAX_PLATFORMS={jax_state['platforms'] or 'unset'})",
            f"devices             {jax_state['device_count']} x {', '.join(jax_state['device_kinds'])}"
            + (f" (compute capability {', '.join(jax_state['compute_capabilities'])})"
               if jax_state["compute_capabilities"] else ""),
            f"matmul precision    {jax_state['default_matmul_precision'] or 'default'}",
            f"TF32 possible       {_yes_no(jax_state['tf32_possible'])}",
            f"x64 enabled         {_yes_no(jax_state['x64'])}",
        ]
    if error:
        lines.append(f"jax backend         unavailable: {error}")
    machine = record["machine"]
    lines.append(f"machine             {machine['system']} {machine['machine']}, {machine['cpu_cores']} usable cores")
    if record.get("runtime"):
        rt = record["runtime"]
        lines.append(f"compile cache       {rt.get('compile_cache') or 'off'}")
        if rt.get("seed_offset"):
            lines.append(f"seed offset         {rt['seed_offset']} (a replication run)")
    if record["environment"]:
        lines.append("environment         " + " ".join(f"{k}={v}" for k, v in record["environment"].items()))
    lines.append(f"time (UTC)          {record['time_utc']}")
    return "\n".join(lines)


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")
