"""What every proof module returns, and the small toolkit that asserts its steps.

A proof module exposes ``derive() -> Derivation`` (the sympy derivation, every step asserted) and
``check_against_library() -> float`` (the symbolic results, lambdified, against the ``toyvae.theory``
function that uses them, as a maximum relative discrepancy).

Steps are asserted with :class:`Steps`, which raises ``AssertionError`` itself (so the checks also
run under ``python -O``, where ``assert`` statements are stripped) and records one sentence per step.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import sympy

__all__ = ["Derivation", "Steps", "vanishes", "max_relative", "evidence"]


@dataclasses.dataclass(frozen=True)
class Derivation:
    """The outcome of one derivation.

    Attributes:
        name: the proof module's short name (``"bs20_t1"``).
        claim_ids: the claims of ``shared/claims.md`` that the derivation serves.
        results: the derived expressions, by name (sympy objects; lambdify them to use them).
        steps: one short sentence per asserted step, in order.
    """

    name: str
    claim_ids: tuple[str, ...]
    results: dict[str, sympy.Basic]
    steps: tuple[str, ...]


def vanishes(expr) -> bool:
    """True when ``expr`` simplifies to exactly 0 (simplify, then gamma and power rewriting)."""
    expr = sympy.sympify(expr)
    if expr == 0:
        return True
    for rewrite in (
        sympy.simplify,
        lambda e: sympy.simplify(sympy.powsimp(sympy.gammasimp(e), force=True)),
        lambda e: sympy.simplify(sympy.expand_log(sympy.expand(e), force=True)),
    ):
        if rewrite(expr) == 0:
            return True
    return False


class Steps:
    """Asserted steps of a derivation, recorded as sentences."""

    def __init__(self) -> None:
        self._sentences: list[str] = []

    def equal(self, lhs, rhs, sentence: str) -> None:
        """Assert ``lhs - rhs`` simplifies to exactly 0 and record ``sentence``."""
        residual = sympy.sympify(lhs) - sympy.sympify(rhs)
        if not vanishes(residual):
            raise AssertionError(f"step failed: {sentence}\n  residual: {sympy.simplify(residual)}")
        self._sentences.append(sentence)

    def holds(self, condition, sentence: str) -> None:
        """Assert an exact (symbolic) condition, e.g. ``sympy.ask`` or a sign of a factored form."""
        if condition is not True and not (isinstance(condition, sympy.Basic) and condition == sympy.true):
            raise AssertionError(f"step failed: {sentence} (condition: {condition})")
        self._sentences.append(sentence)

    def numeric(self, discrepancy: float, tolerance: float, sentence: str) -> None:
        """A numeric spot-check (recorded as such): ``discrepancy <= tolerance``."""
        if not discrepancy <= tolerance:
            raise AssertionError(f"numeric spot-check failed: {sentence} ({discrepancy:.3g} > {tolerance:.3g})")
        self._sentences.append(f"[numeric spot-check] {sentence}")

    def finish(self, name: str, claim_ids: tuple[str, ...], results: dict[str, sympy.Basic]) -> Derivation:
        return Derivation(name=name, claim_ids=tuple(claim_ids), results=dict(results), steps=tuple(self._sentences))


def max_relative(value, reference, *, scale=0.0) -> float:
    """``max |value - reference| / max(|reference|, scale)`` over the arrays (``scale`` guards zeros)."""
    value = np.asarray(value, np.float64)
    reference = np.asarray(reference, np.float64)
    denominator = np.maximum(np.abs(reference), scale)
    return float(np.max(np.abs(value - reference) / denominator))


def evidence(module) -> tuple[int | None, float | None, str]:
    """Run a proof module for a claim check: ``(number of asserted steps, library discrepancy, error)``.

    A failed step (``AssertionError``) is reported, not raised: the check then returns its verdict from it.
    """
    try:
        n_steps = len(module.derive().steps)
    except AssertionError as err:
        return None, None, f"derivation failed: {err}"
    return n_steps, float(module.check_against_library()), ""
