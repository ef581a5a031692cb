"""pySHACL's SPARQL queries, each text parsed once per process (`with_prepared_queries`).

A module of its own, imported by `kg.validate` when pySHACL validates: it subclasses rdflib's
SPARQL processor, and importing rdflib's SPARQL engine (its pyparsing grammar) costs about a
tenth of a second that the turbo engine, the CLI and corpus workers otherwise do without.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from rdflib import ConjunctiveGraph, Graph
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Processor, Result
from rdflib.term import Identifier

from kg import fastpaths


class _CachingSPARQLProcessor(SPARQLProcessor):
    """rdflib's SPARQL processor, parsing each query text once per process.

    pySHACL hands rdflib a SPARQL constraint's text again for every focus node, and parsing it
    (pyparsing) was two thirds of validating an article. A parsed and translated query is
    rdflib's `prepareQuery` result, which is made to be evaluated many times.
    """

    def query(  # type: ignore[override]
        self,
        strOrQuery: str | Query,  # noqa: N803 (rdflib's names)
        initBindings: Mapping[str, Identifier] | None = None,  # noqa: N803
        initNs: Mapping[str, Any] | None = None,  # noqa: N803
        base: str | None = None,
        DEBUG: bool = False,  # noqa: N803
    ) -> Mapping[str, Any]:
        if isinstance(strOrQuery, str):
            namespaces = tuple(sorted((k, str(v)) for k, v in (initNs or {}).items()))
            strOrQuery = _prepared_query(strOrQuery, base, namespaces)
        return super().query(strOrQuery, initBindings, initNs, base, DEBUG)


@lru_cache(maxsize=512)
def _prepared_query(text: str, base: str | None, namespaces: tuple[tuple[str, str], ...]) -> Query:
    return translateQuery(parseQuery(text), base, dict(namespaces))


class _PreparedQueryGraph(Graph):
    """A view of a graph (the same store) whose SPARQL queries go to `_CachingSPARQLProcessor`.

    pySHACL queries the data graph it is given with rdflib's default processor, which rdflib
    looks up by the plugin name "sparql"; registering ours under that name would change every
    query in the caller's process. Handing pySHACL this view keeps the speed-up to kg's calls.
    """

    def query(  # type: ignore[override]
        self,
        query_object: str | Query,
        processor: str | Processor = "sparql",
        *args: Any,
        **kwargs: Any,
    ) -> Result:
        if processor == "sparql":
            processor = _CachingSPARQLProcessor(self)
        return super().query(query_object, processor, *args, **kwargs)


def with_prepared_queries(graph: Graph) -> Graph:
    """`graph` as pySHACL should query it: through the caching processor for a plain graph
    with kg's fast paths on (`KG_FAST=0`: rdflib's own processor, to compare the two).

    Datasets keep rdflib's processor: a view over their store would lose their named graphs.
    pySHACL copies the data before inference or mixing in an ontology, and the copy is queried
    with rdflib's processor too: slower, the same findings.
    """
    if not fastpaths.enabled() or isinstance(graph, ConjunctiveGraph):
        return graph
    return _PreparedQueryGraph(
        graph.store, graph.identifier, namespace_manager=graph.namespace_manager
    )
