"""The ``toyvae`` command line: exit codes, one-line errors before any work, the JSON run and the report."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from toyvae.cli import main
from toyvae.report import FORMAT

FAST = ["--only", "QA", "--no-progress"]  # QA.1: a theory claim that runs in about a second


def _one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    return err


@pytest.fixture
def no_claim_runs(monkeypatch):
    """Fails the test if any claim's check starts (the CLI must stop before the work)."""
    import toyvae.claims.registry as registry

    def forbidden(*args, **kwargs):
        raise AssertionError("a claim ran although the command line was invalid")

    monkeypatch.setattr(registry, "run_claim", forbidden)


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder in which nothing can be created (a read-only one; /sys for root, who ignores permissions)."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
        return folder
    folder = Path("/sys")
    try:
        (folder / "toyvae-probe").open("a").close()
    except OSError:
        return folder
    pytest.skip("no unwritable folder available")


def test_unknown_claim_pattern_is_one_line_exit_2(capsys):
    assert main(["verify", "--only", "NOPE.T99", "--no-progress"]) == 2
    assert "NOPE.T99" in _one_line_error(capsys)


@pytest.mark.parametrize("argv", [["verify", "--bogus"], ["verify", "--quick", "--full"], ["frobnicate"],
                                  ["report", "x.json"], ["env", "--bogus"]])
def test_bad_option_is_one_line_exit_2(capsys, argv):
    assert main(argv) == 2
    _one_line_error(capsys)


# --- output paths are checked before any claim runs ------------------------------------------


def test_json_path_that_is_a_folder(capsys, tmp_path, no_claim_runs):
    assert main(["verify", *FAST, "--json", str(tmp_path)]) == 2
    err = _one_line_error(capsys)
    assert "--json" in err and str(tmp_path) in err and "is a folder" in err


def test_json_path_whose_folder_is_missing(capsys, tmp_path, no_claim_runs):
    assert main(["verify", *FAST, "--json", str(tmp_path / "nope" / "r.json")]) == 2
    assert "does not exist" in _one_line_error(capsys)


@pytest.mark.parametrize("below", [["r.json"], ["sub", "r.json"]])
def test_json_path_under_a_file(capsys, tmp_path, no_claim_runs, below):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["verify", *FAST, "--json", str(blocker.joinpath(*below))]) == 2
    err = _one_line_error(capsys)
    assert f"{blocker} is a file" in err and "--json" in err


def test_json_path_not_writable(capsys, tmp_path, no_claim_runs):
    folder = _unwritable_folder(tmp_path)
    assert main(["verify", *FAST, "--json", str(folder / "r.json")]) == 2
    err = _one_line_error(capsys)
    assert "cannot write" in err and "--json" in err


def test_the_write_probe_leaves_an_existing_json_file_alone(capsys, tmp_path, no_claim_runs):
    path, blocker = tmp_path / "old.json", tmp_path / "a-file"
    path.write_text("[]")
    blocker.write_text("x")
    assert main(["verify", *FAST, "--json", str(path), "--report", str(blocker)]) == 2  # --json passes, --report fails
    assert path.read_text() == "[]"
    assert main(["verify", *FAST, "--json", str(tmp_path / "new.json"), "--report", str(blocker)]) == 2
    assert not (tmp_path / "new.json").exists()  # the probe removes the file it made


def test_report_folder_that_is_a_file(capsys, tmp_path, no_claim_runs):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["verify", *FAST, "--report", str(blocker)]) == 2
    assert "--report" in _one_line_error(capsys)
    assert main(["verify", *FAST, "--report", str(blocker / "deeper" / "dir")]) == 2
    assert f"{blocker} is a file" in _one_line_error(capsys)


def test_report_folder_not_writable(capsys, tmp_path, no_claim_runs):
    folder = _unwritable_folder(tmp_path)
    assert main(["verify", *FAST, "--report", str(folder / "report")]) == 2
    assert "--report" in _one_line_error(capsys)


# --- a real run -------------------------------------------------------------------------------


def test_verify_one_claim_writes_the_run_and_the_report(tmp_path, capsys):
    path, report = tmp_path / "run.json", tmp_path / "new" / "report"
    assert main(["verify", *FAST, "--json", str(path), "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "QA.1" in out and "confirmed" in out
    run = json.loads(path.read_text())
    assert run["format"] == FORMAT and run["profile"] == "quick" and run["seconds"] > 0
    assert run["provenance"]["toyvae"] and run["provenance"]["libraries"]["numpy"]
    [row] = run["results"]
    for key in ("id", "verdict", "expected_verdict", "expected", "expected_full", "finding", "rule",
                "measured", "paper", "tolerances", "figure_data", "seconds", "profile"):
        assert key in row, key
    assert row["id"] == "QA.1" and row["verdict"] == row["expected_verdict"] == "confirmed"
    assert row["seeds"] == [0] and row["figure_data"]
    html = (report / "report.html").read_text()
    assert 'id="claim-QA.1"' in html and "data:image/png;base64," in html
    assert (report / "report.md").exists() and (report / "figures" / "QA.1.png").exists()
    assert json.loads((report / "run.json").read_text())["results"][0]["id"] == "QA.1"


def test_report_rebuilds_from_a_saved_run(tmp_path, capsys):
    path = tmp_path / "run.json"
    assert main(["verify", *FAST, "--json", str(path)]) == 0
    assert main(["report", str(path), "--out", str(tmp_path / "rebuilt")]) == 0
    assert "QA.1" in (tmp_path / "rebuilt" / "report.md").read_text()


def test_report_reads_the_earlier_format(tmp_path, capsys):
    legacy = Path(__file__).resolve().parents[1] / "results" / "full_profile_h100" / "bs20_sphere.json"
    assert main(["report", str(legacy), "--out", str(tmp_path)]) == 0
    assert "earlier code" in capsys.readouterr().out
    assert "Produced by earlier code" in (tmp_path / "report.html").read_text()


@pytest.mark.parametrize("content, phrase", [(None, "does not exist"), ("{not json", "not JSON"),
                                             ('{"raw": {}}', "not a toyvae run record"),
                                             ('{"format": "toyvae-report/99", "results": []}', "unknown format"),
                                             ("[]", "no results")])
def test_report_rejects_what_it_cannot_read(capsys, tmp_path, content, phrase):
    path = tmp_path / "run.json"
    if content is not None:
        path.write_text(content)
    assert main(["report", str(path), "--out", str(tmp_path / "out")]) == 2
    assert phrase in _one_line_error(capsys)
    assert not (tmp_path / "out").exists()  # nothing made before the input was found good


def test_report_out_that_is_a_file(capsys, tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps([{"id": "QA.1", "verdict": "confirmed"}]))
    assert main(["report", str(path), "--out", str(path)]) == 2
    assert "--out" in _one_line_error(capsys)


# --- env, --version, bench --------------------------------------------------------------------


def test_version_names_the_libraries_and_the_device(capsys):
    import numpy

    assert main(["--version"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert 1 <= len(out) <= 2 and out[0].startswith("toyvae ")
    text = " ".join(out)
    for name in ("jax", "jaxlib", "numpy", "scipy", "optax", "device"):
        assert name in text
    assert numpy.__version__ in text


def test_env_json_is_the_provenance_record(capsys):
    assert main(["env", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["jax"]["backend"] == "cpu" and record["libraries"]["scipy"]
    assert main(["env"]) == 0
    assert "TF32 possible" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["--bogus"], ["--steps", "0"], ["--rounds", "two"]])
def test_bench_usage_error_is_one_line_exit_2(capsys, args):
    assert main(["bench", *args]) == 2
    err = _one_line_error(capsys)
    assert err.startswith("toyvae bench: error:")


def test_an_exact_id_selects_exactly_that_claim_and_prefixes_or_globs_select_families():
    from toyvae.claims import select

    assert [c.id for c in select(["BS20.T1"])] == ["BS20.T1"]  # not BS20.T1-sharp, BS20.T1tab, ...
    assert [c.id for c in select(["nl26.t46"])] == ["NL26.T46"]  # case-insensitive, not NL26.T46-trained
    ids = [c.id for c in select(["BS20.T1*"])]
    assert "BS20.T1" in ids and "BS20.T1-sharp" in ids and all(i.startswith("BS20.T1") for i in ids)
    family = [c.id for c in select(["BS20"])]
    assert len(family) > 5 and all(i.startswith("BS20.") for i in family)


def test_console_entry_point_runs_as_a_module():
    proc = subprocess.run([sys.executable, "-m", "toyvae", "list"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "BS20.T1" in proc.stdout
