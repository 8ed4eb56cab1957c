"""Closed forms in float64: hypersphere marginal (BS20), linear-Gaussian VAE (NL26), likelihoods."""

from toyvae.theory import hypersphere, likelihoods, linear_gaussian

__all__ = ["hypersphere", "likelihoods", "linear_gaussian"]
