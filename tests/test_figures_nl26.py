"""The NL26 / SL figure scripts in quick mode: each writes its PNG and the numbers behind it are right."""

from pathlib import Path

import numpy as np
import pytest

from toyvae.theory import linear_gaussian as lg

from figure_scripts import run_quick  # tests/figure_scripts.py


def test_fig13_matched_rate(tmp_path):
    out = run_quick("nl26_fig13_matched_rate", tmp_path)
    assert Path(out["png"]).is_file()
    std = np.array(out["std_closed"])
    # both at the same variance-KL (Theorem 41), 4 nats
    np.testing.assert_allclose(lg.variance_kl(std**2), 4.0, rtol=1e-10)
    assert np.ptp(std[0]) < 1e-12 and np.ptp(std[1]) > 0.3  # flat vs spread
    np.testing.assert_allclose(out["std_trained"], std, rtol=0.05)  # Adam noise, see NL26.F13
    # Fig. 7 analogue: the edge metric flattens the sorted stds of the active latents
    assert np.ptp(out["fig7_std_closed"]["1.0"][:5]) < np.ptp(out["fig7_std_closed"]["0.0"][:5])


def test_rate_distortion_figure(tmp_path):
    out = run_quick("sl_rate_distortion", tmp_path)
    assert Path(out["png"]).is_file()
    rate, curve = np.array(out["rate"]), np.array(out["curve_at_distortion"])
    assert np.all(rate >= curve - 1e-9)  # on or above the exact curve
    assert np.all(np.diff(rate) < 0) and np.all(np.diff(out["distortion"]) > 0)  # beta traces the curve


@pytest.mark.slow  # trains the shared nonlinear runs (about a minute); paper_checks covers the same numbers
def test_rate_and_anisotropy_vs_lambda(tmp_path):
    out = run_quick("nl26_rate_vs_lambda", tmp_path)
    assert Path(out["png"]).is_file()
    assert np.all(np.diff(out["linear_closed"]) < 0)  # ||F|| <= 1: G_lambda decreases in Loewner order
    assert out["patch_feature"][-1] < out["patch_feature"][0]
    out = run_quick("nl26_anisotropy_vs_lambda", tmp_path)
    assert Path(out["png"]).is_file()
    assert np.all(np.diff(out["linear_closed"]) < 0)
    np.testing.assert_allclose(out["linear_trained"], out["linear_closed"], atol=0.1)
