"""The report in a real browser: at a phone's 390 px and a desk's 1280 px the page is exactly as wide
as the viewport (no sideways scrolling) and no table cell is narrower than its longest word.

Needs Debian's ``chromium`` (``apt-get install -y chromium``; ``.ci/run`` installs it when it can);
skipped with a message where no browser is installed.
"""

from __future__ import annotations

import pytest

from report_browser import browser, measure  # tests/report_browser.py
from toyvae.report import FORMAT, build_report

pytestmark = pytest.mark.skipif(browser() is None, reason="no chromium: apt-get install -y chromium "
                                "to run the report's layout test")


def _plot(data):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.4))
    ax = fig.subplots()
    ax.plot(data["x"], data["y"], "o-", label="a fairly long legend label")
    ax.legend()
    return fig


def _wide_plot(data):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4))
    for ax in fig.subplots(1, 2):
        ax.plot(data["x"], data["y"])
    return fig


def _row(i: int, **extra) -> dict:
    seeds = list(range(6))
    row = {
        "id": f"BS20.E-sphere-LS-warm-start-{i}", "source": "Berger & Sebag 2020, Theorem 1 and eq. 8, in trained VAEs",
        "statement": "A statement of some length that wraps over several lines on a phone. " * 3,
        "finding": "What our checks establish, in a sentence or two. " * 2,
        "verdict": ("confirmed", "refined", "not reproduced", "open")[i % 4], "expected_verdict": "confirmed",
        "summary": "Quick profile (D = 128 with 128 and 32 latents, 3 seeds, 900 steps): the controls reach r_ref "
                   "within 0.6% (d = D) and 5% (d = 32); warm runs end at the noise floor (ratio 0.96-0.98).",
        "rule": "", "kind": "trained", "profile": "quick", "seconds": 123.456, "seeds": seeds,
        "rules": [{"name": "core_gap", "role": "core", "kind": "paired t", "state": "holds",
                   "sentence": "LV's held-out ELBO exceeds LS's by more than 0.1 nats on average",
                   "numbers": {"t": 4.567, "mean_difference": 0.2345678}},
                  {"name": "positive_control_reaches_reference", "role": "control", "kind": "bound",
                   "state": "unresolved", "sentence": "the positive control reaches r_ref within 5%", "numbers": {}}],
        "decision": {"verdict": "confirmed", "reason": "the core rule holds and every control passes"},
        "rule_fingerprint": "3f9a0c1d",
        "comparisons": [{"quantity": "held_out_elbo_LV_minus_LS_nats_per_point", "ours": 0.123456789,
                         "paper": 0.25, "unit": "nats"},
                        {"quantity": "sigma_star_after_training", "ours": [0.1, 0.11, 0.12, 0.13, 0.14, 0.15],
                         "paper": 0.043}],
        "measured": {"elbo_per_setting_and_seed": [[-1.2345678 + k + s for s in seeds] for k in range(5)],
                     "radius": {"F_0.1": [0.9, 0.91, 0.92, 0.93, 0.94, 0.95], "LS": [0.8, 0.81, 0.82, 0.83, 0.84, 0.85]},
                     "a_very_long_quantity_name_without_spaces_from_the_scale_experiments": 12345.678},
        "paper": {"held_out_elbo_LV_minus_LS_nats_per_point": 0.25},
        "evidence": {"elbo_LV": [1.0 * s for s in seeds], "elbo_LS": [0.5 * s for s in seeds]},
        "tolerances": [{"name": "gap_nats", "value": 0.1, "reason": "the smallest difference the paper reports"}],
        "figure_data": {"x": [0, 1, 2], "y": [1.0, 0.5, 0.25]},
    }
    row.update(extra)
    return row


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    results = [_row(i) for i in range(4)] + [_row(9, id="SCALE.T2tab", shared_run="SCALE.T1", seconds=0.0)]
    plots = {r["id"]: (_wide_plot if i % 2 else _plot) for i, r in enumerate(results)}
    run = {"format": FORMAT, "provenance": None, "profile": "quick", "seconds": 1.0, "results": results,
           "replication": {"seed_offset": 1000, "moved": ["SCALE.T2tab"]}}
    html_path, _ = build_report(run, out, plots=plots)
    return html_path


@pytest.mark.parametrize("width", [390, 1280])
def test_page_fits_the_viewport_and_no_cell_is_narrower_than_a_word(report, width, tmp_path):
    layout = measure(report, width, tmp_path)
    assert layout["viewport"] == width
    assert layout["page"] == width, f"the page is {layout['page']} px wide in a {width} px viewport"
    assert layout["cells"] > 20
    assert not layout["narrow"], layout["narrow"][:5]
