"""The report as Markdown: the same content as the HTML page, figures linked as PNG files in ``figures/``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from toyvae.report import content
from toyvae.report.figures import Picture

__all__ = ["render_markdown"]

_SPECIAL = set("\\`*_[]<>|#")


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
            reg_cell = "—" if reg is None else (reg if reg == r["verdict"] else f"**{reg}** (changed)")
            seconds = "" if r.get("seconds") is None else f"{float(r['seconds']):.1f}"
            out.append(f"| [{_md(r['id'])}](#{_slug(r['id'])}) | {r['verdict']} | {reg_cell} | {seconds} | "
                       f"{_md(_short(r.get('summary', ''), 160))} |")
    out.append("")

    for family, rows in content.grouped(results):
        out += [f"## {_md(content.FAMILIES.get(family, family))} ({_md(family)})", ""]
        for r in rows:
            out += _section(run, r, pictures.get(r["id"]), figure_dir)
    return "\n".join(out).rstrip() + "\n"


def _section(run, r: Mapping[str, Any], picture: Picture | None, figure_dir: str) -> list[str]:
    reg = content.registered_verdict(r)
    verdict = f"**{r['verdict']}**"
    if reg is not None and reg != r["verdict"]:
        verdict += f" (registered: **{reg}**, {r.get('profile') or ''} profile: changed)"
    out = [f"### {_md(r['id'])}", "", f"- **Verdict**: {verdict}", f"- **Source**: {_md(r.get('source', ''))}"]
    if r.get("statement"):
        out.append(f"- **Statement**: {_md(r['statement'])}")
    if r.get("finding"):
        out.append(f"- **What our checks establish (registered)**: {_md(r['finding'])}")
    out.append(f"- **Rule**: {_md(content.rule_text(r))}")
    for t in r.get("tolerances") or []:
        out.append(f"  - `{t.get('name', '')}` = {content.format_value(t.get('value'))}: {_md(t.get('reason', ''))}")
    out.append(f"- **Measured vs paper**: {_md(r.get('summary', ''))}")
    out.append("")
    rows, left_out = content.number_rows(r)
    if rows:
        out += ["| quantity | ours | paper |", "|---|---|---|"]
        out += [f"| {_md(k)} | {_md(ours)} | {_md(paper)} |" for k, ours, paper in rows]
        if left_out:
            out.append(f"\n({left_out} more numbers in the JSON record.)")
        out.append("")
    if picture is not None and picture.png is not None:
        out += [f"![figure for {_md(r['id'])}]({figure_dir}/{content.figure_filename(r['id'])})", ""]
    elif picture is not None:
        out += [f"*{_md(picture.note)}*", ""]
    out += [f"<sub>{_md(content.card_provenance(run, r))}</sub>", ""]
    return out


def _md(text: Any) -> str:
    """Text with Markdown's special characters escaped (so that r*, s_i and |F| print as written)."""
    return "".join("\\" + ch if ch in _SPECIAL else ch for ch in " ".join(str(text).split()))


def _slug(claim_id: str) -> str:
    """The anchor GitHub-style renderers give the heading ``### <id>``."""
    return "".join(ch for ch in claim_id.lower() if ch.isalnum() or ch in "-_ ").replace(" ", "-")


def _short(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"
