"""Synthetic articles for the benchmarks: many distinct articles made from a few real ones.

    >>> sources = source_articles()                      # ../shared/articles, else examples/
    >>> records = [kg.extract_file(path) for path in sources]
    >>> copy_of(records[0], 7).article.url               # another URL: another article IRI
    'https://bench.example.org/copy/7/https://...'
    >>> text = variant_text(sources[0].read_text("utf-8"), 7, names=...)

`copy_of` changes only a record's URL (so its article IRI and named graph), for benchmarks that
measure what comes after extraction. `variant_text` makes a new article file from a source: its
people renamed, its amounts changed, its middle paragraphs reordered and its URL its own, so the
extractor sees text it has not seen and every stage gets a different graph.
"""

from __future__ import annotations

import dataclasses
import random
import re
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from kg.api import extract_file
from kg.mapping import map_record
from kg.model import Record
from kg.serialize import Format, serialize_graph

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "articles"

GIVEN = (
    "Alan", "Maria", "Chen", "Liu", "Sofia", "James", "Amara", "Yusuf", "Ingrid", "Pedro",
    "Hana", "Omar", "Clara", "Wei", "Ravi", "Elena", "Tomas", "Aiko", "Kofi", "Lena",
)  # fmt: skip
FAMILY = (
    "Pryce", "Okafor", "Lindqvist", "Moreau", "Haddad", "Novak", "Tanaka", "Ferreira", "Kowalski",
    "Mensah", "Castillo", "Bergman", "Dubois", "Ivanova", "Kimura", "Osei", "Santos", "Varga",
)  # fmt: skip

# An amount: a number beside a currency sign, a per cent sign or a scale word. Dates, years and
# counts of days are left alone, so every variant still has valid dates.
_AMOUNT = re.compile(
    r"(?<=[£$€¥])[0-9]+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?(?=\s?(?:%|per ?cent|bn\b|m\b|"
    r"million|billion|trillion|yuan))"
)
_URL_LINE = re.compile(r"^(网址[ \t]*[:：][ \t]*)(\S+)", re.MULTILINE)


def source_articles() -> list[Path]:
    """The articles the benchmarks vary: the shared articles, or kg's examples without them."""
    return sorted((SHARED if SHARED.is_dir() else ROOT / "examples").glob("*.txt"))


def copy_of(record: Record, n: int) -> Record:
    """The record as another article: a new URL gives a new article IRI and named graph."""
    url = f"https://bench.example.org/copy/{n}/{record.article.url or 'article'}"
    return dataclasses.replace(record, article=dataclasses.replace(record.article, url=url))


def variant_text(text: str, n: int, names: Sequence[str]) -> str:
    """Article file text `n` made from `text`: the people `names` renamed (full names and
    family names), amounts changed, middle paragraphs reordered, and a URL of its own."""
    rng = random.Random(n)
    for name in sorted(names, key=len, reverse=True):
        parts = name.split()
        new_given, new_family = rng.choice(GIVEN), rng.choice(FAMILY)
        text = text.replace(name, f"{new_given} {new_family}")
        if len(parts) > 1 and len(parts[-1]) > 3:
            text = re.sub(rf"\b{re.escape(parts[-1])}\b", new_family, text)
    text = _AMOUNT.sub(lambda m: _vary_amount(m.group(0), rng), text)
    text = _URL_LINE.sub(lambda m: m.group(1) + _own_url(m.group(2), n), text, count=1)
    return _reorder(text, rng)


def _vary_amount(number: str, rng: random.Random) -> str:
    whole, dot, fraction = number.partition(".")
    changed = max(1, int(whole) + rng.randint(-int(whole) // 3, int(whole) // 3 + 3))
    return f"{changed}{dot}{fraction}"


def _own_url(url: str, n: int) -> str:
    # The same host (it names the publisher) and path (it may hold the date), under a prefix.
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/bench/{n}{parts.path}", parts.query, ""))


def _reorder(text: str, rng: random.Random) -> str:
    """Shuffle the body paragraphs between the lead (the first two) and the last one."""
    blocks = text.split("\n\n")
    # Header lines, title, lead ... ; images (图片列表) stay at the end.
    tail = [b for b in blocks if b.lstrip().startswith("图片列表")]
    body = [b for b in blocks if b not in tail]
    head, middle, last = body[:3], body[3:-1], body[-1:]
    rng.shuffle(middle)
    return "\n\n".join(head + middle + last + tail)


def write_articles(count: int, folder: Path, fmt: Format) -> list[Path]:
    """`count` files in `fmt`, copies of the source articles with distinct URLs."""
    started = time.monotonic()
    sources = source_articles()
    records = [extract_file(path) for path in sources]
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(count):
        record = copy_of(records[i % len(records)], i)
        path = folder / f"{i:04d}-{sources[i % len(sources)].stem}.{fmt.extension}"
        path.write_bytes(serialize_graph(map_record(record), fmt))
        files.append(path)
    seconds = time.monotonic() - started
    print(f"{count} articles from {len(sources)} sources written in {seconds:.1f} s", flush=True)
    return files
