"""The public API: `kg.build` and friends (`kg/api.py`, `kg/__init__.py`)."""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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


def test_the_lazy_names_are_the_names_type_checkers_see() -> None:
    # kg/__init__.py lists every public name twice, for type checkers (`if TYPE_CHECKING:`) and
    # for its `__getattr__` (`_SOURCES`): the same names from the same modules, all in __all__.
    tree = ast.parse(Path(kg.__file__).read_text(encoding="utf-8"))
    (guarded,) = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    ]
    seen = {
        alias.name: node.module
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == kg._MODULE_OF
    assert sorted(seen) == kg.__all__
    assert set(kg.__all__) <= set(dir(kg))


def test_a_submodule_is_an_attribute_of_kg_without_its_own_import() -> None:
    code = "import kg; print(kg.conformance.__name__, kg.__version__); kg.no_such_module"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert done.stdout.split()[0] == "kg.conformance"
    assert "AttributeError: module 'kg' has no attribute 'no_such_module'" in done.stderr


# What a process imports to start: `import kg` none of kg's modules, and the CLI (which every
# worker of `kg build -j N` imports again, as the main module of the `kg` script) none of the
# libraries that only some commands use. Each of these took 0.05-0.15 s in every process.
STARTUP = """
import sys
import kg
print(" ".join(sorted(name for name in sys.modules if name.startswith("kg."))))
import kg.cli
heavy = ("httpx", "jsonschema", "pyshacl", "rdflib.plugins.sparql", "spacy", "trafilatura")
print(" ".join(name for name in heavy if name in sys.modules))
"""


def test_starting_kg_imports_only_what_it_uses() -> None:
    done = subprocess.run(
        [sys.executable, "-c", STARTUP],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split("\n")[:2] == ["", ""]


# Run in a fresh process: pySHACL first validates on its own, so that what it sets up lazily
# (a module attribute it fills on first use) is in place before the snapshot; then kg builds.
# Every attribute of every rdflib and pySHACL module, and rdflib's plugin registry, must be the
# same objects afterwards (new submodules aside: importing them sets their parent's attribute).
SIDE_EFFECTS = """
import json, sys, types
import pyshacl
from rdflib import Graph, plugin

shapes = Graph().parse(format="turtle", data='''
@prefix sh: <http://www.w3.org/ns/shacl#> .
<urn:s> a sh:NodeShape ; sh:targetNode <urn:x> ;
    sh:sparql [ sh:select "SELECT $this WHERE { FILTER (false) }" ] ;
    sh:property [ sh:path <urn:p> ; sh:minCount 0 ] .
''')
pyshacl.validate(Graph(), shacl_graph=shapes)

def snapshot():
    return {
        name: dict(vars(module))
        for name, module in list(sys.modules.items())
        if name.partition(".")[0] in ("rdflib", "pyshacl") and isinstance(module, types.ModuleType)
    }

def tables(modules):
    # Module-level dicts changed in place (pySHACL's CONSTRAINT_PARAMETERS_MAP): their entries.
    return {
        f"{name}.{key}": dict(value)
        for name, attributes in modules.items()
        for key, value in attributes.items()
        if type(value) is dict and not key.startswith("__")
    }

before, plugins = snapshot(), dict(plugin._plugins)
contents = tables(before)
import kg
from kg.vocab import SCHEMA
result = kg.build(sys.argv[1], shacl_engine=sys.argv[2])
# And a graph with findings, whose messages kg writes with pySHACL's message code.
result.graph.remove((None, SCHEMA.headline, None))
assert not kg.validate_graph(result.graph, engine=sys.argv[2]).conforms
after = snapshot()
changed = [
    f"{name}.{key}"
    for name, attributes in before.items()
    for key, value in attributes.items()
    if after[name].get(key) is not value
]
changed += [
    f"{name}.{key}"
    for name, attributes in before.items()
    for key, value in after[name].items()
    if key not in attributes and not isinstance(value, types.ModuleType)
]
changed += [
    f"plugin {key}"
    for key in set(plugins) | set(plugin._plugins)
    if plugins.get(key) is not plugin._plugins.get(key)
]
# An entry replaced or removed; new ones are caches the libraries fill themselves.
changed += [
    f"{name}[{key!r}]"
    for name, entries in contents.items()
    for key, value in entries.items()
    if tables(after).get(name, {}).get(key) is not value
]
# A counter rdflib's Turtle parser bumps on every parse, and pySHACL's table of baked-in
# graphs, whose entries it replaces with the graph on first use: their own doing.
own = ("rdflib.plugins.parsers.notation3.nextu", "pyshacl.rdfutil.load.baked_in")
print(json.dumps(sorted(name for name in set(changed) if not name.startswith(own))))
"""


@pytest.mark.parametrize("engine", ["pyshacl", "turbo"])
@pytest.mark.parametrize("fast", ["1", "0"])
def test_building_changes_nothing_in_rdflib_or_pyshacl(engine: str, fast: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SIDE_EFFECTS, str(EXAMPLE), engine],
        env={**os.environ, "PYTHONPATH": str(ROOT), "KG_FAST": fast},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout) == []


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


# --- in memory: extract_text, build_graph --------------------------------------------------------


def test_text_in_memory_gives_what_its_file_gives() -> None:
    from_file = build(EXAMPLE)
    record = kg.extract_text(EXAMPLE.read_text("utf-8"))
    assert dataclasses.replace(record.article, source=from_file.article.source) == from_file.article
    assert facts(record) == facts(from_file.record)
    assert isomorphic(kg.build_graph(record), from_file.graph)


def test_in_memory_reads_and_writes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    graph = kg.build_graph(kg.extract_text("Anna Berg joins Norvatek\n\nAnna Berg said so."))
    assert kg.serialize_graph(graph, kg.Format.TTL).startswith(b"@prefix")
    assert list(tmp_path.iterdir()) == []


def test_a_title_given_makes_all_the_text_the_body() -> None:
    body = "First paragraph by Anna Berg.\n\nSecond paragraph."
    record = kg.extract_text(body, title="  Norvatek news ", published="2025-03-07")
    assert (record.article.title, record.article.text) == ("Norvatek news", body)
    assert record.article.published == "2025-03-07"
    assert [p.text for p in record.article.paragraphs] == body.split("\n\n")


def test_a_url_given_wins_over_the_header_and_dates_the_article() -> None:
    record = kg.extract_text(
        EXAMPLE.read_text("utf-8"), url="https://news.example.com/2024/12/31/x.html"
    )
    assert record.article.url == "https://news.example.com/2024/12/31/x.html"
    assert record.article.published == "2024-12-31"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"text": ""}, "no text", id="empty"),
        pytest.param({"text": " \n\t\n"}, "no text", id="whitespace"),
        pytest.param({"text": "A title alone\n"}, "no body text", id="no-body"),
        pytest.param({"text": "T\n\nBell \x07"}, "control character U+0007", id="control"),
        pytest.param({"text": "T\n\nA \ud800"}, "lone surrogate U+D800", id="surrogate"),
        pytest.param({"text": "T\n\n" + "a" * 1_000_001}, "bytes is too large", id="too-large"),
        pytest.param({"text": "T\n\nB", "title": " "}, "title ''", id="blank-title"),
        pytest.param({"text": "T\n\nB", "title": "a\nb"}, "title 'a\\nb'", id="two-line-title"),
        pytest.param({"text": "T\n\nB", "url": "file:///etc/passwd"}, "malformed URL", id="url"),
        pytest.param({"text": "T\n\nB", "url": "https://😀.la/"}, "IDNA 2008", id="emoji-host"),
        pytest.param({"text": "T\n\nB", "published": "2025-13-01"}, "bad publication", id="date"),
    ],
)
def test_bad_text_is_refused_in_one_line(options: dict[str, str], message: str) -> None:
    with pytest.raises(InputError) as refused:
        kg.extract_text(**options)
    assert str(refused.value).startswith("<text>: ")
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_gives_a_record_whose_spans_slice_it_or_an_input_error(text: str) -> None:
    try:
        record = kg.extract_text(text)
    except InputError as refused:
        assert str(refused).startswith("<text>: ") and "\n" not in str(refused)
        return
    spans = [*record.article.paragraphs, *(m for e in record.people for m in e.mentions)]
    assert all(record.article.text[s.start : s.end] == s.text for s in spans)


def test_build_graph_refuses_data_that_does_not_conform(result: Result) -> None:
    person = dataclasses.replace(result.record.people[0], name="")
    broken = dataclasses.replace(result.record, people=[person, *result.record.people[1:]])
    with pytest.raises(ValidationFailure) as refused:
        kg.build_graph(broken)
    message = str(refused.value)
    assert message.startswith("xiongan-innovation.txt: does not conform to the shapes (")
    assert f"first: https://example.org/kg/person/{person.key}: " in message
    assert refused.value.exit_code == 1


def test_build_graph_is_the_graph_build_record_validates(result: Result) -> None:
    base = "https://data.example.com/news/"
    graph = kg.build_graph(result.record, base=base, shacl_engine="turbo")
    assert isomorphic(graph, build_record(result.record, base=base).graph)
