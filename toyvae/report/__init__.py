"""The verification report: ``report.html`` (self-contained) and ``report.md`` from one run's record.

``toyvae verify --report DIR`` builds it at the end of a run; ``toyvae report RUN.json --out DIR``
rebuilds it from the JSON alone. Each claim gets a card: its source and statement, the rule and
tolerances that decided the verdict, our numbers beside the paper's, the verdict (and the registered
one when they differ), its figure, drawn by the claim's ``plot`` from the ``figure_data`` the run
recorded, and the run's provenance.

* :mod:`toyvae.report.run` — the JSON record (``toyvae-report/1``) and reading earlier records;
* :mod:`toyvae.report.figures` — drawing each claim's figure from its recorded numbers;
* :mod:`toyvae.report.html`, :mod:`toyvae.report.markdown` — the two renderings;
* :mod:`toyvae.report.content` — what both say (families, counts, number rows, provenance lines).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from toyvae.report.run import FORMAT, RunFormatError, load_run, normalise_run, run_record

__all__ = ["build_report", "FORMAT", "RunFormatError", "load_run", "normalise_run", "run_record"]


def build_report(run: Mapping[str, Any] | list, out_dir: Path, *,
                 plots: Mapping[str, Any] | None = None) -> tuple[Path, Path]:
    """Write ``out_dir/report.html``, ``out_dir/report.md`` and the PNGs of ``out_dir/figures/``.

    Args:
        run: a run record, in the ``toyvae-report/1`` format or the earlier bare list of results.
        out_dir: the folder (created with its parents if missing).
        plots: plot functions by claim id; ``None`` takes those of the registered claims.

    Returns:
        the paths of the HTML and Markdown files.
    """
    from toyvae.report.figures import draw, registered_plots
    from toyvae.report.html import render_html
    from toyvae.report.markdown import render_markdown
    from toyvae.report.content import figure_filename

    already_normalised = isinstance(run, Mapping) and "legacy" in run  # what load_run returns
    run = run if already_normalised else normalise_run(run)
    failures: list[str] = []
    if plots is None:
        plots, failures = registered_plots()
    pictures = {r["id"]: draw(r, plots, import_failures=failures) for r in run["results"]}

    out_dir = Path(out_dir)
    figure_dir = out_dir / "figures"
    figure_dir.mkdir(parents=True, exist_ok=True)
    for claim_id, picture in pictures.items():
        if picture.png is not None:
            (figure_dir / figure_filename(claim_id)).write_bytes(picture.png)
    html_path, md_path = out_dir / "report.html", out_dir / "report.md"
    html_path.write_text(render_html(run, pictures), encoding="utf-8")
    md_path.write_text(render_markdown(run, pictures, "figures"), encoding="utf-8")
    return html_path, md_path
