"""The command line shared by the scripts in ``figures/``: ``--out DIR``, ``--seed N``, ``--quick``.

Every argument is checked before the script computes anything: ``--seed`` must be an integer in
[0, 2**32 - 1] (what NumPy and JAX accept as a seed), and ``--out`` is created (parents included)
and written to once, so that a bad folder fails at once instead of after minutes of training.
A mistake is reported in one line (``script: error: ...``) with exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["figure_arguments", "save_figure", "OneLineParser", "MAX_SEED"]

MAX_SEED = 2**32 - 1


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line on stderr and exit code 2."""

    def error(self, message: str):  # argparse prints the usage block first; one line is enough
        print(f"{self.prog}: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(2)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, {MAX_SEED}], got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, {MAX_SEED}], got {value}")
    return value


def figure_arguments(doc: str, argv: Sequence[str] | None = None, *, seed_help: str = "PRNG seed",
                     quick_help: str = "the quick profile (else the full one)") -> argparse.Namespace:
    """Parse and check a figure script's options; ``args.out`` is a ``Path`` to an existing, writable folder.

    Args:
        doc: the script's module docstring (its first line becomes the description).
        argv: the arguments (``None``: ``sys.argv[1:]``).
        seed_help, quick_help: what ``--seed`` and ``--quick`` mean for this figure.

    Raises:
        SystemExit: 2 after a one-line message on stderr, for a bad seed or an output folder that
            cannot be created or written.
    """
    from toyvae.cli import folder_problem

    parser = OneLineParser(description=(doc or "").strip().splitlines()[0] if doc else None)
    parser.add_argument("--out", type=Path, default=Path("out/figures"), help="output folder (created if missing)")
    parser.add_argument("--seed", type=_seed, default=0, help=f"{seed_help} (0 to {MAX_SEED})")
    parser.add_argument("--quick", action="store_true", help=quick_help)
    args = parser.parse_args(argv)
    if problem := folder_problem(args.out):
        parser.error(f"argument --out: {problem}")
    return args


def save_figure(fig, out: Path, name: str, *, dpi: int = 120) -> Path:
    """Lay out ``fig`` (tight, unless it has a layout engine of its own), write it to ``out / name`` (the folder
    is created if missing) and close it; returns the path."""
    import matplotlib.pyplot as plt

    if fig.get_layout_engine() is None:
        fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
