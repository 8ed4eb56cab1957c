"""The BS20 toy figure scripts in quick mode: they run, write PNGs, and their numbers make sense.

They share the per-process cached quick run of toyvae.experiments.toy2d (also used by the claims).
"""

from __future__ import annotations

import numpy as np

from figure_scripts import run_quick  # tests/figure_scripts.py


def test_fig3_data(tmp_path):
    out = run_quick("bs20_fig3_data", tmp_path)
    assert (tmp_path / "bs20_fig3_data.png").exists()
    n_region = out["n"] / 3
    for s, m in zip(out["noise"], out["measured_noise"]):
        assert abs(m - s) < 5 * s / np.sqrt(2 * 2 * n_region)  # 5 standard errors of a sample std


def test_table1(tmp_path):
    rows = run_quick("bs20_table1", tmp_path)
    assert (tmp_path / "bs20_table1.png").exists()
    names = [r["name"] for r in rows]
    assert names[:8] == ["F 1", "F 0.3", "F 0.1", "F*", "F 0.03", "F 0.01", "LS", "LV"]
    for r in rows:
        assert np.isfinite(r["elbo"]) and r["iwae"] >= r["elbo"] - 0.05  # IWAE_100 >= ELBO up to MC error
        assert r["rate"] >= 0


def test_fig4_reconstructions(tmp_path):
    nums = run_quick("bs20_fig4_reconstructions", tmp_path)
    assert (tmp_path / "bs20_fig4_reconstructions.png").exists()
    # the paper's qualitative picture: reconstruction error falls as the fixed sigma falls ...
    errs = [nums[n]["recon_error"] for n in ("F 1", "F 0.3", "F 0.1", "F 0.03", "F 0.01")]
    assert errs[0] > errs[2] > errs[4]
    # ... and samples of a small-sigma F-VAE lie farther from the curve than their means
    assert nums["F 0.01"]["sample_to_curve"] >= nums["F 0.01"]["mean_to_curve"] - 1e-3


def test_fig8_10_dynamics(tmp_path):
    nums = run_quick("bs20_fig8_10_dynamics", tmp_path)
    assert (tmp_path / "bs20_fig8_10_dynamics.png").exists()
    q = nums["LS_sigma_quarters"]
    assert q[0] > 0.5 and q[-1] < q[0]  # LS-VAE starts near sigma = 1 and learns a smaller sigma
    for name in ("F*", "LS", "F sched"):
        assert nums[name]["final_rate"] >= 0
