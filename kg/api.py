"""The whole pipeline in one call: article file -> record -> graph -> validation report.

>>> import kg
>>> result = kg.build("examples/xiongan-innovation.txt")
>>> result.report.conforms
True
>>> kg.write_result(result, "out/")  # out/xiongan-innovation.ttl, .jsonld
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph

from kg.errors import ExtractionError, InputError, KgError, ValidationFailure
from kg.evaluate import ArticleScore, find_gold_pairs, read_gold, score_record
from kg.extract import DEFAULT_EXTRACTOR, EXTRACTORS, extract_record
from kg.files import ensure_dir, input_name, input_stem, write_all_atomic
from kg.ingest import article_from_text, read_article
from kg.link import Links, link_record
from kg.loader import plural
from kg.mapping import DEFAULT_BASE, map_record
from kg.model import Article, Record
from kg.serialize import Format, render_outputs
from kg.validate import Engine, ValidationReport, validate_graph

if TYPE_CHECKING:
    from spacy.tokens import Doc

EXTRACTOR_VARIABLE = "KG_EXTRACTOR"  # the extractor when none is given, as KG_SHACL_ENGINE
TEXT_WHERE = "<text>"  # names an article given as text in messages, as a file's path would


@dataclass(frozen=True)
class Result:
    """What the pipeline made of one article, and whether the shapes accept it."""

    article: Article
    record: Record
    graph: Graph
    report: ValidationReport
    stem: str  # output file names: <stem>.ttl, <stem>.jsonld, ...

    @property
    def conforms(self) -> bool:
        return self.report.conforms


def build(
    path: str | Path,
    *,
    base: str = DEFAULT_BASE,
    published: str | None = None,
    links: Links | None = None,
    shacl_engine: Engine | None = None,
    data: bytes | None = None,
    extractor: str | None = None,
    name: str | None = None,
    input_format: str | None = None,
) -> Result:
    """Read, extract, link, map and validate one article file (`published` is YYYY-MM-DD;
    `links` adds to the packaged alias table, see `kg.link`; `shacl_engine`: see
    `kg.validate_graph`; `data`: the file's bytes, read already, see `kg.read_article`;
    `extractor`: see `extract_file`). `path` `-` is standard input; `name` the stem of the
    outputs (default: the file's, `stdin` for standard input); `input_format` "text" or
    "html" whatever the extension."""
    path = Path(path)
    record = extract_file(
        path,
        published=published,
        links=links,
        data=data,
        extractor=extractor,
        name=name,
        input_format=input_format,
    )
    return build_record(record, base=base, stem=input_stem(path, name), shacl_engine=shacl_engine)


def build_article(
    article: Article,
    path: str | Path,
    *,
    base: str = DEFAULT_BASE,
    links: Links | None = None,
    shacl_engine: Engine | None = None,
    extractor: str | None = None,
    doc: Doc | None = None,
    name: str | None = None,
) -> Result:
    """`build` for an article read already from the file at `path` (`kg.read_article`), and
    perhaps parsed by the model already (`doc`: see `extract_article`); `name` as for `build`."""
    path = Path(path)
    record = extract_article(article, input_name(path), links=links, extractor=extractor, doc=doc)
    return build_record(record, base=base, stem=input_stem(path, name), shacl_engine=shacl_engine)


def extract_file(
    path: str | Path,
    *,
    published: str | None = None,
    links: Links | None = None,
    data: bytes | None = None,
    extractor: str | None = None,
    name: str | None = None,
    input_format: str | None = None,
) -> Record:
    """Read one article file (text or a saved HTML page), extract its record and link it.

    `extractor` is one of `kg.extract.EXTRACTORS` (default: `KG_EXTRACTOR`, else
    "statistical"); the record names it, and the model it ran, as its provenance. `path` `-`
    is standard input; `name` and `input_format` as for `kg.read_article`.
    """
    extractor = choose_extractor(extractor)  # before the article is read: a usage error first
    article = read_article(
        path, published=published, data=data, name=name, input_format=input_format
    )
    return extract_article(article, input_name(path), links=links, extractor=extractor)


def extract_text(
    text: str,
    *,
    title: str | None = None,
    url: str | None = None,
    published: str | None = None,
    links: Links | None = None,
    extractor: str | None = None,
) -> Record:
    """Extract and link the record of an article given as text, in memory (nothing is read
    or written). `text` is read as an article file's text is, its first line the title, unless
    `title` is given; `url` and `published` (YYYY-MM-DD) as for `kg.read_article`;
    `links` and `extractor` as for `extract_file`."""
    extractor = choose_extractor(extractor)
    article = article_from_text(text, title=title, url=url, published=published)
    return extract_article(article, TEXT_WHERE, links=links, extractor=extractor)


def extract_article(
    article: Article,
    where: str | Path,
    *,
    links: Links | None = None,
    extractor: str | None = None,
    doc: Doc | None = None,
) -> Record:
    """Extract the record of an article read already, and link it; `where` names it in errors.

    `doc` is its text parsed by the statistical extractor's model already: `kg.parse_texts`
    parses many articles' texts in one batch, for less CPU than one at a time.
    """
    extractor = choose_extractor(extractor)
    with _unexpected(where, "extraction"):
        record = extract_record(article, extractor, doc)
    with _unexpected(where, "linking"):
        return link_record(record, links)


def build_record(
    record: Record,
    base: str = DEFAULT_BASE,
    stem: str | None = None,
    shacl_engine: Engine | None = None,
) -> Result:
    """Map and validate a record, e.g. one a user edited; `stem` defaults to the article's."""
    where = record.article.source or "record"
    with _unexpected(where, "mapping"):
        graph = map_record(record, base=base)
    with _unexpected(where, "validation"):
        report = validate_graph(graph, engine=shacl_engine)
    if stem is None:
        stem = Path(record.article.source).stem if record.article.source else "record"
    return Result(record.article, record, graph, report, stem)


def build_graph(
    record: Record, *, base: str = DEFAULT_BASE, shacl_engine: Engine | None = None
) -> Graph:
    """Map and validate a record in memory: its rdflib graph, which the shapes accept, or
    `ValidationFailure` naming the first violation (`build_record` gives the whole report)."""
    result = build_record(record, base=base, shacl_engine=shacl_engine)
    violations = result.report.violations
    if violations:
        where = record.article.source or TEXT_WHERE
        raise ValidationFailure(
            f"{where}: does not conform to the shapes ({plural(len(violations), 'violation')}; "
            f"first: {violations[0].focus}: {violations[0].message})"
        )
    return result.graph


def write_results(
    results: Sequence[Result], out_dir: str | Path, formats: Iterable[Format] = ()
) -> list[Path]:
    """Write every result as Turtle and JSON-LD (plus `formats`): all files or none.

    Refuses data that does not conform, and two results that would write the same file.
    """
    out_dir = Path(out_dir)
    formats = list(formats)
    _check_outputs(results)
    files = {
        out_dir / name: data
        for result in results
        for name, data in render_outputs(result.graph, result.stem, formats).items()
    }
    ensure_dir(out_dir)
    return write_all_atomic(files)


def write_result(result: Result, out_dir: str | Path, formats: Iterable[Format] = ()) -> list[Path]:
    """Write one result as Turtle and JSON-LD (plus `formats`), atomically."""
    return write_results([result], out_dir, formats)


def choose_extractor(name: str | None = None) -> str:
    """`name`, else the extractor `KG_EXTRACTOR` names, else the default ("statistical");
    raises `ExtractionError` for a name kg has no extractor of."""
    if name is None:
        name = os.environ.get(EXTRACTOR_VARIABLE) or DEFAULT_EXTRACTOR
        where = f"{EXTRACTOR_VARIABLE}={name!r}"
    else:
        where = repr(name)
    if name not in EXTRACTORS:
        expected = ", ".join(EXTRACTORS)
        raise ExtractionError(f"{where}: no such extractor (expected: {expected})")
    return name


def score_folder(
    gold_dir: str | Path, *, base: str = DEFAULT_BASE, extractor: str | None = None
) -> list[tuple[Result, ArticleScore]]:
    """Build each `<stem>.txt` that has a `<stem>.gold.json` beside it and score its record
    (`extractor`: see `extract_file`)."""
    extractor = choose_extractor(extractor)
    scored = []
    for article_path, gold_path in find_gold_pairs(gold_dir):
        result = build(article_path, base=base, extractor=extractor)
        gold = read_gold(gold_path)
        scored.append((result, score_record(result.record, gold, name=result.stem)))
    return scored


def _check_outputs(results: Sequence[Result]) -> None:
    for result in results:
        if not result.conforms:
            where = result.article.source or result.stem
            raise ValidationFailure(f"{where}: does not conform to the shapes (nothing written)")
    check_distinct_stems(((r.article.source or r.stem, r.stem) for r in results), "outputs")


def check_distinct_stems(named: Iterable[tuple[str, str]], what: str) -> None:
    """Refuse two inputs (where, stem) that would write the same files, naming both."""
    seen: dict[str, str] = {}
    for where, stem in named:
        if stem in seen:
            raise InputError(
                f"{where}: would overwrite the {what} of {seen[stem]} "
                "(give articles distinct file names)"
            )
        seen[stem] = where


@contextmanager
def _unexpected(where: str | Path, stage: str) -> Iterator[None]:
    """Name the file when a stage fails in a way it did not plan for (a bug, not bad input)."""
    try:
        yield
    except KgError:
        raise
    except Exception as exc:
        raise KgError(f"{where}: {stage} failed ({type(exc).__name__}: {exc})") from exc
