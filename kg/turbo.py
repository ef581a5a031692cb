"""The fast SHACL engine, kg's default: pyshacl-turbo (Rust), reporting what pySHACL reports.

pySHACL stays kg's reference engine. pyshacl-turbo finds the same results (the differential
test in tests/test_turbo.py checks every field of every finding on the shared articles and the
broken-graph fixtures) about ten times sooner, but words its own messages where a shape has no
`sh:message`; those are rewritten here by pySHACL's own message code, so a report reads the same
whichever engine wrote it. Both engines' messages for sh:in and sh:hasValue are written here
too, their values in the shape's order rather than pySHACL's hash order (which changed between
runs), with kg's own classes: pySHACL's module tables are never touched.

pyshacl-turbo is a dependency of kg; where it cannot be imported (a platform without its wheel),
kg validates with pySHACL and says so once (`available`).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from pyshacl.constraints.core.other_constraints import (
    HasValueConstraintComponent,
    InConstraintComponent,
)
from rdflib import Graph, Literal
from rdflib.namespace import SH
from rdflib.term import Node

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


def pyshacl_message(
    shapes: Graph, source_shape: Node, component: Node, data: Graph, focus: Node, value: Node | None
) -> str | None:
    """pySHACL's own message for a result of a core constraint of a shape without `sh:message`;
    None where pySHACL would use the shape's or the SPARQL constraint's message (the engines
    agree on those)."""
    if (source_shape, SH.message, None) in shapes:
        return None
    component_class = _core_components().get(component)
    if component_class is None:
        return None
    shape = _pyshacl_shapes(shapes).lookup_shape_from_node(source_shape)
    messages: list[Literal] = component_class(shape).make_generic_messages(data, focus, value)
    return str(messages[0]) if messages else None


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


@cache
def _core_components() -> dict[Node, Any]:
    from pyshacl.constraints import CONSTRAINT_PARAMETERS_MAP

    classes = CONSTRAINT_PARAMETERS_MAP.values()
    # A SPARQL constraint's results carry its own sh:message, in both engines alike.
    found: dict[Node, Any] = {
        c.shacl_constraint_component: c
        for c in classes
        if c.shacl_constraint_component != SH.SPARQLConstraintComponent
    }
    # kg's own table, never pySHACL's map: a caller's pySHACL keeps its classes.
    return found | {
        SH.InConstraintComponent: _InListOrder,
        SH.HasValueConstraintComponent: _HasValueSorted,
    }


# --- pySHACL's messages, their values in a fixed order -----------------------------------------


class _OrderedValues(set[Any]):
    """A set (for `in`) that iterates in the order it was given, not in hash order."""

    def __init__(self, items: Iterable[Any]) -> None:
        self._order = list(dict.fromkeys(items))
        super().__init__(self._order)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._order)


class _InListOrder(InConstraintComponent):  # type: ignore[misc]
    """sh:in, its message listing the values in the order of the shape's list.

    pySHACL keeps them in a set, and messages list them in hash order, which changes from run
    to run (PYTHONHASHSEED), so two reports on the same data differed.
    """

    def __init__(self, shape: Any) -> None:
        super().__init__(shape)
        self.in_vals = _OrderedValues(shape.sg.graph.items(self.in_list))


class _HasValueSorted(HasValueConstraintComponent):  # type: ignore[misc]
    """sh:hasValue, its message listing several values sorted, for the same reason."""

    def __init__(self, shape: Any) -> None:
        super().__init__(shape)
        self.has_value_set = _OrderedValues(sorted(self.has_value_set))


_pyshacl_shapes_of: weakref.WeakKeyDictionary[Graph, Any] = weakref.WeakKeyDictionary()


def _pyshacl_shapes(shapes: Graph) -> Any:
    from pyshacl.shapes_graph import ShapesGraph

    found = _pyshacl_shapes_of.get(shapes)
    if found is None:
        found = _pyshacl_shapes_of[shapes] = ShapesGraph(shapes)
        found.shapes  # noqa: B018 (builds the lookup table of every shape, as pySHACL does)
    return found
