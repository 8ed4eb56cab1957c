"""What the HTML and Markdown reports both say: families, verdict counts, number rows, provenance lines.

Both renderers call these, so the two files carry the same content in two markups.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["VERDICTS", "FAMILIES", "family_of", "grouped", "counts", "number_rows", "format_value",
           "run_facts", "card_provenance", "rule_text", "registered_verdict", "figure_filename"]

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

_MAX_ROWS = 40  # number rows shown on a card; the rest are in the full JSON below it
_MAX_LIST = 8  # list items shown in a cell


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
    return result.get("expected_verdict")


def rule_text(result: Mapping[str, Any]) -> str:
    """The rule that decided the verdict, or a pointer to the tolerances when the check gave none."""
    if result.get("rule"):
        return str(result["rule"])
    if result.get("tolerances"):
        return "Not stated by the check; the verdict is decided by comparing the measured numbers with these tolerances:"
    return "Not recorded."


def format_value(value: Any) -> str:
    """A cell: numbers to 4 significant digits, long lists shortened, booleans as yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "—"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        shown = ", ".join(format_value(v) for v in value[:_MAX_LIST])
        more = f", … ({len(value)} values)" if len(value) > _MAX_LIST else ""
        return f"[{shown}{more}]"
    if isinstance(value, Mapping):
        return json.dumps(value, separators=(", ", ": "))[:200]
    return str(value)


def _flatten(mapping: Mapping[str, Any], prefix: str = "", depth: int = 0) -> list[tuple[str, Any]]:
    rows = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and depth < 2:
            rows.extend(_flatten(value, name + " / ", depth + 1))
        else:
            rows.append((name, value))
    return rows


def number_rows(result: Mapping[str, Any]) -> tuple[list[tuple[str, str, str]], int]:
    """Rows (quantity, ours, paper's) for the card, and how many rows were left out.

    Ours and the paper's sit side by side when the check used the same name for both; the paper's
    other numbers follow with our cell empty.
    """
    measured = dict(_flatten(result.get("measured") or {}))
    paper = dict(_flatten(result.get("paper") or {}))
    rows = [(k, format_value(v), format_value(paper[k]) if k in paper else "") for k, v in measured.items()]
    rows += [(k, "", format_value(v)) for k, v in paper.items() if k not in measured]
    rows.sort(key=lambda row: row[2] == "")  # the ones with a paper value first
    return rows[:_MAX_ROWS], max(0, len(rows) - _MAX_ROWS)


def run_facts(run: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) lines for the report header."""
    prov = run.get("provenance")
    seconds = run.get("seconds")
    facts = [("profile", str(run.get("profile") or "not recorded")),
             ("time of the whole run", "not recorded" if seconds is None else f"{seconds:.1f} s")]
    if not prov:
        facts.append(("provenance", "not recorded (this record was written by earlier code)"))
        return facts
    from toyvae.provenance import describe_commit, describe_device

    libs = prov.get("libraries") or {}
    facts += [
        ("toyvae", f"{prov.get('toyvae')} ({describe_commit(prov.get('git'))})"),
        ("libraries", ", ".join(f"{k} {v}" for k, v in libs.items() if v)),
        ("python", str(prov.get("python"))),
        ("device", describe_device(prov.get("jax"))),
        ("numerics", _numerics(prov.get("jax"))),
        ("made", str(prov.get("time_utc"))),
    ]
    return facts


def _numerics(jax_state: Mapping[str, Any] | None) -> str:
    if not jax_state or "error" in jax_state:
        return "not recorded"
    tf32 = {True: "possible", False: "off", None: "unknown"}[jax_state.get("tf32_possible")]
    return (f"matmul precision {jax_state.get('default_matmul_precision') or 'default'}, TF32 {tf32}, "
            f"x64 {'on' if jax_state.get('x64') else 'off'} (training in float32, closed forms in float64)")


def card_provenance(run: Mapping[str, Any], result: Mapping[str, Any]) -> str:
    """One line for a card: code, libraries, device, then this claim's profile, seeds and seconds."""
    prov = run.get("provenance")
    parts = []
    if prov:
        from toyvae.provenance import describe_commit, describe_device

        libs = prov.get("libraries") or {}
        parts.append(f"toyvae {prov.get('toyvae')} ({describe_commit(prov.get('git'))})")
        parts.append(", ".join(f"{k} {libs[k]}" for k in ("jax", "jaxlib", "numpy", "scipy", "optax") if libs.get(k)))
        parts.append(f"device {describe_device(prov.get('jax'))}")
    else:
        parts.append("code, libraries and device: not recorded (earlier code)")
    parts.append(f"profile {result.get('profile') or run.get('profile') or 'not recorded'}")
    if "seeds" in result:
        parts.append(f"seeds {format_value(result['seeds'])}")
    if result.get("seconds") is not None:
        parts.append(f"{float(result['seconds']):.1f} s")
    return " · ".join(parts)


def figure_filename(claim_id: str) -> str:
    """A file name for a claim's figure: the id with anything but letters, digits, '.', '-', '_' replaced."""
    safe = "".join(ch if ch.isalnum() or ch in ".-_" else "_" for ch in claim_id)
    return f"{safe}.png"
