"""The claim registry: per-profile expected verdicts, selection and JSON output."""

import json

import numpy as np
import pytest

from toyvae.claims.registry import Claim, Outcome, Profile, Result, Verdict, UnknownClaimError, select


def _claim(expected_full=None):
    return Claim(id="X.T1", source="s", statement="t", expected=Verdict.CONFIRMED,
                 check=lambda profile: None, expected_full=expected_full)


def test_full_profile_falls_back_to_quick_verdict():
    assert _claim().expected_for(Profile.FULL) == Verdict.CONFIRMED
    c = _claim(Verdict.OPEN)
    assert c.expected_for(Profile.QUICK) == Verdict.CONFIRMED and c.expected_for(Profile.FULL) == Verdict.OPEN


def test_result_ok_compares_with_its_own_profile():
    c = _claim(Verdict.OPEN)
    open_outcome = Outcome(verdict=Verdict.OPEN, measured={}, summary="")
    assert Result(c, open_outcome, 0.0, Profile.FULL).ok
    assert not Result(c, open_outcome, 0.0, Profile.QUICK).ok


def test_json_report_converts_numpy_and_nan():
    outcome = Outcome(verdict=Verdict.REFINED, measured={"a": np.float32(1.5), "v": np.arange(3), "n": float("nan")},
                      summary="x")
    row = Result(_claim(), outcome, 1.23456, Profile.QUICK).to_json()
    text = json.dumps(row)  # must not raise
    assert json.loads(text)["measured"] == {"a": 1.5, "v": [0, 1, 2], "n": None}
    assert row["expected_verdict"] == "confirmed" and row["verdict"] == "refined" and not row["ok"]


def test_select_rejects_unknown_pattern_and_accepts_globs():
    with pytest.raises(UnknownClaimError, match="NOPE"):
        select(["NOPE"])
    ids = [c.id for c in select(["NL26.T4*"])]
    assert ids and all(i.startswith("NL26.T4") for i in ids)
