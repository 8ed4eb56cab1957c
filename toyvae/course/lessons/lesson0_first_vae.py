# %% [markdown]
# # Lesson 0: A first VAE on handwritten digits: the ELBO and the reparameterisation trick
#
# Claims: NL26.KL, BS20.T2tab. This lesson builds a variational autoencoder from its two ideas and
# trains one on scikit-learn's 8 x 8 digits (bundled with scikit-learn, no download).
#
# **The model.** A latent code z in R^d has the prior p(z) = N(0, I). A *decoder* network f maps z
# to the mean of a Gaussian over images, p(x|z) = N(f(z), sigma^2 I). We would like to maximise the
# likelihood p(x) of each training image, but p(x) is an integral over every z: intractable.
#
# **The ELBO.** An *encoder* network proposes, for each image x, a Gaussian q(z|x) = N(m(x), diag s(x))
# over the codes that could have produced it (m the means, s the variances). For any such q,
#
#     log p(x) >= E_q[log p(x|z)] - KL(q(z|x) || p(z))        (the evidence lower bound, ELBO)
#
# The first term rewards codes that decode back to x (the *reconstruction* or *distortion* term);
# the KL term, the *rate*, keeps q close to the prior so that decoding prior samples gives images.
# Training minimises the negative ELBO, distortion + rate, over both networks at once.
#
# **The reparameterisation trick.** The expectation is estimated with one sample z ~ q(z|x). To let
# gradients flow into the encoder, the sample is written as a differentiable function of m, s and
# noise that does not depend on them: draw eps ~ N(0, I) and transform it.
#
# You will write the two pieces (exercises 0.1 and 0.2), then train the model with the package's
# engine, `toyvae.engine.fit`, which runs the loop (batches, Adam, compiled steps) for any model that
# is described by four small functions.

# %%
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax
from sklearn.datasets import load_digits

from toyvae.course import kit
from toyvae.course.exercises import ask, check, score, yours_or_reference
from toyvae.engine import Program, batch_mean, fit, stack_knobs
from toyvae.models.mlp import init_resnet, resnet

kit.start(0)
digits = load_digits()
images = (digits.data / 16.0).astype(np.float32)  # 1797 images of 8 x 8 pixels, values in [0, 1]
train_x, test_x, test_labels = images[:1500], images[1500:], digits.target[1500:]
print(f"{len(train_x)} training and {len(test_x)} test images of {images.shape[1]} pixels")

# %% [markdown]
# ## 1. The rate: a KL divergence in closed form
#
# Between two Gaussians the KL needs no sampling. For q = N(m, diag s) and the prior N(0, I) each
# latent coordinate contributes one half of (m^2 + s - 1 - log s): zero exactly when m = 0 and s = 1.

# %%
ask("0.1")
# BEGIN SOLUTION
def kl_to_prior(m, s):
    return 0.5 * jnp.sum(m**2 + s - 1.0 - jnp.log(s))
# END SOLUTION
check("0.1", kl_to_prior)

# %% [markdown]
# ## 2. The reparameterisation trick
#
# A sample of N(m, diag s) is m plus standard normal noise scaled by the standard deviation.

# %%
ask("0.2")
# BEGIN SOLUTION
def sample_latent(m, s, eps):
    return m + jnp.sqrt(s) * eps
# END SOLUTION
check("0.2", sample_latent)

# %% [markdown]
# ## 3. The distortion: a Gaussian negative log-likelihood
#
# With D pixels and a fixed sigma, -log p(x|z) is the squared error over 2 sigma^2 plus a constant
# that depends on sigma only (lesson 1 studies it). Work one case by hand.

# %%
ask("0.3")
# BEGIN SOLUTION
rec_one_digit = 64 * 0.01 / (2 * 0.15**2) + 64 / 2 * np.log(2 * np.pi * 0.15**2)
# END SOLUTION
check("0.3", rec_one_digit)

# %% [markdown]
# ## 4. The model in a few dozen lines
#
# Encoder and decoder are small residual MLPs (`toyvae.models.mlp`, one hidden layer of 64 units).
# The encoder outputs 2 d numbers: the means m and the log of the variances s (a log keeps s
# positive). The decoder's sigmoid keeps pixel means in (0, 1). With d = 2 latent coordinates we can
# draw the code space itself. `negative_elbo` is the loss of ONE image; the engine averages it over
# a batch and differentiates it.

# %%
LATENT, PIXELS, WIDTH, BATCH = 2, 64, 64, 64
kl_fn = yours_or_reference("0.1", kl_to_prior)
sampler = yours_or_reference("0.2", sample_latent)


def encode(params, x):
    out = resnet(params["encoder"], x)
    return out[:LATENT], jnp.exp(out[LATENT:])  # means m and variances s of q(z|x)


def decode(params, z):
    return jax.nn.sigmoid(resnet(params["decoder"], z))  # the mean image f(z)


def negative_elbo(params, x, sigma, *, key):
    m, s = encode(params, x)
    z = sampler(m, s, jax.random.normal(key, m.shape))  # one reparameterised sample
    distortion = jnp.sum((x - decode(params, z)) ** 2) / (2 * sigma**2) + PIXELS / 2 * jnp.log(2 * jnp.pi * sigma**2)
    rate = kl_fn(m, s)
    return distortion + rate, {"distortion": distortion, "rate": rate}


def init(knobs, *, key):
    k_enc, k_dec = jax.random.split(key)
    return {"encoder": init_resnet(k_enc, PIXELS, 2 * LATENT, WIDTH, 1),
            "decoder": init_resnet(k_dec, LATENT, PIXELS, WIDTH, 1)}


def sample(knobs, shared, *, key):  # a random batch of training images
    return shared["images"][jax.random.randint(key, (BATCH,), 0, shared["images"].shape[0])]


def loss(params, batch, knobs, *, key, step):
    return batch_mean(negative_elbo, params, batch, knobs["sigma"], key=key)


program = Program(name="lesson0_digits_vae", init=init, sample=sample, loss=loss,
                  optimizer=lambda knobs: optax.adam(2e-3), identity=(LATENT, WIDTH, BATCH, kl_fn, sampler))

# %% [markdown]
# ## 5. Training
#
# `fit` trains one model per (setting, seed): here one setting (sigma = 0.15) and one seed. It
# records the batch means of the loss and of each term every 10 steps.

# %%
steps = kit.pick(3000, 300)
with kit.timed(f"trained {steps} steps"):
    result = fit(program, stack_knobs([{"sigma": 0.15}]), seeds=[0], shared={"images": train_x},
                 steps=steps, chunk=steps, progress=False)
params = result.model(0, 0)
history = {k: result.history[k][0, 0] for k in ("loss", "distortion", "rate")}
test_loss = float(jnp.mean(jax.vmap(lambda x, k: negative_elbo(params, x, 0.15, key=k)[0])(
    test_x, jax.random.split(jax.random.key(1), len(test_x)))))
print(f"negative ELBO per test image: {test_loss:.1f} nats (first training batches: {history['loss'][0]:.1f}); "
      f"rate at the end {history['rate'][-1]:.2f} nats")

# %% [markdown]
# ## 6. What the model learned
#
# Left: the loss and its two terms during training. Middle: test digits (top row) and their
# reconstructions from the posterior means (bottom row). Right: the posterior means of the test
# digits in the 2-D code space, coloured by their label: digits of one kind gather, although the
# model never saw a label. Below: images decoded from a grid of codes, what the decoder makes of
# the prior's typical region.

# %%
def mosaic(tiles, columns):
    """8 x 8 images side by side, ``columns`` per row, with a blank pixel between them."""
    tiles = np.pad(np.asarray(tiles).reshape(-1, 8, 8), ((0, 0), (1, 0), (1, 0)))
    rows = [np.concatenate(list(tiles[i:i + columns]), axis=1) for i in range(0, len(tiles), columns)]
    return np.concatenate(rows, axis=0)


fig, (ax_loss, ax_rec, ax_code) = plt.subplots(1, 3, figsize=(14, 4), layout="constrained")
t = np.arange(1, len(history["loss"]) + 1) * result.record_every
for name, series in history.items():
    ax_loss.plot(t, series, label=name)
ax_loss.set(xlabel="step", ylabel="nats per image", title="negative ELBO = distortion + rate")
ax_loss.legend()
means = jax.vmap(lambda x: encode(params, x)[0])(test_x)
recon = jax.vmap(lambda m: decode(params, m))(means[:8])
ax_rec.imshow(mosaic(np.concatenate([test_x[:8], np.asarray(recon)]), 8), cmap="gray_r")
ax_rec.set(title="test digits (top) and reconstructions", xticks=[], yticks=[])
points = ax_code.scatter(means[:, 0], means[:, 1], c=test_labels, cmap="tab10", s=10)
fig.colorbar(points, ax=ax_code, label="digit")
ax_code.set(xlabel="z_1", ylabel="z_2", title="posterior means of the test digits")
kit.save(fig, "lesson0_training.png")

grid = np.linspace(-2.0, 2.0, 10)
codes = jnp.array([[a, b] for b in grid[::-1] for a in grid])
fig, ax = plt.subplots(figsize=(5, 5), layout="constrained")
ax.imshow(mosaic(jax.vmap(lambda z: decode(params, z))(codes), 10), cmap="gray_r")
ax.set(title="decoded codes on a grid over [-2, 2]^2", xticks=[], yticks=[])
kit.save(fig, "lesson0_code_grid.png")

# %% [markdown]
# ## What to take away
#
# * A VAE minimises distortion + rate: how badly codes reconstruct, plus how far the encoder's
#   Gaussians are from the prior. Both terms are in nats and add up to minus the ELBO.
# * The reparameterisation trick makes the sample a smooth function of the encoder's outputs, so
#   one backward pass trains both networks.
# * Try: set sigma to 0.5 or 1.0 and train again. What happens to the rate, the reconstructions and
#   the code space? Lessons 1 and 2 explain it.

# %%
score(0)
kit.verify_hint("NL26.KL", "BS20.T2tab")
