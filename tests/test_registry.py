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


def test_json_row_carries_figure_data_rule_finding_and_registered_verdicts():
    c = Claim(id="X.T2", source="s", statement="t", expected=Verdict.REFINED, check=lambda profile: None,
              finding="what we found", expected_full=Verdict.OPEN)
    outcome = Outcome(verdict=Verdict.OPEN, measured={"seeds": np.arange(3)}, summary="x",
                      figure_data={"x": np.linspace(0, 1, 3)}, rule="open if t < 2.57")
    row = Result(c, outcome, 0.5, Profile.FULL).to_json()
    json.dumps(row)
    assert row["figure_data"] == {"x": [0.0, 0.5, 1.0]} and row["rule"] == "open if t < 2.57"
    assert row["finding"] == "what we found" and row["seeds"] == [0, 1, 2]
    assert (row["expected"], row["expected_full"], row["expected_verdict"]) == ("refined", "open", "open")
    assert row["ok"]


def test_seeds_are_copied_not_invented():
    base = Outcome(verdict=Verdict.CONFIRMED, measured={"a": 1}, summary="")
    assert "seeds" not in Result(_claim(), base, 0.0, Profile.QUICK).to_json()
    one = Outcome(verdict=Verdict.CONFIRMED, measured={"seed": 7}, summary="")
    assert Result(_claim(), one, 0.0, Profile.QUICK).to_json()["seeds"] == [7]


def test_claim_decorator_stores_the_plot():
    from toyvae.claims.registry import _REGISTRY, claim, registered

    def draw(data):
        return None

    @claim(id="TEST.plot", source="s", statement="t", expected="confirmed", plot=draw)
    def check(profile):
        return Outcome(verdict=Verdict.CONFIRMED, measured={}, summary="")

    try:
        assert registered()["TEST.plot"].plot is draw
    finally:
        _REGISTRY.pop("TEST.plot")


def test_figure_numbers_round_and_drop_non_finite():
    from toyvae.claims.registry import figure_numbers

    assert figure_numbers(np.pi) == 3.142
    assert figure_numbers([[1 / 3, np.inf]], digits=2) == [[0.33, None]]
