"""kg/data/given_names_world.txt (tools/make_names.py) and lexicon.is_given_name."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from kg.extract import lexicon

TABLE = Path(lexicon.__file__).resolve().parents[1] / "data" / "given_names_world.txt"

# People's given names of many languages and regions, as news writes them.
GIVEN_NAMES = (
    "Robert",
    "Gareth",
    "Jean-Claude",
    "Ghislaine",
    "Thierry",
    "Rajesh",
    "Małgorzata",
    "Joaquín",
    "João",
    "Thiago",
    "Kwame",
    "Hiroshi",
    "Subramanian",
    "Priya",
    "Jamshed",
    "Francesca",
    "Giuseppe",
    "Kwasi",
    "Helmut",
    "Anneliese",
    "Dmitri",
    "Yevgeny",
    "Matthew",
    "Esteban",
    "Raúl",
    "Deborah",
    "Edward",
    "Nigel",
    "Trevor",
    "Brendan",
    "Harold",
    "Olusegun",
    "Thandiwe",
    "Björn",
)
# Words of company and place names that a statistical model may take for a person's name.
NOT_NAMES = (
    "Petronas",
    "Ecopetrol",
    "Campari",
    "Chiavenna",
    "Molson",
    "Coors",
    "Novatek",
    "Transneft",
    "Surgutneftegas",
    "Tatneft",
    "Kookmin",
    "Deutsche",
    "Barclays",
    "Brothers",
    "Likud",
)
# Company and place words that are given names as well, in three or more of the source's
# registries: the table cannot tell these apart, the context must.
ALSO_GIVEN_NAMES = ("Toyota", "Chelsea", "Sydney", "Florence", "Chanel", "Honda", "Kia")


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
        unicodedata.normalize("NFD", "Joaquín"),  # decomposed, as some pages send it
        "Joaquin",  # without its accent, as English-language news often writes it
        "Malgorzata",
        "Joao",
        "Jean Claude",  # a double name with a space
        "jean-claude",
        "JEAN-CLAUDE",  # a headline in capitals
        "Micheál",
        "D\u2019Andre",  # a typographic apostrophe
    ],
)
def test_accents_case_and_separators_are_folded(written: str) -> None:
    assert lexicon.is_given_name(written)


@pytest.mark.parametrize("word", ["", " ", "#", "-", "Coca-Cola", "Olusegun Obasanjo"])
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
