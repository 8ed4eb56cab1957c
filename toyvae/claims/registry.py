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
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "Verdict",
    "Profile",
    "Tolerance",
    "Outcome",
    "Claim",
    "Result",
    "claim",
    "all_claims",
    "select",
    "run_claim",
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


class Profile(str, enum.Enum):
    """How much compute a check may spend.

    ``QUICK`` is the default of `toyvae verify` and `pytest paper_checks` (minutes on two CPU cores);
    ``FULL`` runs the experiments at the sizes the papers use.
    """

    QUICK = "quick"
    FULL = "full"

    def __str__(self) -> str:
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
    """

    verdict: Verdict
    measured: Mapping[str, Any]
    summary: str
    paper: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)


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
        return {
            "id": self.claim.id,
            "source": self.claim.source,
            "statement": self.claim.statement,
            "verdict": str(self.outcome.verdict),
            "expected_verdict": str(self.claim.expected_for(self.profile)),
            "ok": self.ok,
            "summary": self.outcome.summary,
            "measured": _jsonable(self.outcome.measured),
            "paper": _jsonable(self.outcome.paper),
            "details": _jsonable(self.outcome.details),
            "tolerances": [dataclasses.asdict(t) for t in self.claim.tolerances],
            "profile": str(self.profile),
            "seconds": round(self.seconds, 3),
        }


class UnknownClaimError(ValueError):
    """A ``--only`` pattern matched no registered claim."""


_REGISTRY: dict[str, Claim] = {}

# Report order of the claim families (the prefix of an id, before the first dot).
FAMILY_ORDER = ("BS20", "NL26", "MB", "SL", "QA")


def claim(
    *,
    id: str,
    source: str,
    statement: str,
    expected: Verdict | str,
    tolerances: tuple[Tolerance, ...] = (),
    finding: str = "",
    expected_full: Verdict | str | None = None,
) -> Callable[[Callable[[Profile], Outcome]], Callable[[Profile], Outcome]]:
    """Register ``check`` as the check of claim ``id`` (decorator)."""

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
        )
        return check

    return register


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
