"""BS20.A2-plateaus, MB.Samples and SL.Samples on the evidence layer: a stored quick run's rows re-judge to the
registered verdict with the registered rules (without training), and their plots draw from the stored figure data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toyvae.claims.registry import all_claims, registered, rejudge

ROWS = json.loads((Path(__file__).parent / "data" / "issue21_dynamics_samples_rows.json").read_text())["rows"]
IDS = [r["id"] for r in ROWS]


@pytest.fixture(scope="module", autouse=True)
def _claims():
    all_claims()


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_stored_rows_rejudge_to_the_registered_verdict(row):
    c = registered()[row["id"]]
    assert c.kind == "trained" and c.rules is not None
    decision = rejudge(row)
    assert decision is not None
    assert decision.fingerprint == row["rule_fingerprint"], "rule changed: record it in the rule history"
    assert decision.verdict == row["verdict"] == str(c.expected), decision.reason


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_plots_draw_from_the_stored_figure_data(row):
    from toyvae.plots import plot_for

    fig = plot_for(row["id"])(row["figure_data"])
    assert fig.axes
