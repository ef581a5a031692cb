"""Data tables shipped with kg (title words, suffixes, gazetteer, units, publishers).

Each table is a UTF-8 TSV file in this folder: `#` starts a comment line, the first column is
the key, the other columns are values. Tables are read once per process.

Large tables are packed (`gazetteer.tsv.gz`, written by tools/make_gazetteer.py): gzip
members, the first holding comments and the block index, each other one a block of a section's
lines. A lookup decompresses the one block it needs, so opening the table costs next to nothing.
"""

from __future__ import annotations

import gzip
import zlib
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cache
from importlib import resources


@cache
def read_lines(name: str) -> tuple[str, ...]:
    """The non-comment, non-blank lines of a data file."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return tuple(
        line.rstrip("\n")
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


@cache
def read_table(name: str) -> dict[str, tuple[str, ...]]:
    """A TSV table as {first column: other columns}."""
    table: dict[str, tuple[str, ...]] = {}
    for line in read_lines(name):
        key, *values = line.split("\t")
        table[key.strip()] = tuple(v.strip() for v in values)
    return table


@cache
def read_words(name: str) -> frozenset[str]:
    """A one-column word list."""
    return frozenset(line.split("\t")[0].strip() for line in read_lines(name))


@dataclass(frozen=True)
class _Block:
    first: str  # the number of its first line (a numbered section) or its first key (sorted)
    start: int  # its gzip member's offset in the file
    end: int


@cache
def _packed(name: str) -> tuple[bytes, dict[str, tuple[_Block, ...]]]:
    """A packed file's bytes and its blocks by section, from the index in its first member."""
    raw = resources.files(__package__).joinpath(name).read_bytes()
    head = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # one gzip member, the rest unused
    index = head.decompress(raw).decode("utf-8")
    offset = len(raw) - len(head.unused_data)
    sections: dict[str, list[_Block]] = {}
    for line in index.splitlines():
        if line.startswith("#block\t"):
            _, section, first, size = line.split("\t")
            sections.setdefault(section, []).append(_Block(first, offset, offset + int(size)))
            offset += int(size)
    return raw, {section: tuple(blocks) for section, blocks in sections.items()}


@cache
def _packed_lines(name: str, start: int, end: int) -> tuple[str, ...]:
    text = gzip.decompress(_packed(name)[0][start:end]).decode("utf-8")
    return tuple(text.rstrip("\n").split("\n"))


def packed_row(name: str, section: str, number: int) -> tuple[str, ...]:
    """Line `number` (from 0) of a numbered section of a packed file, split at tabs."""
    blocks = _packed(name)[1][section]
    block = blocks[bisect_right(blocks, number, key=lambda b: int(b.first)) - 1]
    return tuple(_packed_lines(name, block.start, block.end)[number - int(block.first)].split("\t"))


def packed_lookup(name: str, section: str, key: str) -> tuple[str, ...] | None:
    """The other columns of the line whose first column is `key`, in a sorted section of a
    packed file (lines sorted by code point), or None."""
    blocks = _packed(name)[1][section]
    i = bisect_right(blocks, key, key=lambda b: b.first) - 1
    if i < 0:
        return None
    lines = _packed_lines(name, blocks[i].start, blocks[i].end)
    # A tab sorts before every character of a key, so the line of `key` is the first line at
    # or after `key + "\t"`.
    prefix = key + "\t"
    j = bisect_left(lines, prefix)
    if j < len(lines) and lines[j].startswith(prefix):
        return tuple(lines[j][len(prefix) :].split("\t"))
    return None
