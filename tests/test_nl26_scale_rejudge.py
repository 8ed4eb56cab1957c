"""NL26's and SCALE's trained claims re-judged from stored evidence, without training.

``tests/data/nl26_scale_quick_rows.json`` holds the evidence rows of a quick run made when these claims moved to
the evidence layer (2026-12-06). Today's rules must give each row its recorded verdict, with the recorded
rule fingerprint: a rule change shows up here first (regenerate the file with the run that registers the
new verdict, and add a rule-history entry).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from toyvae.claims.registry import Profile, all_claims, rejudge

ROWS = json.loads((Path(__file__).parent / "data" / "nl26_scale_quick_rows.json").read_text())["results"]
CLAIMS = {c.id: c for c in all_claims()}


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_saved_row_rejudges_to_its_verdict(row):
    decision = rejudge(json.loads(json.dumps(row)))  # through JSON, as a saved run
    assert decision is not None
    assert decision.fingerprint == row["rule_fingerprint"], f"{row['id']}: its rules changed since the stored run"
    assert decision.verdict == row["verdict"] == str(CLAIMS[row["id"]].expected_for(Profile.QUICK)), decision.reason


def _row(claim_id: str) -> dict:
    return json.loads(json.dumps(next(r for r in ROWS if r["id"] == claim_id)))


def test_nl26_c1_would_be_refined_with_scale_c1s_equivalence():
    """One reading: NL26.C1's stored rates with the neural run set to the control's (ratio 1) become 'refined',
    as SCALE.C1 is, and 'confirmed' when the neural run is 30% below the control."""
    row = _row("NL26.C1")
    ev = row["evidence"]
    control = np.asarray(ev["rate/pixel control lambda=0.5"])
    ev["rate/feature lambda=0.5"] = (control * np.array([1.001, 0.999, 1.0])).tolist()
    assert rejudge(row).verdict == "refined"
    ev["rate/feature lambda=0.5"] = (control * np.array([0.70, 0.69, 0.71])).tolist()
    assert rejudge(row).verdict == "confirmed"


def test_scale_c2_becomes_testable_when_the_rates_are_matched():
    row = _row("SCALE.C2")
    row["evidence"]["rate/target - 1/lambda=0"] = [0.0, 0.05, -0.02]
    decision = rejudge(row)
    states = {j.name: str(j.state) for j in decision.judgements}
    assert states["A_post falls lambda=0 -> lambda=0.5"] in ("holds", "unresolved", "reversed")
    assert decision.verdict != "open" or states["A_post falls lambda=0 -> lambda=0.5"] == "unresolved"


def test_scale_t1_rules_follow_the_plans_dimensions():
    row = _row("SCALE.T1")
    full = {k.replace("D=128,d=128", "D=2048,d=2048"): v for k, v in row["evidence"].items() if "d=128" in k}
    decision = rejudge({**row, "evidence": full})
    assert decision.verdict == "confirmed"
    assert all(j.name.startswith("D=2048,d=2048") for j in decision.judgements)


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_plot_draws_from_the_saved_figure_data(row):
    import io

    from toyvae.plots import plot_for

    figure = plot_for(row["id"])(json.loads(json.dumps(row["figure_data"])))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
