"""The `kg` command, run as a user runs it: a subprocess with its exit code, stdout and stderr."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from test_ingest import BAD, BAD_INPUTS

import kg.api
import kg.files
from kg.cli import main
from kg.evaluate import CATEGORIES

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "xiongan-innovation.txt"
GOLDEN = ROOT / "output"
SHARED_ARTICLES = Path(__file__).parents[2] / "shared" / "articles"
UPDATE_GOLDEN = os.environ.get("KG_UPDATE_GOLDEN") == "1"
DEFAULT_OUTPUTS = ["xiongan-innovation.jsonld", "xiongan-innovation.ttl"]
SCHEMA_NAME = URIRef("http://schema.org/name")

needs_shared = pytest.mark.skipif(
    not SHARED_ARTICLES.is_dir(), reason="../shared/articles is not beside the repository"
)


def run_kg(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m kg` from `cwd`, so no file lands in the checkout by accident.

    The checkout comes first on the path: the command tested is the code under test, not an
    older copy installed in the environment.
    """
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "kg", *map(str, args)],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
        check=False,
    )


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def assert_one_error_line(stderr: str, *fragments: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("kg"), stderr
    for fragment in fragments:
        assert fragment in lines[0], stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example article built once by `kg build`, with every extra format."""
    out = tmp_path_factory.mktemp("built")
    result = run_kg(
        "build", EXAMPLE, "-o", out / "out", "--format", "nt", "--format", "nq", "--format",
        "trig", cwd=out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out / "out"


# --- bad input: exit code 2, one line naming the file, nothing written ---------------------------


@pytest.mark.parametrize(("name", "fragment"), BAD, ids=[name for name, _ in BAD])
def test_build_refuses_bad_input_and_writes_nothing(
    tmp_path: Path, name: str, fragment: str
) -> None:
    result = run_kg("build", BAD_INPUTS / name, "-o", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, f"kg: {BAD_INPUTS / name}: ", fragment)
    assert result.stdout == ""
    assert files_under(tmp_path) == []


def test_one_bad_article_among_good_ones_does_not_stop_them(tmp_path: Path) -> None:
    """Each article is built on its own (issue 5); more in test_corpus.py."""
    result = run_kg(
        "build", EXAMPLE, BAD_INPUTS / "empty.txt", "-o", tmp_path / "out", cwd=tmp_path
    )
    assert result.returncode == 2
    assert_one_error_line(result.stderr, f"kg: {BAD_INPUTS / 'empty.txt'}: ")
    assert files_under(tmp_path / "out") == DEFAULT_OUTPUTS
    assert "articles failed" in result.stdout


@pytest.mark.parametrize("name", ["binary-nul.txt", "missing.txt"])
def test_extract_refuses_bad_input_and_writes_nothing(tmp_path: Path, name: str) -> None:
    result = run_kg("extract", BAD_INPUTS / name, "-o", tmp_path / "record.json", cwd=tmp_path)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, name)
    assert files_under(tmp_path) == []


def test_output_under_a_regular_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder", encoding="utf-8")
    result = run_kg("build", EXAMPLE, "-o", blocker / "out", cwd=tmp_path)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "file.txt")
    assert files_under(tmp_path) == ["file.txt"]


def test_output_that_is_a_regular_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("not a folder", encoding="utf-8")
    result = run_kg("build", EXAMPLE, "-o", blocker, cwd=tmp_path)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "out", "not a directory")
    assert blocker.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders anyway")
def test_read_only_output_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir(mode=0o500)
    try:
        result = run_kg("build", EXAMPLE, "-o", out, cwd=tmp_path)
        assert result.returncode == 2
        assert_one_error_line(result.stderr, "out", "cannot write")
        assert files_under(out) == []
    finally:
        out.chmod(0o700)


def test_a_write_the_system_refuses_exits_2_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Root ignores read-only folders, so the refusal is simulated, on the second file."""
    stage = tempfile.mkstemp
    staged: list[str] = []

    def refuse_the_second(*args: Any, **kwargs: Any) -> tuple[int, str]:
        staged.append(kwargs.get("prefix", ""))
        if len(staged) == 2:
            raise PermissionError(13, "Permission denied")
        return stage(*args, **kwargs)

    monkeypatch.setattr(kg.files.tempfile, "mkstemp", refuse_the_second)
    out = tmp_path / "out"
    assert main(["build", str(EXAMPLE), "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_error_line(captured.err, f"kg: {out}/xiongan-innovation.", "cannot write")
    assert files_under(out) == []


# --- usage errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["build", "--format", "ttll"], "format 'ttll' not supported (expected: jsonld, nq, nt"),
        (["build", "--base", "example.org/kg"], "base IRI 'example.org/kg' not usable"),
        (["build"], "the following arguments are required"),
        (["frobnicate"], "invalid choice"),
        ([], "the following arguments are required"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, args: list[str], fragment: str) -> None:
    result = run_kg(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, fragment)


def test_bad_published_date_is_an_input_error(tmp_path: Path) -> None:
    result = run_kg(
        "build", EXAMPLE, "-o", tmp_path / "out", "--published", "2025-13-01", cwd=tmp_path
    )
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "xiongan-innovation.txt", "bad publication date")
    assert files_under(tmp_path) == []


@pytest.mark.parametrize("command", ["build", "extract", "map", "eval"])
def test_every_command_has_help_with_an_example(tmp_path: Path, command: str) -> None:
    result = run_kg(command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert f"example:\n  kg {command} " in result.stdout


# --- build ---------------------------------------------------------------------------------------


def test_build_writes_turtle_jsonld_and_the_extra_formats(built: Path) -> None:
    assert files_under(built) == [
        "xiongan-innovation.jsonld",
        "xiongan-innovation.nq",
        "xiongan-innovation.nt",
        "xiongan-innovation.trig",
        "xiongan-innovation.ttl",
    ]


def test_build_prints_the_files_it_wrote(tmp_path: Path) -> None:
    result = run_kg("build", EXAMPLE, "-o", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == [f"out/{name}" for name in DEFAULT_OUTPUTS]
    assert result.stderr == ""
    assert files_under(tmp_path / "out") == DEFAULT_OUTPUTS


def test_build_creates_missing_folders(tmp_path: Path) -> None:
    result = run_kg("build", EXAMPLE, "-o", tmp_path / "a" / "b", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert files_under(tmp_path / "a" / "b") == DEFAULT_OUTPUTS


def test_two_builds_are_byte_identical(tmp_path: Path, built: Path) -> None:
    result = run_kg("build", EXAMPLE, "-o", tmp_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in DEFAULT_OUTPUTS:
        assert (tmp_path / name).read_bytes() == (built / name).read_bytes(), name


# rdflib 7 warns about its own deprecated internals when it parses N-Quads and TriG.
@pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_every_format_holds_the_same_graph(built: Path) -> None:
    turtle = Graph().parse(built / "xiongan-innovation.ttl", format="turtle")
    assert len(turtle) > 100
    for name, fmt in [("jsonld", "json-ld"), ("nt", "nt")]:
        graph = Graph().parse(built / f"xiongan-innovation.{name}", format=fmt)
        assert isomorphic(graph, turtle), name
    for name, fmt in [("nq", "nquads"), ("trig", "trig")]:
        dataset = Dataset().parse(built / f"xiongan-innovation.{name}", format=fmt)
        merged = Graph()
        for quad in dataset.quads():
            merged.add(quad[:3])
        assert isomorphic(merged, turtle), name


def test_golden_output_is_current(tmp_path: Path, default_extractor: None) -> None:
    """output/ is what `kg build` writes today, as a user runs it; KG_UPDATE_GOLDEN=1 rewrites
    it."""
    result = run_kg("build", EXAMPLE, "-o", tmp_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    if UPDATE_GOLDEN:
        GOLDEN.mkdir(exist_ok=True)
        for name in DEFAULT_OUTPUTS:
            shutil.copyfile(tmp_path / name, GOLDEN / name)
    for name, fmt in [
        ("xiongan-innovation.ttl", "turtle"),
        ("xiongan-innovation.jsonld", "json-ld"),
    ]:
        committed, fresh = GOLDEN / name, tmp_path / name
        assert committed.is_file(), f"output/{name} is missing; run with KG_UPDATE_GOLDEN=1"
        if committed.read_bytes() == fresh.read_bytes():
            continue
        same_graph = isomorphic(
            Graph().parse(committed, format=fmt), Graph().parse(fresh, format=fmt)
        )
        change = "formatting only" if same_graph else "the graph itself (meaning)"
        pytest.fail(f"output/{name} is stale: {change} changed; run with KG_UPDATE_GOLDEN=1")


# --- not conforming: exit code 1, the report, nothing written ------------------------------------


def test_data_that_does_not_conform_exits_1_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mapped = kg.api.map_record

    def map_without_names(record: object, base: str) -> Graph:
        graph = mapped(record, base=base)  # type: ignore[arg-type]
        graph.remove((None, SCHEMA_NAME, None))
        return graph

    monkeypatch.setattr(kg.api, "map_record", map_without_names)
    assert main(["build", str(EXAMPLE), "-o", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "name" in captured.err
    assert captured.err.splitlines()[-1] == (
        "kg: xiongan-innovation.txt: does not conform to the shapes (nothing written)"
    )
    assert files_under(tmp_path) == []


def test_a_processing_failure_exits_3_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(record: object, base: str) -> Graph:
        raise RuntimeError("boom")

    monkeypatch.setattr(kg.api, "map_record", broken)
    assert main(["build", str(EXAMPLE), "-o", str(tmp_path / "out")]) == 3
    err = capsys.readouterr().err
    assert err == "kg: xiongan-innovation.txt: mapping failed (RuntimeError: boom)\n"
    assert files_under(tmp_path) == []


# --- extract and map -----------------------------------------------------------------------------


def test_extract_then_map_gives_the_same_files_as_build(tmp_path: Path, built: Path) -> None:
    record = tmp_path / "xiongan.record.json"
    assert run_kg("extract", EXAMPLE, "-o", record, cwd=tmp_path).returncode == 0
    assert json.loads(record.read_text(encoding="utf-8"))["people"]
    result = run_kg("map", record, "-o", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in DEFAULT_OUTPUTS:
        assert (tmp_path / "out" / name).read_bytes() == (built / name).read_bytes(), name


def test_a_saved_page_builds_like_its_text_version(tmp_path: Path, built: Path) -> None:
    page = ROOT / "tests" / "fixtures" / "xiongan-innovation.html"
    result = run_kg("build", page, "-o", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    data = json.loads((tmp_path / "out" / "xiongan-innovation.jsonld").read_text("utf-8"))
    assert [author["name"] for author in data["author"]] == ["Li Hongyu"]
    text = json.loads((built / "xiongan-innovation.jsonld").read_text("utf-8"))
    for group in ("people", "organizations", "places", "posts", "metrics", "quotes"):
        assert data[group] == text[group], group


def test_links_of_your_own_in_build_extract_and_map(tmp_path: Path) -> None:
    links = tmp_path / "links.csv"
    links.write_text(
        "type,name,id\norganization,National People's Congress,https://example.org/npc\n",
        encoding="utf-8",
    )
    npc = "https://example.org/kg/organization/national-people-s-congress"

    def same_as(out: Path) -> list[str]:
        data = json.loads((out / "xiongan-innovation.jsonld").read_text("utf-8"))
        [found] = [org for org in data["organizations"] if org["@id"] == npc]
        return list(found.get("sameAs", []))

    result = run_kg("build", EXAMPLE, "-o", tmp_path / "built", "--links", links, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert same_as(tmp_path / "built") == ["https://example.org/npc"]

    record = tmp_path / "xiongan-innovation.record.json"
    assert run_kg("extract", EXAMPLE, "-o", record, cwd=tmp_path).returncode == 0
    assert run_kg("map", record, "-o", tmp_path / "plain", cwd=tmp_path).returncode == 0
    assert same_as(tmp_path / "plain") == []
    result = run_kg("map", record, "-o", tmp_path / "mapped", "--links", links, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert same_as(tmp_path / "mapped") == ["https://example.org/npc"]

    record = tmp_path / "linked.record.json"
    assert run_kg("extract", EXAMPLE, "-o", record, "--links", links, cwd=tmp_path).returncode == 0
    [org] = [o for o in json.loads(record.read_text("utf-8"))["organizations"] if o["key"] in npc]
    assert org["same_as"] == ["https://example.org/npc"]


def test_a_bad_links_file_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    links = tmp_path / "links.csv"
    links.write_text("type,name,id\ncompany,Federal Reserve,Q53536\n", encoding="utf-8")
    result = run_kg("build", EXAMPLE, "-o", tmp_path / "out", "--links", links, cwd=tmp_path)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, f"kg: {links}: line 2: type 'company' unknown")
    assert not (tmp_path / "out").exists()


def test_map_refuses_an_invalid_record_with_json_pointers(tmp_path: Path) -> None:
    record = tmp_path / "record.json"
    assert run_kg("extract", EXAMPLE, "-o", record, cwd=tmp_path).returncode == 0
    data = json.loads(record.read_text(encoding="utf-8"))
    data["metrics"][0]["value"] = "abc"
    data["people"][0]["name"] = 7
    record.write_text(json.dumps(data), encoding="utf-8")
    result = run_kg("map", record, "-o", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert all(line.startswith(f"kg: {record}: /") for line in lines), result.stderr
    assert any("/metrics/0/value" in line for line in lines), result.stderr
    assert any("/people/0/name" in line for line in lines), result.stderr
    assert not (tmp_path / "out").exists()


def test_map_refuses_a_file_that_is_not_json(tmp_path: Path) -> None:
    result = run_kg("map", EXAMPLE, "-o", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "xiongan-innovation.txt")
    assert files_under(tmp_path) == []


# --- the extractor -------------------------------------------------------------------------------

PROV_AGENT = URIRef("http://www.w3.org/ns/prov#wasAssociatedWith")
AGENTS = "https://example.org/kg/agent/"


def test_extract_records_the_extractor_it_ran(tmp_path: Path, default_extractor: None) -> None:
    runs = {
        name: run_kg("extract", EXAMPLE, "-o", tmp_path / f"{name}.json", *option, cwd=tmp_path)
        for name, option in (("rules", ["--extractor", "rules"]), ("default", []))
    }
    assert [r.returncode for r in runs.values()] == [0, 0], [r.stderr for r in runs.values()]
    found = {
        name: json.loads((tmp_path / f"{name}.json").read_text("utf-8"))["extractor"]
        for name in runs
    }
    assert found["rules"] == {
        "name": "rules",
        "model": None,
        "model_version": None,
        "library": None,
    }
    default = found["default"]
    assert (default["name"], default["model"], default["model_version"]) == (
        "statistical",
        "en_core_web_sm",
        "3.8.0",
    )
    assert default["library"].startswith("spacy 3.8.")


def test_build_names_the_extractor_in_the_graph(tmp_path: Path, default_extractor: None) -> None:
    for name, option in (("rules", ["--extractor", "rules"]), ("default", [])):
        result = run_kg("build", EXAMPLE, "-o", tmp_path / name, *option, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    by_rules = Graph().parse(tmp_path / "rules" / "xiongan-innovation.ttl", format="turtle")
    by_default = Graph().parse(tmp_path / "default" / "xiongan-innovation.ttl", format="turtle")
    assert set(by_rules.objects(None, PROV_AGENT)) == {URIRef(f"{AGENTS}kg-rules")}
    assert set(by_default.objects(None, PROV_AGENT)) == {
        URIRef(f"{AGENTS}kg-statistical-en_core_web_sm-3.8.0")
    }


@pytest.mark.parametrize("command", ["build", "extract", "eval", "view"])
def test_an_unknown_extractor_exits_2_with_one_line(tmp_path: Path, command: str) -> None:
    result = run_kg(command, EXAMPLE, "-o", tmp_path / "out", "--extractor", "neural", cwd=tmp_path)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "--extractor", "invalid choice: 'neural'")
    assert files_under(tmp_path) == []


def test_an_unknown_kg_extractor_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KG_EXTRACTOR", "neural")
    assert main(["build", str(EXAMPLE), "-o", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "kg: KG_EXTRACTOR='neural': no such extractor (expected: statistical, rules)\n"
    )
    assert files_under(tmp_path) == []


@pytest.mark.parametrize("command", ["build", "extract", "eval", "view"])
def test_every_command_that_extracts_runs_the_extractor_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    ran: list[str] = []
    extract = kg.api.extract_record

    def spy(article: Any, extractor: str, doc: Any = None) -> Any:
        ran.append(extractor)
        return extract(article, extractor, doc)

    monkeypatch.setattr(kg.api, "extract_record", spy)
    gold = tmp_path / "gold"
    gold.mkdir()
    shutil.copyfile(EXAMPLE, gold / EXAMPLE.name)
    (gold / "xiongan-innovation.gold.json").write_text('{"people": []}', encoding="utf-8")
    source = gold if command == "eval" else gold / EXAMPLE.name
    output = tmp_path / ("record.json" if command == "extract" else "out")
    assert main([command, str(source), "-o", str(output), "--extractor", "rules"]) == 0
    assert ran == ["rules"]


# --- eval ----------------------------------------------------------------------------------------


def test_eval_scores_a_folder_of_gold_files(tmp_path: Path) -> None:
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    shutil.copyfile(EXAMPLE, gold_dir / EXAMPLE.name)
    gold = {"people": [{"name": "Ni Yuefeng", "aliases": ["Ni"]}]}
    (gold_dir / "xiongan-innovation.gold.json").write_text(json.dumps(gold), encoding="utf-8")
    result = run_kg("eval", gold_dir, "-o", tmp_path / "out", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [a["name"] for a in data["articles"]] == ["xiongan-innovation"]
    assert set(data["overall"]["scores"]) == set(CATEGORIES)
    assert data["overall"]["scores"]["people"]["tp"] == 1
    assert files_under(tmp_path / "out") == DEFAULT_OUTPUTS


@pytest.fixture(scope="module")
def gold_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example article with a gold file that misses a person and invents one."""
    folder = tmp_path_factory.mktemp("gold")
    shutil.copyfile(EXAMPLE, folder / EXAMPLE.name)
    gold = {"people": [{"name": "Ni Yuefeng", "aliases": ["Ni"]}, {"name": "Nobody Here"}]}
    (folder / "xiongan-innovation.gold.json").write_text(json.dumps(gold), encoding="utf-8")
    return folder


def test_eval_format_json_and_its_alias_json_agree(tmp_path: Path, gold_dir: Path) -> None:
    runs = [
        run_kg("eval", gold_dir, "-o", tmp_path / name, *option, cwd=tmp_path)
        for name, option in (("a", ["--format", "json"]), ("b", ["--json"]))
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    data = json.loads(runs[0].stdout)
    assert 0 < data["overall"]["macro_f1"] < 1
    assert data["articles"][0]["missed"] == {"people": ["Nobody Here"]}


def test_eval_verbose_says_what_each_article_missed_and_added(
    tmp_path: Path, gold_dir: Path
) -> None:
    result = run_kg("eval", gold_dir, "-o", tmp_path / "out", "-v", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "  macro-F1 " in result.stdout
    assert "  missed (in the gold file, not found):\n    people: Nobody Here\n" in result.stdout
    extra = result.stdout.split("  extra (found, not in the gold file):\n")[1]
    assert extra.startswith("    people: ")  # the example's other people
    assert "    organizations: National People's Congress" in extra


# The gold file has people only, so the example's organizations, places, ... are all extra.
@pytest.mark.parametrize(("bar", "code"), [("0.05", 0), ("0.5", 1)])
def test_eval_fail_under_is_a_quality_gate(
    tmp_path: Path, gold_dir: Path, bar: str, code: int
) -> None:
    result = run_kg("eval", gold_dir, "-o", tmp_path / "out", "--fail-under", bar, cwd=tmp_path)
    assert result.returncode == code, result.stderr
    if code:
        assert_one_error_line(result.stderr, "macro-F1 0.", f"is below --fail-under {bar}")
    assert files_under(tmp_path / "out") == DEFAULT_OUTPUTS  # written either way


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["--fail-under", "2"], "not a number from 0 to 1"), (["--format", "nt"], "invalid choice")],
)
def test_eval_usage_errors(tmp_path: Path, gold_dir: Path, args: list[str], fragment: str) -> None:
    result = run_kg("eval", gold_dir, "-o", tmp_path / "out", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, fragment)


def test_eval_of_a_folder_without_gold_files_is_an_input_error(tmp_path: Path) -> None:
    result = run_kg("eval", tmp_path, "-o", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "no <stem>.txt with a <stem>.gold.json")


@pytest.mark.shared
@needs_shared
def test_eval_on_the_shared_articles(tmp_path: Path, default_extractor: None) -> None:
    text = run_kg("eval", SHARED_ARTICLES, "-o", tmp_path / "text", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    stems = len(list(SHARED_ARTICLES.glob("*.gold.json")))
    assert f"overall (micro, {stems} articles)" in text.stdout
    result = run_kg("eval", SHARED_ARTICLES, "-o", tmp_path / "out", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    articles = {a["name"]: a for a in json.loads(result.stdout)["articles"]}
    assert len(articles) == stems
    assert len(files_under(tmp_path / "out")) == 2 * len(articles)
    # The bar for the example article: precision and recall >= 0.95 everywhere.
    xiongan = articles["xiongan-innovation"]["scores"]
    for category in CATEGORIES:
        assert xiongan[category]["precision"] >= 0.95, (category, xiongan[category])
        assert xiongan[category]["recall"] >= 0.95, (category, xiongan[category])
    # The whole shared set as measured on 2026-12-04 (macro-F1 0.798), less a margin: issue
    # 12's bar of 0.90 is not reached yet (docs/extraction.md).
    overall = json.loads(result.stdout)["overall"]
    assert overall["macro_f1"] >= 0.77, overall
