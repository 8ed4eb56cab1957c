"""Registered claims: one module per family of checks, each registering with :func:`claim`."""

from toyvae.claims.registry import (
    Claim,
    Outcome,
    Profile,
    Result,
    Tolerance,
    UnknownClaimError,
    Verdict,
    all_claims,
    claim,
    run_claim,
    select,
)

__all__ = [
    "Claim",
    "Outcome",
    "Profile",
    "Result",
    "Tolerance",
    "UnknownClaimError",
    "Verdict",
    "all_claims",
    "claim",
    "run_claim",
    "select",
]
