"""The two closed-form hypersphere figures in quick mode, asserted on the numbers behind them.

Both locate the collapse threshold by brute force (grid argmax of ``log_marginal``), independently of
``sharp_threshold``'s formula: the located threshold must equal the sharp one within the grid
resolution, and differ from the paper's sufficient one wherever the grid resolves the gap.
"""

from __future__ import annotations

import pathlib

import pytest

from figure_scripts import run_quick  # tests/figure_scripts.py


@pytest.fixture(scope="module")
def heatmap(tmp_path_factory):
    return run_quick("bs20_fig2_heatmap", tmp_path_factory.mktemp("fig"))


@pytest.fixture(scope="module")
def thresholds(tmp_path_factory):
    return run_quick("bs20_threshold_vs_dim", tmp_path_factory.mktemp("fig"))


def test_heatmap_argmax_leaves_zero_at_sharp_threshold(heatmap):
    leaves, step = heatmap["argmax_leaves_zero_at"], heatmap["grid_step"]
    assert pathlib.Path(heatmap["png"]).stat().st_size > 10_000
    assert heatmap["sharp"] == pytest.approx(2**0.5) and heatmap["sufficient"] == pytest.approx(1.0)
    # the first grid column with r-argmax > 0 is the first grid R/sigma above sqrt(2); the r-grid's
    # own bias (argmax stays 0 until r* > dr/2) shifts it by O(dr^2) = 1e-4, under one R step
    assert heatmap["sharp"] < leaves <= heatmap["sharp"] + step
    # and the paper's sufficient threshold R/sigma = 1 is many grid steps away
    assert leaves - heatmap["sufficient"] > 10 * step


def test_located_threshold_is_the_sharp_one(thresholds):
    rows = thresholds["rows"]
    assert pathlib.Path(thresholds["png"]).stat().st_size > 10_000
    assert [row["D"] for row in rows][0] == 2 and rows[-1]["D"] >= 10_000
    n_r = 300  # the quick r-grid of the script: r in [0, R] with R = 1
    resolved = 0
    for row in rows:
        sharp, step = row["sharp"], row["sigma_step"]
        # the largest grid sigma below sigma_c, or one step lower when r* < dr/2 there: the bias in
        # sigma is ~(dr / R)^2 / 4 relative (quartic term of log_marginal), bounded here by (dr/R)^2
        bias = sharp * (1.0 / (n_r - 1)) ** 2
        assert sharp - step - bias <= row["located"] < sharp, row
        if row["sufficient"] - sharp > 2 * step:  # the grid resolves the gap between the two thresholds
            resolved += 1
            assert row["sufficient"] - row["located"] > step, row
    assert resolved >= 9  # quick grid: every D up to 3000 resolves the gap sqrt(D/(D-1)) - 1 ~ 1/(2D)
