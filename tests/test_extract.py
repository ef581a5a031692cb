"""Extraction: each rule on sentences of its own, spans that match the text, and gold scores."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kg
from kg.evaluate import read_gold, score_record, sum_scores
from kg.extract import extract_record
from kg.ingest import parse_article, read_article
from kg.model import Record

SHARED = Path(__file__).resolve().parents[2] / "shared" / "articles"


def extract(body: str, published: str | None = "2024-06-01") -> Record:
    text = f"标题: A test story\n网址: https://www.chinadaily.com.cn/a/202406/01/x.html\n\n{body}\n"
    # The rules layer on its own: these cases pin its patterns, whatever the model adds.
    return extract_record(parse_article(text, published=published), extractor="rules")


def posts(record: Record) -> set[tuple[str, str, str]]:
    names = {e.key: e.name for e in record.people + record.organizations + record.places}
    return {(names[p.person], p.role, names[p.organization]) for p in record.posts}


def metrics(record: Record) -> set[tuple[Decimal, str, str]]:
    return {(Decimal(m.value), m.unit, m.qualifier) for m in record.metrics}


def quotes(record: Record) -> set[tuple[str, str]]:
    names = {e.key: e.name for e in record.people}
    return {(names[q.speaker], q.text) for q in record.quotes}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "Liu Jianhua, a deputy to the National People's Congress and mayor of Shijiazhuang, "
            "spoke on Monday.",
            {
                ("Liu Jianhua", "deputy", "National People's Congress"),
                ("Liu Jianhua", "mayor", "Shijiazhuang"),
            },
            id="apposition-coordination",
        ),
        pytest.param(
            "Sarah Jones, the company's founder, spoke. Anna Smith, chief executive of Northwind "
            "Holdings, said sales grew.",
            {
                ("Anna Smith", "ceo", "Northwind Holdings"),
                # "the company" is the one company the story names
                ("Sarah Jones", "founder", "Northwind Holdings"),
            },
            id="title-table-ceo-and-the-company-referring-back",
        ),
        pytest.param(
            "Sarah Jones, an economist, said sales grew.",
            set(),
            id="no-post-without-organization",
        ),
        pytest.param(
            "Shanxi governor Jin Xiangjun said the plan works.",
            {("Jin Xiangjun", "governor", "Shanxi")},
            id="title-before-name-place",
        ),
        pytest.param(
            "Economist Paul Smith of Castle Rock Partners said rates would fall.",
            {("Paul Smith", "economist", "Castle Rock Partners")},
            id="title-before-name-of-organization",
        ),
        pytest.param(
            "Zhou Hong, deputy director of Hunan's Finance Department, said so.",
            {("Zhou Hong", "deputy director", "Hunan Finance Department")},
            id="modifier-kept-and-possessive-place",
        ),
    ],
)
def test_posts(body: str, expected: set[tuple[str, str, str]]) -> None:
    assert posts(extract(body)) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "The port handled more than 1,500 ships.",
            {(Decimal(1500), "ship", "more_than")},
            id="count-more-than",
        ),
        pytest.param(
            "The city is about twenty-five kilometres away.",
            {(Decimal(25), "km", "approximately")},
            id="number-words-unit",
        ),
        pytest.param(
            "Exports grew by 7.5 percent.", {(Decimal("7.5"), "percent", "exact")}, id="percent"
        ),
        pytest.param(
            "Investment reached 3.2 billion yuan.",
            {(Decimal(3_200_000_000), "CNY", "exact")},
            id="yuan-billions",
        ),
        pytest.param(
            "Profit was £4.5m, up from $2bn.",
            {(Decimal(4_500_000), "GBP", "exact"), (Decimal(2_000_000_000), "USD", "exact")},
            id="currency-signs",
        ),
        pytest.param(
            "Sales should rise 2% to 4% next year.",
            {(Decimal(2), "percent", "at_least"), (Decimal(4), "percent", "up_to")},
            id="range",
        ),
        pytest.param(
            "The law took effect in 2019 and on 12 March 2020.",
            set(),
            id="years-and-dates-are-not-metrics",
        ),
        pytest.param(
            "The rate goes to 15% from April.",
            {(Decimal(15), "percent", "exact")},
            id="percent-next-to-a-month",
        ),
        pytest.param(
            "The number of new foreign-invested enterprises reached 2,011.",
            {(Decimal(2011), "enterprise", "exact")},
            id="counted-noun-before-the-number",
        ),
        pytest.param(
            "Nearly 40 percent of the workers left.",
            {(Decimal(40), "percent", "approximately")},
            id="nearly-is-approximate",
        ),
    ],
)
def test_metrics(body: str, expected: set[tuple[Decimal, str, str]]) -> None:
    assert metrics(extract(body)) == expected


def test_metric_kinds() -> None:
    record = extract(
        "Hunan province reported results. Grain output rose by 3 percent. Rice accounted for "
        "60 percent of the total harvest. The province has 14 cities."
    )
    kinds = {Decimal(m.value): m.kind for m in record.metrics}
    assert kinds == {Decimal(3): "change", Decimal(60): "share", Decimal(14): "level"}
    assert {m.about for m in record.metrics} == {"hunan"}


def test_period_resolved_against_publication() -> None:
    record = extract(
        "By the end of last year, Anhui province had 300 parks.", published="2025-03-06"
    )
    assert [m.period.value if m.period else None for m in record.metrics] == ["2024-12-31"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "Zhou Hong, deputy director of Hunan's Finance Department, spoke. "
            '"We will act fast," she said.',
            {("Zhou Hong", "We will act fast")},
            id="pronoun-after-quote",
        ),
        pytest.param(
            '"Prices are stable," said Michael Brown, an analyst at Redwood Bank.',
            {("Michael Brown", "Prices are stable")},
            id="said-name-after-quote",
        ),
        pytest.param(
            'Anna Smith described the results as "very strong".',
            {("Anna Smith", "very strong")},
            id="speaker-before-quote",
        ),
        pytest.param(
            'Hunan governor Mao Weiming spoke. "We are ready," said the governor.',
            {("Mao Weiming", "We are ready")},
            id="speaker-by-title",
        ),
        pytest.param('The sign read "No entry".', set(), id="unattributed-is-not-a-quote"),
    ],
)
def test_quotes(body: str, expected: set[tuple[str, str]]) -> None:
    assert quotes(extract(body)) == expected


def test_short_mentions_and_abbreviations_resolve() -> None:
    record = extract(
        "Gao Yan, a deputy to the National People's Congress, spoke. Gao said the NPC will meet."
    )
    (person,) = record.people
    assert person.name == "Gao Yan"
    assert "Gao" in person.aliases and len(person.mentions) == 2
    npc = next(o for o in record.organizations if o.name == "National People's Congress")
    assert "NPC" in npc.aliases


def test_publisher_is_an_organization() -> None:
    assert "China Daily" in {o.name for o in extract("Nothing much happened.").organizations}


def test_every_span_matches_the_text() -> None:
    record = extract_record(
        read_article(Path(__file__).parents[1] / "examples" / "xiongan-innovation.txt")
    )
    text = record.article.text
    spans = [m for e in record.people + record.organizations + record.places for m in e.mentions]
    spans += [p.evidence for p in record.posts] + [q.evidence for q in record.quotes]
    spans += [m.evidence for m in record.metrics] + [
        m.period.span for m in record.metrics if m.period
    ]
    assert spans and all(text[s.start : s.end] == s.text for s in spans)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=300))
def test_any_text_gives_consistent_spans(body: str) -> None:
    if not body.strip():
        return
    record = extract(body.replace("标题", "x").replace("网址", "x"))
    text = record.article.text
    for metric in record.metrics:
        assert text[metric.evidence.start : metric.evidence.end] == metric.evidence.text


def _shared_articles() -> list[str]:
    if not SHARED.is_dir():
        return []
    return sorted(p.name.removesuffix(".gold.json") for p in SHARED.glob("*.gold.json"))


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/articles is absent (only CI has it)")
def test_example_article_scores_at_least_095() -> None:
    record = extract_record(read_article(SHARED / "xiongan-innovation.txt"))
    score = score_record(record, read_gold(SHARED / "xiongan-innovation.gold.json"))
    for category, result in score.scores.items():
        assert result.precision >= 0.95, (category, result)
        assert result.recall >= 0.95, (category, result)


# Pooled F1 on the 33 shared articles, measured on 2026-12-04 less a margin of 0.03: a change
# that loses ground in any category fails here (docs/extraction.md has the numbers).
_FLOORS = {
    "statistical": {
        "people": 0.87, "posts": 0.52, "organizations": 0.69, "places": 0.86, "metrics": 0.86,
        "quotes": 0.78,
    },
    "rules": {
        "people": 0.71, "posts": 0.46, "organizations": 0.50, "places": 0.80, "metrics": 0.86,
        "quotes": 0.70,
    },
}  # fmt: skip


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/articles is absent (only CI has it)")
@pytest.mark.parametrize("extractor", sorted(_FLOORS))
def test_shared_articles_pooled_f1_floors(extractor: str) -> None:
    scores = [
        score_record(
            extract_record(read_article(SHARED / f"{stem}.txt"), extractor=extractor),
            read_gold(SHARED / f"{stem}.gold.json"),
        )
        for stem in _shared_articles()
    ]
    pooled = sum_scores(scores)
    for category, floor in _FLOORS[extractor].items():
        assert pooled.scores[category].f1 >= floor, (category, pooled.scores[category])


def test_quote_split_by_its_attribution_is_one_quote() -> None:
    record = extract('Premier Li Qiang spoke. "Firms matter," Li said, "and we will help them."')
    assert quotes(record) == {("Li Qiang", "Firms matter, and we will help them.")}


@pytest.mark.parametrize(
    ("body", "person", "organization"),
    [
        pytest.param(
            "ECB President Christine Lagarde spoke in Frankfurt.",
            "Christine Lagarde",
            "European Central Bank",
            id="capitalized-title-inside-a-name",
        ),
        pytest.param(
            "Vaibhav Taneja, Northwind Inc's chief financial officer, said costs rose.",
            "Vaibhav Taneja",
            "Northwind Inc",
            id="company-possessive",
        ),
    ],
)
def test_names_split_around_titles(body: str, person: str, organization: str) -> None:
    record = extract(body)
    assert person in {p.name for p in record.people}
    assert organization in {o.name for o in record.organizations}
    assert {(a, b) for a, _, b in posts(record)} == {(person, organization)}


def test_family_name_that_is_an_english_word_is_no_short_form() -> None:
    record = extract("Vice-Premier He Lifeng visited. He said growth was strong.")
    (person,) = record.people
    assert person.name == "He Lifeng" and person.aliases == []


def test_legal_suffix_dropped_in_later_mentions() -> None:
    record = extract("Northwind Inc said sales rose. Northwind also hired 200 engineers.")
    company = next(o for o in record.organizations if o.name == "Northwind Inc")
    assert company.aliases == ["Northwind"] and len(company.mentions) == 2


def test_lower_case_place_head_makes_a_place() -> None:
    record = extract("Zhou Qun, Party secretary of Fengyang county, said so.")
    assert posts(record) == {("Zhou Qun", "secretary", "Fengyang")}
    (place,) = record.places
    assert place.aliases == ["Fengyang county"]


def test_demonym_names_the_government_of_a_known_country() -> None:
    from kg.extract import lexicon

    assert all(place in lexicon.places() for place in lexicon.demonyms().values())
    record = extract(
        "The Italian finance minister Giancarlo Giorgetti said the deficit would fall."
    )
    assert posts(record) == {("Giancarlo Giorgetti", "minister", "Italy")}
    (italy,) = record.places
    assert italy.aliases == []


def test_coordinated_roles_before_one_organization() -> None:
    record = extract("Wu Bin, chief engineer and senior technician at Sinopec Group, spoke.")
    assert posts(record) == {
        ("Wu Bin", "chief engineer", "Sinopec Group"),
        ("Wu Bin", "senior technician", "Sinopec Group"),
    }


def test_demonym_in_apposition() -> None:
    record = extract("Li Qiang, the Chinese premier, met Karl Nehammer, the Austrian chancellor.")
    assert posts(record) == {
        ("Li Qiang", "premier", "China"),
        ("Karl Nehammer", "chancellor", "Austria"),
    }


def test_surname_with_particle_is_the_short_form() -> None:
    record = extract("French minister Bruno Le Maire spoke. Le Maire said prices would fall.")
    person = next(p for p in record.people if p.name == "Bruno Le Maire")
    assert person.aliases == ["Le Maire"] and len(person.mentions) == 2


def test_period_is_the_nearest_and_a_baseline_dates_only_its_own_number() -> None:
    record = extract(
        "Output rose 5 percent in the first half of 2024. Profit was £9m, compared with "
        "£7m a year earlier.",
        published="2024-08-01",
    )
    periods = {Decimal(m.value): m.period.value if m.period else None for m in record.metrics}
    assert periods == {Decimal(5): "2024", Decimal(9_000_000): None, Decimal(7_000_000): "2023"}


def test_field_of_a_title_is_skipped() -> None:
    record = extract("Tao Ran, a professor of economics at Peking University, said so.")
    assert posts(record) == {("Tao Ran", "professor", "Peking University")}


def test_curly_apostrophes_are_the_same_names() -> None:
    record = extract("Li Ming, general manager of Xi’an Metro Group, spoke in Xi’an.")
    assert {p.name for p in record.places} == {"Xi'an"}
    assert [p.key for p in record.posts] == ["li-ming/general-manager/xi-an-metro-group"]


def test_ages_are_metrics_about_people() -> None:
    record = extract("Tang Renjian, 54, spoke. The 61-year-old former mayor Li Hua agreed.")
    ages = {(m.about, Decimal(m.value), m.unit, m.what) for m in record.metrics}
    assert ages == {("tang-renjian", 54, "year", "age"), ("li-hua", 61, "year", "age")}


@pytest.mark.parametrize(
    ("body", "organization", "aliases", "mentions"),
    [
        pytest.param(
            "Kestrel Wind Partners (KWP) cut jobs. KWP said costs rose.",
            "Kestrel Wind Partners",
            ["KWP"],
            3,
            id="abbreviation-defined-in-brackets",
        ),
        pytest.param(
            "Dresdner Kleinwort Wasserstein (DrKW) cut its forecast.",
            "Dresdner Kleinwort Wasserstein",
            ["DrKW"],
            2,
            id="brackets-make-an-unknown-name-an-organization",
        ),
        pytest.param(
            "BYD, the electric carmaker, sold more cars.",
            "BYD",
            [],
            1,
            id="described-as-a-company",
        ),
        pytest.param(
            "On Monday Northwind said it would cut jobs.",
            "Northwind",
            [],
            1,
            id="said-it",
        ),
        pytest.param(
            "The European Commission fined Meta. The Commission said the fine was fair.",
            "European Commission",
            [],
            2,
            id="the-commission-is-the-one-named-before",
        ),
    ],
)
def test_organizations_without_suffix_words(
    body: str, organization: str, aliases: list[str], mentions: int
) -> None:
    found = {o.name: o for o in extract(body).organizations}
    assert organization in found
    assert found[organization].aliases == aliases
    assert len(found[organization].mentions) == mentions


def test_a_lone_common_word_opening_a_sentence_is_no_organization() -> None:
    assert [o.name for o in extract("Analysts said it was weak.").organizations] == ["China Daily"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "Yin Li, a member of the Standing Committee, has been appointed Party secretary "
            "of Beijing.",
            {("Yin Li", "member", "Standing Committee"), ("Yin Li", "secretary", "Beijing")},
            id="verb-after-apposition",
        ),
        pytest.param(
            "The State Council has appointed Zhu Hexin as chairman of CITIC Group.",
            {("Zhu Hexin", "chairman", "CITIC Group")},
            id="object-of-appointed",
        ),
        pytest.param(
            "Guangdong Party chief Huang Kunming visited Shenzhen.",
            {("Huang Kunming", "chief", "Guangdong")},
            id="capitalized-word-of-a-title-is-no-organization",
        ),
    ],
)
def test_appointments(body: str, expected: set[tuple[str, str, str]]) -> None:
    assert posts(extract(body)) == expected


@pytest.mark.parametrize("marks", [("“", "”"), ('"', '"')], ids=["curly", "straight"])
def test_quote_running_over_paragraphs_is_one_quote(marks: tuple[str, str]) -> None:
    opening, closing = marks
    record = extract(
        "Zhou Hong, deputy director of the Hunan Finance Department, spoke.\n\n"
        f"{opening}We will cut fees this year.\n\n{opening}And we will keep going,{closing} "
        "Zhou said."
    )
    assert quotes(record) == {("Zhou Hong", "We will cut fees this year. And we will keep going")}


def test_maker_and_model_number() -> None:
    record = extract("Northwind took delivery of six Boeing 787 jets.")
    assert "Boeing" in {o.name for o in record.organizations}
    assert metrics(record) == {(Decimal(6), "jet", "exact")}


# --- signs: a minus written before the number, a fall stated in words --------------------------


def extract_rules(body: str) -> Record:
    text = f"标题: A test story\n网址: https://www.example.com/a/x.html\n\n{body}\n"
    return extract_record(parse_article(text, published="2024-06-01"), extractor="rules")


def signed(record: Record) -> set[tuple[Decimal, str, str, str]]:
    return {(Decimal(m.value), m.unit, m.qualifier, m.kind) for m in record.metrics}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "Inflation stood at \u22123.5 percent in May.",
            {(Decimal("-3.5"), "percent", "exact", "level")},
            id="minus-sign",
        ),
        pytest.param(
            "The economy showed growth of \u20130.4% last quarter.",
            {(Decimal("-0.4"), "percent", "exact", "change")},
            id="en-dash-sign",
        ),
        pytest.param(
            "The rate fell to -2% in March.",
            {(Decimal(-2), "percent", "exact", "level")},
            id="hyphen-sign",
        ),
        pytest.param(
            "The loss was (\u2212£3m) this year.",
            {(Decimal(-3_000_000), "GBP", "exact", "level")},
            id="minus-before-a-currency",
        ),
        pytest.param(
            "Prices rose 3\u20135% this year.",
            {
                (Decimal(3), "percent", "at_least", "change"),
                (Decimal(5), "percent", "up_to", "change"),
            },
            id="en-dash-range",
        ),
        pytest.param(
            "Prices rose 3 \u2013 5% this year.",
            {
                (Decimal(3), "percent", "at_least", "change"),
                (Decimal(5), "percent", "up_to", "change"),
            },
            id="spaced-en-dash-range",
        ),
        pytest.param(
            "The plant will cost $3-5bn.",
            {
                (Decimal(3_000_000_000), "USD", "at_least", "level"),
                (Decimal(5_000_000_000), "USD", "up_to", "level"),
            },
            id="range-with-currency-and-scale-once",
        ),
        pytest.param("Covid-19 cases fell by 300.", set(), id="hyphen-in-a-name-is-no-sign"),
        pytest.param(
            "Sales were down 3.5% in March.",
            {(Decimal("-3.5"), "percent", "exact", "change")},
            id="down",
        ),
        pytest.param(
            "Output dropped by 2 percent.",
            {(Decimal(-2), "percent", "exact", "change")},
            id="dropped-by",
        ),
        pytest.param(
            "Retail sales declined 0.3% in June.",
            {(Decimal("-0.3"), "percent", "exact", "change")},
            id="declined",
        ),
        pytest.param(
            "There was a 40% drop in sales.",
            {(Decimal(-40), "percent", "exact", "change")},
            id="fall-named-after-the-number",
        ),
        pytest.param(
            "Shares were down more than 40% this year.",
            {(Decimal(-40), "percent", "less_than", "change")},
            id="bound-of-a-fall-mirrored",
        ),
        pytest.param(
            "Sales fell 3\u20135% last year.",
            {
                (Decimal(-3), "percent", "up_to", "change"),
                (Decimal(-5), "percent", "at_least", "change"),
            },
            id="range-of-falls",
        ),
        pytest.param(
            "Shares fell to 412p.",
            {(Decimal(412), "pence", "exact", "level")},
            id="level-after-a-fall",
        ),
        pytest.param(
            "Inflation fell below 10% this year.",
            {(Decimal(10), "percent", "less_than", "level")},
            id="threshold-crossed-is-a-level",
        ),
        pytest.param(
            "Sales rose 2% in May.", {(Decimal(2), "percent", "exact", "change")}, id="rise"
        ),
        pytest.param(
            "The firm signed a $3bn contract.",
            {(Decimal(3_000_000_000), "USD", "exact", "level")},
            id="a-contract-is-a-deal",
        ),
        pytest.param(
            "Costs fell \u22122% last year.",
            {(Decimal(-2), "percent", "exact", "change")},
            id="a-written-sign-stays",
        ),
    ],
)
def test_signed_values(body: str, expected: set[tuple[Decimal, str, str, str]]) -> None:
    assert signed(extract_rules(body)) == expected


def test_negative_value_builds_and_validates(tmp_path: Path) -> None:
    article = tmp_path / "deflation.txt"
    article.write_text(
        "标题: Prices fall\n网址: https://www.example.com/a/deflation.html\n\n"
        "Consumer prices stood at \u22123.5 percent in May.\n",
        encoding="utf-8",
    )
    result = kg.build(article, published="2024-06-01", extractor="rules")
    assert result.conforms, result.report.findings
    assert [m.value for m in result.record.metrics] == ["-3.5"]
    kg.write_results([result], tmp_path / "out")
    turtle = (tmp_path / "out" / "deflation.ttl").read_text(encoding="utf-8")
    assert re.search(r"schema:value -3\.5 [;.]", turtle)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("It does two thirds of its business in Asia.", ("0.6666666667", "fraction", "exact")),
        ("The bank owns half of the venture.", ("0.5", "fraction", "exact")),
        ("About one in six cars sold was electric.", ("0.1666666667", "fraction", "approximately")),
        ("The market is three times the size of the old one.", ("3", "multiple", "exact")),
        ("The crashes cost 346 lives.", ("346", "life", "exact")),
        ("He unveiled a 10-point plan for growth.", ("10", "point", "exact")),
        ("The 93 minute film opens today.", ("93", "minute", "exact")),
        ("The player offers 512mb of storage.", ("512", "mb", "exact")),
        ("Debt fell from more than US$ 230 billion.", ("230000000000", "USD", "more_than")),
        ("Output came from 4,500 Acme-workers last year.", ("4500", "worker", "exact")),
    ],
)
def test_fractions_multiples_compounds_and_units(body: str, expected: tuple[str, str, str]) -> None:
    assert [(m.value, m.unit, m.qualifier) for m in extract(body).metrics] == [expected]


@pytest.mark.parametrize(
    "body",
    ["Sales rose in the first half of the year.", "The 45-year-old manager quit."],
    ids=["first-half-is-a-period", "an-age-compound-is-no-count"],
)
def test_no_metric(body: str) -> None:
    assert extract(body).metrics == []


@pytest.mark.parametrize(
    "body",
    [
        "The board announced the appointment of Anna Berg as chairman of Acme Holdings.",
        "Anna Berg's appointment as chairman of Acme Holdings was approved.",
        "Anna Berg, who became chairman of Acme Holdings in May, spoke.",
        "Anna Berg, formerly chairman of Acme Holdings, spoke.",
    ],
)
def test_nominal_and_relative_posts(body: str) -> None:
    assert posts(extract(body)) == {("Anna Berg", "chairman", "Acme Holdings")}
