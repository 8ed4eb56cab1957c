"""The verification report, read back the way a program reads it: HTML structure, embedded PNGs, Markdown links."""

import base64
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from toyvae.report import FORMAT, RunFormatError, build_report, load_run, normalise_run
from toyvae.report.content import counts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _row(claim_id, verdict, expected, **extra):
    row = {"id": claim_id, "source": f"source of {claim_id}", "statement": f"statement of {claim_id}",
           "finding": f"finding of {claim_id}", "verdict": verdict, "expected_verdict": expected,
           "expected": expected, "expected_full": None, "ok": verdict == expected,
           "summary": f"summary of {claim_id}", "rule": "", "measured": {"x": 1.5, "nested": {"y": [1, 2, 3]}},
           "paper": {"x": 1.4}, "details": {}, "tolerances": [{"name": "x_abs", "value": 0.2, "reason": "why 0.2"}],
           "figure_data": {}, "profile": "quick", "seconds": 0.25}
    row.update(extra)
    return row


def _good_plot(data):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3))
    fig.subplots().plot(data["x"], data["y"], "o-")
    return fig


def _bad_plot(data):
    raise KeyError("missing_series")


PLOTS = {"TEST.A": _good_plot, "TEST.B": _bad_plot}


@pytest.fixture
def run():
    from toyvae.provenance import provenance

    results = [
        _row("TEST.A", "confirmed", "confirmed", figure_data={"x": [0, 1, 2], "y": [1.0, 0.5, 0.25]},
             rule="Confirmed if x is within x_abs of the paper's 1.4.", seeds=[0, 1, 2]),
        _row("TEST.B", "refined", "refined", figure_data={"x": [0]},
             statement="r* < R and s_i > 0 with |F| <= 1 & <script>alert(1)</script>"),
        _row("OTHER.C", "open", "confirmed"),  # a changed verdict, no plot
    ]
    return {"format": FORMAT, "provenance": provenance(devices=False), "profile": "quick", "seconds": 1.0,
            "results": results}


class _Page(HTMLParser):
    """Collects what the tests look at: cards, images, links, scripts and the summary counts."""

    def __init__(self):
        super().__init__()
        self.cards, self.images, self.urls, self.tags, self.counts, self.ids = [], [], [], [], {}, set()
        self._count_cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "section" and "card" in a.get("class", "").split():
            self.cards.append(a["data-claim"])
        if tag == "img":
            self.images.append(a["src"])
        for key in ("src", "href"):
            if key in a:
                self.urls.append(a[key])
        if tag == "td" and "data-verdict" in a:
            self._count_cell = (a["data-family"], a["data-verdict"])

    def handle_data(self, data):
        if self._count_cell is not None:
            self.counts[self._count_cell] = int(data)
            self._count_cell = None


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _assert_png(data: bytes):
    from PIL import Image

    assert data.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
    with Image.open(io.BytesIO(data)) as image:
        assert image.size[0] > 100 and image.size[1] > 100


def test_html_has_one_card_per_claim_and_embedded_pngs(run, tmp_path):
    html_path, _ = build_report(run, tmp_path, plots=PLOTS)
    page = _parse(html_path)
    assert sorted(page.cards) == sorted(r["id"] for r in run["results"])
    assert len(page.images) == 1  # only TEST.A draws
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        _assert_png(base64.b64decode(src.split(",", 1)[1], validate=True))
    assert "script" not in page.tags and "link" not in page.tags
    assert not [u for u in page.urls if re.match(r"\s*(https?:)?//", u)]
    for url in page.urls:  # every link is a figure or an anchor on the page
        assert url.startswith("data:image/png") or (url.startswith("#") and url[1:] in page.ids), url
    text = html_path.read_text()
    assert "http://" not in text and "https://" not in text and "@import" not in text


def test_summary_counts_match_the_results(run, tmp_path):
    html_path, _ = build_report(run, tmp_path, plots=PLOTS)
    page = _parse(html_path)
    for family, rows in (("TEST", run["results"][:2]), ("OTHER", run["results"][2:]), ("all", run["results"])):
        expected = counts(rows)
        for verdict in ("confirmed", "refined", "not reproduced", "open", "total"):
            assert page.counts[(family, verdict)] == expected[verdict], (family, verdict)


def test_cards_say_what_decided_and_what_failed(run, tmp_path):
    html_path, _ = build_report(run, tmp_path, plots=PLOTS)
    text = html_path.read_text()
    assert "Confirmed if x is within x_abs" in text  # the check's rule
    assert "x_abs" in text and "why 0.2" in text  # the tolerances, with their reasons
    assert "The figure could not be drawn: KeyError" in text  # the failing plot, reported on its card
    assert "registered verdict: confirmed" in text  # OTHER.C changed
    assert "seeds [0, 1, 2]" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&amp;" in text  # escaped, not executed


def test_markdown_has_every_claim_and_its_figure_files(run, tmp_path):
    _, md_path = build_report(run, tmp_path, plots=PLOTS)
    text = md_path.read_text()
    for r in run["results"]:
        assert f"### {r['id']}" in text.replace("\\", "")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links == ["figures/TEST.A.png"]
    for link in links:
        _assert_png((md_path.parent / link).read_bytes())
    assert r"r\* &lt; R and s\_i &gt; 0 with \|F\| &lt;= 1" in text


def test_legacy_bare_list_is_labelled_and_builds(tmp_path):
    rows = [{"id": "BS20.X", "verdict": "open", "expected_verdict": "refined", "summary": "s", "measured": {"a": 1},
             "paper": {}, "profile": "full", "seconds": 3.0}]
    run = normalise_run(rows)
    assert run["legacy"] and run["provenance"] is None and run["profile"] == "full"
    html_path, md_path = build_report(rows, tmp_path, plots={})
    page = _parse(html_path)
    assert page.cards == ["BS20.X"] and "legacy" in page.ids
    text = html_path.read_text()
    assert "Produced by earlier code" in text and "not recorded" in text
    assert "Produced by earlier code" in md_path.read_text()


def test_stored_full_profile_runs_load_as_legacy():
    root = Path(__file__).resolve().parents[1] / "results" / "full_profile_h100"
    run = load_run(root / "nl26_sl_mb.json")
    assert run["legacy"] and run["profile"] == "full" and len(run["results"]) == 11
    with pytest.raises(RunFormatError, match="not a toyvae run record"):
        load_run(root / "bs20_digits.json")  # the digits numbers, not a run


def test_run_json_round_trip(run, tmp_path):
    from toyvae.report.run import dumps

    path = tmp_path / "run.json"
    path.write_text(dumps(run))
    loaded = load_run(path)
    assert not loaded["legacy"] and loaded["results"] == run["results"] and loaded["provenance"] == run["provenance"]


# --- the registered theory claims draw their figures from their own runs ----------------------

FAST_PLOTTED = ["QA.1", "SL.Sigma", "NL26.T4[6]", "NL26.Iso", "NL26.T41", "BS20.S32-mse"]
SLOW_PLOTTED = ["BS20.T[1]", "BS20.T1-shar[p]", "BS20.F2", "BS20.R1", "NL26.KL", "NL26.E44"]


def _assert_report_of(patterns, tmp_path):
    from toyvae.claims import run_claim, select

    claims = select(patterns)
    results = [run_claim(c).to_json() for c in claims]
    for row in results:
        assert row["figure_data"] and row["rule"], row["id"]
        assert len(json.dumps(row["figure_data"])) < 40_000, row["id"]  # a few thousand numbers at most
    html_path, _ = build_report({"format": FORMAT, "provenance": None, "profile": "quick", "seconds": 1.0,
                                 "results": results}, tmp_path)
    page = _parse(html_path)
    assert sorted(page.cards) == sorted(c.id for c in claims)
    assert len(page.images) == len(claims)
    for src in page.images:
        _assert_png(base64.b64decode(src.split(",", 1)[1]))


def test_theory_claims_draw_from_their_figure_data(tmp_path):
    _assert_report_of(FAST_PLOTTED, tmp_path)


@pytest.mark.slow
def test_every_plotted_theory_claim_draws(tmp_path):
    _assert_report_of(SLOW_PLOTTED, tmp_path)


def test_plots_need_only_the_json(tmp_path):
    """The figure data survives the JSON round trip: the plot draws from what a saved run holds."""
    from toyvae.claims import run_claim, select
    from toyvae.plots import plot_for

    [c] = select(["NL26.T41"])
    row = json.loads(json.dumps(run_claim(c).to_json()))
    figure = plot_for(c.id)(row["figure_data"])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    _assert_png(buffer.getvalue())
    assert np.isfinite(np.array(row["figure_data"]["beta"], dtype=float)).all()


# --- records with the wrong field types: a one-line error naming the field, exit 2 --------------

@pytest.mark.parametrize("where, field, value", [
    ("top", "seconds", "12 s"),
    ("top", "provenance", "laptop"),
    ("row", "measured", [1, 2]),
    ("row", "tolerances", ["x within 0.2"]),
    ("row", "seconds", "fast"),
    ("row", "paper", "1.4"),
])
def test_wrong_field_types_are_named(run, tmp_path, capsys, where, field, value):
    from toyvae.cli import main
    from toyvae.report.run import dumps

    if where == "top":
        run[field] = value
    else:
        run["results"][1][field] = value
    with pytest.raises(RunFormatError, match=repr(field)):
        normalise_run(run)
    path = tmp_path / "run.json"
    path.write_text(dumps(run))
    out = tmp_path / "report"
    assert main(["report", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and repr(field) in err, err
    if where == "row":
        assert "TEST.B" in err  # the result is named too
    assert not (out / "report.html").exists()


# --- Markdown: no field of the record becomes HTML ----------------------------------------------

def test_markdown_escapes_every_field(run, tmp_path):
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    row = run["results"][0]
    row.update(verdict=evil, expected_verdict=evil + "2", summary=evil, source=evil, rule=evil, finding=evil,
               tolerances=[{"name": evil, "value": evil, "reason": evil}], measured={evil: evil},
               paper={evil: evil}, rules=[{"name": evil, "role": "core", "state": evil, "sentence": evil,
                                           "numbers": {evil: evil}}], decision={"verdict": evil, "reason": evil},
               rule_fingerprint=evil, comparisons=[{"quantity": evil, "ours": evil, "paper": evil, "unit": evil}],
               shared_run=evil, kind=evil, evidence={evil: [1.0, 2.0]})
    run["replication"] = {"seed_offset": evil, "moved": [evil]}
    _, md_path = build_report(run, tmp_path, plots=PLOTS)
    text = md_path.read_text()
    tags = set(re.findall(r"</?([A-Za-z][A-Za-z0-9]*)", text))
    assert tags <= {"sub", "details", "summary"}, tags
    assert "<img" not in text and "<script" not in text
    assert "&lt;script&gt;" in text
    html_text = (tmp_path / "report.html").read_text()
    assert "<script" not in html_text and "<img src=x" not in html_text


# --- the evidence layer's fields, and the fallbacks for older records ---------------------------

def test_new_fields_render(run, tmp_path):
    row = run["results"][0]
    row.update(kind="trained", rule="", rule_fingerprint="ab12cd34", shared_run="TEST.B", seconds=0.0,
               decision={"verdict": "confirmed", "reason": "the core rule holds on 5 of 5 seeds"},
               rules=[{"name": "gap", "role": "core", "kind": "t-test", "state": "holds",
                       "sentence": "LV beats LS by more than 0.1 nats", "numbers": {"t": 4.56789, "n": 5}},
                      {"name": "ctl", "role": "control", "kind": "bound", "state": "unresolved",
                       "sentence": "the control reaches its reference", "numbers": {}}],
               evidence={"elbo_LV": [1.234567, 2.345678, 3.456789], "elbo_LS": [0.1, 0.2, 0.3]},
               comparisons=[{"quantity": "ELBO LV", "ours": -1.23456789, "paper": -1.2, "unit": "nats"},
                            {"quantity": "ELBO LS", "ours": None, "paper": 0.5}])
    run["replication"] = {"seed_offset": 100, "moved": ["OTHER.C"]}
    html_path, md_path = build_report(run, tmp_path, plots=PLOTS)
    text = html_path.read_text()
    assert "LV beats LS by more than 0.1 nats." in text  # the rule sentence from the data (rule was empty)
    assert "the control reaches its reference" in text and "s-unresolved" in text
    assert "the core rule holds on 5 of 5 seeds" in text and "ab12cd34" in text
    assert "shares the trained run of TEST.B" in text and "0.0 s" not in text
    assert "1.235" in text and "1.234567" not in text  # 4 significant digits in the evidence grid
    assert "seed 0" in text  # the grid's columns are the run's seeds
    assert "-1.235" in text and "nats" in text
    assert 'id="replication"' in text and 'href="#claim-OTHER.C"' in text
    assert "How to read this report" in text and 'id="references"' in text
    md = md_path.read_text()
    assert "LV beats LS by more than 0.1 nats" in md and "shares the trained run of TEST.B" in md
    assert "Replication run" in md and "| seed 0 | seed 1 | seed 2 |" in md


def test_short_trained_claim_without_shared_run_says_reused(run, tmp_path):
    run["results"][0].update(kind="trained", seconds=0.2)
    text = build_report(run, tmp_path, plots=PLOTS)[0].read_text()
    assert "reuses an earlier claim&#x27;s run" in text or "reuses an earlier claim's run" in text


def test_numbers_side_by_side_without_comparisons():
    from toyvae.report.content import comparison_rows, other_rows

    row = _row("T.X", "confirmed", "confirmed", measured={"a": 1.23456789, "b": 2.0, "grid": [[1.0, 2.0], [3.0, 4.0]]},
               paper={"a": 1.2, "c": 0.123456789}, seeds=[0, 1])
    rows, left = comparison_rows(row)
    assert [(k, o, p) for k, o, p, _ in rows] == [("a", "1.235", "1.2"), ("c", "—", "0.1235")] and left == 0
    others, _ = other_rows(row)
    assert [k for k, _ in others] == ["b", "grid"]
    grid = dict(others)["grid"]
    assert grid.columns == ("seed 0", "seed 1") and grid.rows[1] == ("2", ("3", "4"))


def test_nested_mapping_is_a_labelled_grid_not_json():
    from toyvae.report.content import Grid, cell, format_value

    g = cell({"elbo": [1.0, 2.0, 3.0], "mse": [0.1, 0.2, 0.3]}, seeds=[4, 5, 6])
    assert isinstance(g, Grid) and g.corner == "metric \\ seed" and g.columns == ("seed 4", "seed 5", "seed 6")
    assert "{" not in format_value({"a": {"b": 0.123456789}}) and "0.1235" in format_value({"a": {"b": 0.123456789}})
