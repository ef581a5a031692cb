"""`kg validate` and `kg.validate_files`: each broken file is one finding, with its file and
location, in every format and with the documented exit code."""

from __future__ import annotations

import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from test_cli import run_kg

import kg.conformance
from kg.cli import main
from kg.conformance import (
    CHECKS,
    TEXT_ANCHOR,
    FileFinding,
    ValidationRun,
    validate_files,
)
from kg.errors import BrokenShapes, InputError
from kg.mapping import map_record
from kg.record import read_record
from kg.serialize import Format, serialize_graph

ROOT = Path(__file__).parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "validate"
GOOD = FIXTURES / "good.ttl"
KGSH = "https://w3id.org/kg-news/shapes#"
SH = "http://www.w3.org/ns/shacl#"
RECORD_SCHEMA = "https://w3id.org/kg-news/schemas/record.schema.json"


class Expected(NamedTuple):
    check: str
    shape: str
    component: str
    line: int
    passage: str | None  # the article text the finding quotes, for kg data


# One file per failure mode (the list); a test below fails when a file here is unused.
BROKEN = {
    "syntax-error.ttl": Expected("syntax", CHECKS + "syntax", CHECKS + "syntax", 5, None),
    "missing-required-property.ttl": Expected(
        "shacl", KGSH + "PersonShape-name", SH + "MinCountConstraintComponent", 11, "Wang Zhengpu"
    ),
    "wrong-datatype.ttl": Expected(
        "shacl",
        KGSH + "ObservationShape-value",
        SH + "DatatypeConstraintComponent",
        69,
        "5 percent",
    ),
    "anchor-mismatch.ttl": Expected(
        "shacl", KGSH + "AnchorsMatchText", SH + "SPARQLConstraintComponent", 69, "5 percent"
    ),
    "remote-context.jsonld": Expected(
        "syntax", CHECKS + "remote-context", CHECKS + "remote-context", 2, None
    ),
    "record-fails-schema.json": Expected(
        "json-schema",
        RECORD_SCHEMA + "#/properties/metrics/items/properties/qualifier/enum",
        "enum",
        83,
        None,
    ),
    "external-entity.rdf": Expected("syntax", CHECKS + "xml-dtd", CHECKS + "xml-dtd", 2, None),
    "empty.ttl": Expected("syntax", CHECKS + "empty-file", CHECKS + "empty-file", 1, None),
}


@pytest.fixture(scope="module")
def fixture_run() -> ValidationRun:
    return validate_files([FIXTURES])


def findings_of(run: ValidationRun, name: str) -> list[FileFinding]:
    return [f for f in run.findings if Path(f.file).name == name]


def test_every_fixture_file_is_in_the_table() -> None:
    assert {p.name for p in FIXTURES.iterdir()} == {*BROKEN, "good.ttl"}


def test_the_good_file_has_no_finding(fixture_run: ValidationRun) -> None:
    assert findings_of(fixture_run, "good.ttl") == []
    (good,) = [r for r in fixture_run.files if r.file.endswith("good.ttl")]
    assert (good.kind, good.triples) == ("kg", 94)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_broken_file_is_one_finding_with_its_location(
    fixture_run: ValidationRun, name: str
) -> None:
    expected = BROKEN[name]
    (finding,) = findings_of(fixture_run, name)
    assert finding.file == str(FIXTURES / name)
    assert (finding.check, finding.shape, finding.component) == expected[:3]
    assert finding.severity == "Violation"
    assert finding.line == expected.line
    assert finding.column is not None and finding.column >= 1
    assert finding.message
    if expected.passage is None:
        assert finding.passage is None
    else:
        assert finding.passage is not None
        assert finding.passage.text == expected.passage


def test_the_run_counts_and_fails(fixture_run: ValidationRun) -> None:
    assert len(fixture_run.files) == 9
    assert fixture_run.counts() == {"Violation": 8, "Warning": 0, "Info": 0}
    assert fixture_run.failed("violation")
    assert fixture_run.summary().startswith("validated 9 files (375 triples) in ")
    assert fixture_run.summary().endswith(": 8 violations, 0 warnings, 0 infos")


def test_a_syntax_error_says_line_and_column(fixture_run: ValidationRun) -> None:
    (finding,) = findings_of(fixture_run, "syntax-error.ttl")
    assert (finding.line, finding.column) == (5, 1)
    assert "dot is expected" in finding.message
    assert not finding.message.startswith("Parser error")  # the location is in the fields


def test_a_finding_in_kg_data_quotes_the_article(fixture_run: ValidationRun) -> None:
    (finding,) = findings_of(fixture_run, "missing-required-property.ttl")
    assert finding.focus == "https://example.org/kg/person/wang-zhengpu"
    assert finding.path == "http://schema.org/name"
    assert finding.passage is not None
    assert (finding.passage.begin, finding.passage.end) == (0, 12)


def test_parallel_jobs_find_the_same(fixture_run: ValidationRun) -> None:
    parallel = validate_files([FIXTURES], jobs=2)
    assert parallel.findings == fixture_run.findings
    assert [r.file for r in parallel.files] == [r.file for r in fixture_run.files]


# --- the command ---------------------------------------------------------------------------------


def test_validating_kg_output_exits_0_with_a_one_line_summary() -> None:
    done = run_kg("validate", "output/", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    summary = r"validated 2 files \(\d+ triples\): 0 violations, 0 warnings, 0 infos"
    assert re.fullmatch(summary, lines[0])
    assert done.stderr == ""


def validate_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["validate", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_text_groups_findings_by_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = validate_cli(capsys, FIXTURES)
    assert code == 1
    lines = out.splitlines()
    for name, expected in BROKEN.items():
        header = lines.index(str(FIXTURES / name))
        assert lines[header + 1].strip().startswith(f"{expected.line}:")
    assert str(GOOD) not in lines
    assert lines[-1].endswith("8 violations, 0 warnings, 0 infos")
    assert "\x1b[" not in out  # not a terminal: no colour


def test_json_has_one_finding_per_broken_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = validate_cli(capsys, FIXTURES, "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["failed"] is True
    by_file = {Path(f["file"]).name: f for f in report["findings"]}
    assert len(report["findings"]) == len(by_file) == len(BROKEN)
    for name, expected in BROKEN.items():
        assert by_file[name]["shape"] == expected.shape
        assert by_file[name]["line"] == expected.line
    assert err.startswith("kg: validated 9 files")  # the summary, for people, on stderr


def test_junit_has_a_testcase_per_file_and_a_failure_per_finding(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = validate_cli(capsys, FIXTURES, "--format", "junit")
    assert code == 1
    suites = ET.fromstring(out)
    cases = {Path(case.get("name", "")).name: case for case in suites.iter("testcase")}
    assert set(cases) == {*BROKEN, "good.ttl"}
    assert cases["good.ttl"].findall("failure") == []
    for name, expected in BROKEN.items():
        (failure,) = cases[name].findall("failure")
        assert f":{expected.line}:" in failure.get("message", "")
    (suite,) = suites.iter("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("9", "8")


def test_sarif_has_one_result_per_broken_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = validate_cli(capsys, FIXTURES, "--format", "sarif")
    assert code == 1
    (sarif_run,) = json.loads(out)["runs"]
    results = {
        Path(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]).name: r
        for r in sarif_run["results"]
    }
    assert len(sarif_run["results"]) == len(results) == len(BROKEN)
    for name, expected in BROKEN.items():
        assert results[name]["ruleId"] == expected.shape
        region = results[name]["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] == expected.line


def test_output_is_written_to_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    code, out, err = validate_cli(capsys, FIXTURES, "--format", "sarif", "--output", target)
    assert code == 1
    assert out == ""
    assert json.loads(target.read_text("utf-8"))["version"] == "2.1.0"
    assert "8 violations" in err
    assert [p.name for p in tmp_path.iterdir()] == ["report.sarif"]  # no temporary file left


def warning_only(tmp_path: Path) -> Path:
    """good.ttl without its date: kg's shapes warn (a plain-text article may have none)."""
    text = GOOD.read_text("utf-8")
    lines = [line for line in text.splitlines(keepends=True) if "datePublished" not in line]
    path = tmp_path / "undated.ttl"
    path.write_text("".join(lines), "utf-8")
    return path


@pytest.mark.parametrize(("fail_on", "code"), [("violation", 0), ("warning", 1), ("info", 1)])
def test_fail_on_sets_the_lowest_severity_that_fails(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fail_on: str, code: int
) -> None:
    path = warning_only(tmp_path)
    assert validate_cli(capsys, path, "--fail-on", fail_on)[0] == code


def test_a_warning_below_fail_on_is_reported_but_not_a_junit_failure(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = validate_cli(capsys, warning_only(tmp_path), "--format", "junit")
    assert code == 0
    (case,) = ET.fromstring(out).iter("testcase")
    assert case.findall("failure") == []
    assert "Warning" in (case.findtext("system-out") or "")


# --- exit codes for what is not the data's fault --------------------------------------------------

BROKEN_SHAPES_TTL = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <https://example.org/shapes#> .
ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:minCount "one" ] .
"""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no/such/folder"], "no such file or folder"),
        ([FIXTURES / "good.ttl", "--format", "xml"], "report format 'xml' not supported"),
        ([FIXTURES / "good.ttl", "--fail-on", "error"], "invalid choice"),
        ([FIXTURES / "good.ttl", "--inference", "owlrl"], "invalid choice"),
        ([FIXTURES / "good.ttl", "-j", "many"], "not a whole number"),
        ([ROOT / "README.md"], "not a file kg validates"),
        ([FIXTURES / "good.ttl", "--shapes", "no/such.ttl"], "no such shapes file"),
        (
            [FIXTURES / "good.ttl", "--shapes", FIXTURES / "syntax-error.ttl"],
            "syntax-error.ttl:5:1",
        ),
        ([FIXTURES / "good.ttl", "--schema", FIXTURES / "good.ttl"], "not a usable JSON Schema"),
        ([FIXTURES / "good.ttl", "--ontology", FIXTURES / "empty.ttl"], "empty file"),
    ],
)
def test_usage_and_input_errors_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[Any], message: str
) -> None:
    try:
        code = main(["validate", *map(str, args)])
    except SystemExit as usage:  # argparse's own errors
        code = usage.code  # type: ignore[assignment]
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert message in err


def test_shapes_that_are_not_shacl_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(BROKEN_SHAPES_TTL, "utf-8")
    code, out, err = validate_cli(capsys, GOOD, "--shapes", shapes)
    assert code == 2
    assert out == ""
    assert "not valid SHACL" in err
    with pytest.raises(BrokenShapes):
        validate_files([GOOD], shapes=shapes)


def test_an_unwritable_output_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = validate_cli(capsys, GOOD, "--output", tmp_path / "missing" / "report.txt")
    assert code == 2
    assert "cannot write" in err


def test_an_internal_error_exits_3(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(kg.conformance, "validate_graph", broken)
    code, _, err = validate_cli(capsys, GOOD)
    assert code == 3
    assert "internal error (RuntimeError: a bug)" in err


def test_the_library_raises_input_errors() -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        validate_files(["no/such/file.ttl"])
    with pytest.raises(InputError, match="inference 'owlrl' not supported"):
        validate_files([GOOD], inference="owlrl")


# --- options -------------------------------------------------------------------------------------

PERSON_EMAIL_SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <http://schema.org/> .
@prefix ex: <https://example.org/shapes#> .
ex:PersonShape a sh:NodeShape ; sh:targetClass schema:Person ; sh:property ex:PersonShape-email .
ex:PersonShape-email a sh:PropertyShape ; sh:path schema:email ; sh:minCount 1 .
"""


def test_shapes_replace_kgs(tmp_path: Path) -> None:
    folder = tmp_path / "shapes"
    folder.mkdir()
    (folder / "people.ttl").write_text(PERSON_EMAIL_SHAPES, "utf-8")
    for shapes in (folder / "people.ttl", folder):
        (finding,) = validate_files([GOOD], shapes=shapes).findings
        assert finding.shape == "https://example.org/shapes#PersonShape-email"
        assert finding.focus == "https://example.org/kg/person/wang-zhengpu"
        assert finding.passage is not None and finding.passage.text == "Wang Zhengpu"


def test_text_anchors_are_checked_whatever_the_shapes(tmp_path: Path) -> None:
    """kg's own anchor check, which shapes without kgsh:AnchorsMatchText do not make."""
    shapes = tmp_path / "none.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<https://example.org/shapes#S> a sh:NodeShape ; "
        "sh:targetClass <https://example.org/ns#Nothing> .\n",
        "utf-8",
    )
    (finding,) = validate_files([FIXTURES / "anchor-mismatch.ttl"], shapes=shapes).findings
    assert (finding.check, finding.shape) == ("anchors", TEXT_ANCHOR)
    assert finding.focus == "https://example.org/kg/article/7dac0eb93daba8eb#char=60,69"
    assert finding.value == '"6 percent"'
    assert finding.passage is not None and finding.passage.text == "5 percent"
    assert finding.line == 69


def test_an_ontology_serves_rdfs_inference(tmp_path: Path) -> None:
    ontology = tmp_path / "ontology.ttl"
    ontology.write_text(
        "@prefix ex: <https://example.org/ns#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "ex:worksFor rdfs:domain <http://schema.org/Person> .\n",
        "utf-8",
    )
    data = tmp_path / "staff.ttl"
    data.write_text(
        "<https://example.org/kg/person/someone> <https://example.org/ns#worksFor> "
        "<https://example.org/kg/organization/acme> .\n",
        "utf-8",
    )
    assert validate_files([data], ontology=ontology).findings == []
    inferred = validate_files([data], ontology=ontology, inference="rdfs").findings
    assert KGSH + "PersonShape-name" in {f.shape for f in inferred}


def test_other_json_is_checked_against_a_given_schema(tmp_path: Path) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": "https://example.org/person.schema.json",
                "properties": {"name": {"type": "string"}},
            }
        ),
        "utf-8",
    )
    data = tmp_path / "person.json"
    data.write_text('{\n  "name": 5\n}\n', "utf-8")
    assert validate_files([data]).findings == []  # no schema: syntax only
    (finding,) = validate_files([data], schema=schema).findings
    assert finding.shape == "https://example.org/person.schema.json#/properties/name/type"
    assert (finding.component, finding.path, finding.value) == ("type", "/name", "5")
    assert (finding.line, finding.column) == (2, 11)


def tiny_record_path(tmp_path: Path, change: dict[str, Any] | None = None) -> Path:
    data = json.loads((FIXTURES / "record-fails-schema.json").read_text("utf-8"))
    data["metrics"][0]["qualifier"] = "exact"
    for pointer, value in (change or {}).items():
        *parents, last = pointer.strip("/").split("/")
        target = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value
    path = tmp_path / "tiny.record.json"
    path.write_text(json.dumps(data, indent=2), "utf-8")
    return path


def test_a_valid_record_has_no_finding(tmp_path: Path) -> None:
    run = validate_files([tiny_record_path(tmp_path)])
    assert run.findings == []
    assert run.files[0].kind == "record"


def test_a_record_span_that_is_not_the_article_text_is_an_anchor_finding(tmp_path: Path) -> None:
    path = tiny_record_path(tmp_path, {"/metrics/0/evidence/text": "6 percent"})
    (finding,) = validate_files([path]).findings
    assert (finding.check, finding.shape) == ("anchors", TEXT_ANCHOR)
    assert finding.path == "/metrics/0/evidence/text"
    assert finding.passage is not None and finding.passage.text == "5 percent"
    assert finding.line is not None


def tiny_graph_files(tmp_path: Path) -> dict[Format, Path]:
    record = read_record(tiny_record_path(tmp_path))
    graph = map_record(record)
    files = {}
    for fmt in Format:
        path = tmp_path / f"tiny.{fmt.extension}"
        path.write_bytes(serialize_graph(graph, fmt))
        files[fmt] = path
    return files


def test_kg_output_in_every_format_has_no_finding(tmp_path: Path) -> None:
    run = validate_files(tiny_graph_files(tmp_path).values())
    assert run.findings == []
    assert {r.kind for r in run.files} == {"kg"}
    assert {r.triples for r in run.files} == {94}


def test_kgs_json_ld_is_checked_against_its_json_schema(tmp_path: Path) -> None:
    path = tiny_graph_files(tmp_path)[Format.JSONLD]
    document = json.loads(path.read_text("utf-8"))
    assert document["image"] == []
    del document["image"]  # the same triples, but not the layout kg writes
    path.write_text(json.dumps(document, indent=2), "utf-8")
    (finding,) = validate_files([path]).findings
    assert (finding.check, finding.component, finding.path) == ("json-schema", "required", "")
    assert finding.shape == "https://w3id.org/kg-news/schemas/jsonld.schema.json#/required"
    assert (finding.line, finding.column) == (1, 1)


def test_kgs_context_by_reference_is_read_locally(tmp_path: Path) -> None:
    path = tiny_graph_files(tmp_path)[Format.JSONLD]
    document = json.loads(path.read_text("utf-8"))
    for reference in (
        "https://w3id.org/kg-news/context.jsonld",
        os.path.relpath(ROOT / "ontology" / "context.jsonld", tmp_path),
    ):
        document["@context"] = reference
        path.write_text(json.dumps(document), "utf-8")
        assert validate_files([path]).findings == []


def test_a_json_syntax_error_says_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonld"
    path.write_text('{\n  "@id": "https://example.org/x",\n  "name" "x"\n}\n', "utf-8")
    (finding,) = validate_files([path]).findings
    assert (finding.shape, finding.line, finding.column) == (CHECKS + "syntax", 3, 10)


def test_rdf_that_is_not_kg_output_is_validated_without_anchors(tmp_path: Path) -> None:
    path = tmp_path / "people.nt"
    path.write_text('<https://example.org/p/1> <http://xmlns.com/foaf/0.1/name> "One" .\n', "utf-8")
    run = validate_files([path])
    assert run.findings == []
    assert (run.files[0].kind, run.files[0].triples) == ("rdf", 1)


def test_folders_skip_hidden_files_and_other_suffixes(tmp_path: Path) -> None:
    shutil.copy(GOOD, tmp_path / "good.ttl")
    (tmp_path / ".good.ttl.abc.tmp").write_text("not rdf", "utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.ttl").write_text("not rdf", "utf-8")
    (tmp_path / "notes.md").write_text("# notes", "utf-8")
    run = validate_files([tmp_path])
    assert [Path(r.file).name for r in run.files] == ["good.ttl"]
