"""kg: turn news articles into validated linked data.

    >>> import kg
    >>> result = kg.build("examples/xiongan-innovation.txt")
    >>> result.report.conforms
    True
    >>> kg.write_result(result, "output/")  # output/xiongan-innovation.ttl, .jsonld

The stages are modules of their own (`kg.ingest`, `kg.extract`, `kg.link`, `kg.mapping`,
`kg.validate`, `kg.serialize`, `kg.loader`, `kg.sparql`), and so are building a corpus
(`kg.corpus`), validating files for CI (`kg.conformance`, reported by `kg.reports`) and
pages to review in a browser (`kg.view`); this
package re-exports their public functions and the record model, each imported when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Importing kg imports none of its modules: each public name is imported from its module when it
# is first used (PEP 562 `__getattr__` below). A `kg build -j N` worker imports `kg.corpus` (the
# package first), and `kg --version` only the CLI; importing every stage here made each of them
# pay for httpx, pySHACL, jsonschema and rdflib's SPARQL parser (see docs/performance.md).
# Type checkers read the imports below; `_SOURCES` is the same list for run time (a test keeps
# the two and `__all__` in step).
if TYPE_CHECKING:
    from kg.api import (
        Result,
        build,
        build_article,
        build_graph,
        build_record,
        extract_article,
        extract_file,
        extract_text,
        score_folder,
        write_result,
        write_results,
    )
    from kg.conformance import (
        FileFinding,
        FileResult,
        Passage,
        Skipped,
        ValidationRun,
        validate_files,
    )
    from kg.consistency import Inconsistency, check_consistency
    from kg.corpus import ArticleOutcome, CorpusReport, build_corpus, format_corpus_report
    from kg.errors import (
        BrokenShapes,
        ClusterError,
        EndpointUnavailable,
        InputError,
        KgError,
        MappingError,
        OutputError,
        QueryError,
        RecordError,
        ShapesError,
        StoreError,
        ValidationFailure,
    )
    from kg.evaluate import ArticleScore, Score, format_scores, read_gold, score_record
    from kg.extract import extract_record, parse_texts
    from kg.ingest import read_article
    from kg.link import Links, link_record, read_links
    from kg.loader import GraphLoad, LoadReport, load
    from kg.mapping import DEFAULT_BASE, map_record
    from kg.model import (
        Article,
        Entity,
        Extractor,
        Geo,
        Image,
        Metric,
        Period,
        Post,
        Quote,
        Record,
        Span,
    )
    from kg.readback import record_from_graph
    from kg.record import read_record, write_record
    from kg.reports import ReportFormat, format_run
    from kg.serialize import Format, serialize_graph, write_outputs
    from kg.sparql import QueryResult, RdfTerm, ResultFormat, format_result, query, read_query
    from kg.validate import Finding, ValidationReport, format_report, validate_graph
    from kg.view import Page, PageSummary, read_page, render_index, render_page, write_views

    __version__: str

_SOURCES: dict[str, tuple[str, ...]] = {
    "kg.api": (
        "Result",
        "build",
        "build_article",
        "build_graph",
        "build_record",
        "extract_article",
        "extract_file",
        "extract_text",
        "score_folder",
        "write_result",
        "write_results",
    ),
    "kg.conformance": (
        "FileFinding",
        "FileResult",
        "Passage",
        "Skipped",
        "ValidationRun",
        "validate_files",
    ),
    "kg.consistency": ("Inconsistency", "check_consistency"),
    "kg.corpus": ("ArticleOutcome", "CorpusReport", "build_corpus", "format_corpus_report"),
    "kg.errors": (
        "BrokenShapes",
        "ClusterError",
        "EndpointUnavailable",
        "InputError",
        "KgError",
        "MappingError",
        "OutputError",
        "QueryError",
        "RecordError",
        "ShapesError",
        "StoreError",
        "ValidationFailure",
    ),
    "kg.evaluate": ("ArticleScore", "Score", "format_scores", "read_gold", "score_record"),
    "kg.extract": ("extract_record", "parse_texts"),
    "kg.ingest": ("read_article",),
    "kg.link": ("Links", "link_record", "read_links"),
    "kg.loader": ("GraphLoad", "LoadReport", "load"),
    "kg.mapping": ("DEFAULT_BASE", "map_record"),
    "kg.model": (
        "Article",
        "Entity",
        "Extractor",
        "Geo",
        "Image",
        "Metric",
        "Period",
        "Post",
        "Quote",
        "Record",
        "Span",
    ),
    "kg.readback": ("record_from_graph",),
    "kg.record": ("read_record", "write_record"),
    "kg.reports": ("ReportFormat", "format_run"),
    "kg.serialize": ("Format", "serialize_graph", "write_outputs"),
    "kg.sparql": ("QueryResult", "RdfTerm", "ResultFormat", "format_result", "query", "read_query"),
    "kg.validate": ("Finding", "ValidationReport", "format_report", "validate_graph"),
    "kg.view": ("Page", "PageSummary", "read_page", "render_index", "render_page", "write_views"),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}

__all__ = [
    "Article",
    "ArticleOutcome",
    "ArticleScore",
    "BrokenShapes",
    "ClusterError",
    "CorpusReport",
    "DEFAULT_BASE",
    "EndpointUnavailable",
    "Entity",
    "Extractor",
    "FileFinding",
    "FileResult",
    "Finding",
    "Format",
    "Geo",
    "GraphLoad",
    "Image",
    "Inconsistency",
    "InputError",
    "KgError",
    "Links",
    "LoadReport",
    "MappingError",
    "Metric",
    "OutputError",
    "Page",
    "PageSummary",
    "Passage",
    "Period",
    "Post",
    "QueryError",
    "QueryResult",
    "Quote",
    "RdfTerm",
    "Record",
    "RecordError",
    "ReportFormat",
    "Result",
    "ResultFormat",
    "Score",
    "ShapesError",
    "Skipped",
    "Span",
    "StoreError",
    "ValidationFailure",
    "ValidationReport",
    "ValidationRun",
    "build",
    "build_article",
    "build_corpus",
    "build_graph",
    "build_record",
    "check_consistency",
    "extract_article",
    "extract_file",
    "extract_record",
    "extract_text",
    "format_corpus_report",
    "format_report",
    "format_result",
    "format_run",
    "format_scores",
    "link_record",
    "load",
    "map_record",
    "parse_texts",
    "query",
    "read_article",
    "read_gold",
    "read_links",
    "read_page",
    "read_query",
    "read_record",
    "record_from_graph",
    "render_index",
    "render_page",
    "score_folder",
    "score_record",
    "serialize_graph",
    "validate_files",
    "validate_graph",
    "write_outputs",
    "write_record",
    "write_result",
    "write_results",
    "write_views",
]


# Hidden from type checkers: a module `__getattr__` would make any misspelt name (`kg.biuld`) an
# attribute of type Any to them, where the imports above make it an error.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        """A public name, imported from its module on first use and kept here from then on; a
        submodule (`kg.validate`), as when this package imported them all."""
        if name in _MODULE_OF:
            value = getattr(importlib.import_module(_MODULE_OF[name]), name)
        elif name == "__version__":
            from kg.packaged import installed_version

            value = installed_version()
        elif not name.startswith("_"):
            try:
                value = importlib.import_module(f"{__name__}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{__name__}.{name}":
                    raise  # the submodule exists and imports something missing
                raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, "__version__"})
