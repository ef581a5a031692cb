"""Scoring a record against gold annotations (`kg/evaluate.py`)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kg.errors import InputError
from kg.evaluate import (
    CATEGORIES,
    ArticleScore,
    Score,
    find_gold_pairs,
    format_scores,
    match_greedy,
    normalize_name,
    normalize_unit,
    read_gold,
    score_record,
    sum_scores,
)
from kg.model import Article, Entity, Metric, Post, Quote, Record, Span

SPAN = Span(0, 4, "Text")


def entity(key: str, name: str, *aliases: str) -> Entity:
    return Entity(key=key, name=name, aliases=list(aliases))


def metric(value: str, unit: str, qualifier: Any = "exact", about: str | None = None) -> Metric:
    return Metric(
        key=f"m-{value}-{unit}",
        value=value,
        unit=unit,
        qualifier=qualifier,
        kind="level",
        what="something",
        evidence=SPAN,
        about=about,
    )


def record(**parts: Any) -> Record:
    article = Article(title="T", text="Text", paragraphs=[SPAN])
    return Record(article=article, **parts)


NI = entity("ni-yuefeng", "Ni Yuefeng", "Ni")
NPC = entity("national-people-s-congress", "National People's Congress", "NPC")
HEBEI = entity("hebei", "Hebei", "Hebei province")

GOLD: dict[str, Any] = {
    "people": [{"name": "Ni Yuefeng", "aliases": ["Ni"]}],
    "organizations": [{"name": "National People's Congress", "aliases": ["NPC"]}],
    "places": [{"name": "Hebei", "aliases": []}],
    "posts": [
        {"person": "Ni Yuefeng", "role": "deputy", "organization": "NPC", "org_aliases": []},
    ],
    "metrics": [{"value": 100, "unit": "km", "qualifier": "approximately", "about": "Hebei"}],
    "quotes": [{"speaker": "Ni", "starts_with": "We pursue innovation"}],
}


def perfect_record() -> Record:
    return record(
        people=[NI],
        organizations=[NPC],
        places=[HEBEI],
        posts=[Post("p1", "ni-yuefeng", "deputy", "national-people-s-congress", SPAN)],
        metrics=[metric("100", "km", "approximately", about="hebei")],
        quotes=[Quote("q1", "We pursue innovation with innovative thinking", "ni-yuefeng", SPAN)],
    )


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("The People\u2019s  Bank", "people bank"),
        ("Guizhou's Commerce Department", "guizhou commerce department"),
        ("  Xiong'an\nNew Area ", "xiong'an new area"),
        ("Theodore", "theodore"),
    ],
)
def test_names_are_compared_normalized(text: str, normalized: str) -> None:
    assert normalize_name(text) == normalized


@pytest.mark.parametrize(
    ("gold", "record_unit"),
    [("yuan", "CNY"), ("usd", "USD"), ("gbp", "GBP"), ("km", "km"), ("Enterprise", "enterprise")],
)
def test_gold_units_normalize_to_record_units(gold: str, record_unit: str) -> None:
    assert normalize_unit(gold) == normalize_unit(record_unit)


def test_a_perfect_record_scores_one_everywhere() -> None:
    score = score_record(perfect_record(), GOLD, "a")
    assert set(score.scores) == set(CATEGORIES)
    for category in CATEGORIES:
        assert score.scores[category] == Score(tp=1), category
    assert score.qualifiers_agreeing == 1


def test_an_entity_matches_through_an_alias() -> None:
    gold = {"people": [{"name": "Ni Yuefeng", "aliases": ["Ni"]}]}
    score = score_record(record(people=[entity("ni", "Ni")]), gold)
    assert score.scores["people"] == Score(tp=1)


def test_entities_match_one_to_one() -> None:
    gold = {"people": [{"name": "Ni Yuefeng", "aliases": []}]}
    twice = record(people=[entity("a", "Ni Yuefeng"), entity("b", "ni  yuefeng")])
    assert score_record(twice, gold).scores["people"] == Score(tp=1, fp=1)


def test_greedy_matching_prefers_exact_names_over_shared_aliases() -> None:
    predicted = ["x", "xy"]
    gold = ["xy", "x"]
    pairs = match_greedy(predicted, gold, lambda p, g: 2 if p == g else 1)
    assert sorted(pairs) == [(0, 1), (1, 0)]


def test_categories_are_scored_separately() -> None:
    # Hebei predicted as an organization is wrong there and missing among places.
    score = score_record(record(organizations=[HEBEI]), {"places": [{"name": "Hebei"}]})
    assert score.scores["organizations"] == Score(fp=1)
    assert score.scores["places"] == Score(fn=1)


def test_a_wrong_role_post_is_a_false_positive_and_a_false_negative() -> None:
    wrong = perfect_record()
    wrong.posts = [Post("p1", "ni-yuefeng", "secretary", "national-people-s-congress", SPAN)]
    assert score_record(wrong, GOLD).scores["posts"] == Score(fp=1, fn=1)


def test_a_post_in_a_place_matches_the_gold_organization_by_its_aliases() -> None:
    gold = {
        "people": [{"name": "Wang Zhengpu", "aliases": ["Wang"]}],
        "posts": [
            {
                "person": "Wang Zhengpu",
                "role": "governor",
                "organization": "Hebei",
                "org_aliases": ["Hebei province"],
            }
        ],
    }
    wang = entity("wang-zhengpu", "Wang Zhengpu")
    hebei = entity("hebei-province", "Hebei province")
    post = Post("p", "wang-zhengpu", "Governor", "hebei-province", SPAN)
    score = score_record(record(people=[wang], places=[hebei], posts=[post]), gold)
    assert score.scores["posts"] == Score(tp=1)


def test_a_post_held_by_someone_else_does_not_match() -> None:
    other = entity("zhang-guohua", "Zhang Guohua")
    rec = perfect_record()
    rec.people.append(other)
    rec.posts = [Post("p", "zhang-guohua", "deputy", "national-people-s-congress", SPAN)]
    assert score_record(rec, GOLD).scores["posts"] == Score(fp=1, fn=1)


def test_metrics_match_by_value_and_normalized_unit() -> None:
    gold = {"metrics": [{"value": 69450000000, "unit": "yuan", "qualifier": "exact"}]}
    rec = record(metrics=[metric("69450000000", "CNY")])
    assert score_record(rec, gold).scores["metrics"] == Score(tp=1)


@pytest.mark.parametrize(
    ("value", "unit"), [("69460000000", "CNY"), ("69450000000", "USD"), ("n/a", "CNY")]
)
def test_metrics_with_another_value_or_unit_do_not_match(value: str, unit: str) -> None:
    gold = {"metrics": [{"value": 69450000000, "unit": "yuan", "qualifier": "exact"}]}
    rec = record(metrics=[metric(value, unit)])
    assert score_record(rec, gold).scores["metrics"] == Score(fp=1, fn=1)


def test_a_metric_value_matches_within_float_tolerance() -> None:
    gold = {"metrics": [{"value": 0.1 + 0.2, "unit": "percent", "qualifier": "exact"}]}
    rec = record(metrics=[metric("0.3", "percent")])
    assert score_record(rec, gold).scores["metrics"] == Score(tp=1)


def test_qualifier_disagreement_still_matches_but_is_counted_apart() -> None:
    gold = {"metrics": [{"value": 60, "unit": "enterprise", "qualifier": "more_than"}]}
    rec = record(metrics=[metric("60", "enterprise", "exact")])
    score = score_record(rec, gold)
    assert score.scores["metrics"] == Score(tp=1)
    assert score.qualifiers_agreeing == 0


def test_equal_metrics_pair_up_by_qualifier() -> None:
    # "a 2% to 3% rise" and "a 3% to 3.5% improvement": two 3 percent metrics.
    gold = {
        "metrics": [
            {"value": 3, "unit": "percent", "qualifier": "at_least"},
            {"value": 3, "unit": "percent", "qualifier": "up_to"},
        ]
    }
    rec = record(metrics=[metric("3", "percent", "up_to"), metric("3", "percent", "at_least")])
    score = score_record(rec, gold)
    assert score.scores["metrics"] == Score(tp=2)
    assert score.qualifiers_agreeing == 2


def test_a_quote_needs_its_speaker_and_its_opening_words() -> None:
    rec = perfect_record()
    rec.quotes.append(Quote("q2", "Something else entirely", "ni-yuefeng", SPAN))
    gold = {**GOLD, "quotes": [*GOLD["quotes"], {"speaker": "Zhang", "starts_with": "We pursue"}]}
    assert score_record(rec, gold).scores["quotes"] == Score(tp=1, fp=1, fn=1)


def test_quote_openings_compare_with_curly_apostrophes_straightened() -> None:
    rec = record(people=[NI], quotes=[Quote("q", "We\u2019re ready, he said", "ni-yuefeng", SPAN)])
    gold = {"people": GOLD["people"], "quotes": [{"speaker": "Ni Yuefeng", "starts_with": "We're"}]}
    assert score_record(rec, gold).scores["quotes"] == Score(tp=1)


def test_precision_recall_f1() -> None:
    score = Score(tp=3, fp=1, fn=2)
    assert score.precision == pytest.approx(0.75)
    assert score.recall == pytest.approx(0.6)
    assert score.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert Score().precision == Score().recall == 1.0


def test_overall_is_the_micro_sum_of_counts() -> None:
    a = ArticleScore("a", {"people": Score(1, 0, 1)}, qualifiers_agreeing=1)
    b = ArticleScore("b", {"people": Score(2, 1, 0), "metrics": Score(1, 0, 0)})
    total = sum_scores([a, b])
    assert total.scores["people"] == Score(3, 1, 1)
    assert total.scores["metrics"] == Score(1, 0, 0)
    assert total.qualifiers_agreeing == 1
    assert total.total == Score(4, 1, 1)


def test_format_scores_lists_every_category_and_the_overall_average() -> None:
    score = score_record(perfect_record(), GOLD, "xiongan")
    text = format_scores([score, score])
    for category in CATEGORIES:
        assert f"  {category} " in text
    assert text.startswith("xiongan\n")
    assert "overall (micro, 2 articles)" in text
    assert "metric qualifiers agreeing: 2/2" in text


def test_a_perfect_record_misses_nothing_and_adds_nothing() -> None:
    score = score_record(perfect_record(), GOLD, "x")
    assert score.macro_f1 == 1.0
    assert not any(score.missed.values())
    assert not any(score.extra.values())


def test_what_was_missed_and_what_was_extra_by_names_values_and_roles() -> None:
    wrong = record(
        people=[NI, entity("zhang", "Zhang Guohua")],
        organizations=[NPC],
        posts=[Post("p1", "ni-yuefeng", "secretary", "national-people-s-congress", SPAN)],
        metrics=[metric("101", "km", "exact", about="hebei")],
        quotes=[Quote("q1", " ".join(["word"] * 12), "ni-yuefeng", SPAN)],
    )
    score = score_record(wrong, GOLD, "x")
    assert score.missed == {
        "people": (),
        "posts": ("Ni Yuefeng, deputy of NPC",),
        "organizations": (),
        "places": ("Hebei",),
        "metrics": ("100 km (approximately) about Hebei",),
        "quotes": ('Ni: "We pursue innovation"',),
    }
    assert score.extra == {
        "people": ("Zhang Guohua",),
        "posts": ("Ni Yuefeng, secretary of National People's Congress",),
        "organizations": (),
        "places": (),
        "metrics": ("101 km (exact) about hebei: something",),  # an unknown key shows as is
        "quotes": ('Ni Yuefeng: "word word word word word word word word ..."',),
    }
    data = score.to_json()
    assert data["missed"]["places"] == ["Hebei"]
    assert "people" not in data["missed"]  # categories with nothing to say are left out


def test_macro_f1_weighs_each_category_the_same() -> None:
    # People: 1 of 2 found (F1 2/3); the other five categories have nothing, and so are perfect.
    gold = {"people": [{"name": "Ni Yuefeng"}, {"name": "Zhang Guohua"}]}
    score = score_record(record(people=[NI]), gold)
    assert score.scores["people"].f1 == pytest.approx(2 / 3)
    assert score.macro_f1 == pytest.approx((2 / 3 + 5) / 6)
    # Pooled counts of many articles first, then the mean over the categories.
    total = sum_scores([score, score_record(perfect_record(), GOLD)])
    people = Score(tp=2, fn=1)
    assert total.macro_f1 == pytest.approx((people.f1 + 5) / 6)


def test_verbose_text_lists_the_differences_per_article() -> None:
    score = score_record(record(people=[NI, entity("zhang", "Zhang Guohua")]), GOLD, "xiongan")
    quiet, verbose = format_scores([score]), format_scores([score], verbose=True)
    assert "Zhang Guohua" not in quiet
    assert "macro-F1 " in quiet
    assert "  extra (found, not in the gold file):\n    people: Zhang Guohua\n" in verbose
    assert "    organizations: National People's Congress\n" in verbose  # missed
    assert verbose.startswith(quiet.rstrip("\n"))


def test_scores_serialize_to_json() -> None:
    data = score_record(perfect_record(), GOLD, "x").to_json()
    assert json.loads(json.dumps(data))["scores"]["people"]["f1"] == 1.0
    assert data["qualifier_agreement"] == {"agreeing": 1, "matched": 1}
    assert data["macro_f1"] == 1.0
    assert data["missed"] == data["extra"] == {}


def test_gold_pairs_are_txt_files_with_a_gold_file_beside_them(tmp_path: Path) -> None:
    for name in ("a.txt", "a.gold.json", "b.txt", "c.gold.json"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    assert find_gold_pairs(tmp_path) == [(tmp_path / "a.txt", tmp_path / "a.gold.json")]


def test_a_folder_without_gold_pairs_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="no <stem>.txt"):
        find_gold_pairs(tmp_path)
    with pytest.raises(InputError, match="not a directory"):
        find_gold_pairs(tmp_path / "a.txt")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [("{", "not JSON"), ("[]", "expected a JSON object"), ('{"people": 1}', "$.people")],
)
def test_unreadable_gold_files_are_input_errors(
    tmp_path: Path, content: str, fragment: str
) -> None:
    path = tmp_path / "x.gold.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=f"x.gold.json: .*{re.escape(fragment)}"):
        read_gold(path)


SHARED = Path(__file__).parents[2] / "shared" / "articles"


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/articles is not beside the repository")
@pytest.mark.parametrize("gold", sorted(SHARED.glob("*.gold.json")), ids=lambda p: p.name)
def test_shared_gold_files_read(gold: Path) -> None:
    data = read_gold(gold)
    assert data["people"]
