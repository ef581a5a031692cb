"""Extraction: an `Article` in, a `Record` out — offline and deterministic.

Two extractors share one record model:

* ``statistical`` (the default): a trained spaCy pipeline (``en_core_web_sm``, installed as a
  package, never downloaded at run time) gives tokens, sentences, named entities and a
  dependency parse; kg's rules and data tables type, filter and complete what it finds.
* ``rules``: kg's rules and data tables alone — no model, a few milliseconds per article.

record = extract_record(read_article("examples/xiongan-innovation.txt"))
record = extract_record(article, extractor="rules")
docs = parse_texts([article.text for article in articles])  # one batch through the model
records = [extract_record(article, doc=doc) for article, doc in zip(articles, docs)]
"""

from __future__ import annotations

from kg.extract.assemble import extract_record
from kg.extract.pipeline import (
    DEFAULT_EXTRACTOR,
    EXTRACTORS,
    ExtractorInfo,
    extractor_info,
    parse_texts,
)

__all__ = [
    "DEFAULT_EXTRACTOR",
    "EXTRACTORS",
    "ExtractorInfo",
    "extract_record",
    "extractor_info",
    "parse_texts",
]
