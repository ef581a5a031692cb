"""SPARQL queries over what kg loaded: the embedded store or any SPARQL endpoint (`kg query`).

    >>> import kg
    >>> result = kg.query(kg.read_query("queries/posts.rq"))             # doctest: +SKIP
    >>> result.columns, [term.value for term in result.rows[0]]          # doctest: +SKIP
    (('person', 'role', 'organization'), ['Ni Yuefeng', 'secretary', 'Hebei Provincial ...'])
    >>> print(kg.format_result(result, kg.ResultFormat.CSV))             # doctest: +SKIP

Where a query runs:

- **the embedded store** (`kg.store`; default folder `default_store_dir()`), opened read-only, so a
  query works while another process (`kg load`, `kg serve`) writes to it: it sees the store as
  it was when opened. (pyoxigraph leaves a read-only open beside a writer undefined; what
  happens is that the writer can delete a file the open was about to read, so kg opens it again,
  up to `STORE_ATTEMPTS` times.) Every article lives in its own named graph `{article}/graph`;
  the query's default graph is the union of all named graphs, so a query without `GRAPH` sees
  every article, and `GRAPH ?g { ... }` still tells them apart.
- **an endpoint** (`endpoint=URL`): one SPARQL 1.1 Protocol POST (`application/sparql-query`)
  through `kg.endpoint`, with its credentials, timeouts and retries. What the default graph is
  there is the server's choice (`kg serve` makes it the union, as above; a plain Oxigraph or
  Fuseki keeps it separate), which is why the ready-made queries in `queries/` use `GRAPH ?g`.

Results are plain Python values (`RdfTerm`, no RDF library's types): the rows of a SELECT, the
boolean of an ASK, or the triples of a CONSTRUCT/DESCRIBE as sorted N-Triples.
`format_result` writes them as an aligned table for people, SPARQL CSV, TSV or JSON, or, for
graphs, Turtle or N-Triples.

`params` bind variables safely: `{"person": "Ni Yuefeng"}` appends
`VALUES ?person { "Ni Yuefeng" }` to the query, the term written by pyoxigraph (quotes,
backslashes and newlines escaped), never pasted in as text. A trailing VALUES clause joins the
query's solutions, so it keeps the rows where `?person` has that value; a value in angle
brackets (`<https://...>`) is an IRI, anything else a string literal.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from kg.errors import InputError, QueryError, StoreError
from kg.files import decode_utf8, input_name, is_stream, read_input
from kg.serialize import compact
from kg.store import default_store_dir, open_store
from kg.vocab import PREFIXES

# kg.endpoint (httpx, about 70 ms to import) is imported when an endpoint is queried: every `kg`
# command, and every worker of `kg build -j N`, imports this module, few of them to go online.
if TYPE_CHECKING:
    import httpx

DEFAULT_TIMEOUT = 30.0  # seconds; endpoint queries only (pyoxigraph cannot stop a query)
STORE_ATTEMPTS = 5  # read-only opens of a store another process writes, see _query_store
STORE_RETRY_WAIT = 0.05  # seconds before the first new attempt; doubled for each further one

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


class ResultFormat(Enum):
    """How `kg query` prints a result: `(name, media type)`."""

    TABLE = ("table", "text/plain")
    CSV = ("csv", "text/csv")
    TSV = ("tsv", "text/tab-separated-values")
    JSON = ("json", "application/sparql-results+json")
    TTL = ("ttl", "text/turtle")
    NT = ("nt", "application/n-triples")

    def __init__(self, label: str, media_type: str) -> None:
        self.label = label
        self.media_type = media_type

    @classmethod
    def from_name(cls, name: str) -> ResultFormat:
        for fmt in cls:
            if fmt.label == name.lower():
                return fmt
        names = ", ".join(fmt.label for fmt in cls)
        raise InputError(f"result format {name!r} not supported (expected: {names})")


@dataclass(frozen=True)
class RdfTerm:
    """One value of a result row, shaped like a term of SPARQL JSON results.

    `type` is "uri", "literal", "bnode" or "triple"; `value` the IRI, the lexical form, the blank
    node label, or a triple term in N-Triples. A literal's `datatype` is None for plain strings
    (xsd:string) and language-tagged ones (`language` is set then).
    """

    type: str
    value: str
    datatype: str | None = None
    language: str | None = None
    triple: tuple[RdfTerm, RdfTerm, RdfTerm] | None = None

    def to_json(self) -> dict[str, Any]:
        """The term as SPARQL 1.1 (and SPARQL-star) JSON results write it."""
        if self.triple is not None:
            names = ("subject", "predicate", "object")
            return {
                "type": "triple",
                "value": dict(zip(names, (t.to_json() for t in self.triple), strict=True)),
            }
        data: dict[str, Any] = {"type": self.type, "value": self.value}
        if self.language:
            data["xml:lang"] = self.language
        elif self.datatype:
            data["datatype"] = self.datatype
        return data

    def to_ntriples(self) -> str:
        """The term in N-Triples (and Turtle) syntax, escaped by pyoxigraph."""
        return str(self._oxigraph())

    def _oxigraph(self) -> ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple:
        if self.triple is not None:
            s, p, o = (t._oxigraph() for t in self.triple)
            return ox.Triple(s, p, o)  # type: ignore[arg-type]
        if self.type == "uri":
            return ox.NamedNode(self.value)
        if self.type == "bnode":
            return ox.BlankNode(self.value)
        if self.language:
            return ox.Literal(self.value, language=self.language)
        datatype = ox.NamedNode(self.datatype) if self.datatype else None
        return ox.Literal(self.value, datatype=datatype)


Row = tuple[RdfTerm | None, ...]  # None: the variable is unbound in this row


@dataclass(frozen=True)
class QueryResult:
    """A query's answer: SELECT rows, an ASK boolean, or a CONSTRUCT/DESCRIBE graph."""

    columns: tuple[str, ...] = ()
    rows: tuple[Row, ...] = ()
    boolean: bool | None = None
    ntriples: str | None = None  # CONSTRUCT/DESCRIBE: sorted N-Triples lines

    @property
    def kind(self) -> str:
        """ "select", "ask" or "graph"."""
        if self.boolean is not None:
            return "ask"
        return "graph" if self.ntriples is not None else "select"

    def records(self) -> list[dict[str, RdfTerm]]:
        """The rows as {column: term}, unbound columns left out."""
        return [
            {name: term for name, term in zip(self.columns, row, strict=True) if term is not None}
            for row in self.rows
        ]


# --- running a query -----------------------------------------------------------------------------


def query(
    sparql: str,
    *,
    store: str | Path | None = None,
    endpoint: str | None = None,
    params: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    source: str = "query",
) -> QueryResult:
    """Run one SPARQL query on the embedded store (default) or on `endpoint`.

    `params` bind variables (see the module docstring); `source` names the query in messages,
    e.g. the file it came from. A query that does not parse raises `QueryError` (exit code 2);
    a store or endpoint that fails raises `StoreError` (exit code 3).
    """
    if store is not None and endpoint is not None:
        raise InputError(f"{source}: give a store or an endpoint, not both")
    if params:
        sparql = bind_params(sparql, params, source=source)
    if endpoint is not None:
        return _query_endpoint(sparql, endpoint, timeout=timeout, source=source)
    return _query_store(sparql, None if store is None else Path(store), source=source)


_QUERY = "a SPARQL query"


def read_query(path: str | Path) -> str:
    """The text of a query file (`queries/posts.rq`), or of standard input for `-`."""
    if is_stream(path):
        return decode_utf8(read_input(Path(path), _QUERY), input_name(path), _QUERY)
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"{path}: cannot read the query ({reason})") from exc


_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def bind_params(sparql: str, params: Mapping[str, str], *, source: str = "query") -> str:
    """`sparql` with a trailing `VALUES (?a ?b) { ("x" <y>) }` clause binding `params`."""
    names, terms = [], []
    for name, value in params.items():
        if not _VARIABLE_NAME.fullmatch(name):
            raise InputError(
                f"{source}: parameter {name!r} is not a variable name (letters, digits, _)"
            )
        if not re.search(rf"[?$]{name}(?![A-Za-z0-9_])", sparql):
            raise InputError(f"{source}: parameter {name!r}: the query has no variable ?{name}")
        names.append(f"?{name}")
        terms.append(str(_param_term(name, value, source)))
    # On its own line: the query may end in a comment.
    return f"{sparql.rstrip()}\nVALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}\n"


def _param_term(name: str, value: str, source: str) -> ox.NamedNode | ox.Literal:
    if len(value) > 1 and value.startswith("<") and value.endswith(">"):
        try:
            return ox.NamedNode(value[1:-1])
        except ValueError as exc:
            raise InputError(
                f"{source}: parameter {name!r}: {value} is not an IRI ({exc})"
            ) from exc
    return ox.Literal(value)


def _query_store(sparql: str, path: Path | None, *, source: str) -> QueryResult:
    """Open the store read-only and query it; again when it changed under us (see below)."""
    path = default_store_dir() if path is None else path
    for attempt in range(STORE_ATTEMPTS):
        try:
            return _query_store_once(sparql, path, source=source)
        except (OSError, RuntimeError) as exc:
            # pyoxigraph calls a read-only open beside a writer "undefined behavior": in practice
            # the writer may delete a file (compaction) the reader was about to open, which
            # RocksDB reports as corruption. The store is fine; a new snapshot reads it.
            if attempt == STORE_ATTEMPTS - 1:
                reason = _one_line(str(exc))
                raise StoreError(f"{path}: the store failed to answer {source} ({reason})") from exc
            time.sleep(STORE_RETRY_WAIT * 2**attempt)
    raise AssertionError("unreachable")


def _query_store_once(sparql: str, path: Path, *, source: str) -> QueryResult:
    store = open_store(path, read_only=True)
    try:
        return _result(store.query(sparql, use_default_graph_as_union=True))
    except SyntaxError as exc:
        raise QueryError(f"{source}: {_one_line(str(exc))}") from None
    finally:
        del store  # closed now, not when a traceback holding this frame is dropped


def _result(
    answer: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples,
) -> QueryResult:
    """A pyoxigraph answer (from the store, or parsed from an endpoint's reply) as plain values."""
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult(boolean=bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        columns = tuple(variable.value for variable in answer.variables)
        rows = tuple(tuple(_term(solution[name]) for name in columns) for solution in answer)
        return QueryResult(columns=columns, rows=rows)
    return QueryResult(ntriples=_sorted_ntriples(answer))


def _sorted_ntriples(triples: Iterable[ox.Triple]) -> str:
    return "".join(sorted({f"{triple} .\n" for triple in triples}))


def _term(term: Any) -> RdfTerm | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return RdfTerm("uri", term.value)
    if isinstance(term, ox.BlankNode):
        return RdfTerm("bnode", term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return RdfTerm("literal", term.value, language=term.language)
        datatype = term.datatype.value
        return RdfTerm("literal", term.value, None if datatype == XSD_STRING else datatype)
    if isinstance(term, ox.Triple):
        parts = (_term(term.subject), _term(term.predicate), _term(term.object))
        return RdfTerm("triple", str(term), triple=parts)  # type: ignore[arg-type]
    raise StoreError(f"unexpected term in a query result: {term!r}")


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- endpoints -----------------------------------------------------------------------------------


QUERY_RETRIES = 2  # a query is read-only, so resending is safe; a user waits for the answer


def query_url(endpoint: str) -> str:
    """The URL queries go to: the query URL that goes with a Graph Store Protocol or update URL
    (`kg.endpoint.query_url_for`: `.../store` -> `.../query`), else `endpoint` itself."""
    from kg.endpoint import check_url, query_url_for

    check_url(endpoint)
    try:
        return query_url_for(endpoint)
    except InputError:
        return endpoint  # already a query URL: .../query, /repositories/REPO, ...


def _query_endpoint(sparql: str, endpoint: str, *, timeout: float, source: str) -> QueryResult:
    if timeout <= 0:
        raise InputError(f"{source}: timeout {timeout} s (expected > 0 s)")
    from kg.endpoint import QueryEndpoint

    url = query_url(endpoint)
    client = QueryEndpoint(endpoint, query_url=url, timeout=timeout, retries=QUERY_RETRIES)
    with client:
        return _parse_reply(client.post_query(sparql), f"POST {client.redact(url)}")


def _parse_reply(response: httpx.Response, where: str) -> QueryResult:
    """The endpoint's answer, read by pyoxigraph in the format its Content-Type names."""
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    results_format = ox.QueryResultsFormat.from_media_type(media_type) if media_type else None
    rdf_format = ox.RdfFormat.from_media_type(media_type) if media_type else None
    try:
        if results_format is not None:
            return _result(ox.parse_query_results(response.content, format=results_format))
        if rdf_format is not None:
            return QueryResult(ntriples=_sorted_ntriples(_triples(response.content, rdf_format)))
    except (SyntaxError, ValueError) as exc:
        raise StoreError(
            f"{where}: the answer is not valid {media_type} ({_one_line(str(exc))})"
        ) from exc
    raise StoreError(
        f"{where}: answer in {media_type or 'no media type'} (expected SPARQL results or RDF)"
    )


def _triples(data: bytes, fmt: ox.RdfFormat) -> Iterable[ox.Triple]:
    return [quad.triple for quad in ox.parse(data, format=fmt)]


# --- formats -------------------------------------------------------------------------------------


def format_result(result: QueryResult, fmt: ResultFormat = ResultFormat.TABLE) -> str:
    """The result as text in `fmt`; SELECT and ASK results take table, csv, tsv and json,
    CONSTRUCT/DESCRIBE graphs table (Turtle), ttl and nt."""
    writers = _GRAPH_WRITERS if result.kind == "graph" else _ANSWER_WRITERS
    if fmt not in writers:
        allowed = ", ".join(f.label for f in writers)
        what = (
            "a CONSTRUCT or DESCRIBE graph" if result.kind == "graph" else "SELECT and ASK results"
        )
        raise InputError(f"format {fmt.label!r} does not fit {what} (expected: {allowed})")
    return writers[fmt](result)


def _table(result: QueryResult) -> str:
    """Aligned columns for people: IRIs as kg's CURIEs, literals as their text."""
    if result.boolean is not None:
        return f"{str(result.boolean).lower()}\n"
    cells = [list(result.columns)]
    cells += [[_table_cell(term) for term in row] for row in result.rows]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(result.columns))]
    lines = [_table_line(row, widths) for row in cells]
    lines.insert(1, _table_line(["-" * w for w in widths], widths))
    return "".join(line + "\n" for line in lines)


def _table_line(cells: Sequence[str], widths: Sequence[int]) -> str:
    padded = [
        cell + " " * (width - _width(cell)) for cell, width in zip(cells, widths, strict=True)
    ]
    return "  ".join(padded).rstrip()


def _table_cell(term: RdfTerm | None) -> str:
    if term is None:
        return ""
    if term.type == "uri":
        return compact(term.value)
    if term.type == "bnode":
        return f"_:{term.value}"
    # Tabs and line breaks would break the columns.
    return (
        term.value.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\r", "\\r")
        .replace("\n", "\\n")
    )


def _width(text: str) -> int:
    """Columns `text` takes in a terminal: CJK characters take two, combining marks none."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def _csv(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results CSV: values only (IRIs, lexical forms), CRLF line ends."""
    if result.boolean is not None:
        return f"{str(result.boolean).lower()}\r\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(_csv_cell(term) for term in row)
    return out.getvalue()


def _csv_cell(term: RdfTerm | None) -> str:
    if term is None:
        return ""
    return f"_:{term.value}" if term.type == "bnode" else term.value


def _tsv(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results TSV: `?var` headers, terms in N-Triples syntax."""
    if result.boolean is not None:
        return f"{str(result.boolean).lower()}\n"
    lines = ["\t".join(f"?{name}" for name in result.columns)]
    lines += ["\t".join("" if t is None else t.to_ntriples() for t in row) for row in result.rows]
    return "".join(line + "\n" for line in lines)


def _json(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results JSON."""
    data: dict[str, Any]
    if result.boolean is not None:
        data = {"head": {}, "boolean": result.boolean}
    else:
        data = {
            "head": {"vars": list(result.columns)},
            "results": {
                "bindings": [
                    {name: term.to_json() for name, term in record.items()}
                    for record in result.records()
                ]
            },
        }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _turtle(result: QueryResult) -> str:
    """The graph as Turtle with those of kg's prefixes it uses."""
    text = result.ntriples or ""
    triples = ox.parse(text, format=ox.RdfFormat.N_TRIPLES)
    prefixes = {p: str(ns) for p, ns in PREFIXES.items() if f"<{ns}" in text}
    data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes) or b""
    return data.decode("utf-8")


def _ntriples(result: QueryResult) -> str:
    return result.ntriples or ""


_ANSWER_WRITERS: dict[ResultFormat, Callable[[QueryResult], str]] = {
    ResultFormat.TABLE: _table,
    ResultFormat.CSV: _csv,
    ResultFormat.TSV: _tsv,
    ResultFormat.JSON: _json,
}
_GRAPH_WRITERS: dict[ResultFormat, Callable[[QueryResult], str]] = {
    ResultFormat.TABLE: _turtle,
    ResultFormat.TTL: _turtle,
    ResultFormat.NT: _ntriples,
}
