"""The one prefix map kg uses, and how keys (slugs) are made from names.

Every serialization, the ontology, the shapes and the JSON-LD context bind these prefixes and no
others, so a term has one spelling everywhere (schema.org is always `http://schema.org/`, the form
of the official schema.org JSON-LD context).
"""

from __future__ import annotations

import re
import unicodedata

from rdflib import Graph, Namespace
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

SCHEMA = Namespace("http://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")
PROV = Namespace("http://www.w3.org/ns/prov#")
NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
ITSRDF = Namespace("http://www.w3.org/2005/11/its/rdf#")
UNIT = Namespace("http://qudt.org/vocab/unit/")
KG = Namespace("https://w3id.org/kg-news/ns#")

# Sorted by prefix, so every output lists them in the same order.
PREFIXES: dict[str, Namespace] = {
    "itsrdf": ITSRDF,
    "kg": KG,
    "nif": NIF,
    "org": ORG,
    "owl": Namespace(str(OWL)),
    "prov": PROV,
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "schema": SCHEMA,
    "skos": Namespace(str(SKOS)),
    "unit": UNIT,
    "xsd": Namespace(str(XSD)),
}

__all__ = [
    "ITSRDF",
    "KG",
    "NIF",
    "ORG",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SKOS",
    "UNIT",
    "XSD",
    "new_graph",
    "slug",
]

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def new_graph() -> Graph:
    """An empty graph that knows kg's prefixes, and only those."""
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def slug(text: str) -> str:
    """A stable IRI-safe key for a name: `Xiong'an New Area` -> `xiong-an-new-area`."""
    # Curly and straight apostrophes give one key: "People’s" and "People's".
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii")
    key = _NON_ALNUM.sub("-", ascii_text.lower()).strip("-")
    if key:
        return key
    # Names with no ASCII letters (e.g. Chinese characters) still need a stable key.
    return "u" + "-".join(f"{ord(c):x}" for c in text if not c.isspace())
