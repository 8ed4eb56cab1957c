"""Data sets that need no download: natural-image patches (scikit-learn's sample images), synthetic Gaussians."""

from toyvae.data import patches

__all__ = ["patches"]
