"""The claim registry: what `toyvae verify` and `pytest paper_checks` run.

A *claim* is one statement from a source paper (or one of ours), with

- an ``id`` such as ``"BS20.T1"`` (stable: tests, the README and users refer to it),
- its ``source`` (paper plus theorem, equation or figure),
- a ``statement`` in our own words,
- a ``check``: a function ``check(profile) -> Outcome`` that *measures* and returns numbers (for a
  claim with ``rules``, its per-seed ``evidence``; it chooses no verdict),
- its ``rules`` (:class:`toyvae.evidence.Rules`, or a function of the evidence that selects them):
  :func:`toyvae.evidence.decide` turns their judgements into the verdict, the one place a verdict word
  is chosen; the rules' fingerprint is stored with every run, so a saved run can be re-judged
  (:func:`rejudge`),
- the ``expected`` verdict: the verdict our measurements gave in the quick profile when the check was
  written, and ``expected_full`` the one the full (paper-scale) profile gave, where it differs or where
  it has been run. A run whose verdict differs from its profile's is a regression (or a discovery) and
  makes `toyvae verify` exit 1,
- its ``tolerances``, each with the reason for its size.

Checks register themselves with the :func:`claim` decorator when their module is imported;
:func:`all_claims` imports every claim module of the family table :data:`FAMILIES`.
"""

from __future__ import annotations

import dataclasses
import enum
import fnmatch
import importlib
import time
import types
from collections.abc import Callable, Mapping
from typing import Any

from toyvae.evidence import Decision, Rules, decide
from toyvae.profiles import Profile

__all__ = [
    "Verdict",
    "Profile",
    "Tolerance",
    "Outcome",
    "Claim",
    "Result",
    "claim",
    "all_claims",
    "registered",
    "select",
    "run_claim",
    "figure_numbers",
    "UnknownClaimError",
    "Family",
    "FAMILIES",
    "family_of",
    "rejudge",
    "typical_seconds",
    "KINDS",
]


class Verdict(str, enum.Enum):
    """The four verdict words of ``shared/claims.md``."""

    CONFIRMED = "confirmed"
    REFINED = "refined"
    NOT_REPRODUCED = "not reproduced"
    OPEN = "open"

    def __str__(self) -> str:  # so f-strings print the word, not the enum name
        return self.value


@dataclasses.dataclass(frozen=True)
class Tolerance:
    """A numerical tolerance and the reason for its size."""

    name: str
    value: float
    reason: str


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What a check measured.

    Attributes:
        verdict: the verdict, for a claim without ``rules`` only (a claim with rules leaves it None:
            :func:`run_claim` fills it in from :func:`toyvae.evidence.decide`).
        evidence: the named per-seed arrays (leading axis: seed) the claim's rules judge; stored in the
            JSON run, so a saved run can be re-judged by today's rules without training.
        measured: our numbers (JSON-serialisable scalars, strings or short lists).
        paper: the paper's numbers for the same quantities, where it gives any.
        summary: one line, "measured vs paper", for the table of `toyvae verify`.
        details: free-form extra numbers (kept in the JSON report, not printed).
        figure_data: the small JSON-able numbers (lists, floats; a few thousand at most) that the
            claim's ``plot`` draws its figure from. They travel in the JSON report, so that
            ``toyvae report RUN.json`` redraws the figures of the very run that gave the verdict.
        rule: one or two sentences: the rule that decided the verdict (the report shows it on the
            claim's card; when empty, the card lists the claim's tolerances instead).
    """

    measured: Mapping[str, Any]
    summary: str
    verdict: Verdict | None = None
    evidence: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    paper: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    figure_data: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    rule: str = ""


@dataclasses.dataclass(frozen=True)
class Claim:
    """One registered claim (see the module docstring)."""

    id: str
    source: str
    statement: str
    expected: Verdict
    check: Callable[[Profile], Outcome]
    tolerances: tuple[Tolerance, ...] = ()
    finding: str = ""  # one sentence: what our measurements establish (README table)
    expected_full: Verdict | None = None  # verdict of the full profile, when it was run; None: as quick
    # Why no full verdict is registered although the claim depends on the profile (e.g. "not re-run with the
    # current code; 2026-11-23 (earlier code): confirmed"); empty for claims that do not depend on it.
    full_note: str = ""
    plot: Callable[[Mapping[str, Any]], Any] | None = None  # figure_data -> matplotlib Figure (the report's picture)
    rules: Rules | Callable[[Mapping[str, Any]], Rules] | None = None  # the evidence layer's rules (see module doc)
    kind: str = "closed form"  # one of KINDS: how the claim is checked

    def expected_for(self, profile: Profile) -> Verdict:
        """The registered verdict of ``profile`` (the full profile falls back to the quick one)."""
        if Profile(profile) == Profile.FULL and self.expected_full is not None:
            return self.expected_full
        return self.expected


@dataclasses.dataclass(frozen=True)
class Result:
    """A claim together with the outcome of one run of its check (and, for a claim with rules, the decision)."""

    claim: Claim
    outcome: Outcome
    seconds: float
    profile: Profile
    decision: Decision | None = None

    @property
    def ok(self) -> bool:
        """True when the measured verdict is the one registered for this profile."""
        return self.outcome.verdict == self.claim.expected_for(self.profile)

    def to_json(self) -> dict[str, Any]:
        """One entry of the JSON report (``results`` of the ``toyvae-report/1`` format).

        ``expected_verdict`` is the registered verdict of this run's profile; ``expected`` and
        ``expected_full`` are the registered quick and full verdicts (``None``: no full verdict).
        ``seeds`` is copied from ``measured`` (its ``seeds``, or its ``seed`` as a one-element list) when
        the check recorded them there, and absent otherwise.
        """
        row = {
            "id": self.claim.id,
            "source": self.claim.source,
            "statement": self.claim.statement,
            "finding": self.claim.finding,
            "verdict": str(self.outcome.verdict),
            "expected_verdict": str(self.claim.expected_for(self.profile)),
            "expected": str(self.claim.expected),
            "expected_full": None if self.claim.expected_full is None else str(self.claim.expected_full),
            "full_note": self.claim.full_note,
            "ok": self.ok,
            "summary": self.outcome.summary,
            "rule": self.outcome.rule,
            "measured": _jsonable(self.outcome.measured),
            "paper": _jsonable(self.outcome.paper),
            "details": _jsonable(self.outcome.details),
            "tolerances": [dataclasses.asdict(t) for t in self.claim.tolerances],
            "figure_data": _jsonable(self.outcome.figure_data),
            "profile": str(self.profile),
            "seconds": round(self.seconds, 3),
            "kind": self.claim.kind,
            "family": family_of(self.claim.id).name,
            "family_title": family_of(self.claim.id).title,
        }
        if self.decision is not None:
            row.update(decision={"verdict": self.decision.verdict, "reason": self.decision.reason},
                       rules=[j.to_json() for j in self.decision.judgements],
                       rule_fingerprint=self.decision.fingerprint,
                       evidence=_jsonable(self.outcome.evidence))
        measured = self.outcome.measured
        if "seeds" in measured:
            row["seeds"] = _jsonable(measured["seeds"])
        elif "seed" in measured:  # a check that used one seed records it as "seed"
            row["seeds"] = _jsonable([measured["seed"]])
        return row


class UnknownClaimError(ValueError):
    """A ``--only`` pattern matched no registered claim."""


_REGISTRY: dict[str, Claim] = {}

KINDS = ("symbolic", "closed form", "trained")


@dataclasses.dataclass(frozen=True)
class Family:
    """A family of claims: the prefix of their ids, its title, and the modules that register them."""

    name: str
    title: str
    modules: tuple[str, ...]


# The one table of claim families, in report order (the report reads the title from the JSON run).
FAMILIES: tuple[Family, ...] = (
    Family("BS20", "Berger & Sebag 2020, \"Variational Auto-Encoders: Not all failures are equal\"",
           ("bs20_theory", "bs20_sphere", "bs20_toy", "bs20_plateaus", "bs20_images",
            "bs20_water")),
    Family("NL26", "Strano et al. 2026, \"How Neural Losses Shape VAE Latents\"",
           ("nl26_theory", "nl26_trained", "image_spectra")),
    Family("MB", "\"Mind your bits and errors: prioritizing the bits that matter in VAEs\"",
           ("mb", "mb_two_stage", "mb_samples", "image_spectra")),
    Family("SL", "Lecture slides \"VAE: Rate-Distortion Curve & Aggregated Posterior\"",
           ("slides_qa_theory", "sl_rd", "sl_multirate", "sl_linrd", "sl_samples")),
    Family("QA", "Q&A thread on MSE as the ELBO's reconstruction term", ()),
    Family("SCALE", "Core checks at CelebA size (64x64x3, up to 2048 latents)", ("scale",)),
)
FAMILY_ORDER = tuple(f.name for f in FAMILIES)
_OTHER = Family("other", "Other claims", ())


def family_of(claim_id: str) -> Family:
    """The family of a claim id (its prefix before the first dot)."""
    prefix = claim_id.split(".")[0]
    return next((f for f in FAMILIES if f.name == prefix), _OTHER)


def claim(
    *,
    id: str,
    source: str,
    statement: str,
    expected: Verdict | str,
    tolerances: tuple[Tolerance, ...] = (),
    finding: str = "",
    expected_full: Verdict | str | None = None,
    plot: Callable[[Mapping[str, Any]], Any] | None = None,
    full_note: str = "",
    rules: Rules | Callable[[Mapping[str, Any]], Rules] | None = None,
    kind: str | None = None,
) -> Callable[[Callable[[Profile], Outcome]], Callable[[Profile], Outcome]]:
    """Register ``check`` as the check of claim ``id`` (decorator).

    ``rules`` (a :class:`toyvae.evidence.Rules`, or a function of the evidence returning one) decide the
    verdict from the evidence the check records; ``kind`` is one of :data:`KINDS` (default: "trained"
    for a claim with rules, else "closed form").

    ``plot``, when given, draws the claim's figure from ``Outcome.figure_data`` alone and returns a
    ``matplotlib.figure.Figure``; the verification report (``toyvae verify --report``) calls it.
    """

    chosen_kind = kind if kind is not None else ("trained" if rules is not None else "closed form")
    if chosen_kind not in KINDS:
        raise ValueError(f"claim {id!r}: kind must be one of {KINDS}, got {kind!r}")
    if rules is not None and not (isinstance(rules, Rules) or callable(rules)):
        raise TypeError(f"claim {id!r}: rules must be Rules or a function of the evidence returning Rules")

    def register(check: Callable[[Profile], Outcome]) -> Callable[[Profile], Outcome]:
        if id in _REGISTRY and _REGISTRY[id].check.__qualname__ != check.__qualname__:
            raise ValueError(f"claim {id!r} is registered twice")
        _REGISTRY[id] = Claim(
            id=id,
            source=source,
            statement=statement,
            expected=Verdict(expected),
            check=check,
            tolerances=tuple(tolerances),
            finding=finding,
            expected_full=None if expected_full is None else Verdict(expected_full),
            plot=plot,
            full_note=full_note,
            rules=rules,
            kind=chosen_kind,
        )
        return check

    return register


def registered() -> Mapping[str, Claim]:
    """The claims registered so far, by id (read-only; imports nothing, unlike :func:`all_claims`)."""
    return types.MappingProxyType(_REGISTRY)


def all_claims() -> list[Claim]:
    """Every registered claim, in report order.

    Imports every claim module of the family table :data:`FAMILIES` (each registers its claims), then
    orders the claims by family and, within a family, by id.
    """
    for family in FAMILIES:
        for module in family.modules:
            importlib.import_module(f"toyvae.claims.{module}")
    claims = list(_REGISTRY.values())

    def family_rank(c: Claim) -> int:
        family = c.id.split(".")[0]
        return FAMILY_ORDER.index(family) if family in FAMILY_ORDER else len(FAMILY_ORDER)

    return sorted(claims, key=lambda c: (family_rank(c), c.id.lower()))


def select(patterns: list[str] | tuple[str, ...] | None = None) -> list[Claim]:
    """The claims whose id matches any pattern.

    A pattern that equals a claim's id selects exactly that claim (``"NL26.T46"`` is not
    ``"NL26.T46-trained"``). Otherwise it matches the ids that start with it followed by a dot or dash
    (``"BS20"`` matches ``"BS20.T1"``, ``"BS20.T1"`` ...), or that match it as a shell glob (``"*.T4?"``).
    Matching ignores case.

    Raises:
        UnknownClaimError: a pattern matches no claim.
    """
    claims = all_claims()
    if not patterns:
        return claims
    chosen: list[Claim] = []
    for pattern in patterns:
        exact = [c for c in claims if c.id.lower() == pattern.lower()]
        hits = exact or [c for c in claims if _matches(pattern, c.id)]
        if not hits:
            known = ", ".join(sorted({c.id.split(".")[0] for c in claims}))
            raise UnknownClaimError(
                f"no claim matches {pattern!r} (families: {known}; `toyvae list` shows all ids)"
            )
        chosen.extend(c for c in hits if c not in chosen)
    return [c for c in claims if c in chosen]  # keep report order


def _matches(pattern: str, claim_id: str) -> bool:
    p, c = pattern.lower(), claim_id.lower()
    if p == c or c.startswith(p + ".") or c.startswith(p + "-"):
        return True
    return any(ch in p for ch in "*?[") and fnmatch.fnmatchcase(c, p)


def run_claim(c: Claim, profile: Profile = Profile.QUICK) -> Result:
    """Run one claim's check, time it, and (for a claim with rules) decide its verdict from the evidence."""
    start = time.perf_counter()
    outcome = c.check(Profile(profile))
    seconds = time.perf_counter() - start
    if not isinstance(outcome, Outcome):
        raise TypeError(f"check of {c.id} returned {type(outcome).__name__}, not Outcome")
    if c.rules is None:
        if outcome.verdict is None:
            raise TypeError(f"check of {c.id} chose no verdict and the claim declares no rules")
        return Result(claim=c, outcome=outcome, seconds=seconds, profile=Profile(profile))
    if outcome.verdict is not None:
        raise TypeError(f"check of {c.id} chose a verdict by hand; its rules decide (toyvae.evidence.decide)")
    decision = decide(c.rules, outcome.evidence)
    outcome = dataclasses.replace(outcome, verdict=Verdict(decision.verdict),
                                  rule=outcome.rule or _rule_text(decision))
    return Result(claim=c, outcome=outcome, seconds=seconds, profile=Profile(profile), decision=decision)


def _rule_text(decision: Decision) -> str:
    """The card's one-line rule summary (each rule's own sentence is in the JSON's ``rules`` and the report's table)."""
    counts = {}
    for j in decision.judgements:
        counts[str(j.role)] = counts.get(str(j.role), 0) + 1
    parts = ", ".join(f"{n} {role}{'s' if n > 1 else ''}" for role, n in counts.items())
    return (f"Decided by the evidence layer's truth table over {parts} (rules {decision.fingerprint}): "
            f"{decision.verdict}, {decision.reason}.")


def typical_seconds() -> dict[str, float]:
    """Seconds each claim took in the last registered quick run on two CPU cores (``quick_times.json``, written
    from that run's JSON; empty when absent)."""
    import json
    from pathlib import Path

    path = Path(__file__).with_name("quick_times.json")
    try:
        return {str(k): float(v) for k, v in json.loads(path.read_text()).get("seconds", {}).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def rejudge(row: Mapping[str, Any]) -> Decision | None:
    """Today's rules applied to one saved result row's evidence (``toyvae judge``); None when the row's claim
    has no rules or the row recorded no evidence (a run of earlier code)."""
    all_claims()
    c = _REGISTRY.get(row.get("id", ""))
    if c is None or c.rules is None or not isinstance(row.get("evidence"), Mapping):
        return None
    try:
        return decide(c.rules, row["evidence"])
    except KeyError as err:  # today's rules read evidence the saved run did not record
        fingerprint = c.rules.fingerprint() if isinstance(c.rules, Rules) else "unknown"
        return Decision("open", f"cannot re-judge this run: {err.args[0]}", (), fingerprint)


def figure_numbers(values: Any, digits: int = 4) -> Any:
    """``values`` (a number or nested array) as nested lists of floats rounded to ``digits`` significant
    digits: enough for a picture, and it keeps ``Outcome.figure_data`` small in the JSON report."""
    import numpy as np

    arr = np.asarray(values, dtype=np.float64)
    flat = [None if not np.isfinite(v) else float(f"{v:.{digits}g}") for v in arr.ravel().tolist()]
    return np.array(flat, dtype=object).reshape(arr.shape).tolist() if arr.ndim else flat[0]


def _jsonable(value: Any) -> Any:
    """Convert numpy scalars and arrays (and containers of them) to plain JSON types."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalar or array
        return _jsonable(value.tolist())
    if isinstance(value, float) and value != value:  # NaN is not valid JSON
        return None
    if isinstance(value, enum.Enum):
        return str(value)
    return value
