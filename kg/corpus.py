"""Build a corpus: many articles, each on its own, in worker processes, into one folder.

    >>> report = build_corpus(["articles/"], "out/", jobs=2, combined="corpus.nq")  # doctest: +SKIP
    >>> report.exit_code, [outcome.error for outcome in report.failed]   # doctest: +SKIP
    (2, ['articles/broken.txt: binary file (NUL bytes; expected UTF-8 text)'])
    >>> print(format_corpus_report(report))                              # doctest: +SKIP

Each article goes through `kg.build` and, when it conforms, its files are written at once,
atomically (all of them or none). An article that cannot be read, does not conform, or makes a
stage fail is recorded with a one-line reason, and the others go on. Only an output that cannot
be written stops the build (`OutputError`): every article after it would fail the same way.

Inputs are files, folders (read recursively, sorted; `.txt .html .htm`, hidden names skipped)
and glob patterns (expanded here too, for shells that do not). An article found in a folder, or
by a pattern, is written to the same relative folder under `out_dir` (a BBC-style corpus has a
`business/001.txt` and a `politics/001.txt`); an article named on its own goes to `out_dir`.

The output is the same bytes whatever `jobs` is: an article's files depend on it alone, and the
combined N-Quads file gets each article's named graph appended in input order as it finishes,
through a temporary file renamed at the end, so no corpus-sized graph is ever in memory.

`shards=N` also writes the corpus as N-Quads files of N articles each, `out_dir/shards/
part-00000.nq` ..., for bulk loaders (see `_Shards`). `dask=ADDRESS` builds on a Dask cluster
(`kg.cluster`) instead of local processes, with shards of `DEFAULT_SHARD_SIZE` unless told: this
process reads each article and sends its bytes, a worker builds it and sends back its rendered
files, and this process writes them, so the workers need not see this machine's files.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from contextlib import ExitStack, closing
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from kg.api import Result, build_article, choose_extractor
from kg.cluster import LOCAL, cluster_map, dask_cluster
from kg.errors import InputError, KgError, OutputError, ValidationFailure
from kg.extract import parse_texts
from kg.files import (
    check_output_dir,
    ensure_dir,
    glob_files,
    input_stem,
    is_pattern,
    is_stream,
    open_atomic,
    pattern_root,
    remove_stale_temps,
    write_all_atomic,
)
from kg.ingest import ARTICLE_SUFFIXES, read_article, read_article_bytes
from kg.link import Links
from kg.loader import plural
from kg.mapping import DEFAULT_BASE, check_base
from kg.model import Article
from kg.serialize import Format, render_outputs
from kg.validate import Engine, default_engine, format_report
from kg.view import INDEX_NAME, PageSummary, page_of, render_index, render_page, summarize
from kg.workers import chunks, process_map

if TYPE_CHECKING:
    from spacy.tokens import Doc

T = TypeVar("T")

# What is counted per article, in the order of the summary table.
TALLIED = (
    "triples",
    "people",
    "organizations",
    "places",
    "posts",
    "metrics",
    "quotes",
    "violations",
    "warnings",
)
# Record list -> the IRI path segment of its entities (`{base}person/{key}`).
ENTITY_TYPES = {"people": "person", "organizations": "organization", "places": "place"}
SHARDS_FOLDER = "shards"
DEFAULT_SHARD_SIZE = 1000  # articles per shard with `dask`: ~600,000 quads, ~100 MB
# Articles per job: the statistical extractor's model parses a job's texts in one batch, about
# a tenth less CPU than one at a time; more saves little, and holds more results in flight.
CHUNK_SIZE = 16
_EXPECTED = ", ".join(ARTICLE_SUFFIXES)


@dataclass(frozen=True)
class CorpusArticle:
    """An article file to build, and the folder under the output folder its files go to."""

    path: Path
    folder: Path = Path()


@dataclass(frozen=True)
class ArticleOutcome:
    """What became of one article: the files written, or why none were."""

    path: Path
    files: tuple[Path, ...] = ()
    error: str | None = None  # one line, `<file>: <what>`; None when the files were written
    exit_code: int = 0  # the error's (`KgError.exit_code`): 1 does not conform, 2 input, 3 bug
    report: str | None = None  # the SHACL report of an article that does not conform
    counts: Mapping[str, int] = field(default_factory=dict)  # TALLIED names, for this article
    page: PageSummary | None = None  # what the index shows of its page (`view=True`)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class CorpusReport:
    """Every article's outcome in input order, with totals for the summary table."""

    articles: tuple[ArticleOutcome, ...]
    distinct: Mapping[str, int]  # people, organizations, places: distinct IRIs in the corpus
    seconds: float
    jobs: int
    combined: Path | None = None  # the N-Quads file of the whole corpus, when written
    index: Path | None = None  # the index of the articles' pages (`view=True`), when written
    shards: tuple[Path, ...] = ()  # the N-Quads shards written (`shards=N`), in order
    cluster: str | None = None  # the Dask scheduler's address (`dask=`), or "local"

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def built(self) -> list[ArticleOutcome]:
        return [a for a in self.articles if a.ok]

    @property
    def failed(self) -> list[ArticleOutcome]:
        return [a for a in self.articles if not a.ok]

    @property
    def files(self) -> list[Path]:
        """The article files written (not the combined file), in input order."""
        return [path for article in self.articles for path in article.files]

    @property
    def exit_code(self) -> int:
        """0 when every article was built, else the highest of the failures' exit codes:
        3 if a stage failed (a bug), 2 if an article could not be read, 1 if only some
        did not conform."""
        return max((a.exit_code for a in self.failed), default=0)

    def total(self, name: str) -> int:
        """A TALLIED count summed over the articles."""
        return sum(a.counts.get(name, 0) for a in self.articles)

    @property
    def rate(self) -> float:
        """Articles per second, failed ones included."""
        return len(self.articles) / self.seconds if self.seconds > 0 else 0.0


Progress = Callable[[int, int, ArticleOutcome], None]  # (done, total, the article just done)


def build_corpus(
    paths: Iterable[str | Path],
    out_dir: str | Path,
    *,
    jobs: int = 1,
    formats: Iterable[Format] = (),
    combined: str | Path | None = None,
    base: str = DEFAULT_BASE,
    published: str | None = None,
    links: Links | None = None,
    progress: Progress | None = None,
    view: bool = False,
    shards: int | None = None,
    dask: str | None = None,
    shacl_engine: Engine | None = None,
    extractor: str | None = None,
    name: str | None = None,
    input_format: str | None = None,
) -> CorpusReport:
    """Build every article under `paths` into `out_dir` (see the module docstring).

    `jobs` > 1 builds in that many processes (spawned: a script calling this guards its entry
    point with `if __name__ == "__main__":`). `combined` is an N-Quads file to write the whole
    corpus to, when at least one article is built; `shards` a number of articles per shard.
    `dask` is a Dask scheduler's address, or "local" for a cluster of `jobs` processes here.
    `shacl_engine` (default: `KG_SHACL_ENGINE`, else pySHACL) and `extractor` (default:
    `KG_EXTRACTOR`, else "statistical") are chosen here, for every worker and cluster alike.
    `progress(done, total, outcome)` is called after each article, in input order. A path `-`
    is an article read from standard input, its files named `name` (default `stdin`);
    `input_format` ("text" or "html") reads every article so, whatever its extension. Raises
    `InputError` for paths that name no article (a missing file is an article that fails),
    `ExtractionError` for an extractor kg does not have, `OutputError` for an output it cannot
    write and `ClusterError` for a cluster that fails.
    """
    started = time.monotonic()
    if jobs < 1:
        raise InputError(f"jobs {jobs} (expected 1 or more)")
    if shards is None and dask is not None:
        shards = DEFAULT_SHARD_SIZE
    if shards is not None and shards < 1:
        raise InputError(f"shards of {shards} articles (expected 1 or more)")
    check_base(base)
    options = _Options(
        out_dir=Path(out_dir),
        formats=tuple(formats),
        base=base,
        published=published,
        links=links,
        nquads=combined is not None or shards is not None,
        view=view,
        shacl_engine=shacl_engine or default_engine(),
        extractor=choose_extractor(extractor),
        name=name,
        input_format=input_format,
    )
    # Standard input is read here, once: worker processes do not share it.
    work = [
        _with_data(item) if is_stream(item.article.path) else item
        for item in _plan(find_articles(paths), options)
    ]
    target = None if combined is None else Path(combined)
    if target is not None:
        _check_combined(target, work, options)
    # Before any article is built: an output that cannot be written stops the build anyway.
    check_output_dir(options.out_dir)
    remove_stale_temps(options.out_dir)
    outcomes: list[ArticleOutcome] = []
    distinct: dict[str, set[str]] = {name: set() for name in ENTITY_TYPES}
    workers = min(jobs, len(work))
    with ExitStack() as stack:
        built: Generator[list[_Done], None, None]
        if dask is None:
            size = _chunk_size(len(work), workers)
            built = process_map(_build_chunk, chunks(work, size), workers=workers)
        else:
            cluster = stack.enter_context(dask_cluster(dask, workers=workers))
            workers = cluster.threads
            size = _chunk_size(len(work), workers)
            built = cluster_map(cluster, _render_chunk, chunks(map(_with_data, work), size))
        results = (done for chunk in stack.enter_context(closing(built)) for done in chunk)
        parts = None if shards is None else stack.enter_context(_Shards(options.out_dir, shards))
        sink: BinaryIO | None = None
        for done, result in enumerate(results, 1):
            outcome, nquads = _written(result), result.nquads
            if nquads and target is not None:
                if sink is None:
                    ensure_dir(target.parent)
                    sink = stack.enter_context(open_atomic(target))
                _append(sink, target, nquads)
            if parts is not None:
                parts.add(done - 1, nquads)
            for name, keys in result.entities.items():
                distinct[name].update(keys)
            outcomes.append(outcome)
            if progress is not None:
                progress(done, len(work), outcome)
        written = target if sink is not None else None
    pages = [outcome.page for outcome in outcomes if outcome.page is not None]
    index = options.out_dir / INDEX_NAME if pages else None
    if index is not None:
        write_all_atomic({index: render_index(pages).encode("utf-8")})
    return CorpusReport(
        articles=tuple(outcomes),
        distinct={name: len(keys) for name, keys in distinct.items()},
        seconds=time.monotonic() - started,
        jobs=workers,
        combined=written,
        index=index,
        shards=() if parts is None else tuple(parts.written),
        cluster=dask,
    )


def _append(sink: BinaryIO, target: Path, data: bytes) -> None:
    try:
        sink.write(data)
    except OSError as exc:  # a full disk, a file size limit
        raise OutputError(f"{target}: cannot write ({exc.strerror})") from exc


class _Shards:
    """The corpus as N-Quads files of `size` articles each, `shards/part-00000.nq` ..., written
    as the articles come, in input order, each through a temporary file renamed when complete.

    Shard n holds the articles built among inputs n * size to (n + 1) * size - 1: an article's
    shard does not depend on which others failed, and a rerun writes the same bytes. Shards an
    earlier, longer run left are removed at the end, so the folder holds this run's alone (a
    bulk loader takes `shards/*.nq`).
    """

    def __init__(self, out_dir: Path, size: int) -> None:
        self.folder = out_dir / SHARDS_FOLDER
        self.size = size
        self.written: list[Path] = []
        self._current = ExitStack()  # the shard being written
        self._sink: BinaryIO | None = None

    def __enter__(self) -> _Shards:
        ensure_dir(self.folder)
        return self

    def add(self, position: int, nquads: bytes) -> None:
        """Append the N-Quads of the article at `position` in the input (b"" if it failed)."""
        if self._sink is None or position % self.size == 0:
            self._current.close()
            path = self.folder / f"part-{position // self.size:05d}.nq"
            self._sink = self._current.enter_context(open_atomic(path))
            self.written.append(path)
        _append(self._sink, self.written[-1], nquads)

    def __exit__(self, *failure: Any) -> None:
        self._current.__exit__(*failure)  # a shard cut short by a failure is not renamed
        if failure[0] is None:
            for stale in set(self.folder.glob("part-*.nq")) - set(self.written):
                stale.unlink(missing_ok=True)


def find_articles(paths: Iterable[str | Path]) -> list[CorpusArticle]:
    """The articles `paths` name: files as given, folders recursively, patterns expanded; each
    file once. A path that does not exist is kept (it fails as an article), unless it is a
    pattern; a folder or pattern without articles is an `InputError`."""
    found: list[CorpusArticle] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if _is_article(p, path))
            if not files:
                raise InputError(f"{path}: no articles in this folder (expected {_EXPECTED})")
            found += [CorpusArticle(p, p.relative_to(path).parent) for p in files]
        elif path.exists() or not is_pattern(str(given)):
            found.append(CorpusArticle(path))
        else:
            root = pattern_root(str(given))
            files = glob_files(str(given), partial(_is_article, top=root), "articles", _EXPECTED)
            found += [CorpusArticle(p, p.relative_to(root).parent) for p in files]
    unique: dict[Path, CorpusArticle] = {}
    for article in found:
        unique.setdefault(article.path.resolve(), article)
    return list(unique.values())


def format_corpus_report(report: CorpusReport) -> str:
    """The summary table: articles, what they hold, violations, time."""
    rows: list[tuple[str, str, str]] = [
        ("articles ok", f"{len(report.built):,}", ""),
        ("articles failed", f"{len(report.failed):,}", ""),
    ]
    for name in TALLIED:
        count = f"{report.total(name):,}"
        rows.append((name, count, f"{report.distinct[name]:,}" if name in ENTITY_TYPES else ""))
    rows += [
        ("seconds", f"{report.seconds:,.1f}", ""),
        ("articles/s", f"{report.rate:,.1f}", ""),
    ]
    width = max(len(count) for _, count, _ in rows)
    lines = [f"{'':<16}{'total':>{width}}  distinct"]
    lines += [f"{name:<16}{count:>{width}}  {extra:>8}".rstrip() for name, count, extra in rows]
    processes = "1 process" if report.jobs == 1 else f"{report.jobs} processes"
    if report.cluster == LOCAL:
        processes += " of a local Dask cluster"
    elif report.cluster is not None:
        processes += f" of the Dask cluster at {report.cluster}"
    lines.append(f"({processes}; distinct: one IRI however many articles name it)")
    if report.index is not None:
        lines.append(f"pages: {report.index}")
    if report.combined is not None:
        lines.append(f"combined: {report.combined}")
    if report.shards:
        files = plural(len(report.shards), "N-Quads file")
        lines.append(f"shards: {files} in {report.shards[0].parent}")
    return "\n".join(lines) + "\n"


# --- one article, in a worker ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Options:
    """What every article is built with: plain, picklable values."""

    out_dir: Path
    formats: tuple[Format, ...]
    base: str
    published: str | None
    links: Links | None
    nquads: bool  # each article's N-Quads are wanted: for the combined file or the shards
    view: bool
    shacl_engine: Engine
    extractor: str
    name: str | None  # the stem of the article read from standard input
    input_format: str | None  # "text" or "html" for every article, or None: by extension


@dataclass(frozen=True)
class _Work:
    article: CorpusArticle
    options: _Options
    refused: str | None = None  # why the article is not built, found before any is built
    data: bytes | None = None  # the article file's bytes, read by the client (`_with_data`)


@dataclass(frozen=True)
class _Done:
    """One article built, or not: what the client needs of it."""

    outcome: ArticleOutcome
    entities: Mapping[str, frozenset[str]] = field(default_factory=dict)
    nquads: bytes = b""  # its named graph, for the combined file and the shards (when asked)
    unwritten: Mapping[Path, bytes] = field(default_factory=dict)  # its files, still to write


def _chunk_size(articles: int, workers: int) -> int:
    """Articles per job: CHUNK_SIZE, or fewer for a corpus too small to give every worker a
    few jobs of that size. An article's files do not depend on its job's other articles."""
    return max(1, min(CHUNK_SIZE, -(-articles // (3 * max(1, workers)))))


def _build_chunk(chunk: Sequence[_Work]) -> list[_Done]:
    """Build, check and write some articles, in a process that sees the output folder."""
    return [replace(done, outcome=_written(done), unwritten={}) for done in _render_chunk(chunk)]


def _render_chunk(chunk: Sequence[_Work]) -> list[_Done]:
    """Build and check some articles and render their files, writing nothing: what a Dask
    worker runs, which may not see the client's files. The articles are read first, so that
    the statistical extractor's model parses their texts in one batch."""
    read = [_read(work) for work in chunk]
    articles = [item for item in read if isinstance(item, Article)]
    docs = iter(_parsed(articles, chunk[0].options.extractor))
    return [
        item if isinstance(item, _Done) else _render_job(work, item, next(docs))
        for work, item in zip(chunk, read, strict=True)
    ]


def _read(work: _Work) -> Article | _Done:
    """The work's article, or its failure."""
    path = work.article.path
    if work.refused is not None:
        return _Done(_failed(path, InputError(work.refused)))
    return _attempt(
        path,
        lambda: read_article(
            path,
            published=work.options.published,
            data=work.data,
            name=work.options.name if is_stream(path) else None,
            input_format=work.options.input_format,
        ),
    )


def _parsed(articles: list[Article], extractor: str) -> list[Doc | None]:
    """The model's parses of the articles' texts, in one batch, for the statistical extractor;
    None for each with the rules, or when the batch fails: each article then parses its own
    text in `_render_job`, and the one the model fails on fails alone, with its name."""
    if extractor != "statistical" or not articles:
        return [None] * len(articles)
    try:
        return list(parse_texts([article.text for article in articles]))
    except Exception:
        return [None] * len(articles)


def _render_job(work: _Work, article: Article, doc: Doc | None) -> _Done:
    """Build and check one article read already and render its files, writing nothing."""
    path, options = work.article.path, work.options
    result = _attempt(
        path,
        lambda: build_article(
            article,
            path,
            base=options.base,
            links=options.links,
            shacl_engine=options.shacl_engine,
            extractor=options.extractor,
            doc=doc,
            name=options.name if is_stream(path) else None,
        ),
    )
    if isinstance(result, _Done):
        return result
    counts = _counts(result)
    entities = {
        name: frozenset(entity.key for entity in getattr(result.record, name))
        for name in ENTITY_TYPES
    }
    if not result.conforms:
        first = result.report.violations[0] if result.report.violations else None
        about = f"; first: {first.focus}: {first.message}" if first else ""
        failure = ValidationFailure(
            f"{path}: does not conform to the shapes "
            f"({plural(counts['violations'], 'violation')}{about})"
        )
        outcome = _failed(path, failure, report=format_report(result.report), counts=counts)
        return _Done(outcome, entities)
    try:
        files, nquads, page = _render(result, work)
    except KgError as exc:  # a graph the serializers refuse
        return _Done(_failed(path, exc, counts=counts), entities)
    return _Done(ArticleOutcome(path, counts=counts, page=page), entities, nquads, files)


def _attempt(path: Path, step: Callable[[], T]) -> T | _Done:
    """`step()`, or the article's failure: a `KgError` is the article's own; anything else is a
    bug in kg or a library, and fails the article alone too."""
    try:
        return step()
    except KgError as exc:
        return _Done(_failed(path, exc))
    except Exception as exc:
        bug = KgError(f"{path}: internal error ({type(exc).__name__}: {exc})")
        return _Done(_failed(path, bug))


def _render(result: Result, work: _Work) -> tuple[dict[Path, bytes], bytes, PageSummary | None]:
    """The article's files (path: bytes), its N-Quads (when wanted) and its page's summary."""
    options = work.options
    folder = options.out_dir / work.article.folder
    wanted = {*options.formats, *([Format.NQ] if options.nquads else [])}
    rendered = render_outputs(result.graph, result.stem, wanted)
    nquads_name = f"{result.stem}.{Format.NQ.extension}"
    nquads = rendered[nquads_name] if options.nquads else b""
    if Format.NQ not in options.formats:
        rendered.pop(nquads_name, None)
    summary = None
    if options.view:
        page = page_of(result)
        rendered[f"{result.stem}.html"] = render_page(page).encode("utf-8")
        summary = summarize(page, (work.article.folder / f"{result.stem}.html").as_posix())
    return {folder / name: data for name, data in rendered.items()}, nquads, summary


def _written(done: _Done) -> ArticleOutcome:
    """Write an article's rendered files, all or none: its outcome, with the files."""
    if not done.unwritten:
        return done.outcome
    ensure_dir(next(iter(done.unwritten)).parent)
    files = write_all_atomic(done.unwritten)
    return replace(done.outcome, files=tuple(files))


def _with_data(work: _Work) -> _Work:
    """The work with its article's bytes, read here: a Dask worker may not see this machine's
    files. An article that cannot be read is refused, as a worker would have."""
    if work.refused is not None:
        return work
    try:
        article = work.article.path
        return replace(work, data=read_article_bytes(article, work.options.input_format))
    except InputError as exc:
        return replace(work, refused=str(exc))


def _failed(
    path: Path, error: KgError, report: str | None = None, counts: Mapping[str, int] | None = None
) -> ArticleOutcome:
    message = str(error).splitlines()[0] if str(error) else f"{path}: failed"
    return ArticleOutcome(
        path, error=message, exit_code=error.exit_code, report=report, counts=counts or {}
    )


def _counts(result: Result) -> dict[str, int]:
    record, findings = result.record, result.report.findings
    return {
        "triples": len(result.graph),
        **{name: len(getattr(record, name)) for name in ("posts", "metrics", "quotes")},
        **{name: len(getattr(record, name)) for name in ENTITY_TYPES},
        "violations": sum(f.severity == "Violation" for f in findings),
        "warnings": sum(f.severity == "Warning" for f in findings),
    }


# --- planning ----------------------------------------------------------------------------------


def _plan(articles: list[CorpusArticle], options: _Options) -> list[_Work]:
    """The work, with articles that would overwrite an earlier one's files marked."""
    owners: dict[Path, Path] = {}
    work = []
    for article in articles:
        target = article.folder / _stem(article.path, options)
        owner = owners.setdefault(target, article.path)
        clash = None
        if owner != article.path:
            clash = (
                f"{article.path}: would overwrite the outputs of {owner} "
                "(give articles distinct file names)"
            )
        elif options.view and target == Path(INDEX_NAME).with_suffix(""):
            clash = f"{article.path}: its page would be the index, {INDEX_NAME} (rename it)"
        work.append(_Work(article, options, clash))
    return work


def _check_combined(combined: Path, work: list[_Work], options: _Options) -> None:
    """The combined file must not be one of the articles' own files."""
    extensions = {fmt.extension for fmt in (Format.TTL, Format.JSONLD, *options.formats)}
    target = combined.resolve()
    for item in work:
        stem = options.out_dir / item.article.folder / _stem(item.article.path, options)
        for extension in extensions:
            if Path(f"{stem}.{extension}").resolve() == target:
                raise InputError(
                    f"{combined}: is also the output of {item.article.path} "
                    "(give --combined another name)"
                )


def _stem(path: Path, options: _Options) -> str:
    return input_stem(path, options.name if is_stream(path) else None)


def _is_article(path: Path, top: Path) -> bool:
    # Hidden names are skipped: kg's atomic writes stage files as `.name.*.tmp`, and .git.
    parts = path.relative_to(top).parts
    hidden = any(part.startswith(".") for part in parts)
    return not hidden and path.suffix.lower() in ARTICLE_SUFFIXES and path.is_file()
