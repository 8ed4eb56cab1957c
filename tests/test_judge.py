"""`toyvae judge`: a saved run's evidence re-judged by today's rules, without training."""

from __future__ import annotations

import json

import numpy as np

from toyvae.claims.registry import all_claims, rejudge
from toyvae.cli import main


def _row(claim_id: str, verdict: str, evidence: dict, fingerprint: str = "old") -> dict:
    return {"id": claim_id, "verdict": verdict, "evidence": evidence, "rule_fingerprint": fingerprint,
            "source": "s", "statement": "s", "summary": "s", "measured": {}, "paper": {}, "seconds": 1.0,
            "profile": "quick", "expected_verdict": verdict, "ok": True}


def _a2_evidence(gap: float) -> dict:
    base = np.array([-1.2, -1.3, -1.25, -1.28, -1.22, -1.31])
    return {"elbo/LS": base.tolist(), "elbo/F sched": (base + 0.01 * np.arange(6)).tolist(),
            "elbo/F*": (base - gap + 0.01 * np.sin(np.arange(6))).tolist()}


def test_rejudge_gives_the_rules_verdict_and_fingerprint():
    all_claims()
    d = rejudge(_row("BS20.A2", "open", _a2_evidence(0.3)))
    assert d.verdict == "confirmed" and len(d.fingerprint) == 12
    missing = rejudge(_row("BS20.A2", "open", {}))  # today's rules read evidence this run did not record
    assert missing.verdict == "open" and "is missing" in missing.reason
    assert rejudge({"id": "BS20.T1", "verdict": "refined"}) is None  # no evidence recorded: nothing to re-judge


def test_judge_command_reports_moved_verdicts_and_writes_json(tmp_path, capsys):
    run = {"format": "toyvae-report/1", "provenance": None, "profile": "quick", "seconds": 1.0,
           "results": [_row("BS20.A2", "open", _a2_evidence(0.3))]}
    path = tmp_path / "run.json"
    path.write_text(json.dumps(run))
    out = tmp_path / "judged.json"
    assert main(["judge", str(path), "--json", str(out)]) == 1  # open -> confirmed: moved
    text = capsys.readouterr().out
    assert "MOVED" in text and "rules changed since the run" in text
    judged = json.loads(out.read_text())["results"][0]
    assert judged["verdict"] == "confirmed" and judged["rules"][0]["state"] in ("holds", "unresolved")
    assert main(["judge", str(out)]) == 0  # re-judging the re-judged run moves nothing
    assert "same rules" in capsys.readouterr().out


def test_judge_refuses_a_missing_run(tmp_path, capsys):
    assert main(["judge", str(tmp_path / "nope.json")]) == 2
    assert "nope.json" in capsys.readouterr().err
