"""Where and how JAX runs: :func:`configure`, called by every entry point, never at import.

``import toyvae`` changes no environment variable and no JAX setting. The entry points (the
``toyvae`` command, ``conftest.py``, the figure scripts through :func:`toyvae.cli.figure.figure_arguments`,
the course kit, the benchmarks) call :func:`configure` first; a library user calls it or not.

``configure(platform="cpu", cpu_devices="auto", compile_cache=True, seed_offset=None)``:

* ``platform``: ``"cpu"`` sets ``JAX_PLATFORMS=cpu`` unless the user set the variable (so
  ``JAX_PLATFORMS=cuda toyvae verify`` trains on a GPU); ``None`` leaves JAX's choice alone.
* ``cpu_devices``: ``"auto"`` exposes one JAX CPU device per usable core (``JAX_NUM_CPU_DEVICES``),
  unless the user chose a number (that variable or ``--xla_force_host_platform_device_count`` in
  ``XLA_FLAGS``); an int chooses it; ``None`` leaves it. The engine spreads independent models over
  these devices (:mod:`toyvae.engine.parallel`).
* ``compile_cache``: JAX's persistent compilation cache in :func:`compile_cache_dir`
  (``$TOYVAE_COMPILE_CACHE_DIR``, else ``$XDG_CACHE_HOME/toyvae/jax``, else ``~/.cache/toyvae/jax``),
  so a second run of the same programs skips XLA compilation. ``TOYVAE_COMPILE_CACHE=0`` turns it off.
  Programs that compile in under ``MIN_COMPILE_SECONDS`` are not written (they cost less to compile
  than to read).
* ``seed_offset``: the process-wide seed offset of replication runs (:func:`toyvae.profiles.set_seed_offset`).

Platform and device count take effect only before JAX starts its backend; a later call keeps the
devices JAX has (no error). :func:`state` returns what was configured; :mod:`toyvae.provenance`
records it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["configure", "state", "compile_cache_dir", "compile_cache_enabled", "MIN_COMPILE_SECONDS"]

MIN_COMPILE_SECONDS = 0.1
"""Programs that compile faster than this are not written to the persistent cache."""

_STATE: dict = {"configured": False, "platform": None, "cpu_devices": None, "compile_cache": None, "seed_offset": 0}


def compile_cache_enabled() -> bool:
    """False when ``TOYVAE_COMPILE_CACHE`` is ``0``, ``false``, ``no`` or ``off``."""
    return os.environ.get("TOYVAE_COMPILE_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def compile_cache_dir() -> Path:
    """The folder of JAX's persistent compilation cache (module docstring)."""
    if folder := os.environ.get("TOYVAE_COMPILE_CACHE_DIR"):
        return Path(folder).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "toyvae" / "jax"


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _set_platform(platform: str | None) -> None:
    if platform is None:
        return
    os.environ.setdefault("JAX_PLATFORMS", platform)
    _STATE["platform"] = os.environ["JAX_PLATFORMS"]
    jax = sys.modules.get("jax")
    if jax is not None and not jax.config.jax_platforms:  # JAX imported before us, without a choice
        try:
            jax.config.update("jax_platforms", _STATE["platform"])
        except RuntimeError:  # JAX has already started: keep its backend
            pass


def _set_cpu_devices(cpu_devices) -> None:
    if cpu_devices is None:
        return
    chosen = "JAX_NUM_CPU_DEVICES" in os.environ or "host_platform_device_count" in os.environ.get("XLA_FLAGS", "")
    if chosen:
        _STATE["cpu_devices"] = os.environ.get("JAX_NUM_CPU_DEVICES", "XLA_FLAGS")
        return
    if cpu_devices == "auto":
        count = _usable_cores()
    elif isinstance(cpu_devices, int) and not isinstance(cpu_devices, bool) and cpu_devices >= 1:
        count = cpu_devices
    else:
        raise ValueError(f"cpu_devices must be 'auto', a positive int or None, got {cpu_devices!r}")
    os.environ["JAX_NUM_CPU_DEVICES"] = str(count)
    _STATE["cpu_devices"] = count
    jax = sys.modules.get("jax")
    if jax is not None and jax.config.jax_num_cpu_devices == -1:  # JAX imported before us
        try:
            jax.config.update("jax_num_cpu_devices", count)
        except RuntimeError:  # JAX has already started: keep the devices it has
            pass


def _set_compile_cache(compile_cache: bool) -> None:
    if not compile_cache or not compile_cache_enabled():
        _STATE["compile_cache"] = None
        return
    folder = compile_cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # an unwritable home: run without the cache rather than fail
        _STATE["compile_cache"] = None
        return
    settings = {"jax_compilation_cache_dir": str(folder),
                "jax_persistent_cache_min_compile_time_secs": MIN_COMPILE_SECONDS,
                "jax_persistent_cache_min_entry_size_bytes": 0}
    jax = sys.modules.get("jax")
    if jax is None:  # JAX reads these variables when it is imported: configuring stays cheap
        for name, value in settings.items():
            os.environ.setdefault(name.upper(), str(value))
    else:
        for name, value in settings.items():
            jax.config.update(name, value)
    _STATE["compile_cache"] = str(folder)


def configure(platform: str | None = "cpu", cpu_devices="auto", compile_cache: bool = True,
              seed_offset: int | None = None) -> dict:
    """Choose JAX's platform and CPU devices, turn on the compilation cache, set the seed offset.

    Safe to call more than once. Returns :func:`state` (module docstring for each argument).
    """
    _set_platform(platform)
    _set_cpu_devices(cpu_devices)
    _set_compile_cache(compile_cache)
    if seed_offset is not None:
        from toyvae import profiles

        profiles.set_seed_offset(seed_offset)
        _STATE["seed_offset"] = seed_offset
    _STATE["configured"] = True
    return state()


def state() -> dict:
    """What :func:`configure` set in this process (``configured`` False if it was not called)."""
    from toyvae import profiles

    return {**_STATE, "seed_offset": profiles.current_seed_offset()}
