"""Closed forms in float64: hypersphere marginal (BS20), linear-Gaussian VAE and rate-distortion (NL26),
likelihoods, and the log-space Bessel functions they rest on."""

from toyvae.theory import bessel, hypersphere, likelihoods, linear_gaussian, rate_distortion

__all__ = ["bessel", "hypersphere", "likelihoods", "linear_gaussian", "rate_distortion"]
