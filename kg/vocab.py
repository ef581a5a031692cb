"""The one prefix map kg uses, and how keys (slugs) are made from names.

Every serialization, the ontology, the shapes and the JSON-LD context bind these prefixes and no
others, so a term has one spelling everywhere (schema.org is always `http://schema.org/`, the form
of the official schema.org JSON-LD context).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit

import idna
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
    "iri_problem",
    "new_graph",
    "slug",
    "to_web_iri",
    "web_iri",
]

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Characters RFC 3987 does not allow anywhere in an IRI (and lone surrogates, which a command
# line can carry but no UTF-8 file can hold).
_NOT_IN_IRI = re.compile(r'[\s<>"{}|\\^`\x00-\x1f\x7f-\x9f\ud800-\udfff]')
# A '%' that does not start a %XX escape: rdflib and rapper read it, pyoxigraph refuses it.
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# What a URI holds as it is (RFC 3986 reserved and unreserved characters, and '%' escapes).
_URI_CHARACTERS = "!#$&'()*+,/:;=?@[]~%"


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


def iri_problem(iri: str) -> str | None:
    """Why `iri` is not an absolute http(s) IRI that every RDF parser reads, or None."""
    try:
        parts = urlsplit(iri)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        return str(exc)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "expected an absolute http(s) URL"
    if _NOT_IN_IRI.search(iri):
        return 'spaces, control characters and <>"{}|\\^` are not allowed in an IRI'
    if _STRAY_PERCENT.search(iri):
        return "'%' must start a %XX escape"
    return None


def web_iri(url: str) -> str | None:
    """An article's URL as the IRI kg writes (`to_web_iri`), or None when it is no absolute
    http(s) URL."""
    try:
        return to_web_iri(url)
    except ValueError:
        return None


def to_web_iri(url: str) -> str:
    """An article's URL as the IRI kg writes; raises `ValueError` saying why it is no absolute
    http(s) URL.

    As a browser does, characters a URI may not hold (spaces, non-ASCII letters, `<>"`, a '%'
    that starts no escape) are percent-encoded as UTF-8, and a non-ASCII host name becomes its
    IDNA 2008 form (UTS 46 mapping, not transitional: `faß.de` stays apart from `fass.de`), so
    every RDF parser reads the IRI:

    >>> to_web_iri("https://例子.cn/新闻/a b.html?q=100%")
    'https://xn--fsqu00a.cn/%E6%96%B0%E9%97%BB/a%20b.html?q=100%25'
    >>> to_web_iri("https://faß.de/")
    'https://xn--fa-hia.de/'
    """
    if any(c in url for c in "\t\r\n"):
        # urlsplit drops them silently; a URL broken across lines is no URL
        raise ValueError("expected an absolute http(s) URL on one line")
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise ValueError(f"{exc}; expected an absolute http(s) URL") from None
    netloc = _ascii_netloc(parts.netloc)
    if parts.scheme not in ("http", "https") or not parts.hostname or _NOT_IN_IRI.search(netloc):
        raise ValueError("expected an absolute http(s) URL")
    after_host = url.index(parts.netloc, url.index("//") + 2) + len(parts.netloc)
    rest = _STRAY_PERCENT.sub("%25", url[after_host:])
    return f"{parts.scheme}://{netloc}{quote(rest, safe=_URI_CHARACTERS)}"


def _ascii_netloc(netloc: str) -> str:
    """`user@例子.cn:80` -> `user@xn--fsqu00a.cn:80` (user names are percent-encoded)."""
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.partition(":")
    if not host.isascii():
        host = _idna_host(host)
    return f"{quote(userinfo, safe=_URI_CHARACTERS)}{at}{host}{colon}{port}"


def _idna_host(host: str) -> str:
    """A non-ASCII host in IDNA 2008 form. Python's "idna" codec is IDNA 2003, which maps `ß`
    to `ss` and `ς` to `σ`: another domain. Symbols such as emoji are refused, as IDNA 2008
    refuses them (registries do not register them, and browsers differ on them)."""
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(f"host {host!r} is not a domain name IDNA 2008 allows: {exc}") from None
