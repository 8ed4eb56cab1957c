"""toyvae: checks the theory of variational autoencoders, claim by claim.

* :mod:`toyvae.theory` — closed forms in float64 (NumPy/SciPy).
* :mod:`toyvae.claims` — the claim registry behind ``toyvae verify`` and ``pytest paper_checks``.
* :mod:`toyvae.engine` — small jitted JAX VAEs (Optax, ``lax.scan``, ``vmap`` over seeds and settings).

JAX runs on the CPU by default: importing toyvae sets ``JAX_PLATFORMS=cpu`` unless the variable is
already set (set ``JAX_PLATFORMS=cuda`` to train on a GPU). It also sets ``JAX_NUM_CPU_DEVICES`` to
the number of usable cores unless that is set, so that the engine can train independent models on
every core (toyvae.engine.parallel); both take effect only if JAX has not started yet.
"""

import os
import sys


def _expose_cores() -> None:
    """One JAX CPU device per usable core, unless the user chose a number (env or XLA flag)."""
    if "JAX_NUM_CPU_DEVICES" in os.environ or "host_platform_device_count" in os.environ.get("XLA_FLAGS", ""):
        return
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    os.environ["JAX_NUM_CPU_DEVICES"] = str(cores)
    jax = sys.modules.get("jax")
    if jax is not None and jax.config.jax_num_cpu_devices == -1:  # JAX imported before us
        try:
            jax.config.update("jax_num_cpu_devices", cores)
        except RuntimeError:  # JAX has already started: keep the devices it has
            pass


os.environ.setdefault("JAX_PLATFORMS", "cpu")
_expose_cores()

__version__ = "0.1.0"
