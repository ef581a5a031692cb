"""Load RDF files into a SPARQL store: the embedded store (default) or an endpoint over HTTP.

    >>> report = load(["output/"])                                  # doctest: +SKIP
    >>> report.ok, len(report.loaded), report.triples               # doctest: +SKIP
    (True, 1, 623)
    >>> load(["output/"], endpoint="http://127.0.0.1:7878/store")  # doctest: +SKIP

Three steps, each finished before the next starts:

1. **Read.** Every file (.ttl .jsonld .nt .nq .trig; folders recursively, in sorted order) is
   parsed by pyoxigraph; a JSON-LD context given by reference is refused, never read
   (`kg.safety`: kg's own is put inline). Each statement goes to one named graph: kg's Turtle,
   JSON-LD and N-Triples files describe one `schema:NewsArticle`, whose graph is `{article}/graph`
   (`kg.mapping.graph_iri`); N-Quads and TriG carry their graphs; the triples of any other file
   go to the `graph` given, or the file is refused. kg's graphs are SHACL-validated.
2. **Send**, one graph at a time, each replaced in one step so a reader (or a crash) sees the
   whole old graph or the whole new one: a SPARQL 1.1 Graph Store Protocol PUT (`?graph=`),
   or one update request `DROP SILENT GRAPH <g> ; INSERT DATA { GRAPH <g> { ... } }`, which is
   also how the embedded store (pyoxigraph) applies it, in one transaction.
3. **Verify** each graph with `SELECT (COUNT(*) AS ?n) WHERE { GRAPH <g> { ?s ?p ?o } }`; a
   count that differs from the triples sent is a failure.

Errors before anything is sent raise (`InputError`, `ValidationFailure`, `StoreError`); a
failure while sending is recorded per graph in the `LoadReport`, and when the endpoint is
unavailable (`EndpointUnavailable`) the graphs not yet sent are reported as not loaded.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import pyoxigraph
from rdflib import Graph, URIRef

from kg.errors import EndpointUnavailable, InputError, StoreError, ValidationFailure
from kg.files import check_streams, expand_globs, input_name, is_stream, read_input
from kg.mapping import graph_iri
from kg.rdfinput import input_format as rdf_input_format
from kg.rdfinput import input_formats as rdf_input_formats
from kg.safety import resolve_contexts
from kg.serialize import Format
from kg.store import default_store_dir, open_store
from kg.validate import validate_graph
from kg.vocab import RDF, SCHEMA
from kg.workers import process_map

# kg.endpoint (httpx, about 70 ms to import) is imported when an endpoint is loaded: every `kg`
# command, and every worker of `kg build -j N`, imports this module, few of them to go online.
if TYPE_CHECKING:
    from kg.endpoint import Endpoint

Protocol_ = Literal["gsp", "update"]
PROTOCOLS: tuple[str, ...] = ("gsp", "update")

_PARSERS = {
    Format.TTL: pyoxigraph.RdfFormat.TURTLE,
    Format.JSONLD: pyoxigraph.RdfFormat.JSON_LD,
    Format.NT: pyoxigraph.RdfFormat.N_TRIPLES,
    Format.NQ: pyoxigraph.RdfFormat.N_QUADS,
    Format.TRIG: pyoxigraph.RdfFormat.TRIG,
}
_SUFFIXES = frozenset(fmt.extension for fmt in _PARSERS)
_EXTENSIONS = ", ".join(f".{fmt.extension}" for fmt in sorted(_PARSERS, key=lambda f: f.extension))
# What --input-format names for them (`kg.rdfinput`).
_SYNTAXES = "expected: " + ", ".join(
    fmt.name for fmt in rdf_input_formats() if fmt.extensions[0] in _SUFFIXES
)
_TYPE = pyoxigraph.NamedNode(str(RDF.type))
_NEWS_ARTICLE = pyoxigraph.NamedNode(str(SCHEMA.NewsArticle))


# --- what was read ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphData:
    """The triples of one named graph, as N-Triples statements, and the files they came from."""

    name: str
    statements: frozenset[bytes]  # one N-Triples line each, without the newline
    sources: tuple[Path, ...]
    article: bool  # kg output: the graph of the one schema:NewsArticle it describes

    @property
    def triples(self) -> int:
        return len(self.statements)

    def ntriples(self) -> bytes:
        """The graph as an N-Triples document, sorted, so a request is the same every time."""
        return b"".join(line + b"\n" for line in sorted(self.statements))


def read_graphs(
    paths: Iterable[str | Path],
    *,
    graph: str | None = None,
    workers: int = 1,
    input_format: str | None = None,
) -> list[GraphData]:
    """Parse every file under `paths` into named graphs and validate kg's; nothing is sent.
    `-` is standard input, in Turtle unless `input_format` (`kg.rdfinput` names: nt, nquads,
    trig, json-ld) names the syntax of it and of every file named.

    Files holding the same article graph must agree (a stale `.nq` beside a new `.ttl` is
    refused); other graphs named twice (e.g. `graph` for several files) get the union.
    `workers` > 1 validates many articles in that many processes.
    """
    if graph is not None:
        _check_iri(graph, "--graph")
    merged: dict[str, GraphData] = {}
    for path in find_rdf_files(paths, any_extension=input_format is not None):
        for found in _read_file(path, graph, _format(path, input_format)):
            merged[found.name] = _merge(merged.get(found.name), found)
    _validate_articles([g for g in merged.values() if g.article], workers)
    return list(merged.values())


def find_rdf_files(paths: Iterable[str | Path], *, any_extension: bool = False) -> list[Path]:
    """The files named (`-`: standard input), the files glob patterns match and the RDF files
    in the folders named (recursively, sorted). A file named must be RDF by its extension,
    unless `any_extension` (an input format is given)."""
    paths = list(paths)
    check_streams(paths)
    files: list[Path] = []
    for path in expand_globs(paths, _is_rdf_name, "RDF files", _EXTENSIONS):
        if is_stream(path):
            files.append(path)
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*") if _is_rdf_file(p, path))
            if not found:
                raise InputError(f"{path}: no RDF files in this folder (expected {_EXTENSIONS})")
            files.extend(found)
        elif path.is_file():
            if not any_extension:
                _format(path)
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return list(dict.fromkeys(files))


def _is_rdf_file(path: Path, top: Path) -> bool:
    # Hidden names are skipped: kg's atomic writes stage files as `.name.*.tmp`.
    hidden = any(part.startswith(".") for part in path.relative_to(top).parts)
    return not hidden and path.is_file() and _is_rdf_name(path)


def _is_rdf_name(path: Path) -> bool:
    return path.suffix.lstrip(".").lower() in _SUFFIXES


def _format(path: Path, input_format: str | None = None) -> Format:
    """The syntax of a file: `input_format` (a `kg.rdfinput` name), else its extension;
    standard input is Turtle unless told."""
    if input_format is not None:
        suffix = rdf_input_format(input_format).extensions[0]
    elif is_stream(path):
        return Format.TTL
    else:
        suffix = path.suffix.lstrip(".").lower()
    for fmt in _PARSERS:
        if fmt.extension == suffix:
            return fmt
    if input_format is not None:
        raise InputError(f"input format {input_format!r}: not a syntax kg loads ({_SYNTAXES})")
    raise InputError(f"{input_name(path)}: not an RDF file kg loads (expected {_EXTENSIONS})")


def _read_file(path: Path, graph: str | None, fmt: Format) -> list[GraphData]:
    """The named graphs of one file; its default-graph triples go to the article's graph or
    to `graph`, and without either the file is refused."""
    groups = _parse(path, fmt)
    found = []
    for name, triples in groups.items():
        if name is None:
            found.append(_default_graph(path, triples, graph))
        else:
            article = _article(triples)
            is_kg = article is not None and _article_graph(article) == name
            found.append(GraphData(name, _statements(path, triples), (path,), is_kg))
    return found


def _default_graph(path: Path, triples: set[pyoxigraph.Triple], graph: str | None) -> GraphData:
    article = _article(triples)
    if article is not None:
        name = _article_graph(article)
        return GraphData(name, _statements(path, triples), (path,), True)
    if graph is None:
        raise InputError(
            f"{input_name(path)}: not kg output (no single schema:NewsArticle), so it names no "
            "graph (give one with --graph IRI; kg never writes without a named graph)"
        )
    return GraphData(graph, _statements(path, triples), (path,), False)


def _parse(path: Path, fmt: Format) -> dict[str | None, set[pyoxigraph.Triple]]:
    """{graph IRI or None for the default graph: its triples}; a file that does not parse
    raises `InputError` with the parser's line and column."""
    groups: dict[str | None, set[pyoxigraph.Triple]] = defaultdict(set)
    try:
        for quad in _quads(path, fmt):
            groups[_graph_key(path, quad.graph_name)].add(quad.triple)
    except SyntaxError as exc:
        raise InputError(
            f"{input_name(path)}: {exc.msg} (expected {fmt.extension}, all IRIs absolute)"
        ) from exc
    except (OSError, ValueError) as exc:
        raise InputError(f"{input_name(path)}: cannot read ({exc})") from exc
    return groups


def _quads(path: Path, fmt: Format) -> Iterator[pyoxigraph.Quad]:
    if fmt is Format.JSONLD:  # read first, for its contexts; the other formats stream
        data = _inline_contexts(path, read_input(path, "an RDF file"))
        return pyoxigraph.parse(data, format=_PARSERS[fmt])
    if is_stream(path):
        return pyoxigraph.parse(read_input(path, "an RDF file"), format=_PARSERS[fmt])
    return pyoxigraph.parse(path=path, format=_PARSERS[fmt])


def _inline_contexts(path: Path, data: bytes) -> bytes:
    """The JSON-LD with kg's own context put inline; any other context given by reference
    (a URL, `file:`, a path) is refused, as `kg validate` refuses it: it is never read."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return data  # not JSON: the parser says where
    resolved, refused = resolve_contexts(document, path.parent)
    if refused is not None:
        raise InputError(f"{input_name(path)}: {refused.message}")
    return data if resolved == document else json.dumps(resolved).encode("utf-8")


def _graph_key(path: Path, name: object) -> str | None:
    if isinstance(name, pyoxigraph.NamedNode):
        return name.value
    if isinstance(name, pyoxigraph.DefaultGraph):
        return None
    raise InputError(
        f"{input_name(path)}: a graph named by a blank node (expected IRIs as graph names)"
    )


def _article(triples: set[pyoxigraph.Triple]) -> pyoxigraph.NamedNode | None:
    """The one schema:NewsArticle a kg file describes, or None for any other file."""
    articles = {t.subject for t in triples if t.predicate == _TYPE and t.object == _NEWS_ARTICLE}
    if len(articles) != 1:
        return None
    (article,) = articles
    return article if isinstance(article, pyoxigraph.NamedNode) else None


def _article_graph(article: pyoxigraph.NamedNode) -> str:
    return str(graph_iri(URIRef(article.value)))


def _statements(path: Path, triples: set[pyoxigraph.Triple]) -> frozenset[bytes]:
    # pyoxigraph's N-Triples writer spells every term; one statement per line, as N-Triples
    # escapes line breaks inside literals.
    try:
        data = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
    except (ValueError, OSError) as exc:
        raise InputError(f"{input_name(path)}: cannot write as N-Triples ({exc})") from exc
    assert data is not None
    return frozenset(line for line in data.split(b"\n") if line)


def _merge(old: GraphData | None, new: GraphData) -> GraphData:
    if old is None:
        return new
    if (old.article or new.article) and old.statements != new.statements:
        raise InputError(
            f"{input_name(new.sources[0])}: graph <{new.name}> differs from the one in "
            f"{input_name(old.sources[0])} "
            "(expected the same article's files to agree; load one, or rebuild both)"
        )
    return replace(
        old,
        statements=old.statements | new.statements,
        sources=(*old.sources, *new.sources),
        article=old.article or new.article,
    )


# pySHACL takes ~0.1 s per article, most of a load's time, so with `workers` > 1 many
# articles are validated in worker processes; for fewer than this, starting the workers
# (~2 s each) costs more than it saves.
PARALLEL_FROM = 40


def _validate_articles(graphs: list[GraphData], workers: int = 1) -> None:
    """SHACL-validate article graphs; the first that does not conform (in file order) raises
    `ValidationFailure`. The files of one graph agree, so each graph is validated once."""
    workers = min(workers, len(graphs) // (PARALLEL_FROM // 2))
    # Stopping at the first problem cancels the work not yet started.
    with closing(process_map(_conformance_problem, graphs, workers=workers, chunksize=4)) as found:
        _raise_first(found)


def _raise_first(problems: Iterable[str | None]) -> None:
    for problem in problems:
        if problem is not None:
            raise ValidationFailure(problem)


def _conformance_problem(graph: GraphData) -> str | None:
    """Why an article graph does not conform to the shapes, or None when it does."""
    data = Graph().parse(data=graph.ntriples().decode("utf-8"), format="nt")
    report = validate_graph(data)
    if report.conforms:
        return None
    first = report.violations[0]
    where = ", ".join(map(input_name, graph.sources))
    return (
        f"{where}: does not conform to the shapes, nothing loaded "
        f"({plural(len(report.violations), 'violation')}; first: {first.focus}: {first.message})"
    )


def _check_iri(iri: str, where: str) -> None:
    try:
        pyoxigraph.NamedNode(iri)
    except ValueError as exc:
        raise InputError(f"{where}: {iri!r} is not an IRI ({exc})") from None
    if ":" not in iri:
        raise InputError(f"{where}: {iri!r} is not an absolute IRI (expected e.g. https://...)")


# --- requests -----------------------------------------------------------------------------------


def replace_update(graph: GraphData) -> str:
    """`DROP SILENT GRAPH <g> ; INSERT DATA { GRAPH <g> { ... } }`: one request, one transaction.

    Every term is written by pyoxigraph (the graph name by `NamedNode`, which refuses an IRI
    that could end the brackets; the triples by its N-Triples writer), never by formatting
    a value into the text, so a literal cannot close the block it sits in.
    """
    name = str(pyoxigraph.NamedNode(graph.name))
    body = graph.ntriples().decode("utf-8")
    return f"DROP SILENT GRAPH {name} ;\nINSERT DATA {{ GRAPH {name} {{\n{body}}} }}\n"


def count_query(name: str) -> str:
    """The SPARQL query that counts the triples of one named graph."""
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {pyoxigraph.NamedNode(name)} {{ ?s ?p ?o }} }}"


class _Target(Protocol):
    where: str

    def replace(self, graph: GraphData) -> None: ...

    def count(self, name: str) -> int: ...


class _StoreTarget:
    """The embedded store: each graph replaced by one update, which pyoxigraph runs in one
    transaction (its Python API has no other way to remove and add in one)."""

    def __init__(self, store: pyoxigraph.Store, path: Path) -> None:
        self._store: pyoxigraph.Store | None = store
        self.where = f"store {path}"

    @property
    def store(self) -> pyoxigraph.Store:
        if self._store is None:
            raise StoreError(f"{self.where}: closed")
        return self._store

    def close(self) -> None:
        """Drop the store, which closes it and frees its lock for the next process.

        Not left to garbage collection: a traceback kept anywhere keeps the caller's frames, and
        with them this object, alive; the store must still close when `load` returns.
        """
        self._store = None

    def replace(self, graph: GraphData) -> None:
        try:
            self.store.update(replace_update(graph))
        except (OSError, SyntaxError, ValueError) as exc:
            raise StoreError(f"{self.where}: cannot write <{graph.name}> ({exc})") from exc

    def count(self, name: str) -> int:
        try:
            (row,) = self.store.query(count_query(name))  # type: ignore[misc]
            return int(row["n"].value)
        except (OSError, SyntaxError, ValueError) as exc:
            raise StoreError(f"{self.where}: cannot count <{name}> ({exc})") from exc


class _EndpointTarget:
    """An endpoint over HTTP: a GSP PUT, or one update request, per graph."""

    def __init__(self, endpoint: Endpoint, protocol: Protocol_) -> None:
        self.endpoint = endpoint
        self.protocol = protocol
        self.where = f"{endpoint.url} ({protocol})"

    def replace(self, graph: GraphData) -> None:
        if self.protocol == "gsp":
            # N-Triples is a subset of Turtle, and every GSP server takes text/turtle.
            self.endpoint.put_graph(graph.name, graph.ntriples(), "text/turtle")
        else:
            self.endpoint.post_update(replace_update(graph), graph.name)

    def count(self, name: str) -> int:
        rows = self.endpoint.select(count_query(name))
        try:
            return int(rows[0]["n"])
        except (IndexError, KeyError, ValueError) as exc:
            raise StoreError(
                f"POST {self.endpoint.query_url}: no count in the answer to the COUNT query"
            ) from exc


# --- the report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphLoad:
    """What became of one named graph: loaded (`error` is None) or not, and why."""

    graph: str
    triples: int
    sources: tuple[Path, ...]
    error: str | None = None
    sent: bool = True  # False: not tried, the load stopped at an earlier graph's error

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class LoadReport:
    """Every graph of a load and what became of it; `ok` when all were loaded and verified."""

    target: str
    graphs: tuple[GraphLoad, ...]
    read_seconds: float  # parsing and validating the files
    seconds: float  # the whole load

    @property
    def loaded(self) -> list[GraphLoad]:
        return [g for g in self.graphs if g.ok]

    @property
    def failed(self) -> list[GraphLoad]:
        return [g for g in self.graphs if not g.ok]

    @property
    def triples(self) -> int:
        """Triples loaded and verified (failed graphs not counted)."""
        return sum(g.triples for g in self.loaded)

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        """One line: `loaded 3 of 3 graphs (1764 triples) into store out/db in 0.9 s; 0 failed`."""
        return (
            f"loaded {len(self.loaded)} of {plural(len(self.graphs), 'graph')} "
            f"({plural(self.triples, 'triple')}) "
            f"into {self.target} in {self.seconds:.2f} s "
            f"(reading and validating {self.read_seconds:.2f} s); {len(self.failed)} failed"
        )


def plural(count: int, noun: str) -> str:
    """`plural(1, "graph")` -> "1 graph", `plural(3, "graph")` -> "3 graphs"."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


# --- the load -----------------------------------------------------------------------------------


def load(
    paths: Iterable[str | Path],
    *,
    store: str | Path | None = None,
    endpoint: str | None = None,
    query_endpoint: str | None = None,
    protocol: Protocol_ = "gsp",
    graph: str | None = None,
    timeout: float = 30.0,
    retries: int = 4,
    workers: int = 1,
    input_format: str | None = None,
) -> LoadReport:
    """Load RDF files into the embedded store (default: `kg.store.default_store_dir()`, or
    `store`) or into the SPARQL endpoint `endpoint`; see the module docstring.

    `protocol` is "gsp" (`endpoint` is the Graph Store Protocol URL) or "update" (`endpoint`
    is the update URL); the COUNT queries go to `query_endpoint`, by default the query URL of
    the endpoint's kind (`kg.endpoint.query_url_for`). Credentials come from the environment
    (`KG_ENDPOINT_USER`/`KG_ENDPOINT_PASSWORD` or `KG_ENDPOINT_TOKEN`).

    `workers` > 1 SHACL-validates many articles in that many worker processes (started with
    spawn, so call it from a script whose entry point is under `if __name__ == "__main__":`).
    `-` among `paths` is standard input; `input_format` as for `read_graphs`.
    """
    started = time.monotonic()
    paths = list(paths)
    with _open_target(store, endpoint, query_endpoint, protocol, timeout, retries) as target:
        graphs = read_graphs(paths, graph=graph, workers=workers, input_format=input_format)
        read_seconds = time.monotonic() - started
        results = _send_all(target, graphs)
        where = target.where
    return LoadReport(where, tuple(results), read_seconds, time.monotonic() - started)


@contextmanager
def _open_target(
    store: str | Path | None,
    endpoint: str | None,
    query_endpoint: str | None,
    protocol: str,
    timeout: float,
    retries: int,
) -> Iterator[_Target]:
    """The target, checked (options, credentials, the store's lock) before any file is read."""
    if protocol not in PROTOCOLS:
        raise InputError(f"protocol {protocol!r} not supported (expected: {', '.join(PROTOCOLS)})")
    if store is not None and endpoint is not None:
        raise InputError("both a store and an endpoint given (expected one target)")
    if endpoint is None:
        if query_endpoint is not None or protocol != "gsp":
            raise InputError("--query-endpoint and --protocol need --endpoint")
        target = _open_store_target(store)
        try:
            yield target
        finally:
            target.close()
        return
    if timeout <= 0 or retries < 0:
        raise InputError(f"timeout {timeout} s, retries {retries} (expected > 0 s, >= 0)")
    from kg.endpoint import Credentials, Endpoint

    credentials = Credentials.from_env()
    with Endpoint(
        endpoint,
        query_url=query_endpoint,
        credentials=credentials,
        timeout=timeout,
        retries=retries,
    ) as client:
        yield _EndpointTarget(client, protocol)  # type: ignore[arg-type]


def _open_store_target(store: str | Path | None) -> _StoreTarget:
    path = Path(store) if store is not None else default_store_dir()
    return _StoreTarget(open_store(path), path)


def _send_all(target: _Target, graphs: list[GraphData]) -> list[GraphLoad]:
    """Send and verify each graph; after an `EndpointUnavailable`, send nothing more."""
    results: list[GraphLoad] = []
    for i, graph in enumerate(graphs):
        done = GraphLoad(graph.name, graph.triples, graph.sources)
        try:
            _send_one(target, graph)
        except EndpointUnavailable as exc:
            results.append(replace(done, error=str(exc)))
            stopped = "not sent (the load stopped at an earlier error)"
            results.extend(
                GraphLoad(g.name, g.triples, g.sources, error=stopped, sent=False)
                for g in graphs[i + 1 :]
            )
            break
        except StoreError as exc:
            results.append(replace(done, error=str(exc)))
        else:
            results.append(done)
    return results


def _send_one(target: _Target, graph: GraphData) -> None:
    target.replace(graph)
    found = target.count(graph.name)
    if found != graph.triples:
        raise StoreError(
            f"{target.where}: <{graph.name}> holds {found} triples after loading {graph.triples} "
            "(expected the same count)"
        )
