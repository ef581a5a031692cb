"""The statistical extractor: the model's names, checked and completed by kg's rules and tables.

Every name here is made up or general; none comes from the shared dev articles.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.errors import ExtractionError
from kg.extract import EXTRACTORS, extract_record, extractor_info, parse_texts
from kg.extract.pipeline import parse
from kg.ingest import parse_article
from kg.model import Record


def extract(body: str, extractor: str = "statistical") -> Record:
    text = f"标题: A test story\n网址: https://example.com/story\n\n{body}\n"
    return extract_record(parse_article(text, published="2024-06-01"), extractor=extractor)


@pytest.mark.parametrize("extractor", EXTRACTORS)
def test_latin_script_name_post_and_organization(extractor: str) -> None:
    record = extract(
        "José Müller, chief executive of Crédit Suisse Group, said profits rose.", extractor
    )
    assert [p.name for p in record.people] == ["José Müller"]
    assert [o.name for o in record.organizations] == ["Crédit Suisse Group"]
    assert [(p.person, p.role, p.organization) for p in record.posts] == [
        ("jose-muller", "ceo", "credit-suisse-group")
    ]
    assert not record.places  # no "Jos" from a name cut at its first accent


@pytest.mark.parametrize("extractor", EXTRACTORS)
def test_nfc_and_nfd_spellings_are_one_person(extractor: str) -> None:
    nfd = unicodedata.normalize("NFD", "Müller")
    body = f"Analyst Anna Müller said sales rose. Later, {nfd} said costs fell."
    record = extract(body, extractor)
    people = [p for p in record.people if "ller" in p.name]
    assert len(people) == 1
    assert len(people[0].mentions) == 2
    # Offsets index the text as written: the NFD mention keeps its combining mark.
    assert people[0].mentions[1].text == nfd


def test_unknown_company_named_by_its_use() -> None:
    record = extract(
        "Shares in Norvatek fell 3% on Monday. Norvatek chief Ingrid Halvorsen said "
        "the company would cut costs. Norvatek employs 2,000 people."
    )
    assert "Norvatek" in [o.name for o in record.organizations]
    assert "Norvatek" not in [p.name for p in record.places]
    assert ("ingrid-halvorsen", "chief", "norvatek") in {
        (p.person, p.role, p.organization) for p in record.posts
    }


def test_dateline_in_capitals_is_the_city() -> None:
    record = extract("OSLO, March 3 (NTB) -- The government said exports rose 4%.")
    assert "Oslo" in [p.name for p in record.places]


def test_national_office_before_a_name_serves_the_country_named() -> None:
    record = extract(
        "Kenya raised taxes on Monday. President Amara Wanjiku said Kenya would repay its debt."
    )
    assert ("amara-wanjiku", "president", "kenya") in {
        (p.person, p.role, p.organization) for p in record.posts
    }


def test_provenance_names_the_model() -> None:
    info = extractor_info("statistical")
    assert (info.name, info.model) == ("statistical", "en_core_web_sm")
    assert info.model_version and info.model_version.startswith("3.8")
    assert extractor_info("rules").model is None


def test_unknown_extractor_is_refused() -> None:
    with pytest.raises(ExtractionError, match="unknown extractor 'neural'"):
        extract("Some text.", "neural")


# --- many articles through the model in one batch -------------------------------------------------

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "xiongan-innovation.txt"
SENTENCES = (
    "Anna Berg, chief executive of Norvatek, said sales in Bergen rose 12%.",
    "Mr Halvorsen flew to Nairobi on Tuesday.",
    "The Ministry of Finance in Oslo published the figures.",
    "Shares in Acme Holdings fell after Lena Ostrova resigned.",
    "nothing here is a name at all",
    "",
)


def entities(doc: object) -> list[tuple[int, int, str]]:
    return [(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]  # type: ignore[attr-defined]


def test_a_batch_finds_what_one_text_at_a_time_finds() -> None:
    texts = [EXAMPLE.read_text("utf-8"), *SENTENCES, " ".join(SENTENCES)]
    batch = [entities(doc) for doc in parse_texts(texts)]
    assert batch == [entities(parse(text)) for text in texts]
    assert any(batch)  # the model found names: the comparison compared something


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.sampled_from(SENTENCES), max_size=6).map(" ".join), max_size=5))
def test_a_batch_of_any_texts_parses_as_each_alone(texts: list[str]) -> None:
    assert [entities(doc) for doc in parse_texts(texts)] == [
        entities(parse(text)) for text in texts
    ]


def test_an_article_extracted_from_a_batch_is_the_article_extracted_alone() -> None:
    articles = [
        parse_article(f"标题: Story {n}\n网址: https://example.com/{n}\n\n{body}\n")
        for n, body in enumerate(SENTENCES[:4])
    ]
    docs = parse_texts([article.text for article in articles])
    records = [
        extract_record(article, doc=doc) for article, doc in zip(articles, docs, strict=True)
    ]
    assert records == [extract_record(article) for article in articles]
    assert [p.name for p in records[0].people] == ["Anna Berg"]
