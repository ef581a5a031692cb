"""Querying (`kg/sparql.py`, `kg query`): every ready-made query in queries/ against what kg built
from the articles, the result formats read back, parameters, errors, a store held by a writer,
and the same answers from a real Oxigraph server."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyoxigraph
import pytest
from conftest import OxigraphServer, free_port
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph
from rdflib.compare import isomorphic
from test_cli import ROOT, assert_one_error_line, run_kg

import kg
import kg.sparql
from kg.api import Result, build, write_results
from kg.cli import main
from kg.errors import InputError, QueryError, StoreError
from kg.mapping import article_iri
from kg.serialize import Format
from kg.sparql import QueryResult, RdfTerm, ResultFormat, bind_params, format_result, query
from kg.store import open_store
from kg.vocab import KG

EXAMPLE = ROOT / "examples" / "xiongan-innovation.txt"
SHARED_ARTICLES = Path(__file__).parents[2] / "shared" / "articles"
QUERIES = ROOT / "queries"
QUERY_FILES = sorted(path.name for path in QUERIES.glob("*.rq"))
INJECTION = 'x" } } ; DROP ALL ; INSERT DATA { GRAPH <g> { <e> <n> "pwned'
PEOPLE = "SELECT ?name WHERE { ?p a <http://schema.org/Person> ; <http://schema.org/name> ?name }"


# --- the articles, built and loaded --------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    """Articles built by kg, their N-Quads files, and the embedded store they were loaded into."""

    results: tuple[Result, ...]
    files: tuple[Path, ...]
    store: Path


def build_and_load(articles: list[Path], folder: Path) -> Loaded:
    results = tuple(build(path) for path in articles)
    written = write_results(results, folder / "out", [Format.NQ])
    files = tuple(path for path in written if path.suffix == ".nq")
    report = kg.load(files, store=folder / "store")
    assert report.ok, report.summary()
    return Loaded(results, files, folder / "store")


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    return build_and_load([EXAMPLE], tmp_path_factory.mktemp("example"))


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    if not SHARED_ARTICLES.is_dir():
        pytest.skip("../shared/articles is not beside the repository")
    articles = sorted(SHARED_ARTICLES.glob("*.txt"))
    return build_and_load(articles, tmp_path_factory.mktemp("shared"))


@pytest.fixture(params=["example", "shared"])
def loaded(request: pytest.FixtureRequest) -> Loaded:
    """The example article alone, then every shared article (skipped when absent)."""
    value: Loaded = request.getfixturevalue(request.param)
    return value


def run_file(name: str, loaded: Loaded, **params: str) -> QueryResult:
    return query((QUERIES / name).read_text(encoding="utf-8"), store=loaded.store, params=params)


def values(result: QueryResult) -> list[tuple[str | None, ...]]:
    return [tuple(None if t is None else t.value for t in row) for row in result.rows]


# --- what the records say the queries must answer ------------------------------------------------


def name_of(result: Result, key: str) -> str:
    found = result.record.entity(key)
    assert found is not None, key
    return found[1].name


def expected_posts(loaded: Loaded) -> set[tuple[str, str, str]]:
    return {
        (name_of(r, post.person), post.role, name_of(r, post.organization))
        for r in loaded.results
        for post in r.record.posts
    }


def expected_person_organizations(loaded: Loaded) -> dict[tuple[str, str], list[str]]:
    roles: dict[tuple[str, str], set[str]] = {}
    for person, role, organization in expected_posts(loaded):
        roles.setdefault((person, organization), set()).add(role)
    return {key: sorted(found) for key, found in roles.items()}


def camel(word: str) -> str:
    first, *rest = word.split("_")
    return first + "".join(part.title() for part in rest)


def expected_metrics(loaded: Loaded) -> Counter[tuple[object, ...]]:
    rows: Counter[tuple[object, ...]] = Counter()
    for r in loaded.results:
        for m in r.record.metrics:
            about = r.record.entity(m.about) if m.about else None
            if about is None or about[0] == "person":
                continue
            period = m.period.value if m.period else None
            qualifier = str(KG[camel(m.qualifier)])
            rows[(about[1].name, Decimal(m.value), m.unit, qualifier, m.what, period)] += 1
    return rows


def expected_quotes(loaded: Loaded) -> Counter[tuple[str, str, str, str]]:
    return Counter(
        (name_of(r, q.speaker), q.text, r.article.title, str(article_iri(r.article)))
        for r in loaded.results
        for q in r.record.quotes
    )


def expected_mentions(loaded: Loaded) -> Counter[tuple[str | None, ...]]:
    rows: Counter[tuple[str | None, ...]] = Counter()
    for r in loaded.results:
        a = r.article
        for entity in [*r.record.people, *r.record.organizations, *r.record.places]:
            rows[(entity.name, a.title, a.published, a.url, str(article_iri(a)))] += 1
    return rows


# --- every ready-made query returns what the records hold ----------------------------------------


def test_every_query_file_is_tested() -> None:
    tested = {
        "posts.rq",
        "person-organizations.rq",
        "metrics-about.rq",
        "quotes-by.rq",
        "articles-mentioning.rq",
    }
    assert set(QUERY_FILES) == tested


@pytest.mark.parametrize("name", QUERY_FILES)
def test_every_query_file_has_a_header_naming_its_columns(name: str, example: Loaded) -> None:
    text = (QUERIES / name).read_text(encoding="utf-8")
    header = text.split("PREFIX", 1)[0]
    assert header.startswith("# ") and "--param" in header
    for column in run_file(name, example).columns:
        assert f"?{column} " in header, column


def test_posts_gives_the_example_its_six_posts(example: Loaded) -> None:
    result = run_file("posts.rq", example)
    assert result.columns == ("person", "role", "organization")
    assert len(result.rows) == 6
    assert set(values(result)) == expected_posts(example)
    assert ("Ni Yuefeng", "deputy", "National People's Congress") in values(result)


def test_posts(loaded: Loaded) -> None:
    rows = values(run_file("posts.rq", loaded))
    assert len(rows) == len(set(rows))
    assert set(rows) == expected_posts(loaded)
    assert rows == sorted(rows, key=lambda row: (row[0], row[2], row[1]))


def test_posts_of_one_person(loaded: Loaded) -> None:
    person = sorted(expected_posts(loaded))[0][0]
    rows = values(run_file("posts.rq", loaded, person=person))
    assert set(rows) == {post for post in expected_posts(loaded) if post[0] == person}


def test_person_organizations(loaded: Loaded) -> None:
    result = run_file("person-organizations.rq", loaded)
    assert result.columns == ("person", "organization", "roles")
    found = {(p, o): str(roles).split(", ") for p, o, roles in values(result)}
    assert found == expected_person_organizations(loaded)


def test_person_organizations_of_one_person(loaded: Loaded) -> None:
    expected = expected_person_organizations(loaded)
    person = sorted(expected)[-1][0]
    rows = values(run_file("person-organizations.rq", loaded, person=person))
    assert {(p, o) for p, o, _ in rows} == {key for key in expected if key[0] == person}


def test_the_values_line_of_person_organizations_sets_the_person(example: Loaded) -> None:
    text = (QUERIES / "person-organizations.rq").read_text(encoding="utf-8")
    edited = text.replace('# VALUES ?person { "Ni Yuefeng" }', 'VALUES ?person { "Wang Zhengpu" }')
    assert edited != text
    rows = values(query(edited, store=example.store))
    assert {person for person, _, _ in rows} == {"Wang Zhengpu"}


def test_metrics_about(loaded: Loaded) -> None:
    result = run_file("metrics-about.rq", loaded)
    assert result.columns == ("about", "value", "unit", "qualifier", "what", "period")
    found = Counter(
        (about, Decimal(str(value)), unit, qualifier, what, period)
        for about, value, unit, qualifier, what, period in values(result)
    )
    assert found == expected_metrics(loaded)
    assert found


def test_metrics_about_one_place(example: Loaded) -> None:
    rows = values(run_file("metrics-about.rq", example, about="Hebei"))
    expected = [row for row in expected_metrics(example).elements() if row[0] == "Hebei"]
    assert rows and len(rows) == len(expected)
    assert {row[0] for row in rows} == {"Hebei"}


def test_quotes_by(loaded: Loaded) -> None:
    result = run_file("quotes-by.rq", loaded)
    assert result.columns == ("person", "quote", "headline", "article")
    assert Counter(values(result)) == expected_quotes(loaded)
    assert all(row[3] is not None and row[3].type == "uri" for row in result.rows)


def test_quotes_by_one_person(example: Loaded) -> None:
    rows = values(run_file("quotes-by.rq", example, person="Wang Zhengpu"))
    assert rows and {row[0] for row in rows} == {"Wang Zhengpu"}
    assert len(rows) == sum(1 for q in example.results[0].record.quotes if "wang" in q.speaker)


def test_articles_mentioning(loaded: Loaded) -> None:
    result = run_file("articles-mentioning.rq", loaded)
    assert result.columns == ("entity", "headline", "published", "url", "article")
    assert Counter(values(result)) == expected_mentions(loaded)


def test_articles_mentioning_an_entity_named_in_two_articles(shared: Loaded) -> None:
    titles: dict[str, set[str]] = {}
    for entity, title, *_ in expected_mentions(shared):
        titles.setdefault(str(entity), set()).add(str(title))
    entity = next((name for name, found in sorted(titles.items()) if len(found) > 1), None)
    if entity is None:
        pytest.skip("no entity is mentioned by two shared articles")
    rows = values(run_file("articles-mentioning.rq", shared, entity=entity))
    assert {row[1] for row in rows} == titles[entity]


# --- the store: the union of the article graphs, read-only ---------------------------------------


def test_a_query_without_graph_sees_every_article(shared: Loaded) -> None:
    result = query(PEOPLE, store=shared.store)
    names = {row[0].value for row in result.rows if row[0] is not None}
    assert names == {p.name for r in shared.results for p in r.record.people}


def test_graph_still_tells_the_articles_apart(example: Loaded) -> None:
    result = query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", store=example.store)
    article = article_iri(example.results[0].article)
    assert values(result) == [(f"{article}/graph",)]


WRITER = """
import sys, pyoxigraph
store = pyoxigraph.Store(sys.argv[1])
g = pyoxigraph.NamedNode("urn:kg-test:writer")
store.add(pyoxigraph.Quad(g, pyoxigraph.NamedNode("http://schema.org/name"),
                          pyoxigraph.Literal("written while open"), g))
print("open", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def writer(tmp_path: Path, example: Loaded) -> Iterator[Path]:
    """A copy of the example store, held open for writing by another process that wrote to it."""
    path = tmp_path / "store"
    assert kg.load(example.files, store=path).ok
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None and process.stdout.readline() == "open\n"
        yield path
        assert process.stdin is not None
        process.stdin.close()  # the writer exits: the `with` waits for it


def test_a_store_another_process_writes_to_can_be_queried(writer: Path, example: Loaded) -> None:
    with pytest.raises(StoreError, match="in use by another process"):
        open_store(writer)  # the writer really holds the lock
    assert values(query(PEOPLE + " ORDER BY ?name", store=writer)) == sorted(
        (p.name,) for p in example.results[0].record.people
    )
    written = query('ASK { ?s ?p "written while open" }', store=writer)
    assert written.boolean is True
    result = run_kg("query", "@queries/posts.rq", "--store", writer, "--format", "csv", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert len(list(csv.reader(io.StringIO(result.stdout)))) == 7


def test_a_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store here"):
        query(PEOPLE, store=tmp_path / "nothing")


# --- result formats, read back -------------------------------------------------------------------


ALL_RESULTS = [pytest.param(f"@{name}", id=name) for name in QUERY_FILES] + [
    pytest.param("ASK { ?s a <http://schema.org/Person> }", id="ask-true"),
    pytest.param("ASK { ?s a <http://schema.org/Nothing> }", id="ask-false"),
    pytest.param("SELECT ?x WHERE { FILTER(false) }", id="select-empty"),
    pytest.param(
        "SELECT ?s ?text ?n ?lang ?unbound WHERE { ?s <http://schema.org/text> ?text "
        'BIND(STRLEN(?text) AS ?n) BIND(STRLANG("tab\\there\\nline", "en") AS ?lang) } LIMIT 3',
        id="select-typed",
    ),
]


def answer(text: str, loaded: Loaded) -> QueryResult:
    if text.startswith("@"):
        return run_file(text[1:], loaded)
    return query(text, store=loaded.store)


@pytest.mark.parametrize("text", ALL_RESULTS)
def test_csv_reads_back(text: str, example: Loaded) -> None:
    result = answer(text, example)
    out = format_result(result, ResultFormat.CSV)
    if result.boolean is not None:
        assert out == f"{str(result.boolean).lower()}\r\n"
        return
    assert out.endswith("\r\n") or not result.rows
    header, *rows = csv.reader(io.StringIO(out, newline=""))
    assert tuple(header) == result.columns
    assert rows == [["" if v is None else str(v) for v in row] for row in values(result)]


@pytest.mark.parametrize("text", ALL_RESULTS)
def test_json_reads_back(text: str, example: Loaded) -> None:
    result = answer(text, example)
    out = format_result(result, ResultFormat.JSON)
    data = json.loads(out)
    parsed = pyoxigraph.parse_query_results(out, pyoxigraph.QueryResultsFormat.JSON)
    if result.boolean is not None:
        assert data == {"head": {}, "boolean": result.boolean}
        assert bool(parsed) is result.boolean
        return
    assert data["head"]["vars"] == list(result.columns)
    assert len(data["results"]["bindings"]) == len(result.rows)
    assert as_terms(parsed, result.columns) == written(result)


@pytest.mark.parametrize("text", ALL_RESULTS)
def test_tsv_reads_back(text: str, example: Loaded) -> None:
    result = answer(text, example)
    out = format_result(result, ResultFormat.TSV)
    if result.boolean is not None:
        assert out == f"{str(result.boolean).lower()}\n"
        return
    parsed = pyoxigraph.parse_query_results(out, pyoxigraph.QueryResultsFormat.TSV)
    assert as_terms(parsed, result.columns) == written(result)


def as_terms(parsed: object, columns: tuple[str, ...]) -> list[list[str | None]]:
    """Solutions pyoxigraph parsed, each term in N-Triples syntax."""
    assert isinstance(parsed, pyoxigraph.QuerySolutions)
    assert tuple(v.value for v in parsed.variables) == columns
    return [[None if t is None else str(t) for t in solution] for solution in parsed]


def written(result: QueryResult) -> list[list[str | None]]:
    return [[None if t is None else t.to_ntriples() for t in row] for row in result.rows]


@pytest.mark.parametrize("text", ALL_RESULTS)
def test_table_has_a_header_a_rule_and_a_line_per_row(text: str, example: Loaded) -> None:
    result = answer(text, example)
    lines = format_result(result, ResultFormat.TABLE).splitlines()
    if result.boolean is not None:
        assert lines == [str(result.boolean).lower()]
        return
    assert lines[0].split() == list(result.columns)
    assert set(lines[1].replace(" ", "")) <= {"-"}
    assert len(lines) == 2 + len(result.rows)
    assert all(line == line.rstrip() for line in lines)


def test_table_aligns_columns_and_shortens_iris_with_kg_prefixes(example: Loaded) -> None:
    out = format_result(run_file("metrics-about.rq", example), ResultFormat.TABLE)
    header, rule, *rows = out.splitlines()
    starts = [i for i, ch in enumerate(rule) if ch == "-" and (i == 0 or rule[i - 1] == " ")]
    assert [header.index(name) for name in ("about", "value", "unit", "qualifier")] == starts[:4]
    assert any(row[starts[3] :].startswith("kg:") for row in rows)
    assert "https://w3id.org/kg-news/ns#" not in out


def test_table_keeps_a_row_on_one_line_and_counts_wide_characters() -> None:
    result = QueryResult(
        columns=("a", "b"),
        rows=((RdfTerm("literal", "雄安新区"), RdfTerm("literal", "x")),
              (RdfTerm("literal", "line\nbreak\ttab"), None)),
    )  # fmt: skip
    assert format_result(result).splitlines() == [
        "a" + " " * 17 + "b",
        "-" * 16 + "  -",
        "雄安新区" + " " * 10 + "x",
        "line\\nbreak\\ttab",
    ]


CONSTRUCT = (
    "CONSTRUCT { ?p <http://schema.org/name> ?n } "
    "WHERE { ?p a <http://schema.org/Person> ; <http://schema.org/name> ?n }"
)


def test_construct_gives_a_graph_in_turtle_and_n_triples(example: Loaded) -> None:
    result = query(CONSTRUCT, store=example.store)
    assert result.kind == "graph"
    nt = format_result(result, ResultFormat.NT)
    assert nt.splitlines() == sorted(nt.splitlines())
    turtle = format_result(result, ResultFormat.TABLE)
    assert turtle == format_result(result, ResultFormat.TTL)
    assert "@prefix schema: <http://schema.org/> ." in turtle
    a, b = Graph().parse(data=nt, format="nt"), Graph().parse(data=turtle, format="turtle")
    assert len(a) == len(example.results[0].record.people)
    assert isomorphic(a, b)


@pytest.mark.parametrize(
    ("text", "fmt", "fragment"),
    [
        (CONSTRUCT, ResultFormat.CSV, "does not fit a CONSTRUCT or DESCRIBE graph"),
        (PEOPLE, ResultFormat.TTL, "does not fit SELECT and ASK results"),
    ],
)
def test_a_format_that_does_not_fit_the_result_is_refused(
    example: Loaded, text: str, fmt: ResultFormat, fragment: str
) -> None:
    with pytest.raises(InputError, match=fragment):
        format_result(query(text, store=example.store), fmt)


# --- parameters ----------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_a_parameter_comes_back_verbatim(example_store: Path, text: str) -> None:
    result = query("SELECT ?v WHERE {}", store=example_store, params={"v": text})
    assert result.rows == ((RdfTerm("literal", text),),)


@pytest.fixture(scope="module")
def example_store(example: Loaded) -> Path:
    return example.store


def test_an_injection_in_a_parameter_stays_one_literal(example: Loaded) -> None:
    counted = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    before = values(query(counted, store=example.store))
    rows = run_file("posts.rq", example, person=INJECTION)
    assert rows.rows == ()
    echoed = query("SELECT ?v WHERE {}", store=example.store, params={"v": INJECTION})
    assert values(echoed) == [(INJECTION,)]
    assert values(query(counted, store=example.store)) == before


def test_a_parameter_in_angle_brackets_is_an_iri(example: Loaded) -> None:
    result = query("SELECT ?v WHERE {}", store=example.store, params={"v": "<https://x.org/a>"})
    assert result.rows == ((RdfTerm("uri", "https://x.org/a"),),)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"nope": "x"}, "the query has no variable ?nope"),
        ({"a b": "x"}, "is not a variable name"),
        ({"v": "<not an iri>"}, "is not an IRI"),
    ],
    ids=["unknown-variable", "bad-name", "bad-iri"],
)
def test_bad_parameters_are_input_errors(params: dict[str, str], fragment: str) -> None:
    with pytest.raises(InputError, match=re.escape(fragment)):
        bind_params("SELECT ?v WHERE {}", params)


def test_a_parameter_after_a_trailing_comment_still_binds(example: Loaded) -> None:
    result = query("SELECT ?v WHERE {} # no newline", store=example.store, params={"v": "x"})
    assert values(result) == [("x",)]


# --- errors --------------------------------------------------------------------------------------


def test_a_query_that_does_not_parse_is_a_query_error(example: Loaded) -> None:
    with pytest.raises(QueryError, match=r"^bad\.rq: error at 1:\d+") as caught:
        query("SELECT ?x WHERE { ?x ?y }", store=example.store, source="bad.rq")
    assert caught.value.exit_code == 2
    assert "\n" not in str(caught.value)


def test_a_store_and_an_endpoint_together_are_refused(example: Loaded) -> None:
    with pytest.raises(InputError, match="not both"):
        query(PEOPLE, store=example.store, endpoint="http://127.0.0.1:1/query")


# --- the command ---------------------------------------------------------------------------------


def test_kg_query_prints_the_example_posts_from_the_default_store(
    example: Loaded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's promise: after `kg build ... --load`, `kg query @queries/posts.rq`."""
    monkeypatch.setenv("KG_STORE", str(example.store))
    result = run_kg("query", "@queries/posts.rq", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    header, rule, *rows = result.stdout.splitlines()
    assert header.split() == ["person", "role", "organization"]
    assert len(rows) == 6
    for person, role, organization in expected_posts(example):
        assert any(
            row.startswith(person) and f"  {role}  " in row and row.endswith(organization)
            for row in rows
        ), (person, role, organization)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "table"])
def test_kg_query_formats(example: Loaded, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["query", f"@{QUERIES / 'posts.rq'}", "--store", str(example.store), "--format", fmt]
    )
    out = capsys.readouterr()
    assert code == 0 and out.err == ""
    expected = format_result(run_file("posts.rq", example), ResultFormat.from_name(fmt))
    assert out.out == expected


def test_kg_query_params(example: Loaded, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["query", f"@{QUERIES / 'quotes-by.rq'}", "--store", str(example.store)]
    code = main([*args, "--param", "person=Wang Zhengpu", "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    people = {b["person"]["value"] for b in json.loads(out.out)["results"]["bindings"]}
    assert people == {"Wang Zhengpu"}


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["SELECT ?x WHERE { ?x ?y }"], "query: error at 1:"),
        (["@missing.rq"], "missing.rq: cannot read the query"),
        ([PEOPLE, "--param", "oops"], "'oops' is not NAME=VALUE"),
        ([PEOPLE, "--format", "xml"], "result format 'xml' not supported"),
        ([PEOPLE, "--store", "db", "--endpoint", "http://127.0.0.1:1/query"], "not allowed with"),
        ([CONSTRUCT, "--format", "csv"], "does not fit a CONSTRUCT"),
    ],
    ids=["bad-sparql", "missing-file", "bad-param", "bad-format", "two-targets", "format-misfit"],
)
def test_kg_query_usage_and_input_errors_exit_2(
    example: Loaded, args: list[str], fragment: str, tmp_path: Path
) -> None:
    if "--store" not in args and "--endpoint" not in args:
        args = [*args, "--store", str(example.store)]
    result = run_kg("query", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, fragment)
    assert result.stdout == ""


def test_kg_query_bad_sparql_in_a_file_names_the_file(example: Loaded, tmp_path: Path) -> None:
    (tmp_path / "bad.rq").write_text(
        "# a comment\nSELECT ?x WHERE { ?x ?y ?z ) }\n", encoding="utf-8"
    )
    result = run_kg("query", "@bad.rq", "--store", example.store, cwd=tmp_path)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "kg: bad.rq: error at ")


def test_kg_query_on_a_missing_store_exits_3(tmp_path: Path) -> None:
    result = run_kg("query", PEOPLE, "--store", tmp_path / "none", cwd=tmp_path)
    assert result.returncode == 3
    assert_one_error_line(result.stderr, "no store here")


# --- a real Oxigraph server ----------------------------------------------------------------------


@pytest.fixture
def served(oxigraph: OxigraphServer, loaded: Loaded) -> tuple[OxigraphServer, Loaded]:
    """An Oxigraph server (default graph kept apart) holding the same articles as `loaded`."""
    report = kg.load(loaded.files, endpoint=oxigraph.store_url)
    assert report.ok, report.summary()
    return oxigraph, loaded


@pytest.mark.server
@pytest.mark.parametrize("name", QUERY_FILES)
def test_every_query_file_answers_the_same_on_an_oxigraph_server(
    served: tuple[OxigraphServer, Loaded], name: str
) -> None:
    server, loaded = served
    text = (QUERIES / name).read_text(encoding="utf-8")
    on_store = query(text, store=loaded.store)
    on_server = query(text, endpoint=server.query_url)
    assert on_server.columns == on_store.columns
    assert Counter(on_server.rows) == Counter(on_store.rows)
    assert on_server.rows


@pytest.mark.server
def test_the_endpoint_url_kg_load_takes_works_too(served: tuple[OxigraphServer, Loaded]) -> None:
    server, loaded = served
    text = (QUERIES / "posts.rq").read_text(encoding="utf-8")
    via_store_url = query(text, endpoint=server.store_url, params={"person": "Ni Yuefeng"})
    assert set(values(via_store_url)) == {p for p in expected_posts(loaded) if p[0] == "Ni Yuefeng"}


@pytest.mark.server
def test_ask_construct_and_params_over_http(served: tuple[OxigraphServer, Loaded]) -> None:
    server, loaded = served
    assert query("ASK { GRAPH ?g { ?s ?p ?o } }", endpoint=server.query_url).boolean is True
    # Oxigraph's own default graph is empty: what the GRAPH ?g in the query files is for.
    assert query("ASK { ?s ?p ?o }", endpoint=server.query_url).boolean is False
    graph_query = CONSTRUCT.replace("WHERE {", "WHERE { GRAPH ?g {") + " }"
    on_server = query(graph_query, endpoint=server.query_url)
    assert on_server.ntriples == query(graph_query, store=loaded.store).ntriples
    echoed = query("SELECT ?v WHERE {}", endpoint=server.query_url, params={"v": INJECTION})
    assert values(echoed) == [(INJECTION,)]


@pytest.mark.server
def test_a_bad_query_on_an_endpoint_exits_2_with_the_server_message(
    oxigraph: OxigraphServer, tmp_path: Path
) -> None:
    result = run_kg(
        "query", "SELECT ?x WHERE { ?x ?y }", "--endpoint", oxigraph.query_url, cwd=tmp_path
    )
    assert result.returncode == 2
    assert_one_error_line(result.stderr, f"POST {oxigraph.query_url}: 400", "error at 1:")


@pytest.mark.server
def test_an_endpoint_nobody_listens_on_is_a_clear_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    result = run_kg("query", PEOPLE, "--endpoint", url, "--timeout", "2", cwd=tmp_path)
    assert result.returncode == 3
    assert_one_error_line(result.stderr, f"POST {url}: cannot connect")


def test_a_store_that_changes_while_it_is_opened_is_opened_again(
    example: Loaded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer's compaction can delete a file a read-only open was about to read (pyoxigraph:
    "undefined behavior"); a new snapshot reads the store, so kg tries again."""
    calls: list[Path | None] = []

    def flaky(path: Path | None = None, *, read_only: bool = False) -> pyoxigraph.Store:
        calls.append(path)
        if len(calls) < 3:
            raise RuntimeError("Corruption: IO error: No such file or directory: 000012.sst")
        return open_store(path, read_only=read_only)

    monkeypatch.setattr(kg.sparql, "open_store", flaky)
    monkeypatch.setattr(kg.sparql, "STORE_RETRY_WAIT", 0.0)
    assert len(query(PEOPLE, store=example.store).rows) == 3
    assert len(calls) == 3


def test_a_store_that_keeps_failing_is_a_store_error(
    example: Loaded, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(path: Path | None = None, *, read_only: bool = False) -> pyoxigraph.Store:
        raise RuntimeError("Corruption: the disk is gone")

    monkeypatch.setattr(kg.sparql, "open_store", broken)
    monkeypatch.setattr(kg.sparql, "STORE_RETRY_WAIT", 0.0)
    with pytest.raises(StoreError, match="the store failed to answer query .*the disk is gone"):
        query(PEOPLE, store=example.store)
