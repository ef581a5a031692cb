"""The `kg` command: a thin shell over `kg.api`.

Each command parses its options, calls the library, prints, and returns. Errors become exit
codes in one place, `main`:

    0  ok
    1  the data does not conform to the shapes (the report is printed; nothing is written)
    2  usage or input error (bad option, unreadable article or record, unwritable output)
    3  processing error (a stage failed)

Results go to stdout, diagnostics to stderr as `kg: <file>: <problem>`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from kg.api import Result, build, build_record, extract_file, score_folder, write_results
from kg.errors import KgError, ValidationFailure
from kg.evaluate import format_scores, sum_scores
from kg.mapping import DEFAULT_BASE, check_base
from kg.record import read_record, write_record
from kg.serialize import Format
from kg.validate import format_report

Command = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line and exit code 2, like every other kg error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run `kg` with `argv` (default: the command line); returns the exit code."""
    args = _parser().parse_args(argv)
    command: Command = args.command
    try:
        return command(args)
    except KgError as exc:
        _say(str(exc))
        return exc.exit_code
    except Exception as exc:
        # A bug, not bad input; exit code 1 would read as "does not conform".
        _say(f"internal error ({type(exc).__name__}: {exc})")
        return 3


def cmd_build(args: argparse.Namespace) -> int:
    results = [build(path, base=args.base, published=args.published) for path in args.articles]
    _print_paths(_write_conforming(results, args.output, args.formats))
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    write_record(extract_file(args.article, published=args.published), args.output)
    _print_paths([args.output])
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    record = read_record(args.record)
    stem = None if record.article.source else Path(args.record).stem
    result = build_record(record, base=args.base, stem=stem)
    _print_paths(_write_conforming([result], args.output, args.formats))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    scored = score_folder(args.gold_dir, base=args.base)
    scores = [score for _, score in scored]
    if args.json:
        data = {"articles": [s.to_json() for s in scores], "overall": sum_scores(scores).to_json()}
        print(json.dumps(data, indent=2))
    else:
        print(format_scores(scores), end="")
    # The scores are this command's result; the files it writes are not listed.
    _write_conforming([result for result, _ in scored], args.output, args.formats)
    return 0


def _write_conforming(
    results: Sequence[Result], out_dir: Path, formats: list[Format]
) -> list[Path]:
    """Print the report of each result that does not conform; write all results or none."""
    failing = [result for result in results if not result.conforms]
    for result in failing:
        print(format_report(result.report), file=sys.stderr)
    if failing:
        names = ", ".join(r.article.source or r.stem for r in failing)
        raise ValidationFailure(f"{names}: does not conform to the shapes (nothing written)")
    return write_results(results, out_dir, formats)


def _print_paths(paths: Sequence[Path]) -> None:
    for path in paths:
        print(path)


def _say(message: str) -> None:
    for line in message.splitlines():
        print(f"kg: {line}", file=sys.stderr)


def _format(value: str) -> Format:
    try:
        return Format.from_name(value)
    except KgError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _base(value: str) -> str:
    """A bad base IRI is a usage error, found before any article is read."""
    try:
        check_base(value)
    except KgError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kg",
        description="Turn news articles into validated linked data (Turtle, JSON-LD).",
        epilog=(
            "example:\n  kg build examples/xiongan-innovation.txt -o output/\n\n"
            "exit codes: 0 ok, 1 data does not conform to the shapes, "
            "2 usage or input error, 3 processing error"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    build_cmd = _command(
        commands,
        "build",
        cmd_build,
        "read, extract, map and validate articles; write DIR/<stem>.ttl and .jsonld",
        "kg build examples/xiongan-innovation.txt -o output/ --format nt",
    )
    build_cmd.add_argument(
        "articles", nargs="+", type=Path, metavar="ARTICLE", help="article text files"
    )
    _output_options(build_cmd)
    _published_option(build_cmd)

    extract_cmd = _command(
        commands,
        "extract",
        cmd_extract,
        "extract the record (people, posts, metrics, ...) of one article as JSON",
        "kg extract examples/xiongan-innovation.txt -o xiongan.record.json",
    )
    extract_cmd.add_argument("article", type=Path, metavar="ARTICLE", help="article text file")
    extract_cmd.add_argument(
        "-o", "--output", required=True, type=Path, metavar="FILE", help="record JSON to write"
    )
    _published_option(extract_cmd)

    map_cmd = _command(
        commands,
        "map",
        cmd_map,
        "map a (possibly hand-edited) record to RDF, validate it and write it like build",
        "kg map xiongan.record.json -o output/",
    )
    map_cmd.add_argument("record", type=Path, metavar="RECORD", help="record JSON file")
    _output_options(map_cmd)

    eval_cmd = _command(
        commands,
        "eval",
        cmd_eval,
        "build each <stem>.txt beside a <stem>.gold.json and print precision/recall/F1",
        "kg eval ../shared/articles -o eval-out/ --json",
    )
    eval_cmd.add_argument(
        "gold_dir", type=Path, metavar="GOLD_DIR", help="folder of <stem>.txt and <stem>.gold.json"
    )
    _output_options(eval_cmd)
    eval_cmd.add_argument("--json", action="store_true", help="print the scores as JSON")
    return parser


def _command(
    commands: argparse._SubParsersAction[_Parser],
    name: str,
    run: Command,
    summary: str,
    example: str,
) -> _Parser:
    sub = commands.add_parser(
        name,
        help=summary,
        description=summary,
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub.set_defaults(command=run)
    return sub


def _output_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "-o", "--output", required=True, type=Path, metavar="DIR", help="output folder"
    )
    sub.add_argument(
        "--format",
        dest="formats",
        action="append",
        default=[],
        type=_format,
        metavar="FMT",
        help="also write this format (nt, nq, trig); repeatable. ttl and jsonld always",
    )
    sub.add_argument(
        "--base",
        default=DEFAULT_BASE,
        type=_base,
        metavar="IRI",
        help=f"base IRI of every node (default {DEFAULT_BASE})",
    )


def _published_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--published",
        metavar="YYYY-MM-DD",
        help="publication date (default: the date the article's URL encodes)",
    )
