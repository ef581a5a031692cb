"""The `kg` command: a thin shell over `kg.api`.

Each command parses its options, calls the library, prints, and returns. Errors become exit
codes in one place, `main`:

    0  ok
    1  the data does not conform to the shapes (the report is printed; nothing is written);
       for `kg validate`: a finding at or above --fail-on;
       for `kg eval`: the macro-F1 below --fail-under
    2  usage or input error (bad option, unreadable article or record, unwritable output)
    3  processing or store error (a stage failed; a graph was not loaded)
    130  interrupted (Ctrl-C)

`kg build` with several articles builds each on its own: those that fail are listed and the
exit code is the highest of theirs.

Results go to stdout, diagnostics to stderr as `kg: <file>: <problem>`.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from kg.api import Result, build, build_record, extract_file, write_results
from kg.cluster import LOCAL
from kg.conformance import FAIL_ON, INFERENCE, ValidationRun, input_format_name, validate_files
from kg.consistency import check_consistency
from kg.corpus import DEFAULT_SHARD_SIZE, ArticleOutcome, build_corpus, format_corpus_report
from kg.errors import InputError, KgError, StoreError, ValidationFailure
from kg.evaluate import (
    find_gold_pairs,
    format_scores,
    read_gold,
    score_record,
    scores_to_json,
    sum_scores,
)
from kg.extract import EXTRACTORS
from kg.files import check_output_dir, input_name, input_stem, is_stream, write_atomic
from kg.ingest import ARTICLE_FORMATS
from kg.link import Links, link_record, read_links
from kg.loader import PROTOCOLS, LoadReport, load, plural
from kg.mapping import DEFAULT_BASE, check_base
from kg.packaged import DISTRIBUTION, installed_version
from kg.progress import MODES, progress_display
from kg.rdfinput import input_formats
from kg.record import read_record, write_record
from kg.reports import ReportFormat, format_run, visible
from kg.serialize import Format
from kg.server import DEFAULT_BIND, DEFAULT_PORT, serve
from kg.sparql import DEFAULT_TIMEOUT, ResultFormat, format_result, query, read_query
from kg.store import default_store_dir
from kg.validate import ENGINE_VARIABLE, ENGINES, format_report
from kg.view import VIEW_FORMATS, find_inputs, read_page, write_views
from kg.workers import default_workers

Command = Callable[[argparse.Namespace], int]
# What shells report for a command stopped by a signal: 128 + its number.
STOPPED_BY = {signal.SIGINT: 130, signal.SIGTERM: 143}


class _Terminated(KeyboardInterrupt):
    """SIGTERM (a CI job cancelled, `kill`, a container stopping), stopped like Ctrl-C."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line and exit code 2, like every other kg error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run `kg` with `argv` (default: the command line); returns the exit code."""
    args = _parser().parse_args(argv)
    command: Command = args.command
    if getattr(args, "shacl_engine", None):
        # Through the environment, so worker processes validate with the same engine.
        os.environ[ENGINE_VARIABLE] = args.shacl_engine
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return command(args)
    except KgError as exc:
        _say(str(exc))
        return exc.exit_code
    except KeyboardInterrupt as exc:
        # Ctrl-C or SIGTERM: the files written are whole and the temporary ones removed on the
        # way out.
        how = "terminated" if isinstance(exc, _Terminated) else "interrupted"
        _say(f"{how} (what was written is complete; run the command again to finish)")
        return STOPPED_BY[signal.SIGTERM if isinstance(exc, _Terminated) else signal.SIGINT]
    except Exception as exc:
        # A bug, not bad input; exit code 1 would read as "does not conform".
        _say(f"internal error ({type(exc).__name__}: {exc})")
        return 3
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_build(args: argparse.Namespace) -> int:
    if not args.load and (args.store or args.endpoint):
        raise InputError("--store and --endpoint need --load (kg build ... --load --store DIR)")
    _check_name(args, args.articles)
    single = _one_article(args.articles)
    show = progress_display("none" if single else args.progress, "built", "article")
    failed = 0

    def progress(done: int, total: int, article: ArticleOutcome) -> None:
        nonlocal failed
        failed += not article.ok
        show(done, total, failed=failed)

    try:
        report = build_corpus(
            args.articles,
            args.output,
            jobs=_build_jobs(args),
            formats=args.formats,
            combined=args.combined,
            base=args.base,
            published=args.published,
            links=_links(args),
            progress=progress,
            view=args.view,
            shards=args.shards,
            dask=args.dask,
            shacl_engine=args.shacl_engine,
            extractor=args.extractor,
            name=args.name,
            input_format=args.input_format,
        )
    finally:
        show.close()
    if single:
        [article] = report.articles
        if not article.ok:
            return _article_failed(article)
        extra = [*filter(None, [report.combined, report.index]), *report.shards]
        _print_paths([*article.files, *extra])
    else:
        for article in report.failed:
            _say(article.error or "")
        print(format_corpus_report(report), end="")
    if args.load and report.files:
        _print_load(_load(report.files, args))
    return report.exit_code


def _build_jobs(args: argparse.Namespace) -> int:
    """-j N (0: one per CPU); without it one process, or for --dask local one per CPU."""
    if args.jobs is None:
        return default_workers() if args.dask == LOCAL else 1
    return args.jobs or default_workers()


def _one_article(paths: Sequence[Path]) -> bool:
    """One article file named on its own: reported as its files written, or its one error."""
    if len(paths) != 1 or paths[0].is_dir():
        return False
    return paths[0].exists() or glob.escape(str(paths[0])) == str(paths[0])


def _article_failed(article: ArticleOutcome) -> int:
    if article.report is not None:
        print(article.report, file=sys.stderr)
        where = input_name(article.path) if is_stream(article.path) else article.path.name
        _say(f"{where}: does not conform to the shapes (nothing written)")
    else:
        _say(article.error or "")
    return article.exit_code


def cmd_load(args: argparse.Namespace) -> int:
    _print_load(_load(args.paths, args, input_format=args.input_format))
    return 0


def _load(
    paths: Sequence[Path], args: argparse.Namespace, input_format: str | None = None
) -> LoadReport:
    return load(
        paths,
        store=args.store,
        endpoint=args.endpoint,
        query_endpoint=args.query_endpoint,
        protocol=args.protocol,
        graph=getattr(args, "graph", None),
        timeout=args.timeout,
        retries=args.retries,
        workers=args.workers,
        input_format=input_format,
    )


def _print_load(report: LoadReport) -> None:
    """Each graph loaded to stdout, each failure to stderr, then the summary; any failure
    makes the exit code 3."""
    for done in report.graphs:
        if done.ok:
            print(f"loaded {done.graph} ({plural(done.triples, 'triple')})")
        elif done.sent and done.error:
            _say(done.error)
    not_sent = sum(1 for done in report.graphs if not done.sent)
    if not_sent:
        _say(f"{plural(not_sent, 'more graph')} not sent (the load stopped at the error above)")
    print(report.summary())
    if not report.ok:
        total = plural(len(report.graphs), "graph")
        raise StoreError(f"{len(report.failed)} of {total} not loaded")


def cmd_extract(args: argparse.Namespace) -> int:
    _check_name(args, [args.article])
    record = extract_file(
        args.article,
        published=args.published,
        links=_links(args),
        extractor=args.extractor,
        name=args.name,
        input_format=args.input_format,
    )
    write_record(record, args.output)
    _print_paths([args.output])
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    _check_name(args, [args.record])
    check_output_dir(args.output)  # `-o -` is refused before the work, not after
    record = read_record(args.record)
    if args.links is not None:
        record = link_record(record, _links(args))
    # --name over the record's own source: what is given on the command line wins.
    stem = args.name or (None if record.article.source else input_stem(args.record))
    result = build_record(record, base=args.base, stem=stem)
    _print_paths(_write_conforming([result], args.output, args.formats))
    return 0


def cmd_view(args: argparse.Namespace) -> int:
    inputs = find_inputs(args.inputs)
    _check_name(args, inputs)
    check_output_dir(args.output)
    links = _links(args)
    pages = [
        read_page(
            path,
            base=args.base,
            published=args.published,
            links=links,
            extractor=args.extractor,
            name=args.name if is_stream(path) else None,
            input_format=args.input_format,
        )
        for path in inputs
    ]
    _print_paths(write_views(pages, args.output))
    failing = [page.record.article.source or page.stem for page in pages if not page.conforms]
    if failing:
        raise ValidationFailure(
            f"{', '.join(failing)}: does not conform to the shapes (the page shows the findings)"
        )
    return 0


def _check_name(args: argparse.Namespace, inputs: Sequence[Path]) -> None:
    """--name names what is read from standard input: without `-` it would name nothing."""
    if args.name is not None and not any(is_stream(path) for path in inputs):
        raise InputError(
            f"--name {args.name}: names an input read from standard input (give - as the input)"
        )


def cmd_eval(args: argparse.Namespace) -> int:
    pairs = find_gold_pairs(args.gold_dir, include=args.include, exclude=args.exclude)
    # Every gold file is read before the first build: a broken one is an input error at once,
    # not after minutes of extraction.
    golds = [read_gold(gold_path) for _, gold_path in pairs]
    results = [build(article, base=args.base, extractor=args.extractor) for article, _ in pairs]
    scores = [
        score_record(r.record, gold, name=r.stem) for r, gold in zip(results, golds, strict=True)
    ]
    overall = sum_scores(scores)
    if args.report_format == "json":
        data = scores_to_json(scores, by_source=args.by_source)
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(format_scores(scores, verbose=args.verbose, by_source=args.by_source), end="")
    # The scores are this command's result; the files it writes are not listed.
    _write_conforming(results, args.output, [])
    if args.fail_under is not None and overall.macro_f1 < args.fail_under:
        raise ValidationFailure(
            f"macro-F1 {overall.macro_f1:.3f} is below --fail-under {args.fail_under:g}"
        )
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    text, source = _query_text(args.query)
    result = query(
        text,
        store=args.store,
        endpoint=args.endpoint,
        params=dict(args.params),
        timeout=args.timeout,
        source=source,
    )
    sys.stdout.write(format_result(result, args.format))
    return 0


def _query_text(argument: str) -> tuple[str, str]:
    """(query text, name for messages): `@file.rq` is read from the file, `-` (or `@-`) from
    standard input."""
    if argument.startswith("@") or is_stream(argument):
        path = argument.removeprefix("@")
        return read_query(path), input_name(path)
    return argument, "query"


def cmd_serve(args: argparse.Namespace) -> int:
    def ready(url: str) -> None:
        print(f"serving {args.store or default_store_dir()} at {url} (Ctrl-C stops)", flush=True)

    serve(args.store, port=args.port, bind=args.bind, ready=ready)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    problems = check_consistency(
        ontology=args.ontology,
        shapes=args.shapes,
        schemas=args.schemas or None,
        context=args.context,
        record=args.record,
    )
    for problem in problems:
        print(problem)
    if problems:
        count = "1 inconsistency" if len(problems) == 1 else f"{len(problems)} inconsistencies"
        raise ValidationFailure(f"{count}: kg's own files disagree (listed above)")
    print("consistent: ontology, shapes, JSON Schemas, JSON-LD context and mapper agree")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    run = validate_files(
        args.paths,
        shapes=args.shapes,
        schema=args.schema,
        ontology=args.ontology,
        inference=args.inference,
        input_format=args.input_format,
        jobs=args.jobs or default_workers(),
        progress=_progress if sys.stderr.isatty() else None,
    )
    for skipped in run.skipped:
        _say(f"skipped {skipped.file}: {skipped.reason}")
    to_terminal = args.output is None and sys.stdout.isatty()
    colour = to_terminal and args.format is ReportFormat.TEXT and not os.environ.get("NO_COLOR")
    report = format_run(run, args.format, fail_on=args.fail_on, color=colour, timings=args.timings)
    if args.output is not None:
        write_atomic(args.output, report.encode("utf-8"))
    else:
        sys.stdout.write(report)
    if args.output is not None or args.format is not ReportFormat.TEXT:
        _say(run.summary())  # the report is elsewhere or for machines; people still see this
    return _validation_exit_code(run, args.fail_on)


def _validation_exit_code(run: ValidationRun, fail_on: str) -> int:
    return ValidationFailure.exit_code if run.failed(fail_on) else 0


def _progress(done: int, total: int) -> None:
    end = "\n" if done == total else ""
    print(f"\rkg: validated {done} of {total} files", end=end, file=sys.stderr, flush=True)


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
        if not is_stream(path):  # standard output holds the file itself
            print(path)


def _say(message: str) -> None:
    # File names and data reach these lines: no control character goes to the terminal raw.
    for line in message.splitlines():
        print(f"kg: {visible(line)}", file=sys.stderr)


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


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not number > 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number of seconds")
    return number


def _fraction(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number from 0 to 1")
    return number


def _count(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number >= 0")
    return int(value)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kg",
        description="Turn news articles into validated linked data (Turtle, JSON-LD).",
        epilog=(
            "example:\n  kg build examples/xiongan-innovation.txt -o output/\n\n"
            "exit codes: 0 ok, 1 data does not conform to the shapes, "
            "2 usage or input error, 3 processing or store error"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"kg ({DISTRIBUTION}) {installed_version()}"
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    build_cmd = _command(
        commands,
        "build",
        cmd_build,
        "read, extract, map and validate articles; write DIR/<stem>.ttl and .jsonld",
        "kg build examples/xiongan-innovation.txt -o output/ --format nt\n"
        "  kg build articles/ -o out/ -j 0 --combined corpus.nq\n"
        "  kg build articles/ -o out/ --dask tcp://scheduler:8786   # and out/shards/*.nq\n\n"
        "Each article is built on its own: one that fails is listed at the end and the others\n"
        "are written. exit codes: 0 all built, 1 some do not conform, 2 some could not be read\n"
        "(or a usage or output error), 3 a stage failed on some (a bug)",
    )
    build_cmd.add_argument(
        "articles",
        nargs="+",
        type=Path,
        metavar="ARTICLE",
        help="article files (.txt .html .htm), folders (recursively), glob patterns, or - "
        "(standard input)",
    )
    _output_options(build_cmd)
    _stdin_options(build_cmd, "the article", ARTICLE_FORMATS)
    _engine_option(build_cmd)
    _extractor_option(build_cmd)
    _published_option(build_cmd)
    _links_option(build_cmd)
    build_cmd.add_argument(
        "-j",
        "--jobs",
        type=_count,
        metavar="N",
        help="build in N processes (default 1; 0: one per CPU); the output is the same",
    )
    build_cmd.add_argument(
        "--combined",
        type=Path,
        metavar="FILE.nq",
        help="also write the whole corpus as one N-Quads file, a named graph per article",
    )
    build_cmd.add_argument(
        "--shards",
        type=_count,
        metavar="N",
        help="also write DIR/shards/part-00000.nq ...: N-Quads of N articles each, in input "
        f"order, for bulk loaders (default {DEFAULT_SHARD_SIZE} with --dask)",
    )
    build_cmd.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="build on a Dask cluster: its scheduler (tcp://HOST:PORT), or local for -j "
        "processes here (default one per CPU); writes shards; needs pip install 'kg-news[dask]'",
    )
    build_cmd.add_argument(
        "--progress",
        choices=MODES,
        default="auto",
        help="auto (default): a bar on a terminal, else a line every 100 articles or 10 s",
    )
    build_cmd.add_argument(
        "--load", action="store_true", help="then load the files written (see kg load)"
    )
    build_cmd.add_argument(
        "--view",
        action="store_true",
        help="also write DIR/<stem>.html for each article built and DIR/index.html (see kg view)",
    )
    _target_options(build_cmd)

    load_cmd = _command(
        commands,
        "load",
        cmd_load,
        "load RDF files into the embedded store or a SPARQL endpoint, one named graph each",
        "kg load output/ --endpoint http://localhost:7878/store",
    )
    load_cmd.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="files (.ttl .jsonld .nt .nq .trig), folders (read recursively), glob patterns, "
        "or - (stdin)",
    )
    load_cmd.add_argument(
        "--input-format",
        type=_input_format,
        metavar="FORMAT",
        help="read every file, and stdin, as FORMAT whatever its extension: turtle (stdin's "
        "default), nt, nquads, trig, json-ld",
    )
    load_cmd.add_argument(
        "--graph",
        metavar="IRI",
        help="named graph for triples files that are not kg output (kg's own carry theirs)",
    )
    _target_options(load_cmd)
    _engine_option(load_cmd)

    extract_cmd = _command(
        commands,
        "extract",
        cmd_extract,
        "extract the record (people, posts, metrics, ...) of one article as JSON",
        "kg extract examples/xiongan-innovation.txt -o xiongan.record.json",
    )
    extract_cmd.add_argument(
        "article", type=Path, metavar="ARTICLE", help="article file (.txt, .html), or - (stdin)"
    )
    extract_cmd.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        metavar="FILE",
        help="record JSON to write, or - (stdout)",
    )
    _stdin_options(extract_cmd, "the article", ARTICLE_FORMATS)
    _extractor_option(extract_cmd)
    _published_option(extract_cmd)
    _links_option(extract_cmd)

    map_cmd = _command(
        commands,
        "map",
        cmd_map,
        "map a (possibly hand-edited) record to RDF, validate it and write it like build",
        "kg map xiongan.record.json -o output/",
    )
    map_cmd.add_argument(
        "record", type=Path, metavar="RECORD", help="record JSON file, or - (stdin)"
    )
    _stdin_options(map_cmd, "the record", ())
    _links_option(map_cmd)
    _output_options(map_cmd)
    _engine_option(map_cmd)

    eval_cmd = _command(
        commands,
        "eval",
        cmd_eval,
        "build each <stem>.txt beside a <stem>.gold.json and print precision/recall/F1",
        "kg eval ../shared/articles -o eval-out/ -v --fail-under 0.9\n"
        "  kg eval ../shared/articles -o eval-out/ --by-source --exclude 'bbc-[a-f]*'\n\n"
        "sources: an article's source is its stem up to the first '-' (bbc-apple-mac-mini: bbc,\n"
        "pd-boeing-737-max: pd; a stem without '-' is a source of its own)\n\n"
        "exit codes: 0 ok, 1 macro-F1 below --fail-under, 2 usage or input error",
    )
    eval_cmd.add_argument(
        "gold_dir", type=Path, metavar="GOLD_DIR", help="folder of <stem>.txt and <stem>.gold.json"
    )
    _output_options(eval_cmd, rdf_formats=False)
    _extractor_option(eval_cmd)
    eval_cmd.add_argument(
        "--format",
        dest="report_format",
        choices=("text", "json"),
        default="text",
        help="text (default): a table per article and overall; json: the same as data",
    )
    eval_cmd.add_argument(
        "--json",
        dest="report_format",
        action="store_const",
        const="json",
        help="the same as --format json",
    )
    eval_cmd.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also list, per article, what was missed and what was extra",
    )
    eval_cmd.add_argument(
        "--fail-under",
        type=_fraction,
        metavar="F1",
        help="exit code 1 when the overall macro-F1 is below this (0 to 1), for CI",
    )
    eval_cmd.add_argument(
        "--by-source",
        action="store_true",
        help="also a table per source, its articles pooled, and a line per source with its "
        "macro-F1 (json: by_source); the source is the stem up to the first '-'",
    )
    eval_cmd.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="GLOB",
        help="score only the articles whose stem matches GLOB (case-sensitive, as 'bbc-*'); "
        "repeatable: any of them",
    )
    eval_cmd.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave out the articles whose stem matches GLOB, included or not; repeatable",
    )

    _query_command(commands)
    _serve_command(commands)
    _check_command(commands)
    _validate_command(commands)
    _view_command(commands)
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


def _output_options(sub: argparse.ArgumentParser, rdf_formats: bool = True) -> None:
    sub.add_argument(
        "-o", "--output", required=True, type=Path, metavar="DIR", help="output folder"
    )
    if rdf_formats:
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


def _engine_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--shacl-engine",
        choices=ENGINES,
        help="turbo (pyshacl-turbo, the default) or pyshacl (the reference: the same findings, "
        "about ten times slower; the default with --inference); default: $KG_SHACL_ENGINE, "
        "else turbo",
    )


def _extractor_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--extractor",
        choices=EXTRACTORS,
        help="statistical: spaCy's trained en_core_web_sm, checked and completed by kg's rules "
        "and tables; rules: kg's rules and tables alone (no model, a few milliseconds per "
        "article). Default: $KG_EXTRACTOR, else statistical. The output names the one used",
    )


def _target_options(sub: argparse.ArgumentParser) -> None:
    """Where `kg load` and `kg build --load` send graphs, and how patiently."""
    target = sub.add_mutually_exclusive_group()
    target.add_argument(
        "--store",
        type=Path,
        metavar="DIR",
        help="embedded store folder (default: $KG_STORE, else ~/.local/share/kg/store)",
    )
    target.add_argument(
        "--endpoint",
        metavar="URL",
        help="SPARQL endpoint: its Graph Store Protocol URL, or its update URL with "
        "--protocol update (credentials: KG_ENDPOINT_USER/KG_ENDPOINT_PASSWORD or "
        "KG_ENDPOINT_TOKEN)",
    )
    sub.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        default="gsp",
        help="gsp: one PUT per graph (default); update: DROP + INSERT DATA per graph",
    )
    sub.add_argument(
        "--query-endpoint",
        metavar="URL",
        help="SPARQL query URL for the checks (default: derived from --endpoint, see README)",
    )
    sub.add_argument(
        "--timeout",
        type=_positive,
        default=30.0,
        metavar="S",
        help="seconds to wait to connect and for each answer (default 30)",
    )
    sub.add_argument(
        "--retries",
        type=_count,
        default=4,
        metavar="N",
        help="retries on connection errors, 429, 502, 503, 504 (default 4)",
    )
    sub.add_argument(
        "--workers",
        type=_count,
        default=default_workers(),
        metavar="N",
        help="processes that SHACL-validate the articles, 16 or more (default: the CPUs)",
    )


def _published_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--published",
        metavar="YYYY-MM-DD",
        help="publication date (default: the page's date, else the date the URL encodes)",
    )


def _links_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--links",
        type=Path,
        metavar="FILE.csv",
        help="names to link beyond kg's own table (CSV, header type,name,id; see README)",
    )


def _links(args: argparse.Namespace) -> Links | None:
    return None if args.links is None else read_links(args.links)


def _query_command(commands: argparse._SubParsersAction[_Parser]) -> None:
    sub = _command(
        commands,
        "query",
        cmd_query,
        "run a SPARQL query on the embedded store (all articles' graphs as one) or an endpoint",
        "kg query @queries/posts.rq --param person='Ni Yuefeng' --format csv",
    )
    sub.add_argument(
        "query",
        metavar="QUERY",
        help="SPARQL text, or @FILE to read it from a file (.rq), or - to read it from stdin",
    )
    target = sub.add_mutually_exclusive_group()
    target.add_argument(
        "--store",
        type=Path,
        metavar="DIR",
        help="embedded store folder, opened read-only (default: $KG_STORE, "
        "else ~/.local/share/kg/store)",
    )
    target.add_argument(
        "--endpoint",
        metavar="URL",
        help="SPARQL endpoint: its query URL, or the URL given to kg load (.../store -> "
        ".../query); credentials as for kg load",
    )
    sub.add_argument(
        "--format",
        type=_result_format,
        default=ResultFormat.TABLE,
        metavar="FMT",
        help="table (default), csv, tsv, json (SPARQL results); CONSTRUCT/DESCRIBE: "
        "table or ttl (Turtle), nt",
    )
    sub.add_argument(
        "--param",
        dest="params",
        action="append",
        default=[],
        type=_param,
        metavar="NAME=VALUE",
        help="bind ?NAME to the string VALUE (or the IRI, written <IRI>); repeatable",
    )
    sub.add_argument(
        "--timeout",
        type=_positive,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"endpoint only: seconds to connect and for the answer (default {DEFAULT_TIMEOUT:g})",
    )


def _serve_command(commands: argparse._SubParsersAction[_Parser]) -> None:
    sub = _command(
        commands,
        "serve",
        cmd_serve,
        "serve the embedded store as a SPARQL endpoint with a query UI in the browser",
        "kg serve --port 7878   # then open http://127.0.0.1:7878/",
    )
    sub.add_argument(
        "--store",
        type=Path,
        metavar="DIR",
        help="embedded store folder (default: $KG_STORE, else ~/.local/share/kg/store)",
    )
    sub.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})"
    )
    sub.add_argument(
        "--bind",
        default=DEFAULT_BIND,
        metavar="HOST",
        help=f"address to listen on (default {DEFAULT_BIND}: this machine only)",
    )


def _check_command(commands: argparse._SubParsersAction[_Parser]) -> None:
    sub = _command(
        commands,
        "check",
        cmd_check,
        "check that kg's ontology, shapes, JSON Schemas, JSON-LD context and mapper agree "
        "(exit code 1: each problem on a line)",
        "kg check --ontology edited/kg.ttl   # an edited copy against kg's other files",
    )
    files = (
        ("--ontology", "ontology/kg.ttl"),
        ("--shapes", "shapes/kg.shacl.ttl"),
        ("--context", "ontology/context.jsonld"),
        ("--record", "examples/xiongan-innovation.record.json, mapped for its terms"),
    )
    for option, default in files:
        sub.add_argument(
            option, type=Path, metavar="FILE", help=f"check this file instead of kg's {default}"
        )
    sub.add_argument(
        "--schema",
        dest="schemas",
        action="append",
        type=Path,
        metavar="FILE",
        help="check these JSON Schemas instead of kg's shapes/*.schema.json; repeatable",
    )


def _result_format(value: str) -> ResultFormat:
    try:
        return ResultFormat.from_name(value)
    except KgError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _param(value: str) -> tuple[str, str]:
    name, equals, text = value.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"{value!r} is not NAME=VALUE")
    return name.lstrip("?$"), text


def _port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (1-65535)")
    return int(value)


def _validate_command(commands: argparse._SubParsersAction[_Parser]) -> None:
    sub = _command(
        commands,
        "validate",
        cmd_validate,
        "validate RDF files and kg records: syntax, SHACL, JSON Schema, text anchors (for CI)",
        "kg validate output/ --format sarif --output kg.sarif\n\n"
        "exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage or input error "
        "(bad option, missing or unreadable path, broken shapes, schema or ontology), "
        "3 internal error",
    )
    sub.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="files (.ttl .nt .nq .trig .jsonld .n3, RDF/XML .rdf .owl .xml; .json records), "
        "folders (recursively; other files are listed as skipped), glob patterns, or - (stdin, "
        "Turtle unless --input-format)",
    )
    sub.add_argument(
        "--input-format",
        type=_input_format,
        metavar="FORMAT",
        help="read every file as FORMAT whatever its extension: "
        + ", ".join(fmt.name for fmt in input_formats())
        + " (or rdflib's other names: ttl, ntriples, rdf, ...)",
    )
    sub.add_argument(
        "--shapes",
        action="append",
        type=Path,
        metavar="FILE|DIR",
        help="SHACL shapes to use instead of kg's; repeatable",
    )
    sub.add_argument(
        "--schema",
        type=Path,
        metavar="FILE",
        help="JSON Schema for .json files that are not kg records",
    )
    sub.add_argument(
        "--ontology",
        type=Path,
        metavar="FILE",
        help="ontology added to the data for --inference (its owl:imports are not followed)",
    )
    sub.add_argument(
        "--inference", choices=INFERENCE, default="none", help="none (default) or rdfs"
    )
    _engine_option(sub)
    sub.add_argument(
        "--format",
        type=_report_format,
        default=ReportFormat.TEXT,
        metavar="FMT",
        help="text (default), json, junit, sarif, shacl (a sh:ValidationReport in Turtle; "
        "alias ttl)",
    )
    sub.add_argument(
        "--timings",
        action="store_true",
        help="put the seconds each file took in the report (then runs differ; without it the "
        "same files give the same report)",
    )
    sub.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="write the report to FILE (atomically) instead of stdout",
    )
    sub.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="violation",
        help="lowest severity that makes the exit code 1 (default violation)",
    )
    sub.add_argument(
        "-j",
        "--jobs",
        type=_count,
        default=1,
        metavar="N",
        help="validate in N processes (default 1; 0: one per CPU)",
    )


def _stdin_options(sub: argparse.ArgumentParser, what: str, formats: Sequence[str]) -> None:
    """--name for an input read from standard input, and --input-format when its syntax is one
    of several (`formats`)."""
    sub.add_argument(
        "--name",
        type=_stem,
        metavar="STEM",
        help=f"the name of {what} read from stdin (-): the outputs are STEM.* (default stdin)",
    )
    if formats:
        sub.add_argument(
            "--input-format",
            choices=formats,
            help=f"read the input as this whatever its extension (stdin: {formats[0]})",
        )


def _stem(value: str) -> str:
    """An output file name without its extension: no folder, not hidden."""
    if not value or value.startswith(".") or any(c in value for c in "/\\\0"):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a file name stem (expected a name without folders or a leading .)"
        )
    return value


def _input_format(value: str) -> str:
    try:
        return input_format_name(value)
    except KgError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _report_format(value: str) -> ReportFormat:
    try:
        return ReportFormat.from_name(value)
    except KgError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _view_command(commands: argparse._SubParsersAction[_Parser]) -> None:
    sub = _command(
        commands,
        "view",
        cmd_view,
        "write one self-contained HTML page per article to review in a browser, and an index",
        "kg view examples/xiongan-innovation.txt -o view/   # then open view/index.html\n\n"
        "Pages are written even for data that does not conform: they show the findings.\n"
        "exit codes: 0 ok, 1 some article does not conform (pages written), 2 usage or input "
        "error, 3 a stage failed",
    )
    sub.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="INPUT",
        help="articles (.txt .html .htm: built), records (.json: mapped), files kg wrote "
        "(.ttl .nt: read back), glob patterns, or - (stdin: an article unless --input-format)",
    )
    _stdin_options(sub, "the input", tuple(VIEW_FORMATS))
    _output_options(sub, rdf_formats=False)
    _extractor_option(sub)
    _published_option(sub)
    _links_option(sub)
    _engine_option(sub)
