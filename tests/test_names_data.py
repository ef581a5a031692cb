"""kg/data/given_names_world.txt (tools/make_names.py) and lexicon.is_given_name."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from kg.extract import lexicon

TABLE = Path(lexicon.__file__).resolve().parents[1] / "data" / "given_names_world.txt"

# People's given names from Europe, the Americas, Africa, South and East Asia, as news writes them.
GIVEN_NAMES = (
    "James",
    "Mervyn",
    "Jean-Pierre",
    "Yolande",
    "Alain",
    "Amit",
    "Michał",
    "Eloísa",
    "Antônio",
    "Luiz",
    "Nana",
    "Ken",
    "Natarajan",
    "Ratan",
    "Cyrus",
    "Teresa",
    "Guido",
    "Kwasi",
    "Olaf",
    "Ursula",
    "Sergei",
    "Alexei",
    "Adam",
    "Hugo",
    "Nestor",
    "Cathy",
    "Charles",
    "Simon",
    "Alan",
    "Kevin",
    "Ernest",
)
# Words of company and place names that a statistical model has taken for a person's name.
NOT_NAMES = (
    "Petrobras",
    "Enarsa",
    "Illva",
    "Saronno",
    "Anheuser",
    "Busch",
    "Gazprom",
    "Rosneft",
    "Yukos",
    "Lukoil",
    "Koram",
    "Standard",
    "Chartered",
    "Sons",
    "Labour",
)
# Company and place words that are given names as well, in three or more of the source's
# registries: the table cannot tell these apart, the context must.
ALSO_GIVEN_NAMES = ("Tata", "Oxford", "London", "Berlin", "Apple", "Dell", "Sony")


@pytest.mark.parametrize("name", GIVEN_NAMES)
def test_a_given_name_of_the_world_is_found(name: str) -> None:
    assert lexicon.is_given_name(name)


@pytest.mark.parametrize("word", NOT_NAMES)
def test_a_company_word_is_not_a_given_name(word: str) -> None:
    assert not lexicon.is_given_name(word)


@pytest.mark.parametrize("word", ALSO_GIVEN_NAMES)
def test_company_words_that_are_also_given_names_are_found(word: str) -> None:
    assert lexicon.is_given_name(word)


@pytest.mark.parametrize(
    "written",
    [
        unicodedata.normalize("NFD", "Eloísa"),  # decomposed, as some pages send it
        "Eloisa",  # without its accent, as English-language news often writes it
        "Michal",
        "Antonio",
        "Jean Pierre",  # a double name with a space
        "jean-pierre",
        "JEAN-PIERRE",  # a headline in capitals
        "Micheál",
        "D\u2019Andre",  # a typographic apostrophe
    ],
)
def test_accents_case_and_separators_are_folded(written: str) -> None:
    assert lexicon.is_given_name(written)


@pytest.mark.parametrize("word", ["", " ", "#", "-", "Coca-Cola", "Mervyn Davies"])
def test_only_whole_names_are_found(word: str) -> None:
    # Both halves of "Coca-Cola" are recorded as given names; the compound is not one.
    assert not lexicon.is_given_name(word)


def test_the_organization_and_function_words_of_kg_are_not_given_names() -> None:
    words = lexicon.words("org_suffixes.txt") | lexicon.words("function_words.txt")
    assert [word for word in sorted(words) if lexicon.is_given_name(word)] == []


def test_the_curated_given_names_are_in_the_table() -> None:
    curated = lexicon.words("given_names.txt")
    assert [name for name in sorted(curated) if not lexicon.is_given_name(name)] == []


def test_the_table_is_sorted_ascii_and_small() -> None:
    # is_given_name bisects the table, so its order is the lookup's correctness.
    names = lexicon.given_names_world()
    assert len(names) > 100_000
    assert list(names) == sorted(set(names))
    assert all(name.isascii() and name == name.strip() and name[0] != "#" for name in names)
    assert TABLE.stat().st_size < 3_000_000


def test_the_table_says_where_it_comes_from() -> None:
    header = TABLE.read_text(encoding="utf-8").split("\n", 30)[:30]
    assert any("tools/make_names.py" in line and "nomquamgender 0.1.4" in line for line in header)
    assert "# Copyright (c) 2022 Ian Van Buskirk" in header
