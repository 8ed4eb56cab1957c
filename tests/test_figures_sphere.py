"""The two sphere figures in quick mode: they run, write a PNG, and the numbers behind them make sense.

The quick training runs are cached per process (toyvae.experiments.sphere.run_dimension), so both
figures (and the BS20 sphere claims, when run in the same process) share one set of runs.
"""

from __future__ import annotations

import math
import pathlib

import numpy as np
import pytest

from toyvae.experiments import sphere as sp
from toyvae.profiles import Profile
from toyvae.theory import hypersphere as hs

from figure_scripts import run_quick  # tests/figure_scripts.py


@pytest.fixture(scope="module")
def radius_figure(tmp_path_factory):
    out = tmp_path_factory.mktemp("fig")
    return run_quick("bs20_sphere_radius", out)


@pytest.fixture(scope="module")
def heatmap_figure(tmp_path_factory):
    out = tmp_path_factory.mktemp("fig")
    return run_quick("bs20_sphere_heatmap_overlay", out)


def test_radius_figure_numbers(radius_figure):
    assert pathlib.Path(radius_figure["path"]).stat().st_size > 10_000
    data = radius_figure["data"]
    assert sorted(data) == list(sp.dimensions(Profile.QUICK))
    for D, d in data.items():
        # the theory curve is r*(sigma)/R: 0 at and above the sharp threshold (x = 1), > 0 below
        x, y = d["theory_sigma/sharp"], d["theory_r*/R"]
        assert np.all(y[x >= 1] == 0) and np.all(y[x < 0.99] > 0)
        assert d["sufficient/sharp"] == pytest.approx(math.sqrt(D / (D - 1)), rel=1e-12)
        # the grid has points below, inside and above the window
        s = d["cold_sigma/sharp"]
        assert np.any(s < 1) and np.any((s > 1) & (s < d["sufficient/sharp"])) and np.any(s >= d["sufficient/sharp"])
        # every cold run where r* = 0 sits under the collapse line; far below, runs are well off 0
        assert np.all(d["cold_prior_r/R"][s > 1] < 0.1)
        assert np.all(d["cold_prior_r/R"][s == s.min()] > 0.3)
        np.testing.assert_allclose(d["cold_r*/R"], hs.optimal_radius(math.sqrt(D), s, D) / math.sqrt(D), rtol=1e-6)
        # radii are radii
        assert np.all(d["cold_prior_r/R"] >= 0) and np.all(d["cold_prior_std/R"] >= 0)


def test_heatmap_overlay_numbers(heatmap_figure):
    assert pathlib.Path(heatmap_figure["path"]).stat().st_size > 10_000
    d = heatmap_figure["data"]
    # the plotted map's column maximiser follows the closed-form r*/sigma to one radius cell
    cell = d["radius"][1] - d["radius"][0]
    inside = d["theory_r*/sigma"] < d["radius"][-1] - cell
    assert np.all(np.abs(d["map_argmax_r/sigma"] - d["theory_r*/sigma"])[inside] <= cell)
    # it leaves 0 at R/sigma = sqrt(2) (the sharp threshold, D = 2), to one R/sigma cell
    step = d["ratio"][1] - d["ratio"][0]
    first = d["ratio"][np.argmax(d["map_argmax_r/sigma"] > 0)]
    assert abs(first - math.sqrt(2)) <= step
    # trained points: cold runs left of sqrt(2) (sigma above the threshold) sit at r/sigma ~ 0
    left = d["cold_R/sigma"] < math.sqrt(2)
    assert left.any() and np.all(d["cold_r/sigma"][left] < 0.1 * d["cold_R/sigma"][left])
