"""When a metric holds: dates and periods stated in a sentence, resolved against publication.

"by the end of last year" (published 2025-03-06) -> 2024-12-31; "last year" -> 2024;
"in October" -> the last October before publication; "in 2024" -> 2024; "the three months to
31 December 2004" -> 2004-12-31; "a year earlier" -> the publication year minus one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from kg.extract.text import Sentence
from kg.model import Span

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = (
    r"(?P<month>January|February|March|April|May|June|July|August|September|October|November"
    r"|December)"
)
_PATTERNS = (
    (
        "end_of_relative_year",
        re.compile(r"\b(?:by|at|as of)? ?the end of (?P<rel>last|this) year\b", re.I),
    ),
    ("relative_year", re.compile(r"\b(?P<rel>last|this) year\b", re.I)),
    ("year_earlier", re.compile(r"\ba year (?:earlier|ago|before)\b", re.I)),
    ("day_month_year", re.compile(rf"\b(?P<day>[0-3]?\d) {_MONTH},? (?P<year>(?:19|20)\d\d)\b")),
    ("month_day_year", re.compile(rf"\b{_MONTH} (?P<day>[0-3]?\d),? (?P<year>(?:19|20)\d\d)\b")),
    ("month_year", re.compile(rf"\b{_MONTH},? (?P<year>(?:19|20)\d\d)\b")),
    (
        "part_of_year",
        re.compile(
            r"\b(?:first|second|third|fourth) (?:half|quarter) of (?P<year>(?:19|20)\d\d)\b"
        ),
    ),
    ("month", re.compile(rf"\b[Ii]n {_MONTH}\b")),
    ("year", re.compile(r"\b(?:in|since|by|during|for) (?P<year>(?:19|20)\d\d)\b")),
)


@dataclass(frozen=True)
class FoundPeriod:
    value: str  # ISO: YYYY-MM-DD, YYYY-MM or YYYY
    precision: str  # day | month | year
    span: Span
    baseline: bool = False  # "a year earlier": the time of a comparison, not of the sentence


def find_periods(text: str, sentence: Sentence, published: str | None) -> list[FoundPeriod]:
    """Periods in the sentence, first match first; overlapping weaker matches are dropped."""
    pub = date.fromisoformat(published) if published else None
    found: list[FoundPeriod] = []
    for name, pattern in _PATTERNS:
        for match in pattern.finditer(text, sentence.start, sentence.end):
            if any(p.span.start < match.end() and match.start() < p.span.end for p in found):
                continue
            resolved = _resolve(name, match, pub)
            if resolved is not None:
                value, precision = resolved
                span = Span(match.start(), match.end(), match.group())
                found.append(FoundPeriod(value, precision, span, baseline=name == "year_earlier"))
    return sorted(found, key=lambda p: p.span.start)


def _resolve(name: str, match: re.Match[str], pub: date | None) -> tuple[str, str] | None:
    groups = match.groupdict()
    if "year" in groups and groups["year"]:
        year = int(groups["year"])
        month = MONTHS[groups["month"].lower()] if groups.get("month") else None
        if groups.get("day"):
            try:
                return date(year, month or 1, int(groups["day"])).isoformat(), "day"
            except ValueError:
                return None
        return (f"{year:04d}-{month:02d}", "month") if month else (f"{year:04d}", "year")
    if pub is None:
        return None
    if name == "end_of_relative_year":
        year = pub.year - (1 if groups["rel"].lower() == "last" else 0)
        return f"{year:04d}-12-31", "day"
    if name == "relative_year":
        return f"{pub.year - (1 if groups['rel'].lower() == 'last' else 0):04d}", "year"
    if name == "year_earlier":
        return f"{pub.year - 1:04d}", "year"
    if name == "month":
        month = MONTHS[groups["month"].lower()]
        year = pub.year if month <= pub.month else pub.year - 1
        return f"{year:04d}-{month:02d}", "month"
    return None
