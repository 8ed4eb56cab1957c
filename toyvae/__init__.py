"""toyvae: checks the theory of variational autoencoders, claim by claim.

* :mod:`toyvae.theory` — closed forms in float64 (NumPy/SciPy); :mod:`toyvae.proofs` — sympy derivations.
* :mod:`toyvae.models`, :mod:`toyvae.engine` — small jitted JAX VAEs (one loop, ``fit``).
* :mod:`toyvae.experiments` — one module per paper section; :mod:`toyvae.claims` — the claim registry
  behind ``toyvae verify`` and ``pytest paper_checks``.

Importing toyvae has no side effect: no environment variable and no JAX setting changes. Entry
points call :func:`toyvae.runtime.configure` (CPU by default, one JAX device per core, the
persistent compilation cache); call it yourself in a script or notebook if you want the same.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "clear_caches"]


def clear_caches() -> None:
    """Forget every cached experiment run (:mod:`toyvae.experiments._cache`)."""
    from toyvae.experiments._cache import clear_caches as clear

    clear()
