"""Data tables shipped with kg (title words, suffixes, gazetteer, units, publishers).

Each table is a UTF-8 TSV file in this folder: `#` starts a comment line, the first column is
the key, the other columns are values. Tables are read once per process.
"""

from __future__ import annotations

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
