"""The README stays true: its claims table is the registry's, its test command is what CI runs."""

import re
from pathlib import Path

from toyvae.claims import all_claims
from toyvae.cli import claims_markdown

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_claims_table_matches_registry():
    start, end = "<!-- claims-table:start -->", "<!-- claims-table:end -->"
    table = README.split(start)[1].split(end)[0].strip()
    assert table == claims_markdown(all_claims()), "README claims table is stale: run `toyvae list --markdown`"


def test_quickstart_has_two_commands_and_ci_runs_the_test_one():
    quick = README.split("## Quickstart")[1].split("\n## ")[0]
    commands = re.findall(r"```(?:bash|sh)\n(.+?)\n```", quick)
    assert len(commands) == 2, commands
    install_run, test = commands
    assert "toyvae verify" in install_run and "pytest" in test
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == test, "the last line of .ci/run must be the README's test command"


def test_claim_catalogue_in_docs_matches_registry():
    from toyvae.cli.command import claims_catalogue

    text = (ROOT / "docs" / "claims.md").read_text()
    assert text == claims_catalogue(all_claims()), "docs/claims.md is stale: run `toyvae list --catalogue > docs/claims.md`"


def test_every_claim_with_rules_appears_in_the_rule_history():
    """A claim decided by rules has a dated entry in docs/rule-history.md (why its rules are what they are)."""
    history = (ROOT / "docs" / "rule-history.md").read_text()
    missing = [c.id for c in all_claims() if c.rules is not None and c.id not in history]
    assert not missing, f"no entry in docs/rule-history.md for {missing}"
