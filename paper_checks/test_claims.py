"""One pytest check per registered claim: ``pytest paper_checks`` names each claim and its verdict.

Each test runs the claim's check in the quick profile (the default of ``toyvae verify``) and
asserts that the measured verdict is the registered one; the failure message carries the numbers.
"""

import pytest

from toyvae.claims import Profile, all_claims, run_claim

CLAIMS = all_claims()


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_claim(claim):
    result = run_claim(claim, Profile.QUICK)
    assert result.outcome.verdict == claim.expected_for(Profile.QUICK), (
        f"{claim.id}: measured verdict {result.outcome.verdict!s} != registered {claim.expected!s}\n"
        f"  {result.outcome.summary}\n  measured: {dict(result.outcome.measured)}"
    )
