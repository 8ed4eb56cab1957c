"""The command lines of toyvae.

* :mod:`toyvae.cli.command`: the ``toyvae`` command (``verify``, ``report``, ``list``, ``env``,
  ``bench``, ``course``); :func:`main` is its entry point (``pyproject.toml``'s ``[project.scripts]``).
* :mod:`toyvae.cli.figure`: the options shared by the scripts in ``figures/`` and their ``save_figure``.
* :mod:`toyvae.cli._args`: the argument helpers (one-line usage errors, positive ints, seeds, output
  paths checked before any work); a leaf that imports nothing from toyvae.

Importing this package imports nothing heavy (no JAX): each command imports what it needs.
"""

from toyvae.cli._args import file_problem, folder_problem
from toyvae.cli.command import claims_markdown, main

__all__ = ["main", "claims_markdown", "file_problem", "folder_problem"]
