"""Write a validation run for people and machines: text, JSON, JUnit XML, SARIF 2.1.0 and a
SHACL validation report.

    >>> print(format_run(run, ReportFormat.TEXT))            # doctest: +SKIP
    tests/fixtures/validate/syntax-error.ttl
      5:1  Violation  A dot is expected at the end of statements  (kgc:syntax)
    validated 9 files (375 triples): 8 violations, 0 warnings, 0 infos

- text: findings grouped by file, then the one-line summary; colour only when asked for.
- json: described by `shapes/validation-report.schema.json`.
- junit: a testcase per file, a `<failure>` per finding at or above `fail_on` (the others are
  listed in its `<system-out>`), for CI test report views; a skipped testcase per file skipped.
- sarif: SARIF 2.1.0 for code scanning; each rule's id is its shape IRI (or kg check IRI).
- shacl: a standard `sh:ValidationReport` in Turtle, as pySHACL and Jena write, for tools that
  read those; each result also says its file, line and column (`kgc:file` ...).

Every format is the same bytes for the same files: no times unless `timings`, findings in a
fixed order. No report writes a control character raw: data can hold any (a literal with ESC
[2J would clear a terminal; most control characters cannot be written in XML 1.0 at all), so
text, JUnit and messages show them as `\\u001b`, and JSON and Turtle use their own escapes.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, XSD, Namespace
from rdflib.term import Node
from rdflib.util import from_n3

from kg.conformance import CHECKS, FileFinding, FileResult, ValidationRun, at_or_above
from kg.errors import InputError
from kg.packaged import installed_version
from kg.vocab import PREFIXES

REPORT_VERSION = "1"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

# Prefixes for reading findings: kg's own, plus SHACL, kg's shapes and kg's checks.
_READING_PREFIXES = {
    **{prefix: str(namespace) for prefix, namespace in PREFIXES.items()},
    "sh": "http://www.w3.org/ns/shacl#",
    "kgsh": "https://w3id.org/kg-news/shapes#",
    "kgc": "https://w3id.org/kg-news/checks#",
}
_SCHEMAS = "https://w3id.org/kg-news/schemas/"
_LEVELS = {"Violation": "error", "Warning": "warning", "Info": "note"}
_COLOURS = {"Violation": "31", "Warning": "33", "Info": "34"}  # red, yellow, blue


class ReportFormat(Enum):
    """The formats of `kg validate --format`: `(name, file extension, media type, other names)`."""

    TEXT = ("text", "txt", "text/plain", ())
    JSON = ("json", "json", "application/json", ())
    JUNIT = ("junit", "xml", "application/xml", ())
    SARIF = ("sarif", "sarif", "application/sarif+json", ())
    SHACL = ("shacl", "ttl", "text/turtle", ("ttl",))

    def __init__(
        self, label: str, extension: str, media_type: str, aliases: tuple[str, ...]
    ) -> None:
        self.label = label
        self.extension = extension
        self.media_type = media_type
        self.aliases = aliases

    @classmethod
    def from_name(cls, name: str) -> ReportFormat:
        """`ReportFormat.from_name("sarif") is ReportFormat.SARIF`."""
        for fmt in cls:
            if name.lower() in (fmt.label, *fmt.aliases):
                return fmt
        expected = ", ".join(fmt.label for fmt in cls)
        raise InputError(f"report format {name!r} not supported (expected: {expected})")


def format_run(
    run: ValidationRun,
    fmt: ReportFormat = ReportFormat.TEXT,
    *,
    fail_on: str = "violation",
    color: bool = False,
    timings: bool = False,
) -> str:
    """The run as text in `fmt`, ending in a newline. `color` is for text on a terminal;
    `timings` adds the seconds each file took (then two runs differ)."""
    at_or_above("Violation", fail_on)  # an unknown level is an InputError before anything else
    if fmt is ReportFormat.TEXT:
        return _text(run, color, timings)
    return _WRITERS[fmt](run, fail_on, timings)


# --- control characters --------------------------------------------------------------------------

# Never written raw: DEL and the C1 controls (U+009B is CSI, which starts terminal sequences as
# ESC [ does), the line separators and bidirectional controls that move text on screen, lone
# surrogates (not UTF-8) and the two non-characters XML 1.0 cannot hold.
_RAW_IN_JSON = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff"
_HIDDEN = re.compile(f"[\x00-\x1f{_RAW_IN_JSON}]")  # and every C0 control, newline too
_HIDDEN_IN_JSON = re.compile(f"[{_RAW_IN_JSON}]")  # json.dumps escapes the C0 controls
_HIDDEN_IN_TURTLE = re.compile(f"[\x00-\x09\x0b-\x1f{_RAW_IN_JSON}]")  # not its newlines


def _escape(found: re.Match[str]) -> str:
    return f"\\u{ord(found.group()):04x}"


def visible(text: str) -> str:
    """One line, every control character written `\\u001b`: safe on a terminal, in XML 1.0."""
    return _HIDDEN.sub(_escape, text)


def _json_text(data: Any) -> str:
    # The same escape is JSON's own, inside strings (the only place such characters can be).
    return _HIDDEN_IN_JSON.sub(_escape, json.dumps(data, indent=2, ensure_ascii=False)) + "\n"


# --- text ----------------------------------------------------------------------------------------


def _text(run: ValidationRun, color: bool, timings: bool) -> str:
    paint = _painter(color)
    lines = []
    for result in run.files:
        if not result.findings:
            continue
        lines.append(paint("1", visible(result.file)))
        lines += [_text_finding(finding, paint) for finding in result.findings]
    lines.append(run.summary(timed=timings))
    return "\n".join(lines) + "\n"


def _painter(color: bool) -> Callable[[str, str], str]:
    def paint(code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    return paint


def _text_finding(finding: FileFinding, paint: Callable[[str, str], str]) -> str:
    where = f"{finding.line}:{finding.column}" if finding.line else "-"
    subject = " ".join(p for p in (_compact(finding.focus), _compact(finding.path)) if p)
    message = f"{subject}: {finding.message}" if subject else finding.message
    if finding.value is not None and finding.check == "shacl":
        message += f" [value {_compact_term(finding.value)}]"
    rule = _compact(finding.shape)
    component = _compact(finding.component)
    about = visible(rule if component in (rule, "") else f"{rule}, {component}")
    severity = paint(_COLOURS.get(finding.severity, "0"), visible(finding.severity))
    line = f"  {where:>7}  {severity}  {visible(message)}  {paint('2', f'({about})')}"
    if finding.passage is not None:
        line += f"\n           passage {_passage_text(finding)}"
    return line


def _passage_text(finding: FileFinding) -> str:
    passage = finding.passage
    assert passage is not None
    text = passage.text if len(passage.text) <= 120 else passage.text[:119] + "…"
    return f"{passage.begin}..{passage.end}: {visible(json.dumps(text, ensure_ascii=False))}"


def _compact(iri: str | None) -> str:
    if not iri:
        return ""
    if iri.startswith(("^", "(", "/", "<")) or "|" in iri:
        return iri  # a SPARQL path or a JSON pointer
    if iri.startswith(_SCHEMAS):
        return iri[len(_SCHEMAS) :]  # a JSON Schema keyword: record.schema.json#/...
    for prefix, namespace in sorted(_READING_PREFIXES.items(), key=lambda p: -len(p[1])):
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and local and all(c.isalnum() or c in "_-." for c in local):
            return f"{prefix}:{local}"
    return f"<{iri}>" if ":" in iri else iri


def _compact_term(term: str) -> str:
    if term.startswith("<") and term.endswith(">"):
        return _compact(term[1:-1])
    return term


# --- JSON ----------------------------------------------------------------------------------------


def _json(run: ValidationRun, fail_on: str, timings: bool) -> str:
    counts = run.counts()
    summary = {
        "files": len(run.files),
        "skipped": len(run.skipped),
        "triples": run.triples,
        "violations": counts["Violation"],
        "warnings": counts["Warning"],
        "infos": counts["Info"],
    }
    data = {
        "version": REPORT_VERSION,
        "tool": {"name": "kg", "version": installed_version()},
        "failOn": fail_on,
        "failed": run.failed(fail_on),
        "summary": summary | _seconds(run.seconds, timings),
        "files": [_json_file(result, timings) for result in run.files],
        "skipped": [{"file": s.file, "reason": s.reason} for s in run.skipped],
        "findings": [finding.to_json() for finding in run.findings],
    }
    return _json_text(data)


def _json_file(result: FileResult, timings: bool) -> dict[str, Any]:
    return {
        "file": result.file,
        "kind": result.kind,
        "triples": result.triples,
        "findings": len(result.findings),
    } | _seconds(result.seconds, timings)


def _seconds(seconds: float, timings: bool) -> dict[str, float]:
    return {"seconds": round(seconds, 3)} if timings else {}


# --- JUnit XML -----------------------------------------------------------------------------------


def _junit(run: ValidationRun, fail_on: str, timings: bool) -> str:
    failing = sum(_fails(result, fail_on) for result in run.files)
    tests = str(len(run.files) + len(run.skipped))
    counts = {"tests": tests, "failures": str(failing), "errors": "0"}
    took = _time(run.seconds, timings)
    suites = ET.Element("testsuites", {"name": "kg validate", **counts, **took})
    suite = ET.SubElement(
        suites,
        "testsuite",
        {"name": "kg validate", **counts, "skipped": str(len(run.skipped)), **took},
    )
    for result in run.files:
        case = _testcase(suite, result.file, _time(result.seconds, timings))
        below = []
        for finding in result.findings:
            if at_or_above(finding.severity, fail_on):
                failure = ET.SubElement(
                    case,
                    "failure",
                    {"type": visible(finding.severity), "message": _one_line(finding)},
                )
                failure.text = _details(finding)
            else:
                below.append(_one_line(finding))
        if below:
            ET.SubElement(case, "system-out").text = "\n".join(below)
    for skipped in run.skipped:
        case = _testcase(suite, skipped.file, {})
        ET.SubElement(case, "skipped", {"message": visible(skipped.reason)})
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def _testcase(suite: ET.Element, file: str, took: dict[str, str]) -> ET.Element:
    name = visible(file)
    attributes = {"classname": "kg.validate", "name": name, "file": name, **took}
    return ET.SubElement(suite, "testcase", attributes)


def _time(seconds: float, timings: bool) -> dict[str, str]:
    return {"time": f"{seconds:.3f}"} if timings else {}


def _fails(result: FileResult, fail_on: str) -> bool:
    return any(at_or_above(f.severity, fail_on) for f in result.findings)


def _one_line(finding: FileFinding) -> str:
    where = f"{finding.file}:{finding.line}:{finding.column}" if finding.line else finding.file
    return visible(f"{where}: {finding.severity}: {finding.message}")


def _details(finding: FileFinding) -> str:
    fields = [
        ("file", finding.file),
        ("line", finding.line),
        ("column", finding.column),
        ("focus", finding.focus),
        ("path", finding.path),
        ("value", finding.value),
        ("shape", finding.shape),
        ("component", finding.component),
        ("passage", _passage_text(finding) if finding.passage else None),
        ("message", finding.message),
    ]
    shown = [(name, value) for name, value in fields if value is not None]
    return "\n".join(f"{name}: {visible(str(value))}" for name, value in shown)


# --- SARIF 2.1.0 ---------------------------------------------------------------------------------


def _sarif(run: ValidationRun, fail_on: str, timings: bool) -> str:
    findings = run.findings
    rule_ids = sorted({finding.shape for finding in findings})
    index = {rule: i for i, rule in enumerate(rule_ids)}
    data = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kg",
                        "version": installed_version(),
                        "rules": [_sarif_rule(rule) for rule in rule_ids],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "invocations": [_sarif_invocation(run)],
                "results": [_sarif_result(f, index[f.shape]) for f in findings],
            }
        ],
    }
    return _json_text(data)


def _sarif_invocation(run: ValidationRun) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if run.skipped:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "note",
                "message": {"text": visible(f"skipped {skipped.file}: {skipped.reason}")},
                "locations": [
                    {"physicalLocation": {"artifactLocation": {"uri": _artifact_uri(skipped.file)}}}
                ],
            }
            for skipped in run.skipped
        ]
    return invocation


def _sarif_rule(rule: str) -> dict[str, Any]:
    described: dict[str, Any] = {"id": rule, "shortDescription": {"text": _compact(rule)}}
    name = _local_name(rule)
    if re.fullmatch(r"[A-Za-z][\w.-]*", name):
        described["name"] = name
    return described


def _sarif_result(finding: FileFinding, rule_index: int) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _artifact_uri(finding.file)}}
    if finding.line:
        region = {"startLine": finding.line}
        if finding.column:
            region["startColumn"] = finding.column
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding.focus:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.focus, "kind": "resource"}]
    properties = {
        key: value
        for key, value in finding.to_json().items()
        if key in ("check", "severity", "focus", "path", "value", "component", "passage")
        and value is not None
    }
    return {
        "ruleId": finding.shape,
        "ruleIndex": rule_index,
        "level": _LEVELS.get(finding.severity, "error"),
        "message": {"text": _sarif_message(finding)},
        "locations": [location],
        "properties": properties,
    }


def _sarif_message(finding: FileFinding) -> str:
    subject = " ".join(p for p in (_compact(finding.focus), _compact(finding.path)) if p)
    text = f"{subject}: {finding.message}" if subject else finding.message
    if finding.passage is not None:
        text += f" (article text {_passage_text(finding)})"
    return visible(text)


def _artifact_uri(file: str) -> str:
    """A relative URI for a file under the working directory (what code scanning matches
    against the repository), else a file: URI."""
    path = Path(file)
    if path.is_absolute():
        try:
            path = path.relative_to(Path.cwd())
        except ValueError:
            return path.as_uri()
    return quote(path.as_posix(), safe="/")


def _local_name(iri: str) -> str:
    for separator in ("#", "/"):
        if separator in iri:
            name = iri.rsplit(separator, 1)[-1]
            if name:
                return name
    return iri


# --- SHACL validation report ---------------------------------------------------------------------

KGC = Namespace(CHECKS)  # kg's checks, and the file, line and column of a result


def _shacl(run: ValidationRun, fail_on: str, timings: bool) -> str:
    """A `sh:ValidationReport` in Turtle. Results are blank nodes numbered in the run's order,
    which rdflib's writer sorts by and nests, so no label is written and the order is the run's.
    `sh:conforms` is false when the exit code is 1: findings at or above `fail_on`."""
    graph = Graph(bind_namespaces="none")  # rdflib's own would rename kg's schema: prefix
    for prefix, namespace in _READING_PREFIXES.items():
        graph.bind(prefix, namespace)
    report = BNode("kg-report")
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, Literal(not run.failed(fail_on))))
    for number, finding in enumerate(run.findings, 1):
        result = BNode(f"kg-result-{number:08d}")
        graph.add((report, SH.result, result))
        _add_result(graph, result, finding)
    text = graph.serialize(format="turtle").rstrip("\n") + "\n"
    return _HIDDEN_IN_TURTLE.sub(_escape, text)  # UCHAR escapes: only strings hold such


def _add_result(graph: Graph, result: BNode, finding: FileFinding) -> None:
    graph.add((result, RDF.type, SH.ValidationResult))
    graph.add((result, SH.focusNode, _node(finding.focus, finding.file)))
    path = _shacl_path(graph, result, finding)
    if path is not None:
        graph.add((result, SH.resultPath, path))
    if finding.value is not None:
        graph.add((result, SH.value, _value(finding)))
    graph.add((result, SH.sourceShape, _iri(finding.shape)))
    component = finding.component
    graph.add((result, SH.sourceConstraintComponent, _iri(component, CHECKS + "json-schema-")))
    graph.add((result, SH.resultSeverity, SH[finding.severity]))
    graph.add((result, SH.resultMessage, Literal(finding.message)))
    graph.add((result, KGC.file, Literal(finding.file)))
    for name, number in (("line", finding.line), ("column", finding.column)):
        if number is not None:
            graph.add((result, KGC[name], Literal(number, datatype=XSD.integer)))


def _node(focus: str | None, file: str) -> Node:
    """The focus node: an IRI, a blank node (a label, no scheme), or for a finding about the
    whole file (a syntax error) the file's `file:` IRI."""
    if focus is None:
        return URIRef(Path(file).absolute().as_uri())
    return _iri(focus) if ":" in focus else BNode(f"data-{focus}")


def _iri(text: str, namespace: str = "") -> URIRef:
    """An IRI; a name without a scheme (a JSON Schema keyword) in `namespace`. Characters an
    IRI cannot hold (a JSON pointer's spaces) are %-encoded."""
    iri = text if ":" in text else namespace + text
    return URIRef(_NOT_IN_IRI.sub(lambda found: f"%{ord(found.group()):02X}", iri))


_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`]')


def _shacl_path(graph: Graph, result: BNode, finding: FileFinding) -> Node | None:
    """`sh:resultPath`: a property, or an inverse one; None for JSON pointers and the SPARQL
    paths that are more than that (the message names them)."""
    path = finding.path
    if path is None or finding.check not in ("shacl", "anchors"):
        return None
    inverse = re.fullmatch(r"\^<([^<>\s]+)>", path)
    if inverse is not None:
        node = BNode(f"{result}-path")
        graph.add((node, SH.inversePath, URIRef(inverse.group(1))))
        return node
    if path.startswith(("^", "(", "<")) or "|" in path or ":" not in path:
        return None
    return URIRef(path)


def _value(finding: FileFinding) -> Node:
    """`sh:value`: the RDF term a SHACL or anchor finding names (N-Triples form), else the JSON
    value as a string."""
    value = finding.value
    assert value is not None
    if finding.check in ("shacl", "anchors"):
        try:
            term = from_n3(value)
        except Exception:  # not N-Triples after all: kept as text
            term = None
        if isinstance(term, BNode):
            return BNode(f"data-{term}")
        if isinstance(term, URIRef | Literal):
            return term
    return Literal(value)


_WRITERS: dict[ReportFormat, Callable[[ValidationRun, str, bool], str]] = {
    ReportFormat.JSON: _json,
    ReportFormat.JUNIT: _junit,
    ReportFormat.SARIF: _sarif,
    ReportFormat.SHACL: _shacl,
}
