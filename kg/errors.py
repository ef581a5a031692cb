"""The errors kg raises, all under one root so callers can catch `KgError`.

    KgError
    ├── InputError          an article, record or RDF file kg cannot read (exit code 2)
    │   ├── QueryError      a SPARQL query the store or endpoint cannot parse (exit code 2)
    │   └── BrokenShapes    shapes, a schema or an ontology `kg validate` cannot use: unreadable,
    │                       not SHACL, or SPARQL that would fetch (exit code 2)
    ├── RecordError         a record that breaks `shapes/record.schema.json` (exit code 2)
    ├── OutputError         an output location kg cannot write (exit code 2)
    ├── MappingError        a record that cannot become RDF (exit code 3)
    ├── ShapesError         shapes pySHACL cannot use, or a validator failure (exit code 3)
    ├── StoreError          a store or endpoint that cannot be read or written (exit code 3)
    │   └── EndpointUnavailable  an endpoint that cannot be reached or refuses kg (stops a load)
    ├── ClusterError        a Dask cluster that cannot be reached or fails (exit code 3)
    ├── ExtractionError     an unknown extractor, or the statistical one without its model
    │                       (exit code 2)
    └── ValidationFailure   data that does not conform to the shapes (exit code 1)

Messages read `<where>: <what> (<what is allowed>)`, on one line.
"""

from __future__ import annotations


class KgError(Exception):
    """Root of every error kg raises on purpose."""

    exit_code = 3


class InputError(KgError):
    exit_code = 2


class RecordError(InputError):
    pass


class QueryError(InputError):
    """A SPARQL query that does not parse; the message carries the parser's."""


class BrokenShapes(InputError):
    """Shapes, a JSON Schema or an ontology given to `kg validate` that cannot be used."""


class OutputError(KgError):
    exit_code = 2


class MappingError(KgError):
    exit_code = 3


class ShapesError(KgError):
    """pySHACL could not run: the shapes are broken or the validator failed."""

    exit_code = 3


class StoreError(KgError):
    """The embedded store or a SPARQL endpoint refused, failed or could not be reached."""

    exit_code = 3


class EndpointUnavailable(StoreError):
    """Nothing more can be sent: refused or timed-out connections, 401/403, a redirect, a 404."""


class ClusterError(KgError):
    """The Dask scheduler of `kg build --dask` could not be reached, or its cluster failed."""

    exit_code = 3


class ExtractionError(KgError):
    """An extractor kg does not have, or the statistical extractor's model not installed."""

    exit_code = 2


class ValidationFailure(KgError):
    exit_code = 1
