"""NL26.C2-adv (issue 21 item 12): the measurement at a tiny plan, and the rules read the evidence it names."""

import numpy as np
import pytest

from toyvae.experiments import neural_losses as nl
from toyvae.experiments import nl26_measure


@pytest.fixture(scope="module")
def tiny():
    config = nl.NeuralConfig(steps=20, batch=8, n_train=200, n_eval=40, seeds=(0, 1))
    return nl.train_matched(config, rates=(2.0, 5.0))


def test_measure_at_a_tiny_plan(tiny):
    m = nl26_measure.measure_c2_adv(tiny)
    assert tiny.names == ("pixel @2 nats", "adversarial @2 nats", "pixel @5 nats", "adversarial @5 nats")
    np.testing.assert_array_equal(tiny.settings["lam_adversarial"], [0.0, 0.5, 0.0, 0.5])
    np.testing.assert_array_equal(tiny.settings["geco"], 1.0)
    e = nl.evaluations(tiny)
    for k, name in enumerate(tiny.names):
        s, mu = e["s"][k], e["mu"][k]  # (seeds, patches, latents)
        # Fig. 6's average per-sample anisotropy: per patch the population variance over latents of log s, then the mean
        per_sample = np.array([[np.mean((np.log(row) - np.log(row).mean()) ** 2) for row in seed] for seed in s])
        np.testing.assert_allclose(m.evidence[f"A_post/{name}"], per_sample.mean(1), rtol=1e-12)
        kl = 0.5 * np.sum(mu**2, -1) + 0.5 * np.sum(s - 1 - np.log(s), -1)
        target = tiny.settings["rate_target"][k]
        np.testing.assert_allclose(m.evidence[f"rate/target - 1/{name}"], kl.mean(1) / target - 1, rtol=1e-10)
        assert m.evidence[f"A_post/{name}"].shape == (2,)
    assert np.all(np.isfinite(np.array(m.numbers["final_beta"])))
    assert np.array(m.figure_data["A_post_pixel"]).shape == (2, 2)


def test_rules_name_the_evidence_the_plan_measures():
    from toyvae.claims.nl26_trained import C2_ADV_RULES

    labels = [f"{kind} @{r:g} nats" for r in nl.ADV_MATCHED_RATES for kind in ("pixel", "adversarial")]
    names = {f"A_post/{x}" for x in labels} | {f"rate/target - 1/{x}" for x in labels}
    used = {getattr(r, attr) for r in C2_ADV_RULES.all() for attr in ("a", "b") if getattr(r, attr, None)}
    assert used == names
    assert len(C2_ADV_RULES.core) == len(nl.ADV_MATCHED_RATES)
    for rule in C2_ADV_RULES.core:  # each rate's comparison needs both of that rate's runs matched
        assert len(rule.requires) == 2 and rule.a.startswith("A_post/pixel") and rule.b.startswith("A_post/adv")


def test_plot_draws_from_figure_data(tiny):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from toyvae.plots import plot_for

    fig = plot_for("NL26.C2-adv")(nl26_measure.measure_c2_adv(tiny).figure_data)
    assert len(fig.axes) == 2
    plt.close(fig)


@pytest.mark.slow  # trains the quick plan's matched-rate runs (about 10 s on two idle cores)
def test_figure_script(tmp_path):
    from pathlib import Path

    from figure_scripts import run_quick  # tests/figure_scripts.py

    out = run_quick("nl26_adversarial_matched_rates", tmp_path)
    assert Path(out["png"]).is_file()
    assert out["rate_targets"] == list(nl.ADV_MATCHED_RATES)
    assert np.array(out["A_post_pixel"]).shape == (3, len(nl.ADV_MATCHED_RATES))
