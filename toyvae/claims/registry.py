"""The claim registry: what `toyvae verify` and `pytest paper_checks` run.

A *claim* is one statement from a source paper (or one of ours), with

- an ``id`` such as ``"BS20.T1"`` (stable: tests, the README and users refer to it),
- its ``source`` (paper plus theorem, equation or figure),
- a ``statement`` in our own words,
- a ``check``: a function ``check(profile) -> Outcome`` that *measures* and returns numbers,
- the ``expected`` verdict: the verdict our measurements gave in the quick profile when the check was
  written, and ``expected_full`` the one the full (paper-scale) profile gave, where it differs or where
  it has been run. A run whose verdict differs from its profile's is a regression (or a discovery) and
  makes `toyvae verify` exit 1,
- its ``tolerances``, each with the reason for its size.

Checks register themselves with the :func:`claim` decorator when their module is imported;
:func:`all_claims` imports every claim module listed in ``CLAIM_MODULES``.
"""

from __future__ import annotations

import dataclasses
import enum
import fnmatch
import importlib
import pkgutil
import time
import types
from collections.abc import Callable, Mapping
from typing import Any

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
        verdict: the verdict the measurements support.
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

    verdict: Verdict
    measured: Mapping[str, Any]
    summary: str
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

    def expected_for(self, profile: Profile) -> Verdict:
        """The registered verdict of ``profile`` (the full profile falls back to the quick one)."""
        if Profile(profile) == Profile.FULL and self.expected_full is not None:
            return self.expected_full
        return self.expected


@dataclasses.dataclass(frozen=True)
class Result:
    """A claim together with the outcome of one run of its check."""

    claim: Claim
    outcome: Outcome
    seconds: float
    profile: Profile

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
        }
        measured = self.outcome.measured
        if "seeds" in measured:
            row["seeds"] = _jsonable(measured["seeds"])
        elif "seed" in measured:  # a check that used one seed records it as "seed"
            row["seeds"] = _jsonable([measured["seed"]])
        return row


class UnknownClaimError(ValueError):
    """A ``--only`` pattern matched no registered claim."""


_REGISTRY: dict[str, Claim] = {}

# Report order of the claim families (the prefix of an id, before the first dot).
FAMILY_ORDER = ("BS20", "NL26", "MB", "SL", "QA", "SCALE")


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
) -> Callable[[Callable[[Profile], Outcome]], Callable[[Profile], Outcome]]:
    """Register ``check`` as the check of claim ``id`` (decorator).

    ``plot``, when given, draws the claim's figure from ``Outcome.figure_data`` alone and returns a
    ``matplotlib.figure.Figure``; the verification report (``toyvae verify --report``) calls it.
    """

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
        )
        return check

    return register


def registered() -> Mapping[str, Claim]:
    """The claims registered so far, by id (read-only; imports nothing, unlike :func:`all_claims`)."""
    return types.MappingProxyType(_REGISTRY)


def all_claims() -> list[Claim]:
    """Every registered claim, in report order.

    Imports every public module of the package ``toyvae.claims`` (each registers its claims),
    then orders the claims by family (``FAMILY_ORDER``) and, within a family, by id.
    """
    package = importlib.import_module("toyvae.claims")
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_") and info.name != "registry":
            importlib.import_module(f"toyvae.claims.{info.name}")
    claims = list(_REGISTRY.values())

    def family_rank(c: Claim) -> int:
        family = c.id.split(".")[0]
        return FAMILY_ORDER.index(family) if family in FAMILY_ORDER else len(FAMILY_ORDER)

    return sorted(claims, key=lambda c: (family_rank(c), c.id.lower()))


def select(patterns: list[str] | tuple[str, ...] | None = None) -> list[Claim]:
    """The claims whose id matches any pattern.

    A pattern matches an id that equals it, that starts with it followed by a dot or dash
    (``"BS20"`` matches ``"BS20.T1"``, ``"BS20.T1"`` matches ``"BS20.T1-sharp"``), or that
    matches it as a shell glob (``"*.T4?"``). Matching ignores case.

    Raises:
        UnknownClaimError: a pattern matches no claim.
    """
    claims = all_claims()
    if not patterns:
        return claims
    chosen: list[Claim] = []
    for pattern in patterns:
        hits = [c for c in claims if _matches(pattern, c.id)]
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
    """Run one claim's check and time it."""
    start = time.perf_counter()
    outcome = c.check(Profile(profile))
    if not isinstance(outcome, Outcome):
        raise TypeError(f"check of {c.id} returned {type(outcome).__name__}, not Outcome")
    return Result(claim=c, outcome=outcome, seconds=time.perf_counter() - start, profile=Profile(profile))


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
