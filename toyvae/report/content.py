"""What the HTML and Markdown reports both say: families, verdict counts, number rows, provenance lines.

Both renderers call these, so the two files carry the same content in two markups. Numbers are
shown to 4 significant digits everywhere; a list of lists (or a mapping of equal-length lists) is a
:class:`Grid`, which both renderers draw as a small labelled table (metric x seed), never raw JSON.

Fields of a result row that the report reads when present (older runs lack some and still render):
``kind`` ("trained" | "closed form" | "symbolic"), ``rules`` (the decision rule as data: name, role,
kind, state, sentence, numbers), ``decision`` (verdict and reason), ``rule_fingerprint``,
``evidence`` (per-seed numbers), ``comparisons`` (quantity, ours, paper, unit) and ``shared_run``
(the claim whose training this one reuses). At the top level, ``replication`` (``seed_offset`` and
the ``moved`` claim ids).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["VERDICTS", "FAMILIES", "HOW_TO_READ", "Grid", "family_of", "grouped", "counts", "number_rows",
           "comparison_rows", "other_rows", "format_value", "cell", "num", "run_facts", "card_provenance",
           "rule_text", "rule_rows", "decision_reason", "registered_verdict", "figure_filename", "timing_text",
           "seconds_cell", "evidence_grids", "replication", "references", "kind_of"]

VERDICTS = ("confirmed", "refined", "not reproduced", "open")

# Report order and names of the claim families (the prefix of an id, before the first dot).
FAMILIES = {
    "BS20": "Berger & Sebag 2020",
    "NL26": "How neural losses shape VAE latents (2026)",
    "MB": "Mind your bits and errors",
    "SL": "Lecture slides: the rate-distortion view",
    "QA": "Q&A thread: MSE and the Gaussian likelihood",
    "SCALE": "Scale: larger models and latents",
}

# The "how to read this report" box: (term, explanation).
HOW_TO_READ = (
    ("confirmed", "our numbers agree with the claim within the tolerances stated on its card."),
    ("refined", "the claim holds, but a sharper or corrected statement holds too (the card says which)."),
    ("not reproduced", "our numbers contradict the claim under the rule stated on the card."),
    ("open", "the evidence does not decide (too few seeds, a control failed, or a difference within noise)."),
    ("registered vs changed", "every claim has a verdict registered in the code for each profile; "
                              "'changed' marks a run whose verdict differs from the registered one."),
    ("consistency check", "a check of our own code (a closed form against brute force, a trained model "
                          "against its own optimum) rather than of a statement in a paper."),
    ("rule", "the test that decided the verdict; rows marked premise or control must hold before "
             "the core row is read."),
)

_MAX_ROWS = 40  # number rows shown on a card; the rest are in the collapsed record below it
_MAX_LIST = 8  # list items shown in a cell
_MAX_GRID = 12  # rows and columns of a grid shown


def family_of(claim_id: str) -> str:
    return claim_id.split(".")[0]


def grouped(results: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """The results by family, families in report order (unknown ones last, alphabetically)."""
    by_family: dict[str, list] = {}
    for r in results:
        by_family.setdefault(family_of(r["id"]), []).append(r)
    order = list(FAMILIES)
    return sorted(by_family.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order), kv[0]))


def counts(results: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Results per verdict word (other words counted under their own key), plus ``total`` and ``changed``."""
    out = dict.fromkeys(VERDICTS, 0)
    for r in results:
        out[r["verdict"]] = out.get(r["verdict"], 0) + 1
    out["total"] = len(results)
    out["changed"] = sum(1 for r in results if registered_verdict(r) not in (None, r["verdict"]))
    return out


def registered_verdict(result: Mapping[str, Any]) -> str | None:
    """The verdict registered for the run's profile (None when the record does not say)."""
    value = result.get("expected_verdict")
    return None if value is None else str(value)


def kind_of(result: Mapping[str, Any]) -> str | None:
    """"trained", "closed form" or "symbolic" when the record says (None otherwise)."""
    kind = result.get("kind")
    return str(kind) if isinstance(kind, str) and kind else None


# ------------------------------------------------------------------------------------------------
# Rules and decisions
# ------------------------------------------------------------------------------------------------

_ROLE_ORDER = {"premise": 0, "control": 1, "core": 2, "refinement": 3}


def rule_rows(result: Mapping[str, Any]) -> list[dict[str, str]]:
    """The rows of the card's rule table (role, name, sentence, state, numbers), from ``rules``.

    Premises and controls first, then the core rule, then refinements; entries that are not objects
    are skipped.
    """
    rules = result.get("rules")
    if not isinstance(rules, list):
        return []
    rows = []
    for rule in rules:
        if not isinstance(rule, Mapping):
            continue
        numbers = rule.get("numbers")
        shown = ""
        if isinstance(numbers, Mapping) and numbers:
            shown = "; ".join(f"{k} {format_value(v)}" for k, v in list(numbers.items())[:6])
        rows.append({"role": str(rule.get("role") or ""), "name": str(rule.get("name") or ""),
                     "kind": str(rule.get("kind") or ""), "sentence": str(rule.get("sentence") or ""),
                     "state": str(rule.get("state") or ""), "numbers": shown})
    rows.sort(key=lambda row: _ROLE_ORDER.get(row["role"], len(_ROLE_ORDER)))
    return rows


def rule_text(result: Mapping[str, Any]) -> str:
    """The rule that decided the verdict: the check's sentence, else one generated from ``rules``,
    else a pointer to the tolerances."""
    if isinstance(result.get("rule"), str) and result["rule"].strip():
        return result["rule"].strip()
    rows = rule_rows(result)
    core = [row for row in rows if row["role"] == "core" and row["sentence"]] or [row for row in rows if row["sentence"]]
    if core:
        text = " ".join(_sentence(row["sentence"]) for row in core)
        others = len(rows) - len(core)
        return text + (f" ({others} further condition{'s' if others != 1 else ''} in the table below.)" if others else "")
    if result.get("tolerances"):
        return "Not stated by the check; the verdict is decided by comparing the measured numbers with these tolerances:"
    return "Not recorded."


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def decision_reason(result: Mapping[str, Any]) -> str | None:
    """The reason the recorded decision gives for the verdict (None when absent)."""
    decision = result.get("decision")
    if isinstance(decision, Mapping) and decision.get("reason"):
        return str(decision["reason"])
    return None


# ------------------------------------------------------------------------------------------------
# Numbers
# ------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Grid:
    """A small table of numbers: ``corner`` names the two axes ("metric \\ seed"), then headers and rows."""

    corner: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # (row label, cells)
    note: str = ""  # e.g. "first 12 of 40 rows"


def num(value: Any) -> str:
    """One number: 4 significant digits for floats, integers as they are, booleans yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**7 else f"{value:.4g}"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.4g}"
    return str(value)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) or value is None


def format_value(value: Any) -> str:
    """A cell as text: numbers to 4 significant digits, long lists shortened, booleans as yes/no.

    Mappings are written ``key: value; ...`` (never JSON); nested lists are shortened the same way
    (the renderers draw them as grids through :func:`cell` instead).
    """
    if value is None:
        return "—"
    if _is_scalar(value):
        return num(value)
    if isinstance(value, (list, tuple)):
        shown = ", ".join(format_value(v) for v in value[:_MAX_LIST])
        more = f", … ({len(value)} values)" if len(value) > _MAX_LIST else ""
        return f"[{shown}{more}]"
    if isinstance(value, Mapping):
        items = list(value.items())
        text = "; ".join(f"{k}: {format_value(v)}" for k, v in items[:_MAX_LIST])
        return text + (f"; … ({len(items)} entries)" if len(items) > _MAX_LIST else "")
    return str(value)


def _axis_labels(n: int, seeds: Sequence[Any] | None, axis: str) -> tuple[str, tuple[str, ...]]:
    if seeds is not None and len(seeds) == n:
        return "seed", tuple(f"seed {num(s)}" for s in seeds)
    return axis, tuple(str(i + 1) for i in range(n))


def cell(value: Any, seeds: Sequence[Any] | None = None) -> str | Grid:
    """A cell's content: text, or a :class:`Grid` for a list of equal-length lists of numbers or a
    mapping of equal-length number lists (rows: metrics or settings; columns: seeds when their count
    matches the run's seeds)."""
    grid = _grid(value, seeds)
    return grid if grid is not None else format_value(value)


def _grid(value: Any, seeds: Sequence[Any] | None) -> Grid | None:
    if isinstance(value, Mapping) and len(value) >= 1:
        lists = list(value.values())
        if all(isinstance(v, (list, tuple)) and v and all(_is_number(w) for w in v) for v in lists):
            width = len(lists[0])
            if width > 1 and all(len(v) == width for v in lists):
                axis, columns = _axis_labels(width, seeds, "index")
                rows = tuple((str(k), tuple(num(w) if w is not None else "—" for w in v[:_MAX_GRID]))
                             for k, v in list(value.items())[:_MAX_GRID])
                return Grid(f"metric \\ {axis}", columns[:_MAX_GRID], rows, _clipped(len(value), width))
        return None
    if isinstance(value, (list, tuple)) and len(value) >= 1 and all(isinstance(v, (list, tuple)) for v in value):
        if not all(all(_is_number(w) for w in v) for v in value):
            return None
        width = len(value[0])
        if width == 0 or not all(len(v) == width for v in value):
            return None
        col_axis, columns = _axis_labels(width, seeds, "column")
        row_axis, row_labels = _axis_labels(len(value), seeds if col_axis != "seed" else None, "row")
        rows = tuple((row_labels[i], tuple(num(w) if w is not None else "—" for w in v[:_MAX_GRID]))
                     for i, v in enumerate(value[:_MAX_GRID]))
        return Grid(f"{row_axis} \\ {col_axis}", columns[:_MAX_GRID], rows, _clipped(len(value), width))
    return None


def _clipped(n_rows: int, n_cols: int) -> str:
    if n_rows <= _MAX_GRID and n_cols <= _MAX_GRID:
        return ""
    return f"first {min(n_rows, _MAX_GRID)} of {n_rows} rows, {min(n_cols, _MAX_GRID)} of {n_cols} columns"


def _flatten(mapping: Mapping[str, Any], prefix: str = "", depth: int = 0) -> list[tuple[str, Any]]:
    rows = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and depth < 2 and _grid(value, None) is None:
            rows.extend(_flatten(value, name + " / ", depth + 1))
        else:
            rows.append((name, value))
    return rows


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _seeds(result: Mapping[str, Any]) -> list | None:
    seeds = result.get("seeds")
    return list(seeds) if isinstance(seeds, (list, tuple)) else None


def comparison_rows(result: Mapping[str, Any]) -> tuple[list[tuple[str, str | Grid, str | Grid, str]], int]:
    """Rows (quantity, ours, paper's, unit): one per compared quantity, and how many were left out.

    From the record's ``comparisons`` when present; otherwise measured and paper numbers of the same
    name side by side, then the paper's numbers that have no measured counterpart with ours "—".
    """
    seeds = _seeds(result)
    comparisons = result.get("comparisons")
    rows: list[tuple[str, str | Grid, str | Grid, str]] = []
    if isinstance(comparisons, list) and comparisons:
        for c in comparisons:
            if not isinstance(c, Mapping):
                continue
            rows.append((str(c.get("quantity", "")), cell(c.get("ours"), seeds), cell(c.get("paper"), seeds),
                         str(c.get("unit") or "")))
    else:
        measured = dict(_flatten(_mapping(result.get("measured"))))
        paper = dict(_flatten(_mapping(result.get("paper"))))
        rows = [(k, cell(measured[k], seeds), cell(v, seeds), "") for k, v in paper.items() if k in measured]
        rows += [(k, "—", cell(v, seeds), "") for k, v in paper.items() if k not in measured]
    return rows[:_MAX_ROWS], max(0, len(rows) - _MAX_ROWS)


def other_rows(result: Mapping[str, Any]) -> tuple[list[tuple[str, str | Grid]], int]:
    """Our other recorded numbers (measured keys the comparison does not show), and how many were left out."""
    seeds = _seeds(result)
    measured = _flatten(_mapping(result.get("measured")))
    comparisons = result.get("comparisons")
    if isinstance(comparisons, list) and comparisons:
        shown = {str(c.get("quantity")) for c in comparisons if isinstance(c, Mapping)}
    else:
        shown = set(dict(_flatten(_mapping(result.get("paper")))))
    rows = [(k, cell(v, seeds)) for k, v in measured if k not in shown and k not in ("seeds", "seed")]
    rows += [(f"details / {k}", cell(v, seeds)) for k, v in _flatten(_mapping(result.get("details")))]
    return rows[:_MAX_ROWS], max(0, len(rows) - _MAX_ROWS)


def number_rows(result: Mapping[str, Any]) -> tuple[list[tuple[str, str, str]], int]:
    """Rows (quantity, ours, paper's) as text: the comparison rows, then our other numbers with the
    paper's cell "—" (kept for callers that want one plain table)."""
    compared, left_compared = comparison_rows(result)
    others, left_others = other_rows(result)

    def text(value):
        return format_value(value) if not isinstance(value, Grid) else "(table)"

    rows = [(k, text(o), text(p)) for k, o, p, _ in compared] + [(k, text(o), "—") for k, o in others]
    return rows[:_MAX_ROWS], max(0, len(rows) - _MAX_ROWS) + left_compared + left_others


def evidence_grids(result: Mapping[str, Any]) -> list[tuple[str, str | Grid]]:
    """The recorded per-seed evidence as (name, grid or text), 4 significant digits."""
    evidence = result.get("evidence")
    if not isinstance(evidence, Mapping) or not evidence:
        return []
    seeds = _seeds(result)
    per_seed = {k: v for k, v in evidence.items() if isinstance(v, (list, tuple)) and v and all(_is_number(w) for w in v)}
    out: list[tuple[str, str | Grid]] = []
    widths = {len(v) for v in per_seed.values()}
    if per_seed and len(widths) == 1:
        out.append(("per seed", cell(per_seed, seeds)))
        rest = {k: v for k, v in evidence.items() if k not in per_seed}
    else:
        rest = dict(evidence)
    out += [(str(k), cell(v, seeds)) for k, v in rest.items()]
    return out


# ------------------------------------------------------------------------------------------------
# Run facts, provenance, timing
# ------------------------------------------------------------------------------------------------


def timing_text(result: Mapping[str, Any]) -> str | None:
    """How long the claim took, or that it reused another claim's training (None when not recorded)."""
    shared = result.get("shared_run")
    if isinstance(shared, str) and shared:
        return f"shares the trained run of {shared}"
    seconds = result.get("seconds")
    if not _is_number(seconds) or seconds is None:
        return None
    if kind_of(result) == "trained" and seconds < 0.5:
        return "reuses an earlier claim's run"
    return f"{float(seconds):.1f} s"


def seconds_cell(result: Mapping[str, Any]) -> str:
    """The summary table's time cell: seconds, or "shared" for a claim that reuses another's training."""
    text = timing_text(result)
    if text is None:
        return ""
    return text[:-2] if text.endswith(" s") else "shared"


def run_facts(run: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) lines for the report header."""
    prov = run.get("provenance")
    seconds = run.get("seconds")
    facts = [("profile", str(run.get("profile") or "not recorded")),
             ("time of the whole run", "not recorded" if not _is_number(seconds) or seconds is None
              else f"{float(seconds):.1f} s")]
    if not isinstance(prov, Mapping) or not prov:
        facts.append(("provenance", "not recorded (this record was written by earlier code)"))
        return facts
    from toyvae.provenance import describe_commit, describe_device

    libs = _mapping(prov.get("libraries"))
    facts += [
        ("toyvae", f"{prov.get('toyvae')} ({_safe(describe_commit, prov.get('git'))})"),
        ("libraries", ", ".join(f"{k} {v}" for k, v in libs.items() if v)),
        ("python", str(prov.get("python"))),
        ("device", _safe(describe_device, prov.get("jax"))),
        ("numerics", _numerics(prov.get("jax"))),
        ("made", str(prov.get("time_utc"))),
    ]
    return facts


def _safe(describe, value) -> str:
    """A provenance description that a malformed entry cannot break."""
    try:
        return str(describe(value if isinstance(value, Mapping) or value is None else None))
    except Exception:  # noqa: BLE001 - a malformed provenance entry is reported as such, not raised
        return "not readable"


def _numerics(jax_state: Any) -> str:
    if not isinstance(jax_state, Mapping) or not jax_state or "error" in jax_state:
        return "not recorded"
    tf32 = {True: "possible", False: "off"}.get(jax_state.get("tf32_possible"), "unknown")
    return (f"matmul precision {jax_state.get('default_matmul_precision') or 'default'}, TF32 {tf32}, "
            f"x64 {'on' if jax_state.get('x64') else 'off'} (training in float32, closed forms in float64)")


def card_provenance(run: Mapping[str, Any], result: Mapping[str, Any]) -> str:
    """One line for a card: code, libraries, device, then this claim's profile, seeds and time."""
    prov = run.get("provenance")
    parts = []
    if isinstance(prov, Mapping) and prov:
        from toyvae.provenance import describe_commit, describe_device

        libs = _mapping(prov.get("libraries"))
        parts.append(f"toyvae {prov.get('toyvae')} ({_safe(describe_commit, prov.get('git'))})")
        parts.append(", ".join(f"{k} {libs[k]}" for k in ("jax", "jaxlib", "numpy", "scipy", "optax") if libs.get(k)))
        parts.append(f"device {_safe(describe_device, prov.get('jax'))}")
    else:
        parts.append("code, libraries and device: not recorded (earlier code)")
    parts.append(f"profile {result.get('profile') or run.get('profile') or 'not recorded'}")
    if "seeds" in result:
        parts.append(f"seeds {format_value(result['seeds'])}")
    timing = timing_text(result)
    if timing:
        parts.append(timing)
    return " · ".join(p for p in parts if p)


def replication(run: Mapping[str, Any]) -> tuple[str, list[str]] | None:
    """The replication box: (seed offset text, moved claim ids), or None when the run has none."""
    rep = run.get("replication")
    if not isinstance(rep, Mapping):
        return None
    moved = rep.get("moved")
    moved = [str(m) for m in moved] if isinstance(moved, (list, tuple)) else []
    return num(rep.get("seed_offset")) if rep.get("seed_offset") is not None else "not recorded", moved


def references(results: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, list[str]]]:
    """(family id, family name, the distinct sources its claims cite), in report order."""
    out = []
    for family, rows in grouped(results):
        sources = []
        for r in rows:
            source = r.get("source")
            if isinstance(source, str) and source and source not in sources:
                sources.append(source)
        out.append((family, FAMILIES.get(family, family), sources))
    return out


def figure_filename(claim_id: str) -> str:
    """A file name for a claim's figure: the id with anything but letters, digits, '.', '-', '_' replaced."""
    safe = "".join(ch if ch.isalnum() or ch in ".-_" else "_" for ch in claim_id)
    return f"{safe}.png"
