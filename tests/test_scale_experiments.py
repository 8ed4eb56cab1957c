"""The SCALE experiments' building blocks against independent oracles: plans, the sphere's references and
exact ELBO, the crops' moments and metric-weighted spectra, the closed forms and the exact measurements."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyvae.data import photos
from toyvae.experiments import scale
from toyvae.experiments.scale import linear_crops as lc
from toyvae.experiments.scale import sphere_hd as sh
from toyvae.models.conv_vae import edge_operator
from toyvae.models.linear import LinearVAE
from toyvae.profiles import Profile
from toyvae.theory import hypersphere as hs
from toyvae.theory import rate_distortion as rd


def test_plans_have_the_issue_sizes_and_a_dry_run(monkeypatch):
    full, quick = scale.PLANS[Profile.FULL], scale.PLANS[Profile.QUICK]
    assert full.conv.size == 64 and full.linear.size == 64 and full.linear.latent == 2048
    assert max(D for D, *_ in full.sphere.dims) == 12288 and max(d for _, d, *_ in full.sphere.dims) == 2048
    for p in (quick, full):  # seeds are the unit of evidence: >= 3 everywhere
        assert len(p.sphere.seeds) >= 3 and len(p.linear.seeds) >= 3 and len(p.conv.seeds) >= 3
    monkeypatch.delenv(scale.plans.DRY_RUN_VAR, raising=False)
    assert scale.plan(Profile.FULL) is full
    monkeypatch.setenv(scale.plans.DRY_RUN_VAR, "1")
    assert scale.plan(Profile.FULL) is quick and scale.dry_run()
    monkeypatch.setenv(scale.plans.DRY_RUN_VAR, "0")
    assert scale.plan(Profile.FULL) is full


def test_reference_radius_is_r_star_with_d_latents_and_the_linear_radius_below():
    D, R = 256, 16.0
    sig = np.array([0.5, 0.8, 1.0, 1.3])
    np.testing.assert_array_equal(sh.reference_radius(R, sig, D, D), hs.optimal_radius(R, sig, D))
    np.testing.assert_allclose(sh.reference_radius(R, sig, D, 32), np.sqrt(32 * np.maximum(1 - sig**2, 0)))
    # the module docstring's statement: r* equals the linear radius sqrt(R^2 - D sigma^2) up to O(1/D)
    for D in (64, 256, 2048):
        R = math.sqrt(D)
        r_star = hs.optimal_radius(R, sig[:2], D)
        np.testing.assert_allclose(r_star, np.sqrt(R**2 - D * sig[:2] ** 2), rtol=1.0 / D)


def test_exact_sphere_elbo_matches_monte_carlo():
    D, d = 6, 3
    rng = np.random.default_rng(0)
    A, W, log_s = rng.normal(size=(d, D)) * 0.4, rng.normal(size=(D, d)) * 0.5, rng.normal(size=d) * 0.3
    sigma = 0.7
    exact = sh.exact_elbo(A, log_s, W, sigma, D)
    N = 200_000
    g = rng.standard_normal((N, D))
    x = math.sqrt(D) * g / np.linalg.norm(g, axis=1, keepdims=True)
    m = x @ A.T
    s = np.exp(log_s)
    z = m + np.sqrt(s) * rng.standard_normal((N, d))
    nll = np.sum((x - z @ W.T) ** 2, 1) / (2 * sigma**2) + D * math.log(sigma) + 0.5 * D * math.log(2 * math.pi)
    kl = 0.5 * np.sum(m**2, 1) + 0.5 * np.sum(s - 1 - log_s)
    elbo = -(nll + kl)
    assert abs(elbo.mean() - exact) <= 4 * elbo.std() / math.sqrt(N)  # 4 standard errors: 6e-5 two-sided


def _brute_force_moments(size):
    crops = []
    for name in photos.TRAIN_PHOTOS:
        img = photos.load_photo(name, size=size)
        h, w = img.shape[:2]
        for t in range(h - size + 1):
            for left in range(w - size + 1):
                c = img[t:t + size, left:left + size].transpose(2, 0, 1).astype(np.float64) / 255.0
                crops += [c.ravel(), c[:, :, ::-1].ravel()]  # every crop and its mirror, equally likely
    X = np.array(crops)
    return X.mean(0), np.cov(X.T, bias=True)


def test_crop_moments_equal_a_brute_force_enumeration_with_flips():
    mean, sigma, count = lc.crop_moments(4)
    m_ref, s_ref = _brute_force_moments(4)
    assert count == photos.crop_count(size=4, flips=False)
    # float32 pixels and per-row float32 Gram matrices, summed in float64: relative 1e-6 of entries ~0.05
    np.testing.assert_allclose(mean, m_ref, rtol=0, atol=1e-7)
    np.testing.assert_allclose(sigma, s_ref, rtol=0, atol=1e-6 * np.abs(s_ref).max())


def _edge_matrix(size):
    n = 3 * size * size
    return np.asarray(jax.vmap(lambda v: edge_operator(v.reshape(3, size, size)), in_axes=1, out_axes=1)(jnp.eye(n)),
                      np.float64)


def test_edge_spectrum_by_the_dct_equals_the_dense_metric_weighted_spectrum():
    size = 4
    n = 3 * size * size
    B = np.random.default_rng(1).standard_normal((n, n))
    sigma = B @ B.T / n
    E = _edge_matrix(size)
    dense = np.sort(rd.metric_weighted_spectrum(sigma, E.T @ E))[::-1]
    # E has float32 entries (edge_operator runs in float32): relative 1e-6 of the largest eigenvalue
    np.testing.assert_allclose(lc.metric_spectrum(sigma, "edge", size), dense, rtol=0, atol=1e-6 * dense[0])
    np.testing.assert_allclose(lc.metric_spectrum(sigma, "pixel", size), np.sort(np.linalg.eigvalsh(sigma))[::-1],
                               rtol=1e-12, atol=1e-14)


def test_closed_form_hits_the_rate_and_the_matched_rate_codes_the_stated_count():
    mu = np.geomspace(10.0, 1e-3, 40)
    d = 16
    for rate in (2.0, 10.0):
        cf = lc.closed_form(mu, d, rate)
        assert abs(cf.rate - rate) <= 1e-9 * rate
        active = cf.s < 1
        np.testing.assert_allclose(cf.s[active], cf.theta / mu[:d][active], rtol=1e-12)
        assert cf.active == int(active.sum()) <= d
        np.testing.assert_allclose(cf.distortion, np.minimum(cf.theta, mu[:d]).sum() + mu[d:].sum(), rtol=1e-12)
    rate = lc.matched_rate(mu, d, 0.5)
    # at the matched rate the water level sits on the 8th eigenvalue: exactly 8 components above it
    assert lc.closed_form(mu, d, rate).active == 8


def test_exact_measurements_equal_the_dense_closed_forms():
    """linear_crops' operator-based rate and distortion against rate_distortion.linear_vae_parts with dense G."""
    size, d = 4, 5
    n = 3 * size * size
    rng = np.random.default_rng(2)
    B = rng.standard_normal((n, n))
    sigma = B @ B.T / n
    params = LinearVAE(A=rng.normal(size=(d, n)) * 0.2, log_s=rng.normal(size=d) * 0.5, W=rng.normal(size=(n, d)) * 0.3)
    E = _edge_matrix(size)
    for feature, G in ((False, np.eye(n)), (True, E.T @ E)):
        got = lc._measure(params, sigma, feature, 0.3, size, float(np.trace(G @ sigma)))
        want = rd.linear_vae_parts(rd.LinearVAEParams(params.A, np.exp(params.log_s), params.W), sigma, G)
        np.testing.assert_allclose(got["rate"], want.rate, rtol=1e-10)
        # G built from float32 edge entries: relative 1e-6
        np.testing.assert_allclose(got["distortion"], want.distortion, rtol=1e-6)
        np.testing.assert_allclose(got["c"], np.diag(params.W.T @ G @ params.W), rtol=1e-6)


@pytest.mark.parametrize("d", [1, 2])
def test_sphere_program_masks_latents(d):
    """A masked latent never reaches the decoder or the KL: the loss does not depend on its A row, W column
    or log s; moving a used latent's parameters does change it (the control)."""
    program = sh.sphere_program(8, 3, 12, 4, 1e-2)
    params = program.init({}, key=jax.random.PRNGKey(0))
    knobs = {"sigma": jnp.float32(0.5), "warm_sigma": jnp.float32(0.5), "mask": (jnp.arange(3) < d).astype(jnp.float32)}
    x = program.sample(knobs, (), key=jax.random.PRNGKey(1))

    def loss(p):
        return float(program.loss(p, x, knobs, key=jax.random.PRNGKey(2), step=0)[0])

    def moved(first, last):
        return params._replace(A=params.A.at[first:last].add(5.0), W=params.W.at[:, first:last].add(5.0),
                               log_s=params.log_s.at[first:last].add(1.0))

    assert loss(moved(d, 3)) == loss(params)
    assert loss(moved(0, 1)) != loss(params)


def _one_step_shapes(program, knobs, shared):
    """Shapes of one training step (loss and gradients) of a program, traced only: nothing is computed."""

    def step(key):
        params = program.init(knobs, key=key)
        batch = program.sample(knobs, shared, key=key)
        (loss, aux), grads = jax.value_and_grad(lambda p: program.loss(p, batch, knobs, key=key, step=0),
                                                has_aux=True)(params)
        return loss, grads

    return jax.eval_shape(step, jax.random.PRNGKey(0))


def test_full_profile_programs_trace_at_celeba_size():
    """The FULL plan's three programs at their sizes (64 x 64 x 3, 12288 inputs, 2048 latents), traced only."""
    from toyvae.experiments.scale import conv_crops

    full = scale.PLANS[Profile.FULL]
    D, d, _, lr = full.sphere.dims[-1]
    loss, grads = _one_step_shapes(sh.sphere_program(D, d, full.sphere.steps, full.sphere.batch, lr),
                                   {"sigma": 1.0, "warm_sigma": 0.5, "mask": jnp.ones(d)}, ())
    assert loss.shape == () and grads.A.shape == (2048, 12288) and grads.W.shape == (12288, 2048)
    p = full.linear
    stack = photos.training_stack(size=p.size)
    loss, grads = _one_step_shapes(lc.linear_program(p.size, p.latent, p.steps, p.batch, p.lr),
                                   {"feature": 1.0, "beta": 0.1},
                                   {"stack": stack, "mean": jnp.zeros(3 * p.size**2)})
    assert grads.A.shape == (2048, 12288)
    c = full.conv
    program = conv_crops.conv_program(conv_crops.conv_config(c), c.batch, c.steps, c.lr, c.rate_c2)
    knobs = {"mode": 2, "sigma": 0.7, "lam": 0.5, "beta": 0.02, "geco": 1.0, "rate_target": c.rate_c2}
    loss, grads = _one_step_shapes(program, knobs, {"stack": stack})
    assert grads["model"]["net"].config.image_size == 64 and grads["model"]["net"].config.latent_dim == c.latent


def test_seed_offset_shifts_every_scale_plan():
    """verify --seed-offset K trains SCALE on disjoint seeds too (the sphere plan held a seed count until 2026-12-06,
    which the offset left unshifted)."""
    from toyvae.profiles import SEED_STRIDE, seed_offset

    base = scale.plan(Profile.QUICK)
    with seed_offset(1):
        shifted = scale.plan(Profile.QUICK)
    for part in ("sphere", "linear", "conv"):
        assert getattr(shifted, part).seeds == tuple(s + SEED_STRIDE for s in getattr(base, part).seeds), part
