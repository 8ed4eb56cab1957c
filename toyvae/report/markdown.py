"""The report as Markdown: the same content as the HTML page, figures linked as PNG files in ``figures/``.

Every field of the run record goes through :func:`_md`, which escapes Markdown's special characters
and writes ``<``, ``>`` and ``&`` as HTML entities, so a record cannot inject HTML into a viewer that
renders it (the only tags in the file are the report's own ``<sub>``, ``<details>`` and ``<summary>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from toyvae.report import content
from toyvae.report.figures import Picture

__all__ = ["render_markdown"]

_SPECIAL = set("\\`*_[]|#")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def render_markdown(run: Mapping[str, Any], pictures: Mapping[str, Picture], figure_dir: str = "figures") -> str:
    """The Markdown report of ``run``; a claim with PNG bytes in ``pictures`` links ``figure_dir/<id>.png``."""
    results = run["results"]
    total = content.counts(results)
    out = ["# toyvae verification report", "",
           f"{total['total']} claims: " + ", ".join(f"{total[v]} {v}" for v in content.VERDICTS)
           + f"; {total['total'] - total['changed']} as registered, {total['changed']} changed.", ""]
    if run.get("legacy"):
        out += ["> **Produced by earlier code.** This record is a bare list of results, written before runs "
                "recorded their provenance: library versions, commit and device are not recorded, and the claims "
                "carry no figure data or registered findings.", ""]
    out += [f"- **{_md(k)}**: {_md(v)}" for k, v in content.run_facts(run)] + [""]
    rep = content.replication(run)
    if rep is not None:
        offset, moved = rep
        out += [f"> **Replication run** (seeds offset by {_md(offset)}). Claims whose verdict moved from the "
                "registered one: " + (", ".join(f"[{_md(m)}](#{_slug(m)})" for m in moved) or "none") + ".", ""]
    out += ["## How to read this report", ""]
    out += [f"- **{_md(term)}**: {_md(text)}" for term, text in content.HOW_TO_READ] + [""]

    out += ["## Summary", "", "| family | " + " | ".join(content.VERDICTS) + " | claims | changed |",
            "|---|" + "---:|" * (len(content.VERDICTS) + 2)]
    for family, rows in content.grouped(results) + [("all", results)]:
        c = content.counts(rows)
        label = "**all**" if family == "all" else f"{_md(content.FAMILIES.get(family, family))} ({_md(family)})"
        out.append(f"| {label} | " + " | ".join(str(c[v]) for v in content.VERDICTS)
                   + f" | {c['total']} | {c['changed']} |")
    out.append("")
    out += ["| claim | verdict | registered | seconds | measured vs paper |", "|---|---|---|---:|---|"]
    for _, rows in content.grouped(results):
        for r in rows:
            reg = content.registered_verdict(r)
            reg_cell = "—" if reg is None else (_md(reg) if reg == r["verdict"] else f"**{_md(reg)}** (changed)")
            out.append(f"| [{_md(r['id'])}](#{_slug(r['id'])}) | {_md(r['verdict'])} | {reg_cell} | "
                       f"{_md(content.seconds_cell(r))} | {_md(_short(r.get('summary') or '', 160))} |")
    out.append("")

    for family, rows in content.grouped(results):
        out += [f"## {_md(content.FAMILIES.get(family, family))} ({_md(family)})", ""]
        for r in rows:
            out += _section(run, r, pictures.get(r["id"]), figure_dir)
    out += ["## References", ""]
    for family, name, sources in content.references(results):
        cited = "; ".join(sources[:12]) + (f"; … ({len(sources)} sources)" if len(sources) > 12 else "")
        out.append(f"1. **{_md(family)}**: {_md(name)}." + (f" Cited here: {_md(cited)}." if cited else ""))
    return "\n".join(out).rstrip() + "\n"


def _section(run, r: Mapping[str, Any], picture: Picture | None, figure_dir: str) -> list[str]:
    reg = content.registered_verdict(r)
    verdict = f"**{_md(r['verdict'])}**"
    if reg is not None and reg != r["verdict"]:
        verdict += f" (registered: **{_md(reg)}**, {_md(r.get('profile') or '')} profile: changed)"
    out = [f"### {_md(r['id'])}", "", f"- **Verdict**: {verdict}"]
    if content.kind_of(r):
        out.append(f"- **Kind**: {_md(content.kind_of(r))}")
    out.append(f"- **Source**: {_md(r.get('source') or '')}")
    if r.get("statement"):
        out.append(f"- **Statement**: {_md(r['statement'])}")
    if r.get("finding"):
        out.append(f"- **What our checks establish (registered)**: {_md(r['finding'])}")
    fingerprint = f" <sub>rule {_md(r['rule_fingerprint'])}</sub>" if r.get("rule_fingerprint") else ""
    out.append(f"- **Rule**: {_md(content.rule_text(r))}{fingerprint}")
    for t in r.get("tolerances") or []:
        out.append(f"  - {_md(t.get('name', ''))} = {_md(content.format_value(t.get('value')))}: "
                   f"{_md(t.get('reason', ''))}")
    reason = content.decision_reason(r)
    if reason:
        out.append(f"- **Why this verdict**: {_md(reason)}")
    out.append(f"- **Measured vs paper**: {_md(r.get('summary') or '')}")
    out.append("")
    rules = content.rule_rows(r)
    if rules:
        out += ["| role | condition | state |", "|---|---|---|"]
        out += [f"| {_md(row['role'])} | {_md(row['sentence'] or row['name'])}"
                + (f" ({_md(row['numbers'])})" if row["numbers"] else "") + f" | {_md(row['state'])} |"
                for row in rules]
        out.append("")
    rows, left_out = content.comparison_rows(r)
    grids: list[tuple[str, content.Grid]] = []
    if rows:
        units = any(unit for *_, unit in rows)
        out += ["| quantity | ours | paper |" + (" unit |" if units else ""), "|---|---:|---:|" + ("---|" if units else "")]
        for k, ours, paper, unit in rows:
            out.append(f"| {_md(k)} | {_cell(ours, k, 'ours', grids)} | {_cell(paper, k, 'paper', grids)} |"
                       + (f" {_md(unit)} |" if units else ""))
        if left_out:
            out.append(f"\n({left_out} more compared quantities in the JSON record.)")
        out.append("")
    others, left_others = content.other_rows(r)
    if others:
        out += ["<details><summary>Our other numbers</summary>", "", "| quantity | ours |", "|---|---:|"]
        out += [f"| {_md(k)} | {_cell(v, k, 'ours', grids)} |" for k, v in others]
        if left_others:
            out.append(f"\n({left_others} more in the JSON record.)")
        out += ["", "</details>", ""]
    evidence = content.evidence_grids(r)
    if evidence:
        out += ["<details><summary>Evidence per seed</summary>", ""]
        for name, value in evidence:
            if isinstance(value, content.Grid):
                out += [f"*{_md(name)}*", ""] + _grid(value) + [""]
            else:
                out += [f"- {_md(name)}: {_md(value)}", ""]
        out += ["</details>", ""]
    for label, grid in grids:
        out += [f"*{_md(label)}*", ""] + _grid(grid) + [""]
    if picture is not None and picture.png is not None:
        path = f"{figure_dir}/{content.figure_filename(r['id'])}"
        out += [f"[![figure for {_md(r['id'])}]({path})]({path})", ""]
    elif picture is not None:
        out += [f"*{_md(picture.note)}*", ""]
    out += [f"<sub>{_md(content.card_provenance(run, r))}</sub>", ""]
    return out


def _cell(value, quantity: str, side: str, grids: list) -> str:
    """A table cell; a grid goes below the table (Markdown tables do not nest) and the cell points to it."""
    if isinstance(value, content.Grid):
        label = f"{quantity} ({side})"
        grids.append((label, value))
        return "table below"
    return _md(value)


def _grid(grid: content.Grid) -> list[str]:
    lines = ["| " + _md(grid.corner) + " | " + " | ".join(_md(c) for c in grid.columns) + " |",
             "|---|" + "---:|" * len(grid.columns)]
    lines += ["| " + _md(label) + " | " + " | ".join(_md(v) for v in cells) + " |" for label, cells in grid.rows]
    if grid.note:
        lines.append(f"\n({_md(grid.note)})")
    return lines


def _md(text: Any) -> str:
    """Text with Markdown's special characters escaped (so that r*, s_i and |F| print as written) and
    ``<``, ``>``, ``&`` as entities (so that no field of the record becomes HTML)."""
    out = []
    for ch in " ".join(str(text).split()):
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif ch in _SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _slug(claim_id: str) -> str:
    """The anchor GitHub-style renderers give the heading ``### <id>``."""
    return "".join(ch for ch in claim_id.lower() if ch.isalnum() or ch in "-_ ").replace(" ", "-")


def _short(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"
