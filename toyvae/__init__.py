"""toyvae: checks the theory of variational autoencoders, claim by claim.

* :mod:`toyvae.theory` — closed forms in float64 (NumPy/SciPy).
* :mod:`toyvae.claims` — the claim registry behind ``toyvae verify`` and ``pytest paper_checks``.
"""

__version__ = "0.1.0"
