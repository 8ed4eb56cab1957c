"""Provenance: what a run records about the code, the libraries and the device."""

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

import toyvae
from toyvae.provenance import LIBRARIES, format_provenance, git_state, provenance, version_line

ROOT = Path(toyvae.__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def record():
    return provenance()


def test_record_is_json_and_names_every_library(record):
    assert json.loads(json.dumps(record)) == record
    assert record["toyvae"] == toyvae.__version__
    for name in LIBRARIES:
        try:
            expected = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            expected = None
        assert record["libraries"][name] == expected
    assert record["time_utc"].endswith("+00:00")


def test_device_and_numerics_on_the_cpu(record):
    jax_state = record["jax"]
    assert jax_state["backend"] == "cpu" and jax_state["device_count"] >= 1
    assert jax_state["tf32_possible"] is False  # only NVIDIA GPUs have TF32
    assert isinstance(jax_state["x64"], bool)
    assert "default_matmul_precision" in jax_state


def test_git_commit_when_run_from_a_checkout(record):
    if not (ROOT / ".git").exists():
        assert record["git"] is None
        return
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert record["git"]["commit"] == head and record["git"]["dirty"] in (True, False)


def test_no_git_outside_a_checkout(tmp_path):
    assert git_state(tmp_path) is None


def test_versions_only_without_starting_jax():
    code = ("import sys, toyvae.provenance as p; r = p.provenance(devices=False); "
            "assert r['jax'] is None and r['libraries']['numpy']; assert 'jax' not in sys.modules, 'jax imported'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_jax_platforms_is_respected():
    """Asking for the CPU gets the CPU (and so starts no GPU), whatever the machine has."""
    code = "import json, toyvae.provenance as p; print(json.dumps(p.provenance()['jax']))"
    env = {"PATH": "/usr/bin:/bin", "JAX_PLATFORMS": "cpu", "HOME": str(Path.home())}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["backend"] == "cpu"


def test_tf32_rule():
    from toyvae.provenance import _tf32_possible

    assert _tf32_possible("gpu", ["9.0"], None) is True
    assert _tf32_possible("gpu", ["9.0"], "highest") is False
    assert _tf32_possible("gpu", ["7.0"], None) is False  # Volta has no TF32
    assert _tf32_possible("gpu", [], None) is None
    assert _tf32_possible("cpu", [], None) is False


def test_text_forms(record):
    line = version_line(record)
    assert len(line.splitlines()) == 2 and line.startswith(f"toyvae {toyvae.__version__}")
    text = format_provenance(record)
    assert "matmul precision" in text and record["libraries"]["numpy"] in text


def test_a_backend_that_cannot_start_is_recorded_not_raised():
    """JAX_PLATFORMS naming a platform this machine lacks: the record says so, the run keeps its results."""
    code = ("import json, toyvae.provenance as p; r = p.provenance(); print(json.dumps(r['jax'])); "
            "print(p.version_line(r)); print(p.format_provenance(r))")
    env = {"PATH": "/usr/bin:/bin", "JAX_PLATFORMS": "nosuchplatform", "HOME": str(Path.home())}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "error" in json.loads(proc.stdout.splitlines()[0])
    assert "unavailable" in proc.stdout
