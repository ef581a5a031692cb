"""Scoring a record against gold annotations (`kg/evaluate.py`)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import kg.api
from kg.cli import main
from kg.errors import InputError
from kg.evaluate import (
    CATEGORIES,
    ArticleScore,
    Score,
    find_gold_pairs,
    format_scores,
    group_by_source,
    is_selected,
    match_greedy,
    normalize_name,
    normalize_role,
    normalize_unit,
    read_gold,
    score_record,
    scores_to_json,
    source_of,
    sum_scores,
)
from kg.model import Article, Entity, Metric, MetricKind, Post, Quote, Record, Span

SPAN = Span(0, 4, "Text")


def entity(key: str, name: str, *aliases: str) -> Entity:
    return Entity(key=key, name=name, aliases=list(aliases))


def metric(
    value: str,
    unit: str,
    qualifier: Any = "exact",
    about: str | None = None,
    kind: MetricKind = "level",
) -> Metric:
    return Metric(
        key=f"m-{value}-{unit}",
        value=value,
        unit=unit,
        qualifier=qualifier,
        kind=kind,
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


@pytest.mark.parametrize(
    ("value", "kind", "gold_value", "matches"),
    [
        ("-3.5", "change", 3.5, True),  # "down 3.5%": kg signs it, the gold file does not
        ("3.5", "change", 3.5, True),
        ("-3.5", "change", 0, False),  # the magnitude is compared, not waved through
        ("-3.5", "change", -3.5, True),  # a gold file that signs it is compared with the sign
        ("3.5", "change", -3.5, False),
        ("-3.5", "level", 3.5, False),  # only changes: a negative level stays negative
        ("-3.5", "share", 3.5, False),
        ("-3.6", "change", 3.5, False),
    ],
)
def test_a_signed_change_matches_the_magnitude_a_gold_file_writes(
    value: str, kind: MetricKind, gold_value: float, matches: bool
) -> None:
    gold = {"metrics": [{"value": gold_value, "unit": "percent", "qualifier": "exact"}]}
    rec = record(metrics=[metric(value, "percent", kind=kind)])
    expected = Score(tp=1) if matches else Score(fp=1, fn=1)
    assert score_record(rec, gold).scores["metrics"] == expected


def test_a_signed_change_still_needs_its_unit() -> None:
    gold = {"metrics": [{"value": 3.5, "unit": "percent", "qualifier": "exact"}]}
    rec = record(metrics=[metric("-3.5", "USD", kind="change")])
    assert score_record(rec, gold).scores["metrics"] == Score(fp=1, fn=1)


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


# --- by source, and a subset of the articles ---------------------------------------------------


@pytest.mark.parametrize(
    ("stem", "source"),
    [
        ("bbc-apple-mac-mini", "bbc"),
        ("pd-boeing-737-max", "pd"),
        ("xiongan-innovation", "xiongan"),
        ("standalone", "standalone"),  # no "-": the stem is its own source
    ],
)
def test_the_source_of_an_article_is_its_stem_up_to_the_first_dash(stem: str, source: str) -> None:
    assert source_of(stem) == source


def by_source_scores() -> list[ArticleScore]:
    """Two bbc articles, the second missing a person, and a pd article missing its only one."""
    nobody = {"name": "Nobody Here"}
    return [
        score_record(perfect_record(), GOLD, "bbc-a"),
        score_record(perfect_record(), {**GOLD, "people": [*GOLD["people"], nobody]}, "bbc-b"),
        score_record(record(), {"people": [nobody]}, "pd-c"),
    ]


def test_articles_group_by_source_in_alphabetical_order() -> None:
    scores = [*by_source_scores()[2:], *by_source_scores()[:2]]  # pd first
    groups = group_by_source(scores)
    assert list(groups) == ["bbc", "pd"]
    assert [a.name for a in groups["bbc"]] == ["bbc-a", "bbc-b"]
    assert [a.name for a in groups["pd"]] == ["pd-c"]


def test_each_source_is_pooled_in_json_under_by_source() -> None:
    data = scores_to_json(by_source_scores(), by_source=True)
    bbc, pd = data["by_source"]["bbc"], data["by_source"]["pd"]
    assert bbc["articles"] == ["bbc-a", "bbc-b"]
    assert pd["articles"] == ["pd-c"]
    # bbc pooled: 2 of 3 people found (F1 0.8), every other category perfect.
    assert bbc["scores"]["people"] == Score(tp=2, fn=1).to_json()
    assert bbc["macro_f1"] == round((0.8 + 5) / 6, 4)
    assert pd["scores"]["people"] == Score(fn=1).to_json()
    assert pd["macro_f1"] == round(5 / 6, 4)
    assert data["overall"]["scores"]["people"] == Score(tp=2, fn=2).to_json()
    assert [a["name"] for a in data["articles"]] == ["bbc-a", "bbc-b", "pd-c"]


def test_json_has_by_source_only_when_asked() -> None:
    assert set(scores_to_json(by_source_scores())) == {"articles", "overall"}


def test_text_by_source_adds_a_table_and_a_summary_line_per_source_after_overall() -> None:
    scores = by_source_scores()
    plain, text = format_scores(scores), format_scores(scores, by_source=True)
    assert text.startswith(plain.rstrip("\n"))  # the per-article and overall tables first
    added = text[len(plain.rstrip("\n")) :]
    assert added.index("\nbbc (micro, 2 articles)\n") < added.index("\npd (micro, 1 article)\n")
    pd_table = added.split("\npd (micro, 1 article)\n")[1]
    assert "  people            0    0    1      1.000   0.000  0.000\n" in pd_table
    assert text.endswith(
        "\n\nby source (the macro-F1 of each source's articles pooled)\n"
        "  bbc: 2 articles, macro-F1 0.967\n"
        "  pd: 1 article, macro-F1 0.833\n"
    )
    assert "by source" not in plain


@pytest.mark.parametrize(
    ("include", "exclude", "selected"),
    [
        ((), (), True),
        (("bbc-*",), (), True),
        (("pd-*",), (), False),
        (("pd-*", "bbc-a*"), (), True),  # any include
        ((), ("*-max",), True),
        ((), ("*-apple-*",), False),
        (("bbc-*",), ("bbc-apple-*",), False),  # an exclude wins over an include
        (("BBC-*",), (), False),  # case-sensitive everywhere
        (("bbc",), (), False),  # the whole stem must match
    ],
)
def test_include_and_exclude_globs_select_stems(
    include: tuple[str, ...], exclude: tuple[str, ...], selected: bool
) -> None:
    assert is_selected("bbc-apple-mac-mini", include, exclude) is selected


def gold_folder(root: Path, golds: dict[str, dict[str, Any]]) -> Path:
    """A folder with a short `<stem>.txt` and its `<stem>.gold.json` per entry."""
    root.mkdir()
    for stem, gold in golds.items():
        (root / f"{stem}.txt").write_text(f"{stem}\n\nA short article.\n", encoding="utf-8")
        (root / f"{stem}.gold.json").write_text(json.dumps(gold), encoding="utf-8")
    return root


THREE_SOURCES: dict[str, dict[str, Any]] = {
    "bbc-a": {},
    "bbc-b": {"people": [{"name": "Nobody Here"}]},
    "pd-c": {},
}


def test_gold_pairs_are_selected_by_stem(tmp_path: Path) -> None:
    folder = gold_folder(tmp_path / "gold", THREE_SOURCES)

    def stems(**globs: list[str]) -> list[str]:
        return [article.stem for article, _ in find_gold_pairs(folder, **globs)]

    assert stems() == ["bbc-a", "bbc-b", "pd-c"]
    assert stems(include=["bbc-*"]) == ["bbc-a", "bbc-b"]
    assert stems(include=["bbc-*"], exclude=["*-b"]) == ["bbc-a"]
    assert stems(exclude=["bbc-*"]) == ["pd-c"]


def test_a_selection_that_leaves_no_article_is_an_input_error(tmp_path: Path) -> None:
    folder = gold_folder(tmp_path / "gold", THREE_SOURCES)
    message = "no article left to score after include 'bbc-*', exclude '*-a' '*-b' (of 3 gold"
    with pytest.raises(InputError, match=re.escape(message)):
        find_gold_pairs(folder, include=["bbc-*"], exclude=["*-a", "*-b"])
    with pytest.raises(InputError, match=re.escape("after include 'x*' (of 3 gold pairs)")):
        find_gold_pairs(folder, include=["x*"])


@pytest.fixture
def extracted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`kg eval` without the extractor (slow, and not what these tests measure): every record is
    empty. The titles of the articles extracted, in order."""
    titles: list[str] = []

    def empty(article: Article, *_: Any) -> Record:
        titles.append(article.title)
        return Record(article=article)

    monkeypatch.setattr(kg.api, "extract_record", empty)
    return titles


def test_kg_eval_by_source_in_json_and_text(
    tmp_path: Path, extracted: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = gold_folder(tmp_path / "gold", THREE_SOURCES)
    assert main(["eval", str(folder), "-o", str(tmp_path / "a"), "--by-source", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {s: v["articles"] for s, v in data["by_source"].items()} == {
        "bbc": ["bbc-a", "bbc-b"],
        "pd": ["pd-c"],
    }
    assert data["by_source"]["bbc"]["macro_f1"] == round(5 / 6, 4)
    assert data["by_source"]["pd"]["macro_f1"] == 1.0
    assert main(["eval", str(folder), "-o", str(tmp_path / "b"), "--by-source"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2:] == ["  bbc: 2 articles, macro-F1 0.833", "  pd: 1 article, macro-F1 1.000"]
    assert main(["eval", str(folder), "-o", str(tmp_path / "c"), "--json"]) == 0
    assert "by_source" not in json.loads(capsys.readouterr().out)


def test_kg_eval_builds_and_scores_only_the_articles_selected(
    tmp_path: Path, extracted: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = gold_folder(tmp_path / "gold", THREE_SOURCES)
    out = tmp_path / "out"
    args = ["eval", str(folder), "-o", str(out), "--json", "--include", "bbc-*", "--include"]
    assert main([*args, "pd-*", "--exclude", "*-b"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [a["name"] for a in data["articles"]] == ["bbc-a", "pd-c"]
    assert data["overall"]["macro_f1"] == 1.0  # bbc-b, the one that misses a person, left out
    assert extracted == ["bbc-a", "pd-c"]
    assert sorted(p.name for p in out.iterdir()) == [
        "bbc-a.jsonld", "bbc-a.ttl", "pd-c.jsonld", "pd-c.ttl",
    ]  # fmt: skip


def test_kg_eval_with_no_article_selected_exits_2_with_one_line(
    tmp_path: Path, extracted: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = gold_folder(tmp_path / "gold", THREE_SOURCES)
    out = tmp_path / "out"
    assert main(["eval", str(folder), "-o", str(out), "--exclude", "*"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"kg: {folder}: no article left to score after exclude '*' (of 3 gold pairs)\n"
    )
    assert extracted == []  # refused before anything is built
    assert not out.exists()


SHARED = Path(__file__).parents[2] / "shared" / "articles"


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/articles is not beside the repository")
@pytest.mark.parametrize("gold", sorted(SHARED.glob("*.gold.json")), ids=lambda p: p.name)
def test_shared_gold_files_read(gold: Path) -> None:
    data = read_gold(gold)
    # An article may name no one (a company story); none names nothing at all.
    assert any(data.get(category) for category in CATEGORIES)


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/articles is not beside the repository")
def test_an_include_and_the_same_exclude_split_the_shared_articles() -> None:
    every = find_gold_pairs(SHARED)
    held_out = find_gold_pairs(SHARED, include=["bbc-*"])
    rest = find_gold_pairs(SHARED, exclude=["bbc-*"])
    assert held_out and rest
    assert sorted(held_out + rest) == every
    assert {source_of(article.stem) for article, _ in held_out} == {"bbc"}
    assert "bbc" not in {source_of(article.stem) for article, _ in rest}


@pytest.mark.parametrize(
    ("predicted", "gold", "same"),
    [
        ("vice-chairman", "vice chairman", True),
        ("ceo", "chief executive", True),
        ("vice-president", "Vice President", True),
        ("deputy director", "director", False),
        ("chairman", "chairwoman", False),
    ],
)
def test_roles_compare_by_title_table(predicted: str, gold: str, same: bool) -> None:
    assert (normalize_role(predicted) == normalize_role(gold)) is same
