"""What every lesson uses: run mode, output folder, figures, derivations and timing.

* Quick mode: ``TOYVAE_COURSE_QUICK=1`` (set by the tests) shrinks every training run so that a lesson
  executes in seconds; :func:`pick` chooses a size by mode. The normal mode takes seconds to a couple
  of minutes on a laptop CPU.
* Output: figures go to ``TOYVAE_COURSE_OUT`` if set, else to ``./course_out`` (created; the lesson
  prints the folder it uses).
* Figures: outside a Jupyter kernel matplotlib uses the Agg backend (no window, nothing blocks);
  :func:`save` writes a PNG and, outside a notebook, closes the figure.
* Derivations: :func:`show_derivation` runs a ``proofs/`` module's ``derive()`` (every step asserted
  there) and prints its steps and chosen results; the lesson shows the proof, it does not copy it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import time
import warnings
from pathlib import Path

__all__ = ["quick", "pick", "output_dir", "save", "show_derivation", "timed", "start", "verify_hint",
           "QUICK_ENV", "OUT_ENV", "in_notebook"]

QUICK_ENV = "TOYVAE_COURSE_QUICK"
OUT_ENV = "TOYVAE_COURSE_OUT"


def in_notebook() -> bool:
    """True inside a Jupyter kernel (figures are then shown inline, not only saved)."""
    return "ipykernel" in sys.modules


# tqdm.auto (the engine's progress bars) warns in a notebook without ipywidgets, then falls back to
# its plain text bar: the plain bar is what the course wants, so the warning is only noise.
warnings.filterwarnings("ignore", message="IProgress not found")


def _use_agg_outside_notebooks() -> None:
    if not in_notebook():
        import matplotlib

        matplotlib.use("Agg")


_use_agg_outside_notebooks()


def quick() -> bool:
    """Whether the lesson runs in quick mode (``TOYVAE_COURSE_QUICK`` set to 1, true or yes)."""
    return os.environ.get(QUICK_ENV, "").strip().lower() in {"1", "true", "yes"}


def pick(normal, quick_value):
    """``normal`` in the normal mode, ``quick_value`` in quick mode."""
    return quick_value if quick() else normal


def output_dir() -> Path:
    """The folder for figures (``TOYVAE_COURSE_OUT`` or ``./course_out``), created if missing."""
    folder = Path(os.environ.get(OUT_ENV) or "course_out")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save(fig, name: str) -> None:
    """Write ``fig`` as ``name`` (a PNG file name) into :func:`output_dir`; close it outside notebooks.

    Returns nothing, so that a notebook cell ending in ``kit.save(...)`` shows no ``Out:`` line.

    Quick mode writes at a lower resolution and without the layout engine's extra drawing passes
    (drawing is a good part of a quick run's time).
    """
    path = output_dir() / name
    if quick():
        fig.set_layout_engine("none")
    fig.savefig(path, dpi=pick(110, 50))
    print(f"figure written: {path}")
    if not in_notebook():
        import matplotlib.pyplot as plt

        plt.close(fig)


def start(number: int) -> None:
    """Configure JAX for the course (:func:`toyvae.runtime.configure`: the CPU unless ``JAX_PLATFORMS``
    says otherwise, one device per core, the compilation cache), then print the lesson's heading line:
    its number, the mode and where figures go."""
    from toyvae import runtime
    from toyvae.course.catalogue import lesson

    runtime.configure()

    les = lesson(number)
    if quick():
        mode = f"quick mode (small runs, numbers not converged; about {les.quick_seconds} s)"
    else:
        mode = f"normal mode (about {les.normal_seconds} s; TOYVAE_COURSE_QUICK=1 for a quick run)"
    print(f"Lesson {les.number}: {les.title}\n  {mode}; figures go to {output_dir().resolve()}")


def show_derivation(module: str, results: tuple[str, ...] = ()) -> None:
    """Run ``toyvae.proofs.<module>.derive()`` and print its asserted steps and the named results.

    Returns nothing (a notebook shows no ``Out:`` blob of sympy); the derivation is
    ``toyvae.proofs.<module>.derive()``.
    """
    import sympy

    proof = importlib.import_module(f"toyvae.proofs.{module}")
    derivation = proof.derive()
    print(f"proofs/{module}.py ({', '.join(derivation.claim_ids)}): {len(derivation.steps)} steps, each asserted")
    for i, step in enumerate(derivation.steps, 1):
        print(f"  {i:2d}. {step}")
    for name in results:
        expr = derivation.results[name]
        print(f"\n  {name} =")
        print("    " + sympy.pretty(expr, use_unicode=False, wrap_line=False).replace("\n", "\n    "))


@contextlib.contextmanager
def timed(label: str):
    """Print how long the block took (training time includes JAX's compilation on the first call)."""
    t0 = time.perf_counter()
    yield
    print(f"{label}: {time.perf_counter() - t0:.1f} s")


def verify_hint(*claim_ids: str) -> None:
    """Print the command that shows the package's verdicts on these claims."""
    print("The package's own checks of these claims: toyvae verify --only " + " ".join(claim_ids))
