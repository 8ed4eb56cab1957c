"""``toyvae bench --scale`` runs end to end at a tiny size (no timing is asserted: speed is a benchmark)."""

import json

import pytest

from toyvae import bench


def test_scale_benchmark_runs_and_writes_its_numbers(tmp_path, capsys):
    path = tmp_path / "bench.json"
    out = bench.main(["--scale", "--tiny", "--rounds", "1", "--steps", "3", "--no-torch", "--json", str(path)])
    printed = capsys.readouterr().out
    assert "engine" in printed and "torch.compile" in printed
    saved = json.loads(path.read_text())
    assert saved["engine_images_per_s"] > 0 and saved["matmul_peak_flops"] > 0
    assert 0 < saved["engine_fraction_of_peak"] < 1
    assert set(out) >= {"torch_eager", "torch_compile", "device", "config"}
    for name in ("torch_eager", "torch_compile"):  # skipped, with the reason printed
        assert out[name]["skipped"] == "--no-torch"
    assert "skipped (--no-torch)" in printed


def test_pytorch_reference_runs_at_a_tiny_size():
    pytest.importorskip("torch")
    from toyvae.bench import scale as bench_scale

    out = bench_scale.torch_images_per_s(bench_scale.config_for("quick", tiny=True), 2)
    assert out["images_per_s"] > 0 and out["device"] == "cpu"


def test_scale_benchmark_usage_error_is_one_line_exit_2(capsys):
    from toyvae.cli import main

    assert main(["bench", "--scale", "--steps", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("toyvae bench --scale: error:")
