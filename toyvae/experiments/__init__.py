"""Experiments that train small models and feed the claim checks."""
