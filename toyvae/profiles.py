"""How much compute a run may spend: the profiles every experiment declares its plans for.

A leaf module (it imports nothing from the package), so that experiments, claims, figures and
the command line all read the same two names without depending on one another:

* ``Profile.QUICK``: the default of ``toyvae verify`` and ``pytest paper_checks``; minutes on two
  CPU cores (small models, the same code and rules).
* ``Profile.FULL``: the experiments at the sizes the papers use (``toyvae verify --full``).

Each experiment module keeps its sizes in one mapping ``PLANS = {Profile.QUICK: ..., Profile.FULL: ...}``
and reads ``PLANS[Profile(profile)]``; nothing threads a ``quick: bool`` through its calls.
"""

from __future__ import annotations

import enum

__all__ = ["Profile"]


class Profile(str, enum.Enum):
    """How much compute a check may spend (module docstring)."""

    QUICK = "quick"
    FULL = "full"

    def __str__(self) -> str:
        return self.value
