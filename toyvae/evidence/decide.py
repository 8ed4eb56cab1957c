"""The one place a verdict word is chosen: a claim's rules applied to its evidence (:func:`decide`).

Truth table (applied in this order; ``alpha`` is each rule's level):

1. A premise that does not HOLD makes every core rule that depends on it UNTESTABLE.
2. Core rules' reversals are corrected family-wise (Holm over the core rules' ``p_reversed``): a
   reversal that does not survive the correction counts as UNRESOLVED. Holdings need no correction:
   "confirmed" requires *every* core rule to hold, an intersection-union test whose error rate is at
   most that of its least favourable rule.
3. **not reproduced**: some core rule is REVERSED after the correction, its premises held, and every
   control holds.
4. **confirmed**: every core rule HOLDS, every premise and control holds, and no refinement holds;
   **refined**: the same, and at least one refinement rule HOLDS (the correction it measures is named).
5. **open**: anything else; the reason names what is missing (an untestable rule and its failed
   premise, a failed control, an unresolved rule with its power where known).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from toyvae.evidence.rules import Rule
from toyvae.evidence.states import Judgement, Role, State

__all__ = ["Rules", "Decision", "decide", "holm", "VERDICTS", "TRUTH_TABLE"]

VERDICTS = ("confirmed", "refined", "not reproduced", "open")

TRUTH_TABLE = (
    ("not reproduced", "a core prediction is reversed after Holm's correction across the core rules, with its "
                       "premises met and every control passing"),
    ("confirmed", "every core prediction holds, every premise and control passes, no refinement holds"),
    ("refined", "as confirmed, and a refinement rule (a correction of scope, lag or level that we measure) holds"),
    ("open", "anything else: the reason names the untestable, failed or unresolved rule"),
)


@dataclasses.dataclass(frozen=True)
class Rules:
    """A claim's rules by role. Names must be unique across roles.

    ``family`` names the family-wise correction of the core rules' reversals (only "holm" today).
    """

    core: tuple[Rule, ...]
    premises: tuple[Rule, ...] = ()
    controls: tuple[Rule, ...] = ()
    refinements: tuple[Rule, ...] = ()
    family: str = "holm"

    def __post_init__(self) -> None:
        for field in ("core", "premises", "controls", "refinements"):
            value = tuple(getattr(self, field))
            if not all(isinstance(r, Rule) for r in value):
                raise TypeError(f"Rules.{field} must hold Rule objects")
            object.__setattr__(self, field, value)
        if not self.core:
            raise ValueError("a claim needs at least one core rule")
        names = [r.name for r in self.all()]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"rule names must be unique within a claim: {sorted(dup)}")
        premise_names = {r.name for r in self.premises}
        for r in self.all():
            missing = set(r.requires or ()) - premise_names
            if missing:
                raise ValueError(f"rule {r.name!r} requires unknown premises {sorted(missing)}")
        if self.family != "holm":
            raise ValueError(f"unknown family-wise correction {self.family!r} (known: holm)")

    def all(self) -> tuple[Rule, ...]:
        return (*self.premises, *self.controls, *self.core, *self.refinements)

    def roles(self) -> list[tuple[Role, Rule]]:
        return ([(Role.PREMISE, r) for r in self.premises] + [(Role.CONTROL, r) for r in self.controls]
                + [(Role.CORE, r) for r in self.core] + [(Role.REFINEMENT, r) for r in self.refinements])

    def spec(self) -> dict[str, Any]:
        return {"family": self.family, "rules": [{"role": str(role), **rule.spec()} for role, rule in self.roles()]}

    def fingerprint(self) -> str:
        """12 hex digits of the SHA-256 of the rules' registered form (kinds, evidence names, margins, levels,
        wording): any change of rule is a new fingerprint (``docs/rule-history.md`` records why)."""
        text = json.dumps(self.spec(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def describe(self) -> str:
        """The rules in words, for the report (generated from the objects)."""
        parts = []
        for role, rule in self.roles():
            parts.append(f"[{role}] {rule.says}")
        return "; ".join(parts)


@dataclasses.dataclass(frozen=True)
class Decision:
    """A verdict word, why, and every rule's judgement."""

    verdict: str
    reason: str
    judgements: tuple[Judgement, ...]
    fingerprint: str

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "reason": self.reason, "rule_fingerprint": self.fingerprint,
                "rules": [j.to_json() for j in self.judgements]}


def holm(p_values: Sequence[float], alpha: float) -> list[bool]:
    """Holm's step-down procedure: which hypotheses are rejected at family-wise level ``alpha``."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    rejected = [False] * len(p_values)
    m = len(p_values)
    for rank, i in enumerate(order):
        if p_values[i] <= alpha / (m - rank):
            rejected[i] = True
        else:
            break
    return rejected


def decide(rules: Rules | Callable[[Mapping[str, Any]], Rules], evidence: Mapping[str, Any]) -> Decision:
    """Apply a claim's rules to one run's evidence and choose the verdict (module docstring's truth table).

    ``rules`` may be a function of the evidence (for claims whose rows depend on the plan, e.g. one rule
    per dimension the plan trained): it only chooses which declared rules apply, never their outcome.
    """
    if callable(rules) and not isinstance(rules, Rules):
        rules = rules(evidence)
    if not isinstance(rules, Rules):
        raise TypeError(f"decide needs Rules, got {type(rules).__name__}")

    premises = {r.name: r.judge(evidence, Role.PREMISE) for r in rules.premises}
    failed_premises = {n for n, j in premises.items() if j.state != State.HOLDS}

    def gated(rule: Rule, role: Role) -> Judgement:
        needs = set(rule.requires) if rule.requires is not None else set(premises)
        broken = sorted(needs & failed_premises)
        if broken:
            return rule.untestable(role, "premise " + ", ".join(repr(b) for b in broken) + " not met")
        return rule.judge(evidence, role)

    controls = [gated(r, Role.CONTROL) for r in rules.controls]
    core = [gated(r, Role.CORE) for r in rules.core]
    refinements = [gated(r, Role.REFINEMENT) for r in rules.refinements]

    # Family-wise correction of the core rules' reversals (Holm).
    testable = [i for i, j in enumerate(core) if j.state != State.UNTESTABLE]
    alpha = min((core[i].alpha for i in testable), default=0.05)
    keep = holm([core[i].p_reversed for i in testable], alpha) if testable else []
    for i, survives in zip(testable, keep):
        if core[i].state == State.REVERSED and not survives:
            j = core[i]
            core[i] = dataclasses.replace(
                j, state=State.UNRESOLVED,
                sentence=j.sentence.replace(": reversed (", ": unresolved (reversed at its own level, not after "
                                            f"Holm's correction across {len(testable)} core rules; ", 1))

    failed_controls = [j for j in controls if j.state != State.HOLDS]
    reversed_core = [j for j in core if j.state == State.REVERSED]
    judgements = tuple(list(premises.values()) + controls + core + refinements)
    fp = rules.fingerprint()

    if reversed_core and not failed_controls:
        names = ", ".join(j.name for j in reversed_core)
        return Decision("not reproduced", f"reversed: {names}", judgements, fp)
    if all(j.state == State.HOLDS for j in core) and not failed_controls and not failed_premises:
        held = [j for j in refinements if j.state == State.HOLDS]
        if held:
            return Decision("refined", "every core rule holds; refined by " + ", ".join(j.name for j in held),
                            judgements, fp)
        return Decision("confirmed", "every core rule holds", judgements, fp)
    missing = []
    if failed_premises:
        missing.append("premise not met: " + ", ".join(sorted(failed_premises)))
    if failed_controls:
        missing.append("control failed: " + ", ".join(j.name for j in failed_controls)
                       + (" (a reversal does not count without it)" if reversed_core else ""))
    unresolved = [j for j in core if j.state == State.UNRESOLVED]
    if unresolved:
        missing.append("unresolved: " + ", ".join(
            j.name + (f" (power {j.numbers['power']:.0%})" if isinstance(j.numbers.get("power"), float) else "")
            for j in unresolved))
    untestable = [j.name for j in core if j.state == State.UNTESTABLE]
    if untestable:
        missing.append("untestable: " + ", ".join(untestable))
    return Decision("open", "; ".join(missing) or "no decision", judgements, fp)
