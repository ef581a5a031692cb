"""The statistical layer: the trained model's named entities, checked by kg's rules and tables.

The model finds names the rules have no pattern or list for ("Gazprom", "Cowley", "Amit
Yoran"); the rules keep what they recognise with certainty (organization head words, the
gazetteer, Chinese names) and filter the model's usual errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kg.extract.names import Entities, Mention

if TYPE_CHECKING:
    from spacy.tokens import Doc

_TYPES = {"PERSON": "person", "ORG": "organization", "GPE": "place", "LOC": "place"}


def add_model_entities(text: str, doc: Doc, found: Entities) -> Entities:
    """The rules' entities, with the model's names that no rule mention overlaps."""
    for ent in doc.ents:
        type_ = _TYPES.get(ent.label_)
        if type_ is None:
            continue
        name = ent.text
        if name.lower().startswith("the "):
            name = name[4:]
        start = ent.end_char - len(name)
        found.add(Mention(start, ent.end_char, name, type_, name))
    return found
