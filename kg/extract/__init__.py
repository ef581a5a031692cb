"""Extraction: an `Article` in, a `Record` out — offline, deterministic, rules plus data tables.

record = extract_record(read_article("examples/xiongan-innovation.txt"))
"""

from __future__ import annotations

from kg.extract.assemble import extract_record

__all__ = ["extract_record"]
