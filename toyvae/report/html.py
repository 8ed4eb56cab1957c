"""The report as one self-contained HTML page: inline CSS, figures as base64 PNG, no JavaScript, no links out.

Layout: a header with the run's provenance, a summary (verdict counts per family, then every claim
with a link to its card), then one card per claim, grouped by family.
"""

from __future__ import annotations

import base64
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
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg);
       margin: 0; background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 17px; margin: 0; overflow-wrap: anywhere; }
a { color: var(--refined); }
.lead { color: var(--muted); margin: 0 0 16px; }
.banner { border: 1px solid #d4a72c; background: #fff8c5; padding: 10px 14px; border-radius: 6px; margin: 12px 0; }
.box { border: 1px solid var(--line); background: var(--bg); padding: 10px 14px; border-radius: 6px; margin: 12px 0;
       font-size: 14px; }
.box h2 { margin: 0 0 6px; border: 0; font-size: 16px; padding: 0; }
.box dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 3px 12px; margin: 0; }
.box dd { margin: 0; }
.box ul { margin: 4px 0; padding-left: 20px; }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 16px; margin: 12px 0;
           font-size: 14px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.n, .numbers td.v, table.grid td { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.claims { width: 100%; margin-bottom: 12px; }
table.claims td:first-child { white-space: nowrap; }
table.claims td.summary { color: var(--muted); font-size: 13px; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 10px; font-size: 13px; font-weight: 600;
         color: #fff; white-space: nowrap; }
.badge.v-confirmed { background: var(--confirmed); }
.badge.v-refined { background: var(--refined); }
.badge.v-not-reproduced { background: var(--not-reproduced); }
.badge.v-open { background: var(--open); }
.badge.v-other { background: var(--muted); }
.state { font-weight: 600; white-space: nowrap; }
.state.s-holds { color: var(--confirmed); }
.state.s-reversed { color: var(--not-reproduced); }
.state.s-unresolved, .state.s-untestable { color: var(--open); }
.changed { color: var(--not-reproduced); font-weight: 600; font-size: 13px; }
.kind { color: var(--muted); font-size: 13px; border: 1px solid var(--line); border-radius: 10px; padding: 0 8px; }
.fingerprint { color: var(--muted); font-size: 12px; font-family: ui-monospace, Menlo, Consolas, monospace; }
section.card { border: 1px solid var(--line); border-left: 6px solid var(--muted); border-radius: 6px;
               padding: 14px 18px; margin: 16px 0; }
section.card.v-confirmed { border-left-color: var(--confirmed); }
section.card.v-refined { border-left-color: var(--refined); }
section.card.v-not-reproduced { border-left-color: var(--not-reproduced); }
section.card.v-open { border-left-color: var(--open); }
.card-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 10px; margin-bottom: 6px; }
.card-head .source { color: var(--muted); font-size: 14px; }
.card-body { display: grid; grid-template-columns: minmax(0, 1fr) 520px; gap: 18px; }
.card-body.nofig { grid-template-columns: minmax(0, 1fr); }
@media (max-width: 1000px) { .card-body { grid-template-columns: minmax(0, 1fr); } }
.card p { margin: 6px 0; }
.label { font-weight: 600; }
ul.tolerances { margin: 4px 0 8px; padding-left: 20px; font-size: 14px; }
table.numbers, table.rules { font-size: 13px; margin: 8px 0; }
table.numbers th.unit, table.numbers td.unit { color: var(--muted); }
table.grid { font-size: 12px; margin: 0; }
table.grid th, table.grid td { padding: 1px 5px; }
.gridnote { color: var(--muted); font-size: 12px; }
figure { margin: 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; cursor: zoom-in; }
figure .close { display: none; }
figure:target { position: fixed; inset: 0; z-index: 10; background: rgba(255, 255, 255, 0.97); overflow: auto;
                padding: 36px 12px 12px; margin: 0; }
figure:target img { max-width: none; width: auto; cursor: zoom-out; }
figure:target .close { display: block; position: fixed; top: 6px; right: 16px; font-weight: 600; }
.nofig figure { margin-top: 8px; }
figcaption, .nofigure { color: var(--muted); font-size: 13px; }
.nofigure { border: 1px dashed var(--line); padding: 10px; border-radius: 4px; }
details { margin-top: 8px; font-size: 13px; }
details pre { max-height: 320px; overflow: auto; background: var(--bg); padding: 8px; border-radius: 4px; }
.prov { color: var(--muted); font-size: 12.5px; margin-top: 10px; border-top: 1px solid var(--line);
        padding-top: 6px; overflow-wrap: anywhere; }
ol.refs li { margin: 4px 0; }
/* Phones: the summary tables stack (one block per claim), wide tables scroll inside their own box. */
@media (max-width: 700px) {
  main { padding: 14px 12px 48px; }
  h1 { font-size: 22px; }
  section.card { padding: 10px 10px; }
  table.counts, table.counts tbody { display: block; width: 100%; }
  table.counts thead { display: none; }
  table.counts tr { display: flex; flex-wrap: wrap; gap: 2px 10px; border: 1px solid var(--line); border-radius: 4px;
                    margin: 0 0 6px; padding: 4px 6px; }
  table.counts td { display: block; border: 0; padding: 0; font-size: 13px; }
  table.counts td:first-child { flex-basis: 100%; font-size: 14px; }
  table.counts td.n::before { content: attr(data-label) " "; color: var(--muted); }
  table.claims, table.claims tbody, table.claims tr, table.claims td { display: block; width: 100%; }
  table.claims thead { display: none; }
  table.claims tr { border: 1px solid var(--line); border-radius: 4px; margin: 0 0 8px; padding: 4px 6px; }
  table.claims td { border: 0; padding: 1px 0; white-space: normal; }
  table.claims td:not(.summary)::before { content: attr(data-label) ": "; color: var(--muted); font-size: 13px; }
  table.claims td:first-child::before { content: none; }
  table.claims td:first-child { font-weight: 600; }
  .box dl, dl.facts { grid-template-columns: minmax(0, 1fr); }
  .box dd, dl.facts dd { margin-bottom: 4px; }
}
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
    rep = content.replication(run)
    if rep is not None:
        offset, moved = rep
        items = "".join(f'<li><a href="#claim-{_a(m)}">{_e(m)}</a></li>' for m in moved) or "<li>none</li>"
        parts.append(f'<div class="banner" id="replication"><b>Replication run</b> (seeds offset by {_e(offset)}). '
                     f"Claims whose verdict moved from the registered one:<ul>{items}</ul></div>")
    parts.append(_how_to_read())
    parts += _summary(results)
    for family, rows in content.grouped(results):
        name = content.FAMILIES.get(family, family)
        parts.append(f'<h2 id="family-{_a(family)}">{_e(name)} ({_e(family)})</h2>')
        parts += [_card(run, r, pictures.get(r["id"])) for r in rows]
    parts.append(_references(results))
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _how_to_read() -> str:
    items = "".join(f"<dt><b>{_e(term)}</b></dt><dd>{_e(text)}</dd>" for term, text in content.HOW_TO_READ)
    return f'<section class="box" id="how-to-read"><h2>How to read this report</h2><dl>{items}</dl></section>'


def _references(results) -> str:
    items = []
    for family, name, sources in content.references(results):
        cited = "; ".join(sources[:12]) + (f"; … ({len(sources)} sources)" if len(sources) > 12 else "")
        items.append(f'<li id="ref-{_a(family)}"><b>{_e(family)}</b>: {_e(name)}.'
                     + (f' <span class="source">Cited here: {_e(cited)}.</span>' if cited else "") + "</li>")
    return '<h2 id="references">References</h2><ol class="refs">' + "".join(items) + "</ol>"


def _summary(results) -> list[str]:
    head = "".join(f"<th>{_e(v)}</th>" for v in content.VERDICTS)
    out = ['<h2 id="summary">Summary</h2>',
           f'<div class="scroll"><table class="counts"><thead><tr><th>family</th>{head}<th>claims</th>'
           '<th>changed</th></tr></thead><tbody>']
    for family, rows in content.grouped(results) + [("all", results)]:
        c = content.counts(rows)
        label = (f'<a href="#family-{_a(family)}">{_e(content.FAMILIES.get(family, family))}</a> ({_e(family)})'
                 if family != "all" else "<b>all</b>")
        cells = "".join(f'<td class="n count" data-family="{_a(family)}" data-verdict="{_a(v)}" data-label="{_a(v)}">'
                        f'{c[v]}</td>' for v in content.VERDICTS)
        out.append(f'<tr><td>{label}</td>{cells}<td class="n" data-family="{_a(family)}" data-verdict="total" '
                   f'data-label="claims">{c["total"]}</td><td class="n" data-label="changed">{c["changed"]}</td></tr>')
    out.append("</tbody></table></div>")
    for family, rows in content.grouped(results):
        out.append(f'<h3 style="margin-top:16px">{_e(content.FAMILIES.get(family, family))}</h3>')
        out.append('<table class="claims"><thead><tr><th>claim</th><th>verdict</th><th>registered</th>'
                   '<th>seconds</th><th>measured vs paper</th></tr></thead><tbody>')
        for r in rows:
            reg = content.registered_verdict(r)
            reg_cell = "—" if reg is None else (_e(reg) if reg == r["verdict"] else f'<span class="changed">{_e(reg)}</span>')
            out.append(f'<tr><td><a href="#claim-{_a(r["id"])}">{_e(r["id"])}</a></td>'
                       f'<td data-label="verdict">{_badge(r["verdict"])}</td>'
                       f'<td data-label="registered">{reg_cell}</td>'
                       f'<td class="n" data-label="seconds">{_e(content.seconds_cell(r))}</td>'
                       f'<td class="summary">{_e(_short(r.get("summary") or "", 160))}</td></tr>')
        out.append("</tbody></table>")
    return out


def _cell(value) -> str:
    if isinstance(value, content.Grid):
        head = "".join(f"<th>{_e(c)}</th>" for c in value.columns)
        body = "".join(f"<tr><th>{_e(label)}</th>" + "".join(f"<td>{_e(v)}</td>" for v in cells) + "</tr>"
                       for label, cells in value.rows)
        note = f'<div class="gridnote">{_e(value.note)}</div>' if value.note else ""
        return (f'<div class="scroll"><table class="grid"><thead><tr><th>{_e(value.corner)}</th>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table></div>{note}")
    return _e(value)


def _card(run, r: Mapping[str, Any], picture: Picture | None) -> str:
    verdict = r["verdict"]
    reg = content.registered_verdict(r)
    head = [f'<h3>{_e(r["id"])}</h3>', _badge(verdict)]
    if reg is not None and reg != verdict:
        head.append(f'<span class="changed">registered verdict: {_e(reg)} ({_e(r.get("profile") or "")} profile)</span>')
    if content.kind_of(r):
        head.append(f'<span class="kind">{_e(content.kind_of(r))}</span>')
    head.append(f'<span class="source">{_e(r.get("source") or "")}</span>')

    text = []
    if r.get("statement"):
        text.append(f'<p><span class="label">Statement.</span> {_e(r["statement"])}</p>')
    if r.get("finding"):
        text.append(f'<p><span class="label">What our checks establish (registered).</span> {_e(r["finding"])}</p>')
    fingerprint = r.get("rule_fingerprint")
    fp = f' <span class="fingerprint" title="rule fingerprint">rule {_e(fingerprint)}</span>' if fingerprint else ""
    text.append(f'<p><span class="label">Rule.</span> {_e(content.rule_text(r))}{fp}</p>')
    rules = content.rule_rows(r)
    if rules:
        body = "".join(f'<tr><td>{_e(row["role"])}</td><td>{_e(row["sentence"] or row["name"])}'
                       + (f'<br><span class="gridnote">{_e(row["numbers"])}</span>' if row["numbers"] else "")
                       + f'</td><td><span class="state s-{_a(row["state"])}">{_e(row["state"])}</span></td></tr>'
                       for row in rules)
        text.append('<div class="scroll"><table class="rules"><thead><tr><th>role</th><th>condition</th>'
                    f"<th>state</th></tr></thead><tbody>{body}</tbody></table></div>")
    if r.get("tolerances"):
        text.append('<ul class="tolerances">' + "".join(
            f"<li><code>{_e(t.get('name', ''))}</code> = {_e(content.format_value(t.get('value')))}: "
            f"{_e(t.get('reason', ''))}</li>" for t in r["tolerances"]) + "</ul>")
    reason = content.decision_reason(r)
    if reason:
        text.append(f'<p><span class="label">Why this verdict.</span> {_e(reason)}</p>')
    text.append(f'<p><span class="label">Measured vs paper.</span> {_e(r.get("summary") or "")}</p>')
    rows, left_out = content.comparison_rows(r)
    if rows:
        units = any(unit for *_, unit in rows)
        unit_head = '<th class="unit">unit</th>' if units else ""
        text.append('<div class="scroll"><table class="numbers"><thead><tr><th>quantity</th><th>ours</th>'
                    f"<th>paper</th>{unit_head}</tr></thead><tbody>"
                    + "".join(f'<tr><td>{_e(k)}</td><td class="v">{_cell(ours)}</td><td class="v">{_cell(paper)}</td>'
                              + (f'<td class="unit">{_e(unit)}</td>' if units else "") + "</tr>"
                              for k, ours, paper, unit in rows)
                    + "</tbody></table></div>")
        if left_out:
            text.append(f'<p class="nofigure">{left_out} more compared quantities in the record below.</p>')
    others, left_others = content.other_rows(r)
    if others:
        text.append(f"<details><summary>Our other numbers ({len(others) + left_others})</summary>"
                    '<div class="scroll"><table class="numbers"><thead><tr><th>quantity</th><th>ours</th></tr></thead>'
                    "<tbody>" + "".join(f'<tr><td>{_e(k)}</td><td class="v">{_cell(v)}</td></tr>' for k, v in others)
                    + "</tbody></table></div>"
                    + (f'<p class="gridnote">{left_others} more in the JSON record.</p>' if left_others else "")
                    + "</details>")
    evidence = content.evidence_grids(r)
    if evidence:
        text.append("<details><summary>Evidence per seed</summary>"
                    + "".join(f'<p class="gridnote">{_e(name)}</p>{_cell(value)}' for name, value in evidence)
                    + "</details>")

    figure = ""
    if picture is not None and picture.png is not None:
        data = base64.b64encode(picture.png).decode("ascii")
        width = _png_size(picture.png)[0] // 2  # drawn at twice the resolution it is shown at
        fig_id = f"figure-{r['id']}"
        figure = (f'<figure id="{_a(fig_id)}"><a class="close" href="#claim-{_a(r["id"])}">close ✕</a>'
                  f'<a href="#{_a(fig_id)}" title="open full size"><img src="data:image/png;base64,{data}" '
                  f'width="{width}" alt="figure for {_a(r["id"])}"></a>'
                  f"<figcaption>Drawn from the numbers this run recorded for {_e(r['id'])} "
                  "(click to open full size).</figcaption></figure>")
    elif picture is not None:
        text.append(f'<p class="nofigure">{_e(picture.note)}</p>')
    body_class = "card-body" if figure and not _wide(picture.png) else "card-body nofig"
    body = f'<div class="{body_class}"><div>{"".join(text)}</div>{figure}</div>'
    prov = f'<div class="prov">{_e(content.card_provenance(run, r))}</div>'
    return (f'<section class="card {_verdict_class(verdict)}" id="claim-{_a(r["id"])}" data-claim="{_a(r["id"])}">'
            f'<div class="card-head">{"".join(head)}</div>{body}{prov}</section>')


def _png_size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")  # the PNG's IHDR


def _wide(png: bytes) -> bool:
    """A figure much wider than tall (two panels side by side) goes below the text, at full width."""
    width, height = _png_size(png)
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
