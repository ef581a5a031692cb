"""Sentences and words of an article body, with their character offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.extract import lexicon
from kg.model import Span

# A sentence ends at . ! ? (and a closing quote after them) followed by space and a capital,
# a digit or an opening quote; paragraph breaks always end one.


def _latin(predicate: str) -> str:
    """A regex character class body of the Latin-script letters for which `predicate` holds."""
    chars = (chr(c) for c in range(0x41, 0x250))
    return "".join(c for c in chars if getattr(c, predicate)() and c.isalpha())


# Names are written in any Latin script ("Müller", "Michał", "Antônio"), in NFC or NFD: a
# combining mark continues the letter before it.
UPPER = _latin("isupper")
LETTER = _latin("isalpha") + "\u0300-\u036f"
_SENTENCE_END = re.compile(rf"""[.!?]+["'”’)]*(?=\s+["'“‘(]?[{UPPER}0-9])""")

_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.")

_WORD = re.compile(rf"[{LETTER}0-9](?:[{LETTER}0-9'’.,\-]*[{LETTER}0-9])?")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str
    paragraph: int

    def span(self) -> Span:
        return Span(self.start, self.end, self.text)


@dataclass(frozen=True)
class Word:
    start: int
    end: int
    text: str

    @property
    def capitalized(self) -> bool:
        return self.text[:1].isupper()


def sentences(text: str, paragraphs: list[Span]) -> list[Sentence]:
    """Split each paragraph into sentences, keeping offsets into `text`."""
    found: list[Sentence] = []
    for index, paragraph in enumerate(paragraphs):
        begin = 0
        body = paragraph.text
        for match in _SENTENCE_END.finditer(body):
            if _ends_in_abbreviation(body, match.start()):
                continue
            found.extend(_sentence(text, paragraph.start, begin, match.end(), index))
            begin = match.end()
        found.extend(_sentence(text, paragraph.start, begin, len(body), index))
    return found


def _ends_in_abbreviation(body: str, dot: int) -> bool:
    if body[dot] != ".":
        return False
    token = _token_before(body, dot).lower()
    if not token:
        return False
    return token in lexicon.words("abbreviations.txt") or (len(token) == 1 and token.isalpha())


def _token_before(body: str, dot: int) -> str:
    """The letters and dots that end at `dot` and start a word ("U.S" in "the U.S."), or ''.

    Walks back over that run only: searching `body[:dot]` for it at every full stop made
    splitting a long paragraph quadratic (minutes for a 400 KB one-line article).
    """
    start = dot
    while start > 0 and body[start - 1] in _TOKEN_CHARS:
        start -= 1
    run = body[start:dot]
    if start == 0 or not _is_word_char(body[start - 1]):
        return run
    # Glued to a word before it ("3a.Mr"): the word starts after the run's first dot.
    _, dot_found, rest = run.partition(".")
    return rest if dot_found else ""


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # what \w matches


def _sentence(text: str, base: int, begin: int, end: int, paragraph: int) -> list[Sentence]:
    chunk = text[base + begin : base + end]
    stripped_start = len(chunk) - len(chunk.lstrip())
    start, stop = base + begin + stripped_start, base + begin + len(chunk.rstrip())
    if start >= stop:
        return []
    return [Sentence(start, stop, text[start:stop], paragraph)]


def words(text: str, start: int = 0, end: int | None = None) -> list[Word]:
    """Word tokens of `text[start:end]` (letters/digits, keeping inner ' - . ,), with offsets."""
    end = len(text) if end is None else end
    return [Word(m.start(), m.end(), m.group()) for m in _WORD.finditer(text, start, end)]
