"""The figure scripts' shared command line: every argument checked before any work, errors in one line."""

import importlib.util
import os
from pathlib import Path

import pytest

from toyvae.cli.figure import MAX_SEED, figure_arguments

FIGURES = Path(__file__).resolve().parents[1] / "figures"


def _exit_2_one_line(capsys, argv) -> str:
    with pytest.raises(SystemExit) as exc:
        figure_arguments("A figure.", argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "usage:" not in err and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("seed", ["-1", str(MAX_SEED + 1), "abc", "1.5", ""])
def test_bad_seed_is_one_line_exit_2(capsys, tmp_path, seed):
    err = _exit_2_one_line(capsys, ["--out", str(tmp_path), "--seed", seed])
    assert "--seed" in err and "[0, 4294967295]" in err


@pytest.mark.parametrize("seed", [0, 7, MAX_SEED])
def test_seeds_in_range_are_accepted(tmp_path, seed):
    assert figure_arguments("A figure.", ["--out", str(tmp_path), "--seed", str(seed)]).seed == seed


def test_out_is_created_at_parse_time(tmp_path):
    out = tmp_path / "a" / "b" / "c"
    args = figure_arguments("A figure.", ["--out", str(out), "--quick"])
    assert args.out == out and out.is_dir() and args.quick and args.seed == 0
    assert list(out.iterdir()) == []  # the write probe leaves nothing behind


def test_out_that_is_a_file_or_under_one(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert "--out" in _exit_2_one_line(capsys, ["--out", str(blocker)])
    assert f"{blocker} is a file" in _exit_2_one_line(capsys, ["--out", str(blocker / "sub")])


def test_out_not_writable(capsys, tmp_path):
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
    else:  # root ignores permissions; /sys refuses new files even to root
        folder = Path("/sys")
        try:
            (folder / "toyvae-probe").open("a").close()
            pytest.skip("no unwritable folder available")
        except OSError:
            pass
    assert "--out" in _exit_2_one_line(capsys, ["--out", str(folder / "figs")])


def test_a_training_script_stops_before_training_on_a_bad_seed(capsys, tmp_path, monkeypatch):
    """nl26_rate_vs_lambda trains for ~20 s before drawing; a bad seed must stop it first."""
    spec = importlib.util.spec_from_file_location("nl26_rate_vs_lambda", FIGURES / "nl26_rate_vs_lambda.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(SystemExit) as exc:
        module.main(["--quick", "--out", str(tmp_path), "--seed", "-3"])
    assert exc.value.code == 2 and "--seed" in capsys.readouterr().err
