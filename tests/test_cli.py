"""The ``toyvae`` command line: exit codes, one-line errors, the JSON report."""

import json
import subprocess
import sys

import pytest

from toyvae.cli import main


def test_unknown_claim_pattern_is_one_line_exit_2(capsys):
    assert main(["verify", "--only", "NOPE.T99", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "NOPE.T99" in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [["verify", "--bogus"], ["verify", "--quick", "--full"], ["frobnicate"]])
def test_bad_option_is_one_line_exit_2(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_missing_json_folder_is_a_usage_error(capsys, tmp_path):
    assert main(["verify", "--only", "BS20.S32-mse", "--json", str(tmp_path / "nope" / "r.json")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_verify_one_claim_writes_json(tmp_path, capsys):
    path = tmp_path / "report.json"
    assert main(["verify", "--only", "BS20.S32-mse", "--json", str(path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "BS20.S32-mse" in out and "confirmed" in out
    report = json.loads(path.read_text())
    assert [r["id"] for r in report] == ["BS20.S32-mse"]
    for key in ("id", "verdict", "expected_verdict", "measured", "seconds"):
        assert key in report[0]
    assert report[0]["verdict"] == report[0]["expected_verdict"] == "confirmed"


def test_prefix_selects_a_family():
    from toyvae.claims import select

    ids = [c.id for c in select(["BS20.T1"])]
    assert "BS20.T1" in ids and "BS20.T1-sharp" in ids and all(i.startswith("BS20.T1") for i in ids)


def test_console_entry_point_runs_as_a_module():
    proc = subprocess.run([sys.executable, "-m", "toyvae", "list"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "BS20.T1" in proc.stdout
