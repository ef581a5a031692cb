"""`kg validate` over other people's data: RDF by any of its usual extensions or by
--input-format, the other files of a folder listed as skipped, reports that are the same bytes
every run, that no control character in the data can break or reach a terminal raw, and the
standard SHACL validation report (--format shacl)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH
from test_cli import run_kg

from kg.conformance import CHECKS, ValidationRun, validate_files
from kg.errors import InputError
from kg.rdfinput import by_extension, input_format, sniffed
from kg.reports import ReportFormat, format_run

ROOT = Path(__file__).parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "validate"
GOOD = FIXTURES / "good.ttl"
BROKEN = FIXTURES / "missing-required-property.ttl"  # a person without a name
KGSH = "https://w3id.org/kg-news/shapes#"

# Invented shapes and data: a person's status is one of a list.
STATUS_SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <https://example.org/shapes#> .
@prefix schema: <http://schema.org/> .
ex:PersonShape a sh:NodeShape ; sh:targetClass schema:Person ; sh:property ex:PersonShape-status .
ex:PersonShape-status sh:path schema:status ;
    sh:in ( "active" "retired" "on leave" "emeritus" "visiting" "unknown" ) .
"""
STATUS_DATA = """@prefix schema: <http://schema.org/> .
<https://example.org/people/anna-berg> a schema:Person ; schema:name "Anna Berg" ;
    schema:status "sabbatical" .
[] a schema:Person ; schema:name "Jon Lund" ; schema:status "away" .
"""


def reserialized(source: Path, target: Path, rdflib_format: str) -> Path:
    """`source` (Turtle) written again in another syntax by rdflib, as other tools would."""
    target.write_text(Graph().parse(source, format="turtle").serialize(format=rdflib_format))
    return target


def findings_key(run: ValidationRun) -> list[tuple[str, str | None, str | None, str]]:
    return sorted((f.shape, f.focus, f.path, f.message) for f in run.findings)


# --- formats by extension and content ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.ttl", "turtle"),
        ("a.turtle", "turtle"),
        ("a.TTL", "turtle"),
        ("a.nt", "nt"),
        ("a.nq", "nquads"),
        ("a.trig", "trig"),
        ("a.jsonld", "json-ld"),
        ("a.n3", "n3"),
        ("a.owl", "xml"),
        ("a.rdf", "xml"),
        ("a.xml", "xml"),
        ("a.json", None),
        ("a.md", None),
        ("a", None),
    ],
)
def test_extensions_name_formats(name: str, expected: str | None) -> None:
    found = by_extension(Path(name))
    assert (found.name if found else None) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (b'<?xml version="1.0"?>\n<rdf:RDF/>', "xml"),
        (b"\xef\xbb\xbf  <rdf:RDF xmlns:rdf='...'>", "xml"),
        (b"<!-- saved by an editor -->", "xml"),
        (b"@prefix ex: <https://example.org/> .", "turtle"),
        (b"PREFIX ex: <https://example.org/>", "turtle"),
        (b"<https://example.org/a> <https://example.org/b> <https://example.org/c> .", "turtle"),
        (b"# an ontology\n", "turtle"),
    ],
)
def test_rdf_xml_extensions_hold_turtle_when_the_content_says_so(
    start: bytes, expected: str
) -> None:
    owl = by_extension(Path("ontology.owl"))
    assert owl is not None
    assert sniffed(owl, start).name == expected
    assert sniffed(input_format("nt"), start).name == "nt"  # only RDF/XML's names are sniffed


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ttl", "turtle"),
        ("TURTLE", "turtle"),
        ("ntriples", "nt"),
        ("nquads", "nquads"),
        ("json-ld", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("pretty-xml", "xml"),
        ("n3", "n3"),
    ],
)
def test_input_formats_take_rdflib_names(name: str, expected: str) -> None:
    assert input_format(name).name == expected


def test_a_folder_of_owl_n3_and_turtle_files_is_validated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reserialized(GOOD, tmp_path / "good.owl", "xml")
    reserialized(GOOD, tmp_path / "good.n3", "n3")
    reserialized(GOOD, tmp_path / "good-turtle.owl", "turtle")  # as ontology editors save
    shutil.copy(GOOD, tmp_path / "good.turtle")
    reserialized(BROKEN, tmp_path / "broken.owl", "xml")
    reserialized(BROKEN, tmp_path / "broken.n3", "n3")
    (tmp_path / "notes.foo").write_text("not rdf", "utf-8")
    (tmp_path / "pom.xml").write_text("<project><name>Norvatek</name></project>", "utf-8")
    reserialized(GOOD, tmp_path / "people.xml", "xml")

    run = validate_files([tmp_path])
    assert [Path(r.file).name for r in run.files] == [
        "broken.n3",
        "broken.owl",
        "good-turtle.owl",
        "good.n3",
        "good.owl",
        "good.turtle",
        "people.xml",
    ]
    assert {r.triples for r in run.files} == {len(Graph().parse(GOOD))} | {
        len(Graph().parse(BROKEN))
    }
    reference = validate_files([BROKEN])
    for name in ("broken.n3", "broken.owl"):
        (result,) = [r for r in run.files if r.file.endswith(name)]
        assert result.kind == "kg"
        assert sorted((f.shape, f.focus, f.path, f.message) for f in result.findings) == (
            findings_key(reference)
        )
    assert {s.file: s.reason for s in run.skipped} == {
        str(tmp_path / "notes.foo"): "not an RDF file (extension .foo)",
        str(tmp_path / "pom.xml"): "XML, not RDF/XML (no RDF namespace)",
    }
    assert run.summary().endswith("; skipped 2 files")
    assert "validated 7 files" in run.summary()

    from kg.cli import main

    assert main(["validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert f"kg: skipped {tmp_path / 'notes.foo'}: not an RDF file (extension .foo)" in err
    assert f"kg: skipped {tmp_path / 'pom.xml'}: XML, not RDF/XML (no RDF namespace)" in err


def test_skipped_files_are_in_every_report(tmp_path: Path) -> None:
    shutil.copy(GOOD, tmp_path / "good.ttl")
    (tmp_path / "notes.md").write_text("# notes", "utf-8")
    run = validate_files([tmp_path])
    skipped = str(tmp_path / "notes.md")
    data = json.loads(format_run(run, ReportFormat.JSON))
    assert data["skipped"] == [{"file": skipped, "reason": "not an RDF file (extension .md)"}]
    assert (data["summary"]["files"], data["summary"]["skipped"]) == (1, 1)
    suite = ET.fromstring(format_run(run, ReportFormat.JUNIT)).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("skipped")) == ("2", "1")
    (case,) = [c for c in suite.iter("testcase") if c.find("skipped") is not None]
    assert case.get("name") == skipped
    sarif = json.loads(format_run(run, ReportFormat.SARIF))
    (note,) = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"] == f"skipped {skipped}: not an RDF file (extension .md)"


def test_input_format_reads_any_extension(tmp_path: Path) -> None:
    as_text = tmp_path / "people.txt"
    shutil.copy(BROKEN, as_text)
    with pytest.raises(InputError, match="people.txt: not a file kg validates"):
        validate_files([as_text])
    assert findings_key(validate_files([as_text], input_format="ttl")) == findings_key(
        validate_files([BROKEN])
    )
    as_json = reserialized(GOOD, tmp_path / "good.json", "json-ld")
    run = validate_files([as_json], input_format="json-ld")
    assert (run.files[0].kind, run.findings) == ("kg", [])


def kg_validate(*args: str | Path, cwd: Path) -> tuple[int, list[str], list[str]]:
    done = run_kg("validate", *args, cwd=cwd)
    return done.returncode, done.stdout.splitlines(), done.stderr.splitlines()


@pytest.mark.parametrize(
    ("name", "content", "options"),
    [
        ("people.ttl", "<?xml version='1.0'?>\n<rdf:RDF/>\n", ["--input-format", "turtle"]),
        ("people.owl", '<rdf:RDF xmlns:rdf="x">\n  <oops\n', []),
        ("people.rdf", "@prefix ex: <https://example.org/> .\nex:a ex:b\n", []),
        ("rules.n3", "@prefix : <https://example.org/> .\n:a :b :c ;\n:d .\n", []),
        (
            "people.data",
            '{"@id": "https://example.org/a",\n  "x" 1}\n',
            ["--input-format", "jsonld"],
        ),
        ("people.nt", "<https://example.org/a> <https://example.org/b> .\n", []),
    ],
)
def test_an_unparsable_file_is_one_syntax_finding_naming_it(
    tmp_path: Path, name: str, content: str, options: list[str]
) -> None:
    (tmp_path / name).write_text(content, "utf-8")
    code, out, _ = kg_validate(name, *options, cwd=tmp_path)
    assert code == 1  # a file's problem is a finding (README: exit codes of kg validate)
    assert out[0] == name
    assert len(out) == 3  # the file, its one finding, the summary
    assert "Violation" in out[1] and "(kgc:syntax)" in out[1]
    junit = ET.fromstring(
        run_kg("validate", name, *options, "--format", "junit", cwd=tmp_path).stdout
    )
    (failure,) = junit.iter("failure")
    message = failure.get("message") or ""
    assert message.startswith(f"{name}:") and "\n" not in message


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["people.ttl", "--input-format", "owl-functional"], "input format 'owl-functional'"),
        (["people.foo"], "people.foo: not a file kg validates"),
        (["folder"], "folder: no files to validate in this folder"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    shutil.copy(GOOD, tmp_path / "people.ttl")
    shutil.copy(GOOD, tmp_path / "people.foo")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "notes.md").write_text("# notes", "utf-8")
    code, out, err = kg_validate(*args, cwd=tmp_path)
    assert code == 2
    assert out == []
    assert len(err) == 1 and message in err[0]


# --- the same bytes every run --------------------------------------------------------------------


def status_files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "shapes.ttl").write_text(STATUS_SHAPES, "utf-8")
    (tmp_path / "people.ttl").write_text(STATUS_DATA, "utf-8")
    return tmp_path / "shapes.ttl", tmp_path / "people.ttl"


def report_bytes(tmp_path: Path, fmt: str, seed: int, *extra: str) -> bytes:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "kg", "validate", "people.ttl", "--shapes", "shapes.ttl"]
        + ["--format", fmt, *extra],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": path, "PYTHONHASHSEED": str(seed)},
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    return done.stdout


@pytest.mark.parametrize("fmt", [f.label for f in ReportFormat])
def test_a_report_is_the_same_bytes_in_every_process(tmp_path: Path, fmt: str) -> None:
    status_files(tmp_path)
    reports = {report_bytes(tmp_path, fmt, seed) for seed in (1, 2, 3)}
    assert len(reports) == 1
    (report,) = reports
    # The values in the order of the shape's list, not the order of a set.
    assert b"active" in report
    listed = ["active", "retired", "on leave", "emeritus", "visiting", "unknown"]
    start = report.index(b"not in list")
    positions = [report.index(value.encode(), start) for value in listed]
    assert positions == sorted(positions)


def test_both_engines_write_the_same_report(tmp_path: Path) -> None:
    pytest.importorskip("pyshacl_turbo", reason="the turbo extra is not installed")
    status_files(tmp_path)
    for fmt in ("json", "shacl"):
        reference = report_bytes(tmp_path, fmt, 1, "--shacl-engine", "pyshacl")
        assert report_bytes(tmp_path, fmt, 2, "--shacl-engine", "turbo") == reference


def test_timings_are_in_a_report_only_when_asked(tmp_path: Path) -> None:
    shapes, people = status_files(tmp_path)
    run = validate_files([people], shapes=shapes)
    assert "seconds" not in json.loads(format_run(run, ReportFormat.JSON))["summary"]
    assert " s: " not in format_run(run, ReportFormat.TEXT)
    timed = json.loads(format_run(run, ReportFormat.JSON, timings=True))
    assert timed["summary"]["seconds"] >= 0
    assert " s: " in format_run(run, ReportFormat.TEXT, timings=True)
    suite = ET.fromstring(format_run(run, ReportFormat.JUNIT, timings=True))
    assert suite.get("time") is not None


def test_anonymous_nodes_are_named_in_the_order_the_file_uses_them(tmp_path: Path) -> None:
    shapes, people = status_files(tmp_path)
    run = validate_files([people], shapes=shapes)
    assert sorted(f.focus or "" for f in run.findings) == [
        "anon1",
        "https://example.org/people/anna-berg",
    ]


# --- the SHACL validation report -----------------------------------------------------------------


def shacl_report(run: ValidationRun) -> Graph:
    return Graph().parse(data=format_run(run, ReportFormat.SHACL), format="turtle")


def test_the_shacl_report_of_broken_data_does_not_conform() -> None:
    run = validate_files([BROKEN])
    graph = shacl_report(run)
    (report,) = graph.subjects(SH.conforms, None)
    assert graph.value(report, SH.conforms) == Literal(False)
    results = list(graph.objects(report, SH.result))
    assert len(results) == len(run.findings) == 1
    (finding,), (result,) = run.findings, results
    assert graph.value(result, SH.focusNode) == URIRef(finding.focus or "")
    assert graph.value(result, SH.resultPath) == URIRef(finding.path or "")
    assert graph.value(result, SH.sourceShape) == URIRef(finding.shape)
    assert graph.value(result, SH.sourceConstraintComponent) == URIRef(finding.component)
    assert graph.value(result, SH.resultSeverity) == SH.Violation
    assert graph.value(result, SH.resultMessage) == Literal(finding.message)
    assert graph.value(result, URIRef(CHECKS + "file")) == Literal(str(BROKEN))


def test_the_shacl_report_of_good_data_conforms() -> None:
    graph = shacl_report(validate_files([GOOD]))
    (report,) = graph.subjects(None, SH.ValidationReport)
    assert graph.value(report, SH.conforms) == Literal(True)
    assert list(graph.objects(report, SH.result)) == []


def test_the_shacl_report_of_every_fixture_parses_with_rapper(tmp_path: Path) -> None:
    run = validate_files([FIXTURES])
    text = format_run(run, ReportFormat.SHACL)
    graph = Graph().parse(data=text, format="turtle")
    assert len(list(graph.subjects(None, SH.ValidationResult))) == len(run.findings) == 8
    rapper = shutil.which("rapper")
    if rapper is None:
        pytest.skip("rapper (raptor2-utils) is not on PATH")
    (tmp_path / "report.ttl").write_text(text, "utf-8")
    done = subprocess.run(
        [rapper, "-i", "turtle", "-c", "report.ttl"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"returned {len(graph)} triples" in done.stderr


def test_the_shacl_report_has_an_inverse_path_as_a_node(tmp_path: Path) -> None:
    # kg's shapes say the extraction generated the article's graph: ^prov:wasGeneratedBy.
    path = tmp_path / "ungenerated.ttl"
    text = (ROOT / "output" / "xiongan-innovation.ttl").read_text("utf-8")
    path.write_text(text.replace("prov:wasGeneratedBy", "prov:wasDerivedFrom"), "utf-8")
    run = validate_files([path])
    generated = "^<http://www.w3.org/ns/prov#wasGeneratedBy>"
    assert generated in {f.path for f in run.findings}
    graph = shacl_report(run)
    paths = {graph.value(node, SH.inversePath) for node in graph.objects(None, SH.resultPath)}
    assert URIRef("http://www.w3.org/ns/prov#wasGeneratedBy") in paths


# --- control characters --------------------------------------------------------------------------

# What terminals act on: ESC and CSI sequences, BEL, backspace, NUL, DEL, C1, bidi overrides.
HOSTILE = [
    "\x1b[2J\x1b[31mred",
    "\x9b31m",
    "bell\x07",
    "back\x08space",
    "nul\x00",
    "del\x7f",
    "line\nbreak\r\n",
    "tab\there",
    "\u202eevil",
    "\ufffe\uffff",
    "😀 fine",
]


def nt_literal(text: str) -> str:
    """`text` as an N-Triples string, every character outside printable ASCII escaped."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif " " <= char <= "~":
            out.append(char)
        else:
            out.append(f"\\U{ord(char):08X}")
    return '"' + "".join(out) + '"'


def run_with_status(folder: Path, status: str) -> ValidationRun:
    (folder / "shapes.ttl").write_text(STATUS_SHAPES, "utf-8")
    person = "<https://example.org/people/anna-berg>"
    (folder / "people.nt").write_text(
        f"{person} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://schema.org/Person> .\n"
        f"{person} <http://schema.org/status> {nt_literal(status)} .\n",
        "utf-8",
    )
    return validate_files([folder / "people.nt"], shapes=folder / "shapes.ttl")


def assert_safe_reports(run: ValidationRun, status: str) -> None:
    (finding,) = run.findings
    assert finding.value == Literal(status).n3()
    ET.fromstring(format_run(run, ReportFormat.JUNIT))  # parses: XML 1.0 holds it
    text = format_run(run, ReportFormat.TEXT)
    assert not [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F]
    assert len(text.splitlines()) == 3  # the file, the finding on one line, the summary
    for fmt in (ReportFormat.JSON, ReportFormat.SARIF):
        written = format_run(run, fmt)
        assert not [c for c in written if 0x7F <= ord(c) <= 0x9F or c in "\ufffe\uffff\u202e"]
        json.loads(written)
    data = json.loads(format_run(run, ReportFormat.JSON))
    assert data["findings"][0]["value"] == finding.value  # JSON keeps the exact value
    shacl = Graph().parse(data=format_run(run, ReportFormat.SHACL), format="turtle")
    assert set(shacl.objects(None, SH.value)) == {Literal(status)}


@pytest.mark.parametrize("status", HOSTILE, ids=repr)
def test_control_characters_are_escaped_in_every_report(tmp_path: Path, status: str) -> None:
    assert_safe_reports(run_with_status(tmp_path, status), status)


def test_escapes_are_visible_in_text() -> None:
    from kg.reports import visible

    assert visible("a\x1b[2Jb\x9bc\nd") == "a\\u001b[2Jb\\u009bc\\u000ad"
    assert visible("Anna Berg, 北京 😀") == "Anna Berg, 北京 😀"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(status=st.text(min_size=1, max_size=30))
def test_any_literal_gives_reports_that_parse(tmp_path: Path, status: str) -> None:
    if status in ("active", "retired", "on leave", "emeritus", "visiting", "unknown"):
        return  # in the list: no finding to report
    assert_safe_reports(run_with_status(tmp_path, status), status)
