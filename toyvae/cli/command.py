"""The ``toyvae`` command: run the claim registry, show it, report on a run, describe the environment.

    toyvae verify [--only PATTERN ...] [--quick | --full] [--json PATH] [--report DIR] [--seed-offset K]
    toyvae report RUN.json --out DIR
    toyvae list [--markdown]
    toyvae env [--json]
    toyvae bench [...]
    toyvae course [list | write N|all --out DIR [--solutions] | check ID VALUE]
    toyvae --version

Exit codes: 0 when every verdict equals its registered (expected) verdict (``report``, ``list``,
``env``: done), 1 when a verdict changed, 2 for a user's mistake (an unknown option or claim pattern,
an output path that cannot be written, a run record that cannot be read), reported in one line
without a traceback and before any claim runs; 130 when interrupted. ``course`` (see
``toyvae.course.command``): 0 done, 1 when ``course check`` finds the value off, 2 for a mistake.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from toyvae.cli._args import file_problem, folder_problem, non_negative_int
from toyvae.cli._interrupt import exit_on_interrupt, publish_folder, temporary_folder, write_text_atomically

__all__ = ["main", "claims_markdown", "file_problem", "folder_problem"]


class UsageError(Exception):
    """A mistake in the command line: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage + message; we want one line
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="toyvae", description="Verify published VAE theory, claim by claim.")
    parser.add_argument("--version", action="store_true",
                        help="the toyvae version, the versions of jax, jaxlib, numpy, scipy and optax, and the device")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    verify = sub.add_parser("verify", help="run the claim checks and print a table of verdicts")
    verify.add_argument(
        "--only",
        action="extend",
        nargs="+",
        metavar="PATTERN",
        help="claim ids, prefixes (BS20, NL26.T41) or globs; repeatable",
    )
    size = verify.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="profile", action="store_const", const="quick", help="small runs (default)")
    size.add_argument("--full", dest="profile", action="store_const", const="full", help="paper-scale runs")
    verify.set_defaults(profile="quick")
    verify.add_argument("--json", metavar="PATH", type=Path,
                        help="also write the run (provenance and results, format toyvae-report/1) as JSON to PATH")
    verify.add_argument("--report", metavar="DIR", type=Path,
                        help="also write the verification report (report.html, report.md, figures/, run.json) to DIR")
    verify.add_argument("--no-progress", action="store_true", help="no progress bar")
    verify.add_argument("--seed-offset", metavar="K", type=non_negative_int, default=0,
                        help="a replication run: every training seed shifted by K * 1000 (disjoint seed sets; "
                             "0, the default, is the registered run)")

    report = sub.add_parser("report", help="rebuild the verification report from a saved run (no training)")
    report.add_argument("run", metavar="RUN.json", type=Path, help="a run written by 'toyvae verify --json'")
    report.add_argument("--out", metavar="DIR", type=Path, default=None,
                        help="folder for report.html and report.md (default: beside RUN.json)")

    judge = sub.add_parser("judge", help="re-judge a saved run's evidence with today's rules (no training)")
    judge.add_argument("run", metavar="RUN.json", type=Path, help="a run written by 'toyvae verify --json'")
    judge.add_argument("--json", metavar="PATH", type=Path,
                       help="also write the run with today's verdicts, judgements and rule fingerprints to PATH")

    listing = sub.add_parser("list", help="list the registered claims")
    listing.add_argument("--markdown", action="store_true", help="the README's claims table")
    listing.add_argument("--catalogue", action="store_true", help="the claim catalogue of docs/claims.md")

    env = sub.add_parser("env", help="versions, commit and device this toyvae runs with")
    env.add_argument("--json", action="store_true", help="machine-readable (the 'provenance' of a JSON run)")

    bench = sub.add_parser("bench", help="training-throughput benchmark (see toyvae.bench)", add_help=False)
    bench.add_argument("bench_args", nargs=argparse.REMAINDER)

    from toyvae.course.command import add_parser as add_course_parser  # imports nothing heavy

    add_course_parser(sub, _Parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _build_parser()
    try:
        if argv[:1] == ["bench"]:  # everything after 'bench' belongs to the benchmark's own parser
            with exit_on_interrupt():  # Ctrl-C: exit 130 at once (toyvae.cli._interrupt)
                return _bench(argv[1:])
        args = parser.parse_args(argv)
        from toyvae import runtime

        runtime.configure()
        if args.version:
            from toyvae.provenance import version_line

            print(version_line())
            return 0
        if args.command is None:
            parser.print_help()
            return 2
        if args.command == "list":
            if args.catalogue:
                from toyvae.claims.registry import all_claims

                print(claims_catalogue(all_claims()), end="")
                return 0
            return _list(markdown=args.markdown)
        if args.command == "env":
            return _env(as_json=args.json)
        if args.command == "report":
            return _report(args.run, args.out)
        if args.command == "judge":
            return _judge(args.run, args.json)
        if args.command == "course":
            return _course(args)
        from toyvae.profiles import seed_offset

        # Ctrl-C: exit 130 at once, outputs complete or absent (toyvae.cli._interrupt); the seed offset holds
        # for this run only (restored after, also in-process)
        with exit_on_interrupt(), seed_offset(args.seed_offset):
            return _verify(args.only, args.profile, args.json, args.report, progress=not args.no_progress)
    except UsageError as err:
        print(err, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("toyvae: interrupted", file=sys.stderr)
        return 130


# ----------------------------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------------------------


def _verify(patterns, profile: str, json_path: Path | None, report_dir: Path | None, *, progress: bool) -> int:
    from toyvae.claims.registry import Profile, UnknownClaimError, run_claim, select

    try:
        claims = select(patterns)
    except UnknownClaimError as err:
        raise UsageError(f"toyvae verify: {err}") from None
    if json_path is not None and report_dir is not None and (problem := _clash(json_path, report_dir)):
        raise UsageError(f"toyvae verify: --json and --report: {problem}")
    created = report_dir is not None and not report_dir.exists()
    if report_dir is not None and (problem := folder_problem(report_dir)):  # creates the folder
        raise UsageError(f"toyvae verify: --report: {problem}")
    if json_path is not None and (problem := file_problem(json_path)):  # after --report, which may make its folder
        if created:
            report_dir.rmdir()  # made by the check above, still empty: leave no trace of a refused command
        raise UsageError(f"toyvae verify: --json: {problem}")

    from tqdm.auto import tqdm

    results = []
    start = time.perf_counter()
    bar = tqdm(claims, desc="verify", unit="claim", disable=not progress, file=sys.stderr, leave=False)
    for c in bar:
        bar.set_postfix_str(c.id)
        results.append(run_claim(c, Profile(profile)))
    bar.close()
    total = time.perf_counter() - start

    print(_table(results))
    failed = [r for r in results if not r.ok]
    print(
        f"\n{len(results)} claims, {len(results) - len(failed)} as registered, {len(failed)} changed "
        f"({profile} profile, {total:.1f} s)"
    )
    for r in failed:
        print(f"CHANGED {r.claim.id}: measured '{r.outcome.verdict}', registered "
              f"'{r.claim.expected_for(r.profile)}' ({r.profile} profile)")
    if json_path is not None or report_dir is not None:
        from toyvae.provenance import provenance
        from toyvae.report.run import dumps, run_record

        record = run_record([r.to_json() for r in results], profile=profile, seconds=total, provenance=provenance())
        from toyvae.profiles import current_seed_offset

        if current_seed_offset():  # a replication run: which verdicts moved from the registered (offset 0) ones
            record["replication"] = {"seed_offset": current_seed_offset(), "moved": [r.claim.id for r in failed]}
        text = dumps(record)
        # every output goes to a temporary file in its folder first and is renamed into place, so an
        # interrupt leaves it complete or absent (toyvae.cli._interrupt)
        if json_path is not None:
            write_text_atomically(json_path, text)
            print(f"wrote {json_path}")
        if report_dir is not None:
            from toyvae.report import build_report

            with temporary_folder(report_dir) as partial:
                (partial / "run.json").write_text(text, encoding="utf-8")
                html_path, md_path = build_report(record, partial)
                publish_folder(partial, report_dir, last=(html_path.relative_to(partial), md_path.relative_to(partial)))
            print(f"wrote {report_dir / html_path.name} and {report_dir / md_path.name}")
    return 0 if not failed else 1


REPORT_OUTPUTS = ("report.html", "report.md", "figures")  # what build_report writes in its folder, besides run.json


def _clash(json_path: Path, report_dir: Path) -> str | None:
    """Why ``--json`` and ``--report`` cannot both be written (a phrase), or None.

    The JSON file must not be the report folder, a folder above it (``--report`` would create it as a
    folder), or one of the report's own outputs (it would be overwritten). ``DIR/run.json`` is allowed:
    the report writes the same run there.
    """
    j, r = Path(os.path.abspath(json_path)), Path(os.path.abspath(report_dir))
    if j == r:
        return f"both name {json_path}; the JSON run is a file, the report a folder"
    if j in r.parents:
        return f"the report folder {report_dir} would be created inside {json_path}, where the JSON file is to be written"
    if j.parent == r and j.name in REPORT_OUTPUTS:
        return f"{json_path} is where the report writes its own {j.name}"
    return None


def _report(run_path: Path, out_dir: Path | None) -> int:
    from toyvae.report import RunFormatError, build_report, load_run

    if out_dir is not None and not str(out_dir).strip():
        raise UsageError("toyvae report: --out: an empty folder name")
    try:
        run = load_run(run_path)
    except RunFormatError as err:
        raise UsageError(f"toyvae report: {err}") from None
    if out_dir is None:
        out_dir = run_path.parent / (run_path.stem + "_report")
    if problem := folder_problem(out_dir):
        raise UsageError(f"toyvae report: --out: {problem}")
    html_path, md_path = build_report(run, out_dir)
    note = " (a record of earlier code: provenance not recorded)" if run["legacy"] else ""
    print(f"wrote {html_path} and {md_path}{note}")
    return 0


def _judge(run_path: Path, json_path: Path | None) -> int:
    """Today's rules on a saved run's evidence: one line per claim whose rules could re-judge it."""
    from toyvae.claims.registry import rejudge
    from toyvae.report import RunFormatError, load_run

    if json_path is not None and (problem := file_problem(json_path)):
        raise UsageError(f"toyvae judge: --json: {problem}")
    try:
        run = load_run(run_path)
    except RunFormatError as err:
        raise UsageError(f"toyvae judge: {err}") from None
    moved, judged, skipped = [], 0, []
    for row in run["results"]:
        decision = rejudge(row)
        if decision is None:
            skipped.append(row.get("id", "?"))
            continue
        judged += 1
        same_rules = decision.fingerprint == row.get("rule_fingerprint")
        mark = "" if decision.verdict == row.get("verdict") else "  MOVED"
        if mark:
            moved.append(row["id"])
        print(f"{row['id']:<28} saved {row.get('verdict', '?'):<15} today {decision.verdict:<15}"
              f"{'same rules' if same_rules else 'rules changed since the run'}{mark}")
        row.update(verdict=decision.verdict, decision={"verdict": decision.verdict, "reason": decision.reason},
                   rules=[j.to_json() for j in decision.judgements], rule_fingerprint=decision.fingerprint)
    print(f"\n{judged} claims re-judged from their evidence, {len(moved)} moved"
          + (f" ({', '.join(moved)})" if moved else "")
          + (f"; {len(skipped)} without evidence or rules (closed forms rerun in seconds: toyvae verify)" if skipped else ""))
    if json_path is not None:
        from toyvae.report.run import dumps

        write_text_atomically(json_path, dumps(run))
        print(f"wrote {json_path}")
    return 0 if not moved else 1


def _env(*, as_json: bool) -> int:
    from toyvae.provenance import format_provenance, provenance

    record = provenance()
    print(json.dumps(record, indent=2) if as_json else format_provenance(record))
    return 0


def _table(results) -> str:
    width = _terminal_width()
    id_w = max([len("claim")] + [len(r.claim.id) for r in results])
    verdict_w = len("not reproduced")
    head = f"{'claim':<{id_w}}  {'verdict':<{verdict_w}}  {'seconds':>7}  measured vs paper"
    lines = [head, "-" * min(width, max(len(head), 100))]
    room = max(30, width - id_w - verdict_w - 15)
    for r in results:
        mark = "" if r.ok else " (!)"
        summary = r.outcome.summary
        lines.append(
            f"{r.claim.id:<{id_w}}  {str(r.outcome.verdict) + mark:<{verdict_w}}  {r.seconds:7.1f}  "
            + _wrap(summary, room, indent=id_w + verdict_w + 13)
        )
    return "\n".join(lines)


def _wrap(text: str, room: int, *, indent: int) -> str:
    import textwrap

    return ("\n" + " " * indent).join(textwrap.wrap(text, room) or [""])


def _terminal_width() -> int:
    try:
        return max(80, min(160, os.get_terminal_size().columns))
    except OSError:
        return 120


def _list(*, markdown: bool) -> int:
    from toyvae.claims.registry import all_claims

    claims = all_claims()
    if markdown:
        print(claims_markdown(claims))
        return 0
    from toyvae.claims.registry import typical_seconds

    seconds = typical_seconds()
    id_w = max(len(c.id) for c in claims)
    print(f"{'claim':<{id_w}}  {'kind':<11}  {'quick time':>10}  {'registered verdict':<32}  source")
    for c in claims:
        full = "" if c.expected_full is None else f" (full: {c.expected_full})"
        t = seconds.get(c.id)
        when = "?" if t is None else ("shared" if t < 0.5 and c.kind == "trained" else f"{t:.0f} s" if t >= 1 else "<1 s")
        print(f"{c.id:<{id_w}}  {c.kind:<11}  {when:>10}  {str(c.expected) + full:<32}  {c.source}")
    print("\nquick time: seconds of a quick `toyvae verify` on two CPU cores (compilation included; 'shared': the "
          "claim reuses a run an earlier claim trained, whose time it shows)")
    return 0


def claims_markdown(claims) -> str:
    """The README's table of claims and their registered verdicts (a test keeps the two in sync)."""
    rows = ["| claim | kind | source | verdict (quick) | verdict (full) | what our checks establish |",
            "|---|---|---|---|---|---|"]
    for c in claims:
        finding = (c.finding or c.statement).replace("|", "\\|").replace("\n", " ")
        full = str(c.expected_full) if c.expected_full is not None else (c.full_note or "—")
        rows.append(f"| {c.id} | {c.kind} | {c.source} | {c.expected} | {full} | {finding} |")
    return "\n".join(rows)


CATALOGUE_HEAD = """# Claim catalogue

Every claim `toyvae` checks: its id (stable: tests, the README and users refer to it), its source, the
statement in our words, how it is checked, the rules that decide it and its registered verdicts. This
file is generated from the registry (`toyvae list --catalogue > docs/claims.md`; a test keeps it in
sync). What each paper states and which claim checks it: `docs/coverage.md`. Why a rule changed:
`docs/rule-history.md`.

## Verdict words

- **confirmed**: the claim holds as stated, within a stated tolerance;
- **refined**: it holds, and we establish a sharper or corrected statement (the card says which);
- **not reproduced**: our measurement disagrees (the numbers are on the card);
- **open**: it cannot be decided with our data (the card names what is missing).

For a trained claim the word is chosen by `toyvae.evidence.decide` from the claim's rules (below),
never by hand: premises must hold for the rules that depend on them to be testable; controls must
pass for any verdict but open; reversals are corrected across a claim's core rules (Holm); a
refinement that holds turns "confirmed" into "refined".

## Conventions

- KL to a standard normal prior: KL(N(mu, diag s) || N(0, I)) = ||mu||^2 / 2 + sum_i g(s_i), with
  g(s) = (s - 1 - log s) / 2; the "variance-KL" is sum_i g(s_i).
- NL26's quadratic distortion has no 1/2: d_M(x, z) = (x - W z)^T G (x - W z).
- Gaussian decoder NLL: ||x - m||^2 / (2 sigma^2) + (D/2) log(2 pi sigma^2). Rates in nats unless a
  figure says bits.
- Seeds are the unit of evidence (at least three per setting); "at convergence" means averaged over a
  stated final window or read from parameters averaged over the last steps.
"""


def claims_catalogue(claims) -> str:
    """docs/claims.md: every claim with its kind, source, statement, rules, tolerances and verdicts."""
    from toyvae.claims.registry import family_of
    from toyvae.evidence import Rules

    out, family = [CATALOGUE_HEAD], None
    for c in claims:
        fam = family_of(c.id)
        if fam.name != family:
            family = fam.name
            out.append(f"\n## {fam.name}: {fam.title}\n")
        full = str(c.expected_full) if c.expected_full is not None else (c.full_note or "as quick")
        out.append(f"### {c.id}\n\n*{c.source}* — {c.kind}; registered verdict: **{c.expected}** (quick), {full} "
                   f"(full)\n\n{c.statement}\n")
        if isinstance(c.rules, Rules):
            out.append(f"Rules (fingerprint `{c.rules.fingerprint()}`):\n")
            out.extend(f"- [{role}] {rule.says} ({rule.kind})" for role, rule in c.rules.roles())
            out.append("")
        elif c.rules is not None:
            out.append("Rules: chosen per plan from the evidence names (see the claim module); the run's JSON "
                       "records them and their fingerprint.\n")
        if c.tolerances:
            out.append("Tolerances:\n")
            out.extend(f"- `{t.name}` = {t.value:g}: {t.reason}" for t in c.tolerances)
            out.append("")
    return "\n".join(out) + "\n"


def _course(args) -> int:
    from toyvae.course.command import CourseUsageError, run

    try:
        return run(args)
    except CourseUsageError as err:
        raise UsageError(f"toyvae course {err}") from None


def _bench(args: list[str]) -> int:
    from toyvae import runtime

    runtime.configure()
    try:
        from toyvae import bench
    except ImportError as err:  # the benchmark module is optional in a partial install
        raise UsageError(f"toyvae bench: not available ({err})") from None
    try:
        bench.main(args)  # prints its report; returns the numbers for programmatic use
    except SystemExit as done:  # --help (0) or a usage error, already reported in one line (2)
        return done.code if isinstance(done.code, int) else 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
