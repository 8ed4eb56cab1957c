"""The report as one self-contained HTML page: inline CSS, figures as base64 PNG, no JavaScript, no links out.

Layout: a header with the run's provenance, a summary (verdict counts per family, then every claim
with a link to its card), then one card per claim, grouped by family.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from html import escape
from typing import Any

from toyvae.report import content
from toyvae.report.figures import Picture

__all__ = ["render_html"]

_CSS = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa;
        --confirmed: #1a7f37; --refined: #0969da; --not-reproduced: #cf222e; --open: #9a6700; }
* { box-sizing: border-box; }
body { font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg);
       margin: 0; background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 17px; margin: 0; }
a { color: var(--refined); }
.lead { color: var(--muted); margin: 0 0 16px; }
.banner { border: 1px solid #d4a72c; background: #fff8c5; padding: 10px 14px; border-radius: 6px; margin: 12px 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0;
           font-size: 14px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
table.claims { width: 100%; margin-bottom: 12px; table-layout: fixed; }
table.claims th:nth-child(1) { width: 190px; }
table.claims th:nth-child(2) { width: 130px; }
table.claims th:nth-child(3) { width: 120px; }
table.claims th:nth-child(4) { width: 72px; }
table.claims td { overflow-wrap: anywhere; }
table.claims td.summary { color: var(--muted); font-size: 13px; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 10px; font-size: 13px; font-weight: 600;
         color: #fff; white-space: nowrap; }
.badge.v-confirmed { background: var(--confirmed); }
.badge.v-refined { background: var(--refined); }
.badge.v-not-reproduced { background: var(--not-reproduced); }
.badge.v-open { background: var(--open); }
.badge.v-other { background: var(--muted); }
.changed { color: var(--not-reproduced); font-weight: 600; font-size: 13px; }
section.card { border: 1px solid var(--line); border-left: 6px solid var(--muted); border-radius: 6px;
               padding: 14px 18px; margin: 16px 0; }
section.card.v-confirmed { border-left-color: var(--confirmed); }
section.card.v-refined { border-left-color: var(--refined); }
section.card.v-not-reproduced { border-left-color: var(--not-reproduced); }
section.card.v-open { border-left-color: var(--open); }
.card-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 10px; margin-bottom: 6px; }
.card-head .source { color: var(--muted); font-size: 14px; }
.card-body { display: grid; grid-template-columns: minmax(0, 1fr) 520px; gap: 18px; }
.card-body.nofig { grid-template-columns: minmax(0, 1fr); }
@media (max-width: 1000px) { .card-body { grid-template-columns: minmax(0, 1fr); } }
.card p { margin: 6px 0; }
.label { font-weight: 600; }
ul.tolerances { margin: 4px 0 8px; padding-left: 20px; font-size: 14px; }
table.numbers { width: 100%; font-size: 13px; margin: 8px 0; }
table.numbers td:first-child { word-break: break-word; }
figure { margin: 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
.nofig figure { margin-top: 8px; }
figcaption, .nofigure { color: var(--muted); font-size: 13px; }
.nofigure { border: 1px dashed var(--line); padding: 10px; border-radius: 4px; }
details { margin-top: 8px; font-size: 13px; }
details pre { max-height: 320px; overflow: auto; background: var(--bg); padding: 8px; border-radius: 4px; }
.prov { color: var(--muted); font-size: 12.5px; margin-top: 10px; border-top: 1px solid var(--line);
        padding-top: 6px; }
"""


def render_html(run: Mapping[str, Any], pictures: Mapping[str, Picture]) -> str:
    """The report page of ``run`` (a normalised run record) with ``pictures`` by claim id."""
    results = run["results"]
    total = content.counts(results)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>toyvae verification report ({_e(run.get('profile') or 'profile not recorded')})</title>",
        f"<style>{_CSS}</style></head><body><main>",
        "<h1>toyvae verification report</h1>",
        f'<p class="lead">{total["total"]} claims: {_counts_phrase(total)}; '
        f'{total["total"] - total["changed"]} as registered, {total["changed"]} changed.</p>',
    ]
    if run.get("legacy"):
        parts.append('<div class="banner" id="legacy"><b>Produced by earlier code.</b> This record is a bare list '
                     "of results, written before runs recorded their provenance: library versions, commit and "
                     "device are not recorded, and the claims carry no figure data or registered findings.</div>")
    parts.append('<dl class="facts">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>"
                                              for k, v in content.run_facts(run)) + "</dl>")
    parts += _summary(results)
    for family, rows in content.grouped(results):
        name = content.FAMILIES.get(family, family)
        parts.append(f'<h2 id="family-{_a(family)}">{_e(name)} ({_e(family)})</h2>')
        parts += [_card(run, r, pictures.get(r["id"])) for r in rows]
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _summary(results) -> list[str]:
    head = "".join(f"<th>{_e(v)}</th>" for v in content.VERDICTS)
    out = ['<h2 id="summary">Summary</h2>',
           f'<table class="counts"><thead><tr><th>family</th>{head}<th>claims</th><th>changed</th></tr></thead><tbody>']
    for family, rows in content.grouped(results) + [("all", results)]:
        c = content.counts(rows)
        label = (f'<a href="#family-{_a(family)}">{_e(content.FAMILIES.get(family, family))}</a> ({_e(family)})'
                 if family != "all" else "<b>all</b>")
        cells = "".join(f'<td class="n count" data-family="{_a(family)}" data-verdict="{_a(v)}">{c[v]}</td>'
                        for v in content.VERDICTS)
        out.append(f'<tr><td>{label}</td>{cells}<td class="n" data-family="{_a(family)}" data-verdict="total">'
                   f'{c["total"]}</td><td class="n">{c["changed"]}</td></tr>')
    out.append("</tbody></table>")
    for family, rows in content.grouped(results):
        out.append(f'<h3 style="margin-top:16px">{_e(content.FAMILIES.get(family, family))}</h3>')
        out.append('<table class="claims"><thead><tr><th>claim</th><th>verdict</th><th>registered</th>'
                   '<th>seconds</th><th>measured vs paper</th></tr></thead><tbody>')
        for r in rows:
            reg = content.registered_verdict(r)
            reg_cell = "—" if reg is None else (_e(reg) if reg == r["verdict"] else f'<span class="changed">{_e(reg)}</span>')
            seconds = "" if r.get("seconds") is None else f"{float(r['seconds']):.1f}"
            out.append(f'<tr><td><a href="#claim-{_a(r["id"])}">{_e(r["id"])}</a></td><td>{_badge(r["verdict"])}</td>'
                       f'<td>{reg_cell}</td><td class="n">{seconds}</td>'
                       f'<td class="summary">{_e(_short(r.get("summary", ""), 160))}</td></tr>')
        out.append("</tbody></table>")
    return out


def _card(run, r: Mapping[str, Any], picture: Picture | None) -> str:
    verdict = r["verdict"]
    reg = content.registered_verdict(r)
    head = [f'<h3>{_e(r["id"])}</h3>', _badge(verdict)]
    if reg is not None and reg != verdict:
        head.append(f'<span class="changed">registered verdict: {_e(reg)} ({_e(r.get("profile") or "")} profile)</span>')
    head.append(f'<span class="source">{_e(r.get("source", ""))}</span>')

    text = []
    if r.get("statement"):
        text.append(f'<p><span class="label">Statement.</span> {_e(r["statement"])}</p>')
    if r.get("finding"):
        text.append(f'<p><span class="label">What our checks establish (registered).</span> {_e(r["finding"])}</p>')
    text.append(f'<p><span class="label">Rule.</span> {_e(content.rule_text(r))}</p>')
    if r.get("tolerances"):
        text.append('<ul class="tolerances">' + "".join(
            f"<li><code>{_e(t.get('name', ''))}</code> = {_e(content.format_value(t.get('value')))}: "
            f"{_e(t.get('reason', ''))}</li>" for t in r["tolerances"]) + "</ul>")
    text.append(f'<p><span class="label">Measured vs paper.</span> {_e(r.get("summary", ""))}</p>')
    rows, left_out = content.number_rows(r)
    if rows:
        text.append('<table class="numbers"><thead><tr><th>quantity</th><th>ours</th><th>paper</th></tr></thead><tbody>'
                    + "".join(f'<tr><td>{_e(k)}</td><td>{_e(ours)}</td><td>{_e(paper)}</td></tr>' for k, ours, paper in rows)
                    + "</tbody></table>")
        if left_out:
            text.append(f'<p class="nofigure">{left_out} more numbers in the full record below.</p>')
    record = {k: r.get(k) for k in ("measured", "paper", "details") if r.get(k)}
    if record:
        text.append("<details><summary>All recorded numbers (JSON)</summary><pre>"
                    + _e(json.dumps(record, indent=1)) + "</pre></details>")

    figure = ""
    if picture is not None and picture.png is not None:
        data = base64.b64encode(picture.png).decode("ascii")
        figure = (f'<figure><img src="data:image/png;base64,{data}" alt="figure for {_a(r["id"])}">'
                  f"<figcaption>Drawn from the numbers this run recorded for {_e(r['id'])}.</figcaption></figure>")
    elif picture is not None:
        text.append(f'<p class="nofigure">{_e(picture.note)}</p>')
    body_class = "card-body" if figure and not _wide(picture.png) else "card-body nofig"
    body = f'<div class="{body_class}"><div>{"".join(text)}</div>{figure}</div>'
    prov = f'<div class="prov">{_e(content.card_provenance(run, r))}</div>'
    return (f'<section class="card {_verdict_class(verdict)}" id="claim-{_a(r["id"])}" data-claim="{_a(r["id"])}">'
            f'<div class="card-head">{"".join(head)}</div>{body}{prov}</section>')


def _wide(png: bytes) -> bool:
    """A figure much wider than tall (two panels side by side) goes below the text, at full width."""
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")  # the PNG's IHDR
    return width > 1.6 * height


def _badge(verdict: str) -> str:
    return f'<span class="badge {_verdict_class(verdict)}">{_e(verdict)}</span>'


def _verdict_class(verdict: str) -> str:
    return f"v-{verdict.replace(' ', '-')}" if verdict in content.VERDICTS else "v-other"


def _counts_phrase(c: Mapping[str, int]) -> str:
    return ", ".join(f"{c[v]} {v}" for v in content.VERDICTS)


def _short(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _e(text: Any) -> str:
    return escape(str(text), quote=False)


def _a(text: Any) -> str:
    """Attribute values (always double-quoted here)."""
    return escape(str(text), quote=True)
