"""Write a validation run for people and machines: text, JSON, JUnit XML and SARIF 2.1.0.

    >>> print(format_run(run, ReportFormat.TEXT))            # doctest: +SKIP
    tests/fixtures/validate/syntax-error.ttl
      5:1  Violation  A dot is expected at the end of statements  (kgc:syntax)
    validated 9 files (375 triples) in 0.26 s: 8 violations, 0 warnings, 0 infos

- text: findings grouped by file, then the one-line summary; colour only when asked for.
- json: described by `shapes/validation-report.schema.json`.
- junit: a testcase per file, a `<failure>` per finding at or above `fail_on` (the others are
  listed in its `<system-out>`), for CI test report views.
- sarif: SARIF 2.1.0 for code scanning; each rule's id is its shape IRI (or kg check IRI).
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

from kg.conformance import FileFinding, FileResult, ValidationRun, at_or_above
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
    """The formats of `kg validate --format`: `(name, file extension, media type)`."""

    TEXT = ("text", "txt", "text/plain")
    JSON = ("json", "json", "application/json")
    JUNIT = ("junit", "xml", "application/xml")
    SARIF = ("sarif", "sarif", "application/sarif+json")

    def __init__(self, label: str, extension: str, media_type: str) -> None:
        self.label = label
        self.extension = extension
        self.media_type = media_type

    @classmethod
    def from_name(cls, name: str) -> ReportFormat:
        """`ReportFormat.from_name("sarif") is ReportFormat.SARIF`."""
        for fmt in cls:
            if fmt.label == name.lower():
                return fmt
        expected = ", ".join(fmt.label for fmt in cls)
        raise InputError(f"report format {name!r} not supported (expected: {expected})")


def format_run(
    run: ValidationRun,
    fmt: ReportFormat = ReportFormat.TEXT,
    *,
    fail_on: str = "violation",
    color: bool = False,
) -> str:
    """The run as text in `fmt`, ending in a newline. `color` is for text on a terminal."""
    at_or_above("Violation", fail_on)  # an unknown level is an InputError before anything else
    if fmt is ReportFormat.TEXT:
        return _text(run, color)
    return _WRITERS[fmt](run, fail_on)


# --- text ----------------------------------------------------------------------------------------


def _text(run: ValidationRun, color: bool) -> str:
    paint = _painter(color)
    lines = []
    for result in run.files:
        if not result.findings:
            continue
        lines.append(paint("1", result.file))
        lines += [_text_finding(finding, paint) for finding in result.findings]
    lines.append(run.summary())
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
    about = rule if component in (rule, "") else f"{rule}, {component}"
    severity = paint(_COLOURS.get(finding.severity, "0"), finding.severity)
    line = f"  {where:>7}  {severity}  {message}  {paint('2', f'({about})')}"
    if finding.passage is not None:
        line += f"\n           passage {_passage_text(finding)}"
    return line


def _passage_text(finding: FileFinding) -> str:
    passage = finding.passage
    assert passage is not None
    text = passage.text if len(passage.text) <= 120 else passage.text[:119] + "…"
    return f"{passage.begin}..{passage.end}: {json.dumps(text, ensure_ascii=False)}"


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


def _json(run: ValidationRun, fail_on: str) -> str:
    counts = run.counts()
    data = {
        "version": REPORT_VERSION,
        "tool": {"name": "kg", "version": installed_version()},
        "failOn": fail_on,
        "failed": run.failed(fail_on),
        "summary": {
            "files": len(run.files),
            "triples": run.triples,
            "violations": counts["Violation"],
            "warnings": counts["Warning"],
            "infos": counts["Info"],
            "seconds": round(run.seconds, 3),
        },
        "files": [_json_file(result) for result in run.files],
        "findings": [finding.to_json() for finding in run.findings],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _json_file(result: FileResult) -> dict[str, Any]:
    return {
        "file": result.file,
        "kind": result.kind,
        "triples": result.triples,
        "findings": len(result.findings),
        "seconds": round(result.seconds, 3),
    }


# --- JUnit XML -----------------------------------------------------------------------------------


def _junit(run: ValidationRun, fail_on: str) -> str:
    failing = sum(_fails(result, fail_on) for result in run.files)
    counts = {"tests": str(len(run.files)), "failures": str(failing), "errors": "0"}
    seconds = f"{run.seconds:.3f}"
    suites = ET.Element("testsuites", {"name": "kg validate", **counts, "time": seconds})
    suite = ET.SubElement(
        suites, "testsuite", {"name": "kg validate", **counts, "skipped": "0", "time": seconds}
    )
    for result in run.files:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": "kg.validate",
                "name": result.file,
                "file": result.file,
                "time": f"{result.seconds:.3f}",
            },
        )
        below = []
        for finding in result.findings:
            if at_or_above(finding.severity, fail_on):
                failure = ET.SubElement(
                    case,
                    "failure",
                    {"type": finding.severity, "message": _one_line(finding)},
                )
                failure.text = _details(finding)
            else:
                below.append(_one_line(finding))
        if below:
            ET.SubElement(case, "system-out").text = "\n".join(below)
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def _fails(result: FileResult, fail_on: str) -> bool:
    return any(at_or_above(f.severity, fail_on) for f in result.findings)


def _one_line(finding: FileFinding) -> str:
    where = f"{finding.file}:{finding.line}:{finding.column}" if finding.line else finding.file
    return f"{where}: {finding.severity}: {finding.message}"


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
    return "\n".join(f"{name}: {value}" for name, value in fields if value is not None)


# --- SARIF 2.1.0 ---------------------------------------------------------------------------------


def _sarif(run: ValidationRun, fail_on: str) -> str:
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
                "invocations": [{"executionSuccessful": True}],
                "results": [_sarif_result(f, index[f.shape]) for f in findings],
            }
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


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
    return text


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


_WRITERS: dict[ReportFormat, Callable[[ValidationRun, str], str]] = {
    ReportFormat.JSON: _json,
    ReportFormat.JUNIT: _junit,
    ReportFormat.SARIF: _sarif,
}
