"""What a rule can conclude, and the record of one rule applied to one run's evidence."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

__all__ = ["State", "Role", "Judgement"]


class State(str, enum.Enum):
    """The four states of a rule (``../shared/design.md``, "Rules judge").

    * ``HOLDS``: the data support the rule's prediction at the rule's level;
    * ``REVERSED``: the data support the opposite (what the rule would see if the claim were false);
    * ``UNRESOLVED``: neither, at this number of seeds (the judgement says how much power it had);
    * ``UNTESTABLE``: a premise the rule depends on failed, so its outcome means nothing.
    """

    HOLDS = "holds"
    REVERSED = "reversed"
    UNRESOLVED = "unresolved"
    UNTESTABLE = "untestable"

    def __str__(self) -> str:
        return self.value


class Role(str, enum.Enum):
    """Where a rule sits in a claim: what its failure does to the verdict (:func:`toyvae.evidence.decide`)."""

    CORE = "core"  # a prediction of the claim
    PREMISE = "premise"  # must hold for the core rules that depend on it to be testable
    CONTROL = "control"  # a positive or negative control: must hold for any core outcome to count
    REFINEMENT = "refinement"  # a correction we measure (scope, lag, level): turns "confirmed" into "refined"

    def __str__(self) -> str:
        return self.value


@dataclasses.dataclass(frozen=True)
class Judgement:
    """One rule applied to one run's evidence.

    Attributes:
        name: the rule's name (unique within a claim).
        kind: the rule's class name (``Ordering``, ``Equivalence``, ...).
        role: the rule's role in the claim.
        state: what it concluded.
        sentence: the rule's own sentence for the report: what it tests, its numbers, its state.
        numbers: the statistics behind the state (JSON-able floats).
        p_holds: p-value of the test whose rejection gives HOLDS (compare with ``alpha``).
        p_reversed: p-value of the test whose rejection gives REVERSED (compare with ``alpha``; the
            claim's family-wise correction (Holm) adjusts these across core rules).
        alpha: the rule's level.
    """

    name: str
    kind: str
    role: Role
    state: State
    sentence: str
    numbers: Mapping[str, Any]
    p_holds: float = 1.0
    p_reversed: float = 1.0
    alpha: float = 0.05

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "role": str(self.role), "state": str(self.state),
                "sentence": self.sentence, "numbers": dict(self.numbers), "p_holds": self.p_holds,
                "p_reversed": self.p_reversed, "alpha": self.alpha}
