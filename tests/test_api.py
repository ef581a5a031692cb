"""The public API: `kg.build` and friends (`kg/api.py`, `kg/__init__.py`)."""

from __future__ import annotations

import dataclasses
import json
import shutil
import types
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

import kg
import kg.api
from kg.api import (
    Result,
    build,
    build_record,
    choose_extractor,
    score_folder,
    write_result,
    write_results,
)
from kg.corpus import build_corpus
from kg.errors import ExtractionError, InputError, KgError, MappingError, ValidationFailure
from kg.mapping import agent_iri
from kg.model import Extractor, Record
from kg.vocab import PROV, RDF, SCHEMA

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "xiongan-innovation.txt"
EXAMPLE_PAGE = ROOT / "tests" / "fixtures" / "xiongan-innovation.html"


@pytest.fixture(scope="module")
def result() -> Result:
    return build(EXAMPLE, extractor="statistical")


def test_public_api_is_sorted_and_resolvable() -> None:
    assert kg.__all__ == sorted(kg.__all__)
    for name in kg.__all__:
        value = getattr(kg, name)
        if callable(value):
            assert value.__module__.startswith("kg."), name  # ours, not a dependency's


def test_public_api_names_the_pipeline() -> None:
    for name in ("build", "build_record", "read_article", "read_record", "write_result"):
        assert name in kg.__all__
    assert kg.build is build


def test_stage_modules_are_not_shadowed_by_functions() -> None:
    import kg.ingest
    import kg.mapping

    assert isinstance(kg.ingest, types.ModuleType)
    assert isinstance(kg.mapping, types.ModuleType)


def test_build_runs_the_whole_pipeline(result: Result) -> None:
    assert result.conforms
    assert result.report.conforms
    assert result.stem == "xiongan-innovation"
    assert result.article.title.startswith("Innovation flows")
    assert result.record.article is result.article
    assert result.record.people
    assert len(result.graph) > 100


def test_build_record_maps_the_record_again_to_the_same_graph(result: Result) -> None:
    again = build_record(result.record)
    assert again.stem == "xiongan-innovation"
    assert isomorphic(again.graph, result.graph)


def test_the_base_iri_names_every_node(result: Result) -> None:
    base = "https://data.example.com/news/"
    graph = build_record(result.record, base=base).graph
    subjects = {str(s) for s in graph.subjects()}
    assert subjects
    assert all(s.startswith(base) for s in subjects), sorted(subjects)[:3]


def test_a_bad_base_iri_is_refused(result: Result) -> None:
    with pytest.raises(MappingError, match="base IRI"):
        build_record(result.record, base="example.org")


def test_write_result_writes_turtle_and_jsonld(tmp_path: Path, result: Result) -> None:
    paths = write_result(result, tmp_path / "out")
    assert sorted(p.name for p in paths) == [
        "xiongan-innovation.jsonld",
        "xiongan-innovation.ttl",
    ]
    turtle = Graph().parse(tmp_path / "out" / "xiongan-innovation.ttl", format="turtle")
    assert isomorphic(turtle, result.graph)


def test_write_result_adds_formats(tmp_path: Path, result: Result) -> None:
    paths = write_result(result, tmp_path, [kg.Format.NT])
    assert sorted(p.suffix for p in paths) == [".jsonld", ".nt", ".ttl"]


def test_results_that_would_share_a_file_are_refused(tmp_path: Path, result: Result) -> None:
    with pytest.raises(InputError, match="would overwrite the outputs"):
        write_results([result, result], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_data_that_does_not_conform_is_never_written(tmp_path: Path, result: Result) -> None:
    failing = dataclasses.replace(result, report=dataclasses.replace(result.report, conforms=False))
    with pytest.raises(ValidationFailure, match="xiongan-innovation.txt: does not conform"):
        write_results([result, failing], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unexpected_stage_failures_become_kg_errors_naming_the_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(article: object, extractor: str, doc: object = None) -> None:
        raise ValueError("unexpected")

    monkeypatch.setattr(kg.api, "extract_record", broken)
    with pytest.raises(KgError, match=r"xiongan-innovation.txt: extraction failed \(ValueError"):
        build(EXAMPLE)


def test_linking_failures_become_kg_errors_naming_the_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(record: object, links: object) -> None:
        raise ValueError("unexpected")

    monkeypatch.setattr(kg.api, "link_record", broken)
    with pytest.raises(KgError, match=r"xiongan-innovation.txt: linking failed \(ValueError"):
        build(EXAMPLE)


def facts(record: Record) -> dict[str, set[tuple[object, ...]]]:
    """What a record states, by names and values (no offsets, no keys)."""

    def name(key: str | None) -> str | None:
        found = record.entity(key) if key else None
        return found[1].name if found else None

    return {
        "people": {(e.name, *sorted(e.aliases)) for e in record.people},
        "organizations": {(e.name, *sorted(e.aliases)) for e in record.organizations},
        "places": {(e.name, *sorted(e.aliases), e.iso3166, *e.same_as) for e in record.places},
        "posts": {(name(p.person), p.role, name(p.organization)) for p in record.posts},
        "metrics": {
            (
                m.value,
                m.unit,
                m.qualifier,
                m.kind,
                m.what,
                name(m.about),
                m.period and m.period.value,
            )
            for m in record.metrics
        },
        "quotes": {(q.text, name(q.speaker)) for q in record.quotes},
    }


def test_a_saved_page_gives_what_its_text_version_gives(result: Result) -> None:
    page = build(EXAMPLE_PAGE)
    assert page.conforms
    found, expected = facts(page.record), facts(result.record)
    assert found == expected
    assert all(expected.values()), "every category has something to compare"


def test_a_saved_page_names_its_author(result: Result) -> None:
    page = build(EXAMPLE_PAGE)
    [author] = page.graph.objects(None, SCHEMA.author)
    assert str(page.graph.value(author, SCHEMA.name)) == "Li Hongyu"
    # The same article: its URL gives it the same IRI as the text version.
    assert set(page.graph.subjects(SCHEMA.author, author)) == set(
        result.graph.subjects(SCHEMA.headline, None)
    )


def test_score_folder_builds_and_scores_each_gold_pair(tmp_path: Path) -> None:
    shutil.copyfile(EXAMPLE, tmp_path / EXAMPLE.name)
    gold = {"places": [{"name": "Hebei", "aliases": ["Hebei province"]}]}
    (tmp_path / "xiongan-innovation.gold.json").write_text(json.dumps(gold), encoding="utf-8")
    [(built, score)] = score_folder(tmp_path)
    assert built.conforms
    assert score.name == "xiongan-innovation"
    assert score.scores["places"].tp == 1


# --- the extractor ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def by_rules() -> Result:
    return build(EXAMPLE, extractor="rules")


def agents(result: Result) -> set[object]:
    return set(result.graph.subjects(RDF.type, PROV.SoftwareAgent))


def test_the_record_and_the_graph_name_the_extractor_used(result: Result, by_rules: Result) -> None:
    statistical = result.record.extractor
    assert statistical is not None
    assert (statistical.name, statistical.model, statistical.model_version) == (
        "statistical",
        "en_core_web_sm",
        "3.8.0",
    )
    assert statistical.library is not None and statistical.library.startswith("spacy 3.8.")
    assert by_rules.record.extractor == Extractor("rules")
    assert agents(result) == {agent_iri(statistical)}
    assert agents(by_rules) == {agent_iri(Extractor("rules"))}
    assert by_rules.conforms


def test_kg_extractor_names_the_extractor_when_none_is_given(
    monkeypatch: pytest.MonkeyPatch, by_rules: Result
) -> None:
    monkeypatch.setenv("KG_EXTRACTOR", "rules")
    assert build(EXAMPLE).record == by_rules.record


@pytest.mark.parametrize(
    ("given", "variable", "message"),
    [
        ("neural", None, "'neural': no such extractor (expected: statistical, rules)"),
        (None, "neural", "KG_EXTRACTOR='neural': no such extractor (expected: statistical, rules)"),
    ],
    ids=["argument", "environment"],
)
def test_an_unknown_extractor_is_refused_before_the_article_is_read(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    given: str | None,
    variable: str | None,
    message: str,
) -> None:
    if variable is not None:
        monkeypatch.setenv("KG_EXTRACTOR", variable)
    with pytest.raises(ExtractionError) as caught:
        build(tmp_path / "missing.txt", extractor=given)  # not "no such file": refused first
    assert str(caught.value) == message
    assert caught.value.exit_code == 2


def test_the_extractor_is_chosen_once_for_every_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Spawned workers inherit this unusable setting: they build only if they use the extractor
    # the caller chose, as remote Dask workers (which see none of the caller's environment) do.
    monkeypatch.setenv("KG_EXTRACTOR", "no-such-extractor")
    articles = [tmp_path / f"{n}.txt" for n in range(2)]
    for article in articles:
        shutil.copyfile(EXAMPLE, article)
    report = build_corpus(articles, tmp_path / "out", jobs=2, extractor="rules")
    assert [a.error for a in report.articles] == [None, None]
    agent = str(agent_iri(Extractor("rules")))
    for n in range(2):
        assert f"<{agent}>" in (tmp_path / "out" / f"{n}.ttl").read_text("utf-8")


def test_a_corpus_with_an_unknown_extractor_builds_nothing(tmp_path: Path) -> None:
    with pytest.raises(ExtractionError, match="'neural': no such extractor"):
        build_corpus([EXAMPLE], tmp_path / "out", extractor="neural")
    assert not (tmp_path / "out").exists()


def test_score_folder_builds_with_the_extractor_given(tmp_path: Path, by_rules: Result) -> None:
    shutil.copyfile(EXAMPLE, tmp_path / EXAMPLE.name)
    (tmp_path / "xiongan-innovation.gold.json").write_text('{"people": []}', encoding="utf-8")
    [(built, _)] = score_folder(tmp_path, extractor="rules")
    assert built.record.extractor == Extractor("rules")


def test_the_default_extractor_is_the_statistical_one(default_extractor: None) -> None:
    assert choose_extractor() == "statistical"
    assert choose_extractor("rules") == "rules"
