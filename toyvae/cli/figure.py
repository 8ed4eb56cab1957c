"""The command line shared by the scripts in ``figures/``: ``--out DIR``, ``--seed N``, ``--quick``.

Every argument is checked before the script computes anything: ``--seed`` must be an integer in
[0, 2**32 - 1] (what NumPy and JAX accept as a seed), and ``--out`` is created (parents included)
and written to once, so that a bad folder fails at once instead of after minutes of training.
A mistake is reported in one line (``script: error: ...``) with exit code 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from toyvae.cli._args import MAX_SEED, OneLineParser, folder_problem
from toyvae.cli._args import seed as _seed

__all__ = ["figure_arguments", "save_figure", "OneLineParser", "MAX_SEED"]


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
    parser = OneLineParser(description=(doc or "").strip().splitlines()[0] if doc else None)
    parser.add_argument("--out", type=Path, default=Path("out/figures"), help="output folder (created if missing)")
    parser.add_argument("--seed", type=_seed, default=0, help=f"{seed_help} (0 to {MAX_SEED})")
    parser.add_argument("--quick", action="store_true", help=quick_help)
    args = parser.parse_args(argv)
    if problem := folder_problem(args.out):
        parser.error(f"argument --out: {problem}")
    from toyvae import runtime

    runtime.configure()  # before the script imports JAX's backend: CPU devices and the compile cache
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
