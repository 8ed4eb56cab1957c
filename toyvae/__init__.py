"""toyvae: checks the theory of variational autoencoders, claim by claim.

* :mod:`toyvae.theory` — closed forms in float64 (NumPy/SciPy).
* :mod:`toyvae.claims` — the claim registry behind ``toyvae verify`` and ``pytest paper_checks``.
* :mod:`toyvae.engine` — small jitted JAX VAEs (Optax, ``lax.scan``, ``vmap`` over seeds and settings).

JAX runs on the CPU by default: importing toyvae sets ``JAX_PLATFORMS=cpu`` unless the variable is
already set (set ``JAX_PLATFORMS=cuda`` to train on a GPU).
"""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

__version__ = "0.1.0"
