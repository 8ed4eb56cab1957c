"""The figure scripts of BS20.A2-plateaus, MB.Samples and SL.Samples in quick mode: each writes its PNG from the claim's
measurement, and the numbers behind it are those the rules read. Each trains (or reuses) its claim's quick runs,
about a minute or more on two busy cores, so they are marked slow; ``pytest paper_checks`` runs the same
experiments through the claims."""

from pathlib import Path

import numpy as np
import pytest

from figure_scripts import run_quick  # tests/figure_scripts.py


@pytest.mark.slow
def test_sigma_plateaus_figure(tmp_path):
    out = run_quick("bs20_sigma_plateaus", tmp_path)
    assert Path(out["png"]).is_file()
    z = np.asarray(out["staircase_index"], float)
    assert np.all(np.isfinite(z)) and np.all(z <= np.log(8.0) + 1e-12)  # capped at log FLAT_CAP
    assert np.all(np.asarray(out["block_noise_over_pace"]) > 0)


@pytest.mark.slow
def test_samples_figure(tmp_path):
    out = run_quick("mb_samples", tmp_path)
    assert Path(out["png"]).is_file()
    assert out["floor"] < out["white"] / 10 and out["gaussian"] < out["white"] / 10
    for v in out["fd"].values():
        assert len(v) == 3 and min(v) > out["floor"]  # a trained sampler is no better than the data itself


@pytest.mark.slow
def test_aggregate_samples_figure(tmp_path):
    out = run_quick("sl_samples", tmp_path)
    assert Path(out["png"]).is_file()
    assert out["betas"] == sorted(out["betas"]) and len(out["rank_correlation"]) == len(out["fd"])
    assert all(-1.0 <= r <= 1.0 for r in out["rank_correlation"])
