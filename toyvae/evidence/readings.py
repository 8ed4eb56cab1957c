"""Readings: one paper sentence, one rule factory, whichever family judges it.

When two claim families test the same sentence of a paper (NL26's claim 1 on patches and on conv crops,
its claim 2 likewise), they build their rules here, so the sentence is read one way everywhere; the
families only name their evidence and add rules of their own setting (a closed form, another term).

* :func:`neural_term_reduces_rate` -- NL26 claim 1 under the convex reading (``lambda d_neural +
  (1 - lambda) d_pix + beta KL``): the rate falls from lambda = 0 to the neural setting (core); the
  pixel-only control with the same pixel weight ``1 - lambda`` says what carries the fall:
  "refined" when the control's rate is equivalent to the neural run's (the fall is the shrinking pixel
  weight's alone), "confirmed" when the neural run's rate is below the control's (the neural term itself
  reduces the rate), "open" when neither is shown (:class:`AnyHolds` makes "one of the two is shown" a
  core rule; the equivalence alone is the refinement).
* :func:`isotropy_at_matched_rate` -- NL26 claim 2: at a rate held at a target, a larger neural weight
  gives a lower posterior anisotropy ``A_post``; each comparison is testable only where every seed's rate
  is within a stated tolerance of the target (premises).

Nothing here imports JAX or matplotlib; the factories build rule objects before any data.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from toyvae.evidence.decide import Rules
from toyvae.evidence.rules import Equivalence, Ordering, Rule, Within
from toyvae.evidence.states import Judgement, Role, State

__all__ = ["AnyHolds", "neural_term_reduces_rate", "isotropy_at_matched_rate", "SAME_RATE_MARGIN", "RATE_MATCH"]

# The neural term's own effect on the rate counts as immaterial when, at equal pixel weight, it moves the rate by
# less than 5% (a log-ratio margin). The falls claim 1 is about are 17-36% of the rate at lambda = 0.5 (SCALE conv
# crops, NL26 patches: the stored quick run before this rule), so the margin is under a third of the smaller fall.
SAME_RATE_MARGIN = math.log(1.05)
# A run is at the matched rate when every seed's rate is within 10% of the target (NL26.C2's criterion since 2026-11).
RATE_MATCH = 0.1


@dataclasses.dataclass(frozen=True, kw_only=True)
class AnyHolds(Rule):
    """HOLDS when at least one of ``rules`` HOLDS; UNRESOLVED otherwise (never REVERSED).

    For a prediction with two acceptable outcomes that the claim must tell apart (e.g. "the neural term
    lowers the rate below the control, or the two are equivalent"): neither shown leaves the claim open.
    Its false-HOLDS rate is at most the sum of its parts' (each at its own level).
    """

    rules: tuple[Rule, ...]

    kind: ClassVar[str] = "AnyHolds"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "rules", tuple(self.rules))
        if not self.rules or not all(isinstance(r, Rule) for r in self.rules):
            raise ValueError(f"rule {self.name!r}: AnyHolds needs at least one Rule")

    def spec(self) -> dict[str, Any]:
        base = {k: v for k, v in super().spec().items() if k != "rules"}
        return {**base, "rules": [r.spec() for r in self.rules]}

    def judge(self, evidence: Mapping[str, Any], role: Role = Role.CORE) -> Judgement:
        parts = [r.judge(evidence, role) for r in self.rules]
        held = [j for j in parts if j.state == State.HOLDS]
        state = State.HOLDS if held else State.UNRESOLVED
        detail = "; ".join(f"{j.name}: {j.sentence}" for j in parts)
        numbers: dict[str, Any] = {f"{j.name}/state": str(j.state) for j in parts}
        for j in parts:
            numbers.update({f"{j.name}/{k}": v for k, v in j.numbers.items() if not isinstance(v, (list, dict))})
        return self._judgement(role, state, detail, numbers, min(j.p_holds for j in parts), 1.0)


def neural_term_reduces_rate(*, base: str, neural: str, control: str, setting: str,
                             margin: float = SAME_RATE_MARGIN, pilot_sd: float | None = None,
                             extra_core: Sequence[Rule] = (), premises: Sequence[Rule] = (),
                             controls: Sequence[Rule] = ()) -> Rules:
    """NL26 claim 1's rules (module docstring) over per-seed rates.

    Args:
        base: evidence name of the rate at lambda = 0 (pixel loss, weight 1).
        neural: the rate with the neural term at ``setting`` (lambda d_neural + (1 - lambda) d_pix).
        control: the rate of the pixel loss alone with the same pixel weight 1 - lambda (beta / (1 - lambda)).
        setting: the neural setting in words ("lambda = 0.5"), for the rules' sentences.
        margin: log-ratio margin of "the same rate" (default :data:`SAME_RATE_MARGIN`).
        pilot_sd: seed standard deviation of log(neural / control) in a pilot run (power before data).
        extra_core, premises, controls: a family's own rules of the same claim (e.g. a closed form).
    """
    pct = f"{math.expm1(margin):.0%}"
    fall = Ordering(name=f"rate falls to {setting}",
                    says=f"the rate at {setting} is below the rate at lambda = 0 (pixel loss alone)",
                    if_false=f"the rate at {setting} at or above lambda = 0's", a=base, b=neural, requires=())
    beyond = Ordering(name=f"neural term lowers the rate at {setting}",
                      says=f"at equal pixel weight, the run with the neural term has a lower rate than the pixel-only "
                           f"control ({setting})",
                      a=control, b=neural, log=True, requires=())
    same = Equivalence(name=f"pixel weight carries the fall at {setting}",
                       says=f"at equal pixel weight, the neural run's rate equals the pixel-only control's within "
                            f"{pct} ({setting}): the fall is the shrinking pixel weight's alone",
                       a=neural, b=control, log=True, margin=margin, pilot_sd=pilot_sd, requires=())
    share = AnyHolds(name=f"what carries the fall at {setting}",
                     says=f"the pixel-only control tells what carries the fall: the neural term lowers the rate "
                          f"beyond it, or the two rates are the same within {pct}",
                     if_false="neither shown: the neural term's own share of the fall is unresolved",
                     rules=(beyond, same), requires=())
    return Rules(core=(fall, share, *extra_core), premises=tuple(premises), controls=tuple(controls),
                 refinements=(same,))


def isotropy_at_matched_rate(*, settings: Sequence[str], a_post: str, rate_error: str, tol: float = RATE_MATCH,
                             extra_core: Sequence[Rule] = (), premises: Sequence[Rule] = (),
                             controls: Sequence[Rule] = ()) -> Rules:
    """NL26 claim 2's rules (module docstring).

    ``settings`` are labels of increasing neural weight (e.g. ``("lambda=0", "lambda=0.5")``); the
    evidence names are ``a_post.format(s)`` (per-seed A_post) and ``rate_error.format(s)`` (per seed,
    rate / target - 1) for each label ``s``. Each step up in the neural weight must lower A_post, testable
    where both settings' rates are matched within ``tol``.
    """
    matched = [Within(name=f"rate matched at {s}", says=f"every seed's rate at {s} is within {tol:.0%} of the "
                      "target", a=rate_error.format(s), low=-tol, high=tol) for s in settings]
    drops = [Ordering(name=f"A_post falls {lo} -> {hi}",
                      says=f"at matched rate, the posterior anisotropy A_post at {hi} is below that at {lo}",
                      if_false=f"A_post at {hi} at or above that at {lo}",
                      a=a_post.format(lo), b=a_post.format(hi),
                      requires=(f"rate matched at {lo}", f"rate matched at {hi}"))
             for lo, hi in zip(settings[:-1], settings[1:])]
    return Rules(core=(*drops, *extra_core), premises=(*matched, *premises), controls=tuple(controls))
