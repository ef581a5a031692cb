"""pySHACL's own messages for SHACL findings, whichever engine found them (`pyshacl_message`).

pyshacl-turbo (`kg.turbo`) words its own messages where a shape has no `sh:message`; those are
rewritten here by pySHACL's own message code, so a report reads the same whichever engine wrote
it. Both engines' messages for sh:in and sh:hasValue are written here too, their values in the
shape's order rather than pySHACL's hash order (which changed between runs), with kg's own
classes: pySHACL's module tables are never touched.

A module of its own, imported by `kg.validate` for the first finding: its classes subclass
pySHACL's, and importing pySHACL (with rdflib's SPARQL engine) takes over a tenth of a second
that a process with nothing to report need not spend.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from pyshacl.constraints import CONSTRAINT_PARAMETERS_MAP
from pyshacl.constraints.core.other_constraints import (
    HasValueConstraintComponent,
    InConstraintComponent,
)
from pyshacl.shapes_graph import ShapesGraph
from rdflib import Graph, Literal
from rdflib.namespace import SH
from rdflib.term import Node


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


@cache
def _core_components() -> dict[Node, Any]:
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
    found = _pyshacl_shapes_of.get(shapes)
    if found is None:
        found = _pyshacl_shapes_of[shapes] = ShapesGraph(shapes)
        found.shapes  # noqa: B018 (builds the lookup table of every shape, as pySHACL does)
    return found
