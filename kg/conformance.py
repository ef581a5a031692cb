"""Validate files for CI: syntax, SHACL, JSON Schema and text anchors, with a finding per problem.

    >>> run = validate_files(["output/"])                       # doctest: +SKIP
    >>> run.failed("violation"), run.summary()                  # doctest: +SKIP
    (False, 'validated 2 files (1246 triples) in 0.61 s: 0 violations, 0 warnings, 0 infos')

Files: RDF (.ttl .nt .nq .trig .jsonld .n3, RDF/XML in .rdf .owl .xml: see `kg.rdfinput`, or
any file in the syntax `input_format` names) and .json (kg records, or any JSON checked against
`schema`); folders are read recursively, hidden names skipped, and every other file is listed in
the run's `skipped` with its reason. Each file goes through
four checks, in order, and a check runs only when those before it found no violation, so one
cause is reported once (a JSON-LD file without a name fails SHACL and is not reported again by
the JSON Schema):

1. **syntax**: the file parses (pyoxigraph for RDF; a finding says line and column), is not
   empty, and asks for nothing to be fetched (`kg.safety`: a remote JSON-LD context, RDF/XML
   with a DTD or entities);
2. **SHACL**: kg's shapes, or `shapes`, with pySHACL; the triples of every graph in the file
   are validated as one graph;
3. **JSON Schema**: records against `shapes/record.schema.json` (and the record checks a schema
   cannot express: unique keys, references), kg's JSON-LD against `shapes/jsonld.schema.json`,
   other JSON against `schema` when given;
4. **text anchors**: in kg data (a file describing one `schema:NewsArticle`) every span's
   `nif:anchorOf` is its context's `nif:isString` at its offsets; in a record every span's
   text is the article text at its offsets.

A problem in a file is a finding, reported with the file and, where known, line and column;
findings in kg data also carry the article passage they are about. Errors are raised only for
what is not the files' fault: a path that does not exist or cannot be read (`InputError`), and
shapes, a schema or an ontology that cannot be used (`BrokenShapes`).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyoxigraph
from rdflib import BNode, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from kg.errors import BrokenShapes, InputError, ShapesError
from kg.files import check_streams, expand_globs, input_name, is_stream, read_input
from kg.loader import plural
from kg.packaged import packaged_file
from kg.rdfinput import (
    JSON_EXTENSION,
    InputFormat,
    by_extension,
    extension,
    input_format,
    rdf_extensions,
    skip_reason,
    sniffed,
)
from kg.record import SCHEMA_FILE as RECORD_SCHEMA_FILE
from kg.record import read_schema as read_record_schema
from kg.record import record_problems
from kg.safety import (
    fetching_queries,
    is_kg_context,
    resolve_contexts,
    unresolved_imports,
    xml_declaration,
)
from kg.validate import Finding, Inference, ValidationReport, validate_graph
from kg.vocab import ITSRDF, KG, NIF, SCHEMA
from kg.workers import process_map

# jsonschema and pySHACL are imported by the functions that use them: every `kg` command, and
# every worker of `kg build -j N`, imports this module, and they would add about a fifth of a
# second to each.
if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

# kg's own checks, named like shapes so every finding has a rule IRI (SARIF's rule id).
CHECKS = "https://w3id.org/kg-news/checks#"
SYNTAX = CHECKS + "syntax"
EMPTY = CHECKS + "empty-file"
REMOTE_CONTEXT = CHECKS + "remote-context"
XML_DTD = CHECKS + "xml-dtd"
TEXT_ANCHOR = CHECKS + "text-anchor"

Check = Literal["syntax", "shacl", "json-schema", "anchors"]
SEVERITIES = ("Violation", "Warning", "Info")
FAIL_ON = ("violation", "warning", "info")
INFERENCE = ("none", "rdfs")

_EXPECTED = ", ".join(f".{s}" for s in sorted((*rdf_extensions(), JSON_EXTENSION)))
_EXPECTED_INPUT = "a file to validate"
_JSONLD_SCHEMA_FILE = "jsonld.schema.json"


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Passage:
    """The stretch of article text a finding is about: offsets (characters, end exclusive) and
    the article's text there."""

    begin: int
    end: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"begin": self.begin, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class FileFinding:
    """One problem in one file.

    `shape` is the rule's IRI: the SHACL shape or SPARQL constraint, the JSON Schema keyword
    (`{schema $id}#{pointer}`), or one of kg's checks (`CHECKS`). `component` is the SHACL
    constraint component, the JSON Schema keyword, or the check's IRI. `focus` is the node (or
    for JSON-LD the enclosing `@id`), `path` the property path or the JSON pointer, `value`
    the offending RDF term in N-Triples form or the JSON value.
    """

    file: str
    check: Check
    severity: str
    message: str
    shape: str
    component: str
    focus: str | None = None
    path: str | None = None
    value: str | None = None
    line: int | None = None
    column: int | None = None
    passage: Passage | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "check": self.check,
            "severity": self.severity,
            "focus": self.focus,
            "path": self.path,
            "value": self.value,
            "message": self.message,
            "shape": self.shape,
            "component": self.component,
            "passage": None if self.passage is None else self.passage.to_json(),
        }
        return data


@dataclass(frozen=True)
class FileResult:
    """A file validated: what it is, its triples (0 for JSON), its findings, the time it took.

    `kind`: "kg" (RDF describing one kg article), "rdf" (other RDF), "record", "json".
    """

    file: str
    kind: str
    triples: int
    findings: tuple[FileFinding, ...]
    seconds: float


@dataclass(frozen=True)
class Skipped:
    """A file found in a folder and not validated, and why: `not an RDF file (extension .md)`."""

    file: str
    reason: str


@dataclass(frozen=True)
class ValidationRun:
    """Every file of a `validate_files` run, in the order found, the files of the folders given
    that were not validated, and the time it took."""

    files: tuple[FileResult, ...]
    seconds: float
    skipped: tuple[Skipped, ...] = ()

    @property
    def findings(self) -> list[FileFinding]:
        return [finding for result in self.files for finding in result.findings]

    @property
    def triples(self) -> int:
        return sum(result.triples for result in self.files)

    def counts(self) -> dict[str, int]:
        """{severity: findings}, for "Violation", "Warning" and "Info"."""
        return {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}

    def failed(self, fail_on: str = "violation") -> bool:
        """Whether any finding is at or above `fail_on` ("violation", "warning" or "info")."""
        return any(at_or_above(f.severity, fail_on) for f in self.findings)

    def summary(self, *, timed: bool = True) -> str:
        """One line: `validated 9 files (1246 triples) in 0.61 s: 8 violations, 0 warnings, ...`,
        then `; skipped 2 files` when some were. `timed=False` leaves out the seconds (a report
        that is the same bytes every run)."""
        counts = ", ".join(plural(n, s.lower()) for s, n in self.counts().items())
        took = f" in {self.seconds:.2f} s" if timed else ""
        skipped = f"; skipped {plural(len(self.skipped), 'file')}" if self.skipped else ""
        return (
            f"validated {plural(len(self.files), 'file')} ({plural(self.triples, 'triple')})"
            f"{took}: {counts}{skipped}"
        )


def at_or_above(severity: str, fail_on: str) -> bool:
    """Whether a finding's severity ("Violation", ...) reaches the level `fail_on` names."""
    if fail_on not in FAIL_ON:
        raise InputError(f"--fail-on {fail_on!r} not supported (expected: {', '.join(FAIL_ON)})")
    rank = {s.lower(): i for i, s in enumerate(SEVERITIES)}
    return rank.get(severity.lower(), 0) <= rank[fail_on]


# --- the run -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Options:
    """What a worker process needs to build its checker: plain, picklable values."""

    shapes: tuple[Path, ...]
    schema: Path | None
    ontology: Path | None
    inference: Inference
    input_format: str | None  # a name `kg.rdfinput.input_format` knows, or None: by extension


Progress = Callable[[int, int], None]


def validate_files(
    paths: Iterable[str | Path],
    *,
    shapes: Iterable[str | Path] | str | Path | None = None,
    schema: str | Path | None = None,
    ontology: str | Path | None = None,
    inference: str = "none",
    input_format: str | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
) -> ValidationRun:
    """Validate every file under `paths`; see the module docstring for the checks.

    `shapes` (files or folders) replace kg's shapes; `ontology` is added to the data for
    `inference` ("none" or "rdfs"); `schema` is the JSON Schema for .json files that are not
    kg records. `input_format` ("turtle", "xml", "n3", ...: `kg.rdfinput`) reads every file in
    that syntax whatever its extension: the files named, and those of the folders that would be
    validated. `jobs` > 1 validates in that many processes (spawned, so a script calling this
    guards its entry point with `if __name__ == "__main__":`); the findings are the same.
    `progress(done, total)` is called after each file.
    """
    started = time.monotonic()
    if inference not in INFERENCE:
        raise InputError(f"inference {inference!r} not supported (expected: none, rdfs)")
    if jobs < 1:
        raise InputError(f"jobs {jobs} (expected 1 or more)")
    options = _Options(
        shapes=tuple(_shapes_files(_as_list(shapes))),
        schema=None if schema is None else Path(schema),
        ontology=None if ontology is None else Path(ontology),
        inference=inference,  # type: ignore[arg-type]
        input_format=None if input_format is None else input_format_name(input_format),
    )
    found = find_files(paths, any_extension=input_format is not None)
    _verify(_checker(options))  # broken shapes stop the run before any file is read
    results = list(_run(found.files, options, jobs, progress))
    return ValidationRun(tuple(results), time.monotonic() - started, found.skipped)


def input_format_name(name: str) -> str:
    """The canonical name of an input format (`ttl` -> `turtle`); `InputError` if unknown."""
    return input_format(name).name


def _as_list(value: Iterable[str | Path] | str | Path | None) -> list[Path]:
    if value is None:
        return []
    if isinstance(value, str | Path):
        return [Path(value)]
    return [Path(v) for v in value]


def _run(
    files: list[Path], options: _Options, jobs: int, progress: Progress | None
) -> Iterator[FileResult]:
    workers = min(jobs, len(files))
    # Standard input is read here, once: worker processes do not share it.
    jobs_list = [
        (options, path, read_input(path, _EXPECTED_INPUT) if is_stream(path) else None)
        for path in files
    ]
    chunk = max(1, min(8, len(files) // (workers * 4)))
    done = process_map(_check_job, jobs_list, workers=workers, chunksize=chunk)
    yield from _reporting(done, len(files), progress)


def _reporting(
    results: Iterable[FileResult], total: int, progress: Progress | None
) -> Iterator[FileResult]:
    for done, result in enumerate(results, 1):
        if progress is not None:
            progress(done, total)
        yield result


def _check_job(job: tuple[_Options, Path, bytes | None]) -> FileResult:
    options, path, data = job
    given = None if options.input_format is None else input_format(options.input_format)
    return _check_file(path, _checker(options), given, data)


@dataclass(frozen=True)
class Found:
    """The files to validate, in order, and the files of the folders given that are not."""

    files: list[Path]
    skipped: tuple[Skipped, ...]


def find_files(paths: Iterable[str | Path], *, any_extension: bool = False) -> Found:
    """The files named (`-`: standard input), the files glob patterns match, and the files kg
    validates in the folders named (recursively, sorted), with the folders' other files and why
    they are skipped. A file named must be RDF or JSON by its extension, unless `any_extension`
    (an input format is given)."""
    paths = list(paths)
    check_streams(paths)
    files: list[Path] = []
    skipped: list[Skipped] = []
    for path in expand_globs(paths, _is_validated, "files to validate", _EXPECTED):
        if is_stream(path):
            files.append(path)
        elif path.is_dir():
            found = _folder_files(path)
            reasons = {p: skip_reason(p) for p in found}
            wanted = [p for p in found if reasons[p] is None]
            skipped += [Skipped(str(p), r) for p, r in reasons.items() if r is not None]
            if not wanted:
                raise InputError(
                    f"{path}: no files to validate in this folder ({_EXPECTED}; "
                    f"{plural(len(found), 'other file')})"
                )
            files.extend(wanted)
        elif path.is_file():
            if not any_extension and by_extension(path) is None and not _is_json(path):
                raise InputError(
                    f"{path}: not a file kg validates (expected {_EXPECTED}, or name its RDF "
                    "syntax with --input-format)"
                )
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    if not files:
        raise InputError(f"no files to validate (expected files or folders of {_EXPECTED})")
    return Found(list(dict.fromkeys(files)), tuple(dict.fromkeys(skipped)))


def _folder_files(top: Path) -> list[Path]:
    """The files in a folder and below, sorted, but for hidden names: kg's atomic writes stage
    files as `.name.*.tmp`, and .git."""
    return sorted(
        p
        for p in top.rglob("*")
        if not any(part.startswith(".") for part in p.relative_to(top).parts) and p.is_file()
    )


def _is_validated(path: Path) -> bool:
    """A file a glob pattern matched that is validated, as a folder's would be."""
    return skip_reason(path) is None


def _is_json(path: Path) -> bool:
    return extension(path) == JSON_EXTENSION


# --- shapes, schema, ontology --------------------------------------------------------------------


class _Checker:
    """What every file is checked against, read once per process."""

    def __init__(self, options: _Options) -> None:
        self.inference: Inference = options.inference
        self.shapes = _read_shapes(options.shapes) if options.shapes else None
        self.ontology = None if options.ontology is None else _read_rdf(options.ontology)
        self.schema = None if options.schema is None else _read_schema(options.schema)
        if self.shapes is not None:
            problems = [*unresolved_imports(self.shapes), *fetching_queries(self.shapes)]
            if problems:
                raise BrokenShapes(f"{_names(options.shapes)}: {problems[0]}")
        self.where = _names(options.shapes)

    def shacl(self, graph: Graph) -> ValidationReport:
        try:
            return validate_graph(
                graph, inference=self.inference, shapes=self.shapes, ontology=self.ontology
            )
        except ShapesError as exc:
            if self.shapes is None:
                raise  # kg's own shapes: an internal error
            raise BrokenShapes(f"{self.where}: pySHACL cannot use these shapes ({exc})") from exc


@cache
def _checker(options: _Options) -> _Checker:
    return _Checker(options)


@cache
def _verify(checker: _Checker) -> None:
    """Given shapes must pass SHACL-for-SHACL; once per run, in the calling process (1-2 s)."""
    if checker.shapes is None:
        return
    from pyshacl.entrypoints import meta_validate

    try:
        conforms, _, text = meta_validate(checker.shapes)
    except Exception as exc:  # pySHACL's own errors
        raise BrokenShapes(f"{checker.where}: not usable as SHACL shapes ({exc})") from exc
    if not conforms:
        lines = [line.strip() for line in str(text).splitlines() if "Message:" in line]
        first = lines[0].removeprefix("Message:").strip() if lines else "see pyshacl -m"
        raise BrokenShapes(f"{checker.where}: not valid SHACL (SHACL-for-SHACL: {first})")


def _names(paths: Sequence[Path]) -> str:
    return ", ".join(map(str, paths)) or "kg's shapes"


def _shapes_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = [
                p
                for p in _folder_files(path)
                if by_extension(p) is not None and skip_reason(p) is None
            ]
            if not found:
                raise BrokenShapes(f"{path}: no shapes files in this folder (RDF: .ttl, ...)")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise BrokenShapes(f"{path}: no such shapes file or folder")
    return files


def _read_shapes(paths: Sequence[Path]) -> Graph:
    shapes = Graph()
    for path in paths:
        shapes += _read_rdf(path)
    return shapes


def _read_rdf(path: Path) -> Graph:
    """Shapes or an ontology, read with the same safety as data; any problem is `BrokenShapes`."""
    fmt = by_extension(path)
    if fmt is None:
        raise BrokenShapes(f"{path}: not an RDF file (expected {', '.join(rdf_extensions())})")
    try:
        data = read_input(path, "an RDF file")
    except InputError as exc:
        raise BrokenShapes(str(exc)) from exc
    parsed = _parse_rdf(path, data, sniffed(fmt, data))
    if isinstance(parsed, _Refusal):
        where = f"{path}:{parsed.line}:{parsed.column}" if parsed.line else str(path)
        raise BrokenShapes(f"{where}: {parsed.message}")
    return parsed.graph


def _read_schema(path: Path) -> Draft202012Validator:
    from jsonschema import Draft202012Validator, SchemaError, validators

    try:
        schema = json.loads(read_input(path, "a JSON Schema").decode("utf-8-sig"))
        cls = validators.validator_for(schema, default=Draft202012Validator)
        cls.check_schema(schema)
    except InputError as exc:
        raise BrokenShapes(str(exc)) from exc
    except (ValueError, SchemaError) as exc:
        message = exc.message if isinstance(exc, SchemaError) else str(exc)
        raise BrokenShapes(f"{path}: not a usable JSON Schema ({message})") from exc
    validator: Draft202012Validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return validator


@cache
def _jsonld_validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    schema = json.loads(packaged_file("shapes", _JSONLD_SCHEMA_FILE).read_text("utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


# --- one file ------------------------------------------------------------------------------------


def _check_file(
    path: Path, checker: _Checker, given: InputFormat | None = None, data: bytes | None = None
) -> FileResult:
    """Validate one file, in the syntax `given` or its extension names, from `data` when its
    bytes were read already (standard input); raises only when it cannot be read
    (`InputError`)."""
    started = time.monotonic()
    if data is None:
        data = read_input(path, _EXPECTED_INPUT)
    name = input_name(path)
    # Standard input has no extension to say its syntax: Turtle unless told.
    fmt = given or (input_format("turtle") if is_stream(path) else by_extension(path))
    if fmt is None:
        kind, triples, findings = _check_json(name, data, checker)
    else:
        fmt = fmt if given else sniffed(fmt, data)
        kind, triples, findings = _check_rdf(path, name, data, fmt, checker)
    return FileResult(name, kind, triples, tuple(findings), time.monotonic() - started)


def _check_rdf(
    path: Path, name: str, data: bytes, fmt: InputFormat, checker: _Checker
) -> tuple[str, int, list[FileFinding]]:
    parsed = _parse_rdf(path, data, fmt)
    if isinstance(parsed, _Refusal):
        return "rdf", 0, [parsed.finding(name)]
    article = _article(parsed.graph)
    kind = "rdf" if article is None else "kg"
    triples = len(parsed.graph)
    findings = [
        _shacl_finding(name, parsed, f, kind == "kg") for f in checker.shacl(parsed.graph).findings
    ]
    if _has_violation(findings):
        return kind, triples, findings
    if parsed.document is not None and is_kg_context(_get(parsed.document, "@context")):
        findings += _schema_findings(name, parsed.text, parsed.document, _jsonld_validator())
        if _has_violation(findings):
            return kind, triples, findings
    if kind == "kg":
        findings += _anchor_findings(name, parsed)
    return kind, triples, findings


def _check_json(name: str, data: bytes, checker: _Checker) -> tuple[str, int, list[FileFinding]]:
    loaded = _load_json(data)
    if isinstance(loaded, _Refusal):
        return "json", 0, [loaded.finding(name)]
    text, document = loaded
    if isinstance(document, dict) and "version" in document and "article" in document:
        return "record", 0, _record_findings(name, text, document)
    if checker.schema is None:
        return "json", 0, []
    return "json", 0, _schema_findings(name, text, document, checker.schema)


def _has_violation(findings: Iterable[FileFinding]) -> bool:
    return any(f.severity == "Violation" for f in findings)


def _get(document: Any, key: str) -> Any:
    return document.get(key) if isinstance(document, dict) else None


# --- syntax --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Refusal:
    """Why a file is not a graph (or JSON) kg can check further."""

    rule: str
    message: str
    line: int | None = None
    column: int | None = None

    def finding(self, name: str) -> FileFinding:
        return FileFinding(
            file=name,
            check="syntax",
            severity="Violation",
            message=self.message,
            shape=self.rule,
            component=self.rule,
            line=self.line,
            column=self.column,
        )


@dataclass
class _Parsed:
    graph: Graph
    text: str  # the file as text, to find where a node is written
    prefixes: dict[str, str] = field(default_factory=dict)
    document: Any = None  # JSON-LD: the JSON, for the JSON Schema


def _parse_rdf(path: Path, data: bytes, input_format: InputFormat) -> _Parsed | _Refusal:
    fmt = input_format.syntax
    if not data.strip():
        return _Refusal(EMPTY, "empty file (expected RDF)", 1, 1)
    text = data.decode("utf-8", errors="replace")
    document = None
    if fmt == pyoxigraph.RdfFormat.RDF_XML:
        refused = xml_declaration(data)
        if refused is not None:
            return _Refusal(XML_DTD, refused, *_line_column(text, _xml_offset(text)))
    elif fmt == pyoxigraph.RdfFormat.JSON_LD:
        loaded = _load_json(data)
        if isinstance(loaded, _Refusal):
            return loaded
        text, document = loaded
        resolved, context = resolve_contexts(document, path.parent)
        if context is not None:
            where = _line_column(text, _json_offset(text, context.pointer))
            return _Refusal(REMOTE_CONTEXT, context.message, *where)
        if resolved != document:
            data = json.dumps(resolved).encode("utf-8")
            document = resolved
    try:
        parser = pyoxigraph.parse(data, format=fmt)
        quads = list(parser)
    except SyntaxError as exc:
        return _Refusal(SYNTAX, _syntax_message(exc), exc.lineno, exc.offset)
    except (OSError, ValueError) as exc:
        return _Refusal(SYNTAX, f"cannot parse ({exc})")
    if fmt == pyoxigraph.RdfFormat.N3:
        # A formula's triples ({ ... } => { ... }) are quoted, not stated: rdflib keeps them
        # out of the graph too.
        quads = [q for q in quads if isinstance(q.graph_name, pyoxigraph.DefaultGraph)]
    if not quads:
        return _Refusal(EMPTY, "no triples (expected RDF data)", 1, 1)
    graph = _graph(quads)
    if graph is None:
        return _Refusal(SYNTAX, "a triple term (RDF 1.2), which SHACL cannot validate")
    return _Parsed(graph, text, dict(parser.prefixes or {}), document)


def _load_json(data: bytes) -> tuple[str, Any] | _Refusal:
    if not data.strip():
        return _Refusal(EMPTY, "empty file (expected JSON)", 1, 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _Refusal(SYNTAX, f"byte {exc.start}: not UTF-8 (expected UTF-8 JSON)")
    try:
        return text, json.loads(text)
    except json.JSONDecodeError as exc:
        return _Refusal(SYNTAX, f"{exc.msg} (expected JSON)", exc.lineno, exc.colno)
    except RecursionError:
        return _Refusal(SYNTAX, "JSON nested too deeply")


_PARSER_PREFIX = re.compile(
    r"^Parser error at line \d+ (?:column \d+|between columns \d+ and \d+): "
)


def _syntax_message(exc: SyntaxError) -> str:
    # pyoxigraph puts the location in the text too; the finding carries it as numbers.
    return _PARSER_PREFIX.sub("", str(exc.msg))


def _xml_offset(text: str) -> int:
    found = re.search(r"<!\s*(DOCTYPE|ENTITY)", text, re.IGNORECASE)
    return found.start() if found else 0


_XSD_STRING = str(XSD.string)
_LANG_STRING = str(RDF.langString)


def _graph(quads: list[pyoxigraph.Quad]) -> Graph | None:
    """The union of a file's graphs as an rdflib graph (pySHACL's input), or None for RDF 1.2
    triple terms."""
    graph = Graph()
    labels = _blank_labels(quads)
    for quad in quads:
        terms = (
            _term(quad.subject, labels),
            _term(quad.predicate, labels),
            _term(quad.object, labels),
        )
        if None in terms:
            return None
        graph.add(terms)  # type: ignore[arg-type]
    return graph


# pyoxigraph's own labels: a random 128-bit number in hex, without leading zeros.
_GENERATED_LABEL = re.compile(r"[0-9a-f]{16,32}")


def _blank_labels(quads: list[pyoxigraph.Quad]) -> dict[str, str]:
    """{label: label in the report} for every blank node of a file.

    pyoxigraph keeps the labels a file writes (`_:alice`) and makes up random ones for the
    nodes it does not name (`[ ... ]`, RDF/XML nodes without rdf:nodeID), so that findings
    about them would differ from run to run: these are named `anon1`, `anon2`, ... in the order
    the file first uses them (no label the file writes is taken). A label of 16 or more hex
    digits written in the file is renamed too, which keeps it as deterministic.
    """
    seen = dict.fromkeys(
        term.value
        for quad in quads
        for term in (quad.subject, quad.object)
        if isinstance(term, pyoxigraph.BlankNode)
    )
    kept = {label for label in seen if not _GENERATED_LABEL.fullmatch(label)}
    labels = {label: label for label in kept}
    number = 0
    for label in seen:
        if label in kept:
            continue
        number += 1
        while f"anon{number}" in kept:
            number += 1
        labels[label] = f"anon{number}"
    return labels


def _term(term: Any, labels: dict[str, str]) -> Node | None:
    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(labels[term.value])
    if isinstance(term, pyoxigraph.Literal):
        if term.language:
            return RdfLiteral(term.value, lang=term.language)
        datatype = term.datatype.value
        # rdflib tells a plain literal from an xsd:string one; its N-Triples parser (and so the
        # rest of kg) makes plain ones.
        return RdfLiteral(term.value, datatype=None if datatype == _XSD_STRING else datatype)
    return None


class _IllTypedLiterals(logging.Filter):
    """rdflib logs a traceback for every ill-typed literal; SHACL reports them as findings."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to convert Literal lexical form")


logging.getLogger("rdflib.term").addFilter(_IllTypedLiterals())


def _article(graph: Graph) -> Node | None:
    """The one schema:NewsArticle a kg file describes, or None."""
    articles = set(graph.subjects(RDF.type, SCHEMA.NewsArticle))
    return articles.pop() if len(articles) == 1 else None


# --- SHACL ---------------------------------------------------------------------------------------


def _shacl_finding(name: str, parsed: _Parsed, finding: Finding, kg_data: bool) -> FileFinding:
    passage, node = finding_passage(parsed.graph, finding) if kg_data else (None, None)
    line, column = _line_column(parsed.text, _node_offset(parsed, node or finding.focus))
    return FileFinding(
        file=name,
        check="shacl",
        severity=finding.severity,
        message=finding.message,
        shape=_rule(finding),
        component=finding.component,
        focus=finding.focus,
        path=finding.path,
        value=None if finding.value is None else finding.value.n3(),
        line=line,
        column=column,
        passage=passage,
    )


def _rule(finding: Finding) -> str:
    # The exact property shape or constraint when it has an IRI; a blank one says little, so
    # then the node shape that holds it.
    if ":" in finding.rule or ":" not in finding.shape:
        return finding.rule
    return finding.shape


def finding_passage(graph: Graph, finding: Finding) -> tuple[Passage | None, str | None]:
    """The article passage a finding is about, and the span it came from.

    The value when it is a span (the context's SPARQL checks name the span as the value), else
    the focus when it is a span, else the focus's evidence, else its first mention.
    """
    candidates: list[Node] = []
    if isinstance(finding.value, URIRef):
        candidates.append(finding.value)
    focus = URIRef(finding.focus)
    candidates.append(focus)
    candidates += sorted(graph.objects(focus, KG.evidence), key=_span_start(graph))
    candidates += sorted(graph.subjects(ITSRDF.taIdentRef, focus), key=_span_start(graph))
    for node in candidates:
        passage = _span_passage(graph, node)
        if passage is not None:
            return passage, str(node)
    return None, None


def _span_start(graph: Graph) -> Callable[[Node], tuple[int, str]]:
    def key(node: Node) -> tuple[int, str]:
        offsets = _offsets(graph, node)
        return (offsets[0] if offsets else -1, str(node))

    return key


def _offsets(graph: Graph, span: Node) -> tuple[int, int] | None:
    begin, end = graph.value(span, NIF.beginIndex), graph.value(span, NIF.endIndex)
    try:
        return int(str(begin)), int(str(end))
    except ValueError:
        return None


def _span_passage(graph: Graph, span: Node) -> Passage | None:
    context = graph.value(span, NIF.referenceContext)
    text = None if context is None else graph.value(context, NIF.isString)
    offsets = _offsets(graph, span)
    if text is None or offsets is None:
        return None
    begin, end = offsets
    if not 0 <= begin <= end <= len(str(text)):
        return None
    return Passage(begin, end, str(text)[begin:end])


# --- text anchors --------------------------------------------------------------------------------


def _anchor_findings(name: str, parsed: _Parsed) -> list[FileFinding]:
    """Every span's nif:anchorOf against its context's text at its offsets."""
    graph = parsed.graph
    findings = []
    for span, context in sorted(graph.subject_objects(NIF.referenceContext)):
        text, anchor = graph.value(context, NIF.isString), graph.value(span, NIF.anchorOf)
        offsets = _offsets(graph, span)
        if text is None or anchor is None or offsets is None:
            continue  # missing parts are the shapes' business
        begin, end = offsets
        body = str(text)
        if 0 <= begin <= end <= len(body) and body[begin:end] == str(anchor):
            continue
        if 0 <= begin <= end <= len(body):
            passage: Passage | None = Passage(begin, end, body[begin:end])
            message = (
                f"nif:anchorOf {_show(str(anchor))} is not the article text at {begin}..{end} "
                f"({_show(body[begin:end])})"
            )
        else:
            passage = None
            message = f"offsets {begin}..{end} are outside the article text (length {len(body)})"
        line, column = _line_column(parsed.text, _node_offset(parsed, str(span)))
        findings.append(
            FileFinding(
                file=name,
                check="anchors",
                severity="Violation",
                message=message,
                shape=TEXT_ANCHOR,
                component=TEXT_ANCHOR,
                focus=str(span),
                path=str(NIF.anchorOf),
                value=anchor.n3(),
                line=line,
                column=column,
                passage=passage,
            )
        )
    return findings


def _show(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- JSON Schema ---------------------------------------------------------------------------------


def _schema_findings(
    name: str, text: str, document: Any, validator: Draft202012Validator
) -> list[FileFinding]:
    from referencing.exceptions import Unresolvable

    schema_id = str(validator.schema.get("$id", "")) if isinstance(validator.schema, dict) else ""
    try:
        errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path)))
    except Unresolvable as exc:
        raise BrokenShapes(
            f"{schema_id or 'the schema'}: a $ref kg does not fetch ({exc})"
        ) from exc
    findings = []
    for error in errors:
        pointer = _pointer(error.absolute_path)
        keyword = str(error.validator)
        value = None if isinstance(error.instance, dict | list) else _show(error.instance)
        findings.append(
            FileFinding(
                file=name,
                check="json-schema",
                severity="Violation",
                message=error.message,
                shape=f"{schema_id}#{_pointer(error.absolute_schema_path)}",
                component=keyword,
                focus=_enclosing_id(document, list(error.absolute_path)),
                path=pointer,
                value=value,
                **_at(text, pointer),  # type: ignore[arg-type]
            )
        )
    return findings


def _record_findings(name: str, text: str, document: dict[str, Any]) -> list[FileFinding]:
    """The record checks of `kg map` (`kg.record`): schema and keys, then span texts."""
    schema_id = str(read_record_schema().get("$id", RECORD_SCHEMA_FILE))
    findings = []
    for problem in record_problems(document):
        if problem.rule.startswith("/"):
            check: Check = "json-schema"
            shape, component = f"{schema_id}#{problem.rule}", problem.rule.rsplit("/", 1)[-1]
        elif problem.rule == "span-text":
            check, shape, component = "anchors", TEXT_ANCHOR, TEXT_ANCHOR
        else:
            check = "json-schema"
            shape = component = CHECKS + (problem.rule or "record")
        findings.append(
            FileFinding(
                file=name,
                check=check,
                severity="Violation",
                message=problem.message,
                shape=shape,
                component=component,
                path=problem.pointer,
                passage=_record_passage(document, problem.pointer) if check == "anchors" else None,
                **_at(text, problem.pointer),  # type: ignore[arg-type]
            )
        )
    # Span texts are checked only once the rest holds, as for RDF.
    if any(f.check == "json-schema" for f in findings):
        return [f for f in findings if f.check == "json-schema"]
    return findings


def _record_passage(document: dict[str, Any], pointer: str) -> Passage | None:
    span = _resolve_pointer(document, pointer.rsplit("/", 1)[0])
    text = document.get("article", {}).get("text")
    if not isinstance(span, dict) or not isinstance(text, str):
        return None
    begin, end = span.get("start"), span.get("end")
    if not isinstance(begin, int) or not isinstance(end, int) or not 0 <= begin <= end <= len(text):
        return None
    return Passage(begin, end, text[begin:end])


def _pointer(parts: Iterable[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _resolve_pointer(document: Any, pointer: str) -> Any:
    value = document
    for part in [_unescape(p) for p in pointer.split("/")[1:]] if pointer else []:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _enclosing_id(document: Any, path: list[Any]) -> str | None:
    """The `@id` of the innermost JSON-LD node object on the path, if any."""
    found = _get(document, "@id")
    value = document
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(_get(value, "@id"), str):
            found = value["@id"]
    return found if isinstance(found, str) else None


# --- where in the file ---------------------------------------------------------------------------


def _at(text: str, pointer: str) -> dict[str, int | None]:
    line, column = _line_column(text, _json_offset(text, pointer))
    return {"line": line, "column": column}


def _line_column(text: str, offset: int | None) -> tuple[int | None, int | None]:
    """1-based line and column (in characters) of an offset in the text."""
    if offset is None:
        return None, None
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _node_offset(parsed: _Parsed, iri: str | None) -> int | None:
    """Where a node is first described: as a subject in Turtle, TriG, N-Triples or N-Quads, as
    an `@id` in JSON-LD, as an `rdf:about` in RDF/XML, else wherever its IRI is first written.

    SHACL results carry no positions; this is the line a person would look at.
    """
    if not iri:
        return None
    if ":" not in iri:  # a blank node: where the file writes its label, if it does
        found = re.search(rf"(?:_:|nodeID\s*=\s*\"){re.escape(iri)}(?![\w.-])", parsed.text)
        return None if found is None else found.start()
    escaped = re.escape(iri)
    names = [f"<{escaped}>"]
    for prefix, namespace in parsed.prefixes.items():
        if iri.startswith(namespace) and re.fullmatch(r"[\w.-]*", iri[len(namespace) :]):
            names.append(re.escape(f"{prefix}:{iri[len(namespace) :]}") + r"(?=[\s;,.])")
    patterns = [rf"^[ \t]*(?:{name})" for name in names]
    patterns += [rf'"@id"\s*:\s*"{escaped}"', rf'about\s*=\s*"{escaped}"', *names, escaped]
    for pattern in patterns:
        found = re.search(pattern, parsed.text, re.MULTILINE)
        if found is not None:
            return found.start() + len(found.group(0)) - len(found.group(0).lstrip())
    return None


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


def _json_offset(text: str, pointer: str) -> int | None:
    """Where the value a JSON pointer names starts in JSON text; for a member that is not there
    (a missing required property), where the nearest enclosing value starts."""
    position = _WHITESPACE.match(text, 0).end()  # type: ignore[union-attr]
    try:
        for part in [_unescape(p) for p in pointer.split("/")[1:]] if pointer else []:
            found = _member(text, position, part)
            if found is None:
                break
            position = found
    except (ValueError, IndexError):  # not the JSON that was parsed: no location
        return None
    return position


def _member(text: str, position: int, part: str) -> int | None:
    """The start of member `part` of the object or array starting at `position`, or None."""
    opening = text[position]
    if opening not in "{[":
        return None
    closing = "}" if opening == "{" else "]"
    position = _skip(text, position + 1)
    index = 0
    while text[position] != closing:
        if opening == "{":
            key, position = _scanstring(text, position + 1)
            position = _skip(text, _skip(text, position) + 1)  # past the colon
            if key == part:
                return position
        elif part.isdigit() and index == int(part):
            return position
        _, position = _DECODER.raw_decode(text, position)
        position = _skip(text, position)
        if text[position] == ",":
            position = _skip(text, position + 1)
        index += 1
    return None


def _skip(text: str, position: int) -> int:
    return _WHITESPACE.match(text, position).end()  # type: ignore[union-attr]
