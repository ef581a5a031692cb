"""Which RDF syntax a file is in, for `kg validate`: `--input-format`, else its extension, and
for the extensions of RDF/XML its first bytes.

    >>> input_format("ttl").name, by_extension(Path("people.owl")).name
    ('turtle', 'xml')
    >>> sniffed(by_extension(Path("people.owl")), b"@prefix ex: <https://example.org/> .").name
    'turtle'

The names, extensions and media types are in `kg/data/rdf_formats.tsv`. rdflib reads `.owl`,
`.rdf` and `.xml` as RDF/XML whatever they hold (a Turtle `.owl` is an XML syntax error there);
kg reads them as RDF/XML when they start like XML and as Turtle otherwise, as ontology editors
save Turtle under those names too. In folders, `.xml` files are read only when they mention the
RDF namespace: reports, build files and the like share that extension.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyoxigraph

from kg.data import read_lines
from kg.errors import InputError

FORMATS_FILE = "rdf_formats.tsv"
JSON_EXTENSION = "json"  # kg records and other JSON, unless --input-format says otherwise
RDF_NAMESPACE = b"http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_GENERIC_EXTENSIONS = frozenset({"xml"})  # not RDF by name alone
_SNIFF_BYTES = 65536
# XML starts with a declaration, a comment or doctype, or an element: `<rdf:RDF ...`. A Turtle
# IRI (`<https://...>`) does not: a name followed by `//`.
_XML_START = re.compile(rb"\s*<(?:\?xml|!|[A-Za-z_][\w.:-]*(?:\s|>|/>))")


@dataclass(frozen=True)
class InputFormat:
    """An RDF syntax kg reads: its name, pyoxigraph's format, its file extensions and other
    names, and whether a file's first bytes may say it is Turtle instead."""

    name: str
    syntax: pyoxigraph.RdfFormat
    extensions: tuple[str, ...]
    aliases: tuple[str, ...]
    sniffed: bool


@cache
def input_formats() -> tuple[InputFormat, ...]:
    """Every format of `kg/data/rdf_formats.tsv`, in its order."""
    formats = []
    for line in read_lines(FORMATS_FILE):
        name, syntax, extensions, aliases, sniff = (part.strip() for part in line.split("\t"))
        formats.append(
            InputFormat(
                name=name,
                syntax=getattr(pyoxigraph.RdfFormat, syntax),
                extensions=tuple(extensions.split(",")),
                aliases=tuple(aliases.split(",")),
                sniffed=sniff == "yes",
            )
        )
    return tuple(formats)


def input_format(name: str) -> InputFormat:
    """The format `--input-format NAME` names (rdflib's and pyoxigraph's names, media types)."""
    wanted = name.strip().lower()
    for fmt in input_formats():
        if wanted == fmt.name or wanted in fmt.aliases:
            return fmt
    expected = ", ".join(fmt.name for fmt in input_formats())
    raise InputError(f"input format {name!r} not supported (expected: {expected})")


def rdf_extensions() -> tuple[str, ...]:
    """The extensions of RDF files, sorted: jsonld, n3, nq, nt, owl, rdf, trig, ttl, ..."""
    return tuple(sorted(e for fmt in input_formats() for e in fmt.extensions))


def extension(path: Path) -> str:
    return path.suffix.lstrip(".").lower()


def by_extension(path: Path) -> InputFormat | None:
    """The format a file's extension names, or None (JSON, or not an RDF file)."""
    suffix = extension(path)
    for fmt in input_formats():
        if suffix in fmt.extensions:
            return fmt
    return None


def sniffed(fmt: InputFormat, data: bytes) -> InputFormat:
    """`fmt`, or Turtle for a file of an RDF/XML extension that does not start like XML."""
    if not fmt.sniffed:
        return fmt
    head = data[:_SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf")
    return fmt if _XML_START.match(head) else input_format("turtle")


def skip_reason(path: Path) -> str | None:
    """Why a file found in a folder is not validated, or None when it is (RDF or JSON).

    Reads the start of `.xml` files only, which are RDF when they mention the RDF namespace.
    """
    suffix = extension(path)
    if suffix == JSON_EXTENSION:
        return None
    if suffix in _GENERIC_EXTENSIONS:
        try:
            with path.open("rb") as file:
                head = file.read(_SNIFF_BYTES)
        except OSError:
            return None  # validated, so that reading it fails with its reason
        return None if RDF_NAMESPACE in head else "XML, not RDF/XML (no RDF namespace)"
    if by_extension(path) is not None:
        return None
    return f"not an RDF file (extension .{suffix})" if suffix else "not an RDF file (no extension)"
