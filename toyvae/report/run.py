"""The JSON record of one ``toyvae verify`` run, and reading it back (today's format and the earlier one).

Format ``toyvae-report/1`` (what ``toyvae verify --json PATH`` writes)::

    {"format": "toyvae-report/1",
     "provenance": {...},          # toyvae.provenance.provenance(): versions, commit, device, time
     "profile": "quick" | "full",
     "seconds": 12.3,              # the whole run
     "results": [Result.to_json(), ...]}

Earlier code wrote the ``results`` list alone (a bare JSON list, as in ``results/full_profile_h100``).
:func:`load_run` reads both and returns the same shape, with ``legacy = True`` and no provenance for
the earlier one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["FORMAT", "RunFormatError", "run_record", "load_run", "normalise_run", "dumps"]

FORMAT = "toyvae-report/1"


class RunFormatError(ValueError):
    """A file that is not a run record this version can read (the message is one line)."""


def run_record(results: Sequence[dict[str, Any]], *, profile: str, seconds: float,
               provenance: dict[str, Any] | None) -> dict[str, Any]:
    """The ``toyvae-report/1`` object of a run: ``results`` are ``Result.to_json()`` rows."""
    return {"format": FORMAT, "provenance": provenance, "profile": str(profile),
            "seconds": round(float(seconds), 3), "results": list(results)}


LEGACY_FORMAT = "toyvae-legacy-labelled/1"  # an earlier bare list wrapped with a label and what is known of its origin


def load_run(path: Path) -> dict[str, Any]:
    """Read a run record from ``path`` (see :func:`normalise_run`).

    Raises:
        RunFormatError: unreadable, not JSON, or neither format (a one-line message naming ``path``).
    """
    path = Path(path)
    if path.is_dir():
        raise RunFormatError(f"{path} is a folder, not a JSON file")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunFormatError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise RunFormatError(f"cannot read {path}: {getattr(err, 'strerror', None) or err}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise RunFormatError(f"{path} is not JSON ({err.msg} at line {err.lineno})") from None
    try:
        return normalise_run(data)
    except RunFormatError as err:
        raise RunFormatError(f"{path}: {err}") from None


def normalise_run(data: Any) -> dict[str, Any]:
    """A run record in one shape: ``format, legacy, provenance, profile, seconds, results``.

    The earlier bare list gets ``legacy = True``, ``provenance = None``, the profile its rows share
    (``None`` when they differ) and ``seconds = None`` (the run's total was not recorded).

    Raises:
        RunFormatError: neither format, or fields of the wrong JSON type (a ``seconds`` that is a
            string, a ``measured`` that is a list, a tolerance that is not an object, ...): the
            one-line message names the result and each wrong field.
    """
    if isinstance(data, list):
        results = _checked_results(data)
        profiles = {r.get("profile") for r in results}
        return {"format": "bare list (earlier toyvae)", "legacy": True, "provenance": None,
                "profile": profiles.pop() if len(profiles) == 1 else None, "seconds": None,
                "results": results}
    if isinstance(data, dict) and data.get("format") == LEGACY_FORMAT:  # an earlier run, labelled afterwards
        inner = normalise_run(data.get("results"))
        inner.update(format=LEGACY_FORMAT, label=data.get("label"), provenance=None,
                     recorded_provenance=data.get("provenance"))
        return inner
    if isinstance(data, dict) and "format" in data:
        if data["format"] != FORMAT:
            raise RunFormatError(f"unknown format {data['format']!r} (this toyvae reads {FORMAT!r} "
                                 "and the bare list of earlier versions)")
        if not isinstance(data.get("results"), list):
            raise RunFormatError(f"a {FORMAT} record without a 'results' list")
        _check_top_level(data)
        out = {"format": FORMAT, "legacy": False, "provenance": data.get("provenance"),
               "profile": data.get("profile"), "seconds": data.get("seconds"),
               "results": _checked_results(data["results"])}
        if "replication" in data:
            out["replication"] = data["replication"]
        return out
    raise RunFormatError(f"not a toyvae run record (expected a {FORMAT!r} object or a list of results)")


def _checked_results(rows: list) -> list[dict[str, Any]]:
    if not rows:
        raise RunFormatError("the run has no results")
    problems = []
    for i, row in enumerate(rows):
        if not (isinstance(row, dict) and isinstance(row.get("id"), str) and isinstance(row.get("verdict"), str)):
            raise RunFormatError(f"result {i} is not a claim result (needs at least 'id' and 'verdict')")
        problems += [f"result {i} ({row['id']}): {p}" for p in _field_problems(row, _RESULT_FIELDS)]
        tolerances = row.get("tolerances")
        if isinstance(tolerances, list):
            problems += [f"result {i} ({row['id']}): 'tolerances' item {j} must be an object, got {_kind(t)}"
                         for j, t in enumerate(tolerances) if not isinstance(t, dict)]
    _raise_problems(problems)
    return rows


# The fields the report reads, and the JSON types it accepts for them (None: the field may be null).
_NUMBER = (int, float)
_TOP_FIELDS = {"provenance": (dict, type(None)), "profile": (str, type(None)), "seconds": (*_NUMBER, type(None)),
               "replication": (dict, type(None))}
_RESULT_FIELDS = {
    "source": (str, type(None)), "statement": (str, type(None)), "finding": (str, type(None)),
    "summary": (str, type(None)), "rule": (str, type(None)), "profile": (str, type(None)),
    "expected_verdict": (str, type(None)), "measured": (dict, type(None)), "paper": (dict, type(None)),
    "details": (dict, type(None)), "figure_data": (dict, type(None)), "tolerances": (list, type(None)),
    "seconds": (*_NUMBER, type(None)), "seeds": (list, type(None)),
    # the evidence layer's fields
    "kind": (str, type(None)), "rules": (list, type(None)), "decision": (dict, type(None)),
    "rule_fingerprint": (str, type(None)), "evidence": (dict, type(None)), "comparisons": (list, type(None)),
    "shared_run": (str, type(None)),
}
_TYPE_NAMES = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number",
               bool: "true/false", type(None): "null"}


def _kind(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _field_problems(record: dict, fields: dict) -> list[str]:
    problems = []
    for name, types in fields.items():
        if name in record:
            value = record[name]
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                wanted = " or ".join(dict.fromkeys(_TYPE_NAMES[t] for t in types))
                problems.append(f"{name!r} must be {wanted}, got {_kind(value)} ({_preview(value)})")
    return problems


def _preview(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _raise_problems(problems: list[str]) -> None:
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise RunFormatError("wrong field types: " + "; ".join(problems[:3]) + more)


def _check_top_level(data: dict) -> None:
    _raise_problems(_field_problems(data, _TOP_FIELDS))


def dumps(record: Any) -> str:
    """``record`` as indented JSON, with every list of plain numbers or strings on one line.

    ``json.dumps(indent=2)`` puts each number of a figure's grid on its own line; this keeps a
    record with a few thousand figure numbers readable and about three times smaller.
    """
    def encode(value: Any, depth: int) -> str:
        pad, inner = "  " * depth, "  " * (depth + 1)
        if isinstance(value, dict):
            if not value:
                return "{}"
            items = [f"{inner}{json.dumps(str(k))}: {encode(v, depth + 1)}" for k, v in value.items()]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(value, (list, tuple)):
            if all(not isinstance(v, (dict, list, tuple)) for v in value):
                return json.dumps(list(value))
            if all(isinstance(v, (list, tuple)) and all(not isinstance(w, (dict, list, tuple)) for w in v)
                   for v in value):  # a grid: one row per line
                return "[\n" + ",\n".join(inner + json.dumps(list(v)) for v in value) + "\n" + pad + "]"
            return "[\n" + ",\n".join(inner + encode(v, depth + 1) for v in value) + "\n" + pad + "]"
        return json.dumps(value)

    return encode(record, 0) + "\n"
