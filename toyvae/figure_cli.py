"""The command line shared by the scripts in ``figures/``: ``--out DIR``, ``--seed N``, ``--quick``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

__all__ = ["figure_arguments"]


def figure_arguments(doc: str, argv: Sequence[str] | None = None, *, seed_help: str = "PRNG seed",
                     quick_help: str = "the quick profile (else the full one)") -> argparse.Namespace:
    """Parse a figure script's options; ``args.out`` is a ``Path`` (default ``out/figures``).

    Args:
        doc: the script's module docstring (its first line becomes the description).
        argv: the arguments (``None``: ``sys.argv[1:]``).
        seed_help, quick_help: what ``--seed`` and ``--quick`` mean for this figure.
    """
    parser = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0] if doc else None)
    parser.add_argument("--out", type=Path, default=Path("out/figures"), help="output folder")
    parser.add_argument("--seed", type=int, default=0, help=seed_help)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    return parser.parse_args(argv)
