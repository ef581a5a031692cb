"""The fast SHACL engine, kg's default: pyshacl-turbo (Rust), reporting what pySHACL reports.

pySHACL stays kg's reference engine. pyshacl-turbo finds the same results (the differential
test in tests/test_turbo.py checks every field of every finding on the shared articles and the
broken-graph fixtures) about ten times sooner, but words its own messages where a shape has no
`sh:message`; `kg.validate` rewrites those with pySHACL's own message code (`kg.messages`), so a
report reads the same whichever engine wrote it.

pyshacl-turbo is a dependency of kg; where it cannot be imported (a platform without its wheel),
kg validates with pySHACL and says so once (`available`).
"""

from __future__ import annotations

import logging
import weakref
from functools import cache
from typing import Any

from rdflib import Graph

from kg.errors import ShapesError

_compiled: weakref.WeakKeyDictionary[Graph, Any] = weakref.WeakKeyDictionary()


@cache
def available() -> bool:
    """Whether pyshacl-turbo imports here; if not, one line on kg's logger (stderr when the
    caller configured no logging), once per process."""
    try:
        import pyshacl_turbo  # noqa: F401
    except ImportError as exc:
        logging.getLogger("kg").warning(
            "kg: the turbo SHACL engine is not available (%s); validating with pySHACL, "
            "the same findings, slower",
            exc,
        )
        return False
    return True


def validate(graph: Graph, shapes: Graph, where: str) -> tuple[bool, Graph]:
    """(conforms, report graph) from pyshacl-turbo, warnings allowed, no inference."""
    compiled = _compile(shapes, where)
    try:
        conforms, results, _ = compiled.validate(graph, allow_warnings=True)
    except Exception as exc:  # pyshacl-turbo raises RuntimeErrors of its own
        raise ShapesError(f"{where}: pyshacl-turbo could not validate ({exc})") from exc
    if not isinstance(results, Graph):
        raise ShapesError(f"{where}: pyshacl-turbo returned no report graph ({results!r})")
    return bool(conforms), results


def _compile(shapes: Graph, where: str) -> Any:
    compiled = _compiled.get(shapes)
    if compiled is None:
        try:
            import pyshacl_turbo
        except ImportError as exc:
            raise ShapesError(
                f"the turbo SHACL engine cannot be imported ({exc}): reinstall kg-news, "
                "or use --shacl-engine pyshacl"
            ) from exc
        try:
            compiled = pyshacl_turbo.compile_shapes(shapes)
        except Exception as exc:
            raise ShapesError(f"{where}: pyshacl-turbo cannot read the shapes ({exc})") from exc
        _compiled[shapes] = compiled
    return compiled
