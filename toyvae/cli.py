"""The ``toyvae`` command: ``verify`` runs the claim registry, ``list`` shows it, ``bench`` times training.

    toyvae verify [--only PATTERN ...] [--quick | --full] [--json PATH]
    toyvae list [--markdown]
    toyvae bench [...]

Exit codes: 0 when every verdict equals its registered (expected) verdict, 1 otherwise, 2 for a
user's mistake (an unknown option or claim pattern), reported in one line without a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


class UsageError(Exception):
    """A mistake in the command line: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage + message; we want one line
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="toyvae", description="Verify published VAE theory, claim by claim.")
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
    verify.add_argument("--json", metavar="PATH", type=Path, help="also write the results as JSON to PATH")
    verify.add_argument("--no-progress", action="store_true", help="no progress bar")

    listing = sub.add_parser("list", help="list the registered claims")
    listing.add_argument("--markdown", action="store_true", help="the README's claims table")

    bench = sub.add_parser("bench", help="training-throughput benchmark (see toyvae.bench)", add_help=False)
    bench.add_argument("bench_args", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _build_parser()
    try:
        if argv[:1] == ["bench"]:  # everything after 'bench' belongs to the benchmark's own parser
            return _bench(argv[1:])
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        if args.command == "list":
            return _list(markdown=args.markdown)
        return _verify(args.only, args.profile, args.json, progress=not args.no_progress)
    except UsageError as err:
        print(err, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("toyvae: interrupted", file=sys.stderr)
        return 130


def _verify(patterns, profile: str, json_path: Path | None, *, progress: bool) -> int:
    from tqdm.auto import tqdm

    from toyvae.claims.registry import Profile, UnknownClaimError, run_claim, select

    try:
        claims = select(patterns)
    except UnknownClaimError as err:
        raise UsageError(f"toyvae verify: {err}") from None
    if json_path is not None and json_path.parent and not json_path.parent.exists():
        raise UsageError(f"toyvae verify: --json: folder {json_path.parent} does not exist")

    results = []
    start = time.perf_counter()
    bar = tqdm(claims, desc="verify", unit="claim", disable=not progress, file=sys.stderr, leave=False)
    for c in bar:
        bar.set_postfix_str(c.id)
        results.append(run_claim(c, Profile(profile)))
    bar.close()

    print(_table(results))
    failed = [r for r in results if not r.ok]
    total = time.perf_counter() - start
    print(
        f"\n{len(results)} claims, {len(results) - len(failed)} as registered, {len(failed)} changed "
        f"({profile} profile, {total:.1f} s)"
    )
    for r in failed:
        print(f"CHANGED {r.claim.id}: measured '{r.outcome.verdict}', registered "
              f"'{r.claim.expected_for(r.profile)}' ({r.profile} profile)")
    if json_path is not None:
        json_path.write_text(json.dumps([r.to_json() for r in results], indent=2) + "\n")
        print(f"wrote {json_path}")
    return 0 if not failed else 1


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
    id_w = max(len(c.id) for c in claims)
    for c in claims:
        full = "" if c.expected_full is None else f" (full: {c.expected_full})"
        print(f"{c.id:<{id_w}}  {str(c.expected) + full:<32}  {c.source}")
    return 0


def claims_markdown(claims) -> str:
    """The README's table of claims and their registered verdicts (a test keeps the two in sync)."""
    rows = ["| claim | source | verdict (quick) | verdict (full) | what our checks establish |",
            "|---|---|---|---|---|"]
    for c in claims:
        finding = (c.finding or c.statement).replace("|", "\\|").replace("\n", " ")
        full = "—" if c.expected_full is None else str(c.expected_full)
        rows.append(f"| {c.id} | {c.source} | {c.expected} | {full} | {finding} |")
    return "\n".join(rows)


def _bench(args: list[str]) -> int:
    try:
        from toyvae import bench
    except ImportError as err:  # the benchmark module is optional in a partial install
        raise UsageError(f"toyvae bench: not available ({err})") from None
    bench.main(args)  # prints its report; returns the numbers for programmatic use
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
