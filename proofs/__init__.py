"""Sympy derivations, one module per theorem; each ``derive()`` asserts every step it takes."""
