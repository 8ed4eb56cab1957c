"""The SCALE figure scripts in quick mode: each writes its PNG and the numbers behind it are the experiment's."""

from pathlib import Path

import numpy as np
import pytest

from toyvae.experiments.scale import conv_crops, linear_crops, sphere_hd
from toyvae.profiles import Profile

from figure_scripts import run_quick  # tests/figure_scripts.py


def test_sphere_radius_figure(tmp_path):
    out = run_quick("scale_sphere_radius", tmp_path)
    assert Path(out["png"]).is_file()
    runs = sphere_hd.run(Profile.QUICK)
    for panel in out["panels"]:
        r = runs[panel["D"]]
        for name, row in panel["rows"].items():
            idx = r.rows(name, panel["d"])
            np.testing.assert_array_equal(row["r/R"], r.radius[idx] / r.R)
        # below the threshold the references are positive, above they are 0 (Theorem 1's collapse)
        assert min(panel["rows"]["control"]["r_ref/R"]) > 0 and max(panel["rows"]["above warm"]["r_ref/R"]) == 0


def test_posterior_variance_figure(tmp_path):
    out = run_quick("scale_posterior_variances", tmp_path)
    assert Path(out["png"]).is_file()
    r = linear_crops.run(Profile.QUICK)
    for i, metric in enumerate(linear_crops.METRICS):
        numbers = out[metric]
        assert len(numbers["s"]) == len(numbers["closed"]) == r.d
        np.testing.assert_allclose(numbers["max_abs_log_ratio"], np.abs(np.log(r.s[i, 0] / r.s_star[i, 0])).max())
        # the closed form's variances lie in (0, 1], the optimum leaves uncoded latents at the prior
        closed = np.asarray(numbers["closed"])
        assert np.all(closed > 0) and np.all(closed <= 1) and np.sum(closed < 1) == r.closed[i].active


@pytest.mark.slow  # trains the conv runs (about a minute on two cores); paper_checks covers the same numbers
def test_reconstruction_figure(tmp_path):
    out = run_quick("scale_reconstructions", tmp_path)
    assert Path(out["png"]).is_file()
    runs = conv_crops.run(Profile.QUICK)
    for name, bpd in out["bits_per_dim"].items():
        assert bpd == runs.bits_per_dim[runs.index(name), 0]
    x = runs.held[:8]
    for name, mse in out["mse"].items():
        np.testing.assert_allclose(mse, np.mean((conv_crops.reconstructions(runs, name, 0, x) - x) ** 2), rtol=1e-6)
        assert 0 < mse < np.var(x) * 2  # a reconstruction, not noise: within twice the images' variance
