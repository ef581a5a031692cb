"""The report formats of `kg validate`: JSON against its committed schema, SARIF against the
required structure of SARIF 2.1.0, JUnit XML that parses, text for people (colour only on a
terminal)."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator

from kg.conformance import ValidationRun, validate_files
from kg.errors import InputError
from kg.reports import SARIF_SCHEMA, ReportFormat, format_run

ROOT = Path(__file__).parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "validate"
REPORT_SCHEMA = ROOT / "shapes" / "validation-report.schema.json"
SARIF_SUBSET = ROOT / "tests" / "fixtures" / "sarif-2.1.0-subset.schema.json"


@pytest.fixture(scope="module")
def run() -> ValidationRun:
    return validate_files([FIXTURES])


def test_the_json_report_matches_its_schema(run: ValidationRun) -> None:
    schema = json.loads(REPORT_SCHEMA.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    report = json.loads(format_run(run, ReportFormat.JSON))
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(
        report
    )
    assert report["summary"]["violations"] == 8
    assert [f["file"] for f in report["files"]] == [r.file for r in run.files]


def test_the_json_schema_refuses_a_report_that_breaks_it(run: ValidationRun) -> None:
    schema = json.loads(REPORT_SCHEMA.read_text("utf-8"))
    report = json.loads(format_run(run, ReportFormat.JSON))
    report["findings"][0]["severity"] = "Error"
    assert not Draft202012Validator(schema).is_valid(report)


def sarif_of(run: ValidationRun) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(format_run(run, ReportFormat.SARIF))
    return data


def test_sarif_has_the_structure_sarif_2_1_0_requires(run: ValidationRun) -> None:
    subset = json.loads(SARIF_SUBSET.read_text("utf-8"))
    Draft7Validator.check_schema(subset)
    sarif = sarif_of(run)
    Draft7Validator(subset, format_checker=Draft7Validator.FORMAT_CHECKER).validate(sarif)
    assert (sarif["version"], sarif["$schema"]) == ("2.1.0", SARIF_SCHEMA)
    (sarif_run,) = sarif["runs"]
    assert sarif_run["tool"]["driver"]["name"] == "kg"


def test_sarif_rules_are_the_shapes_and_results_point_at_them(run: ValidationRun) -> None:
    (sarif_run,) = sarif_of(run)["runs"]
    rules = sarif_run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids))
    assert set(ids) == {finding.shape for finding in run.findings}
    for result, finding in zip(sarif_run["results"], run.findings, strict=True):
        assert result["ruleId"] == finding.shape
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == "error"
        assert finding.message in result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert not physical["artifactLocation"]["uri"].startswith(("/", "file:"))
        assert physical["region"]["startLine"] == finding.line
        assert physical["region"]["startColumn"] == finding.column


def test_sarif_uris_are_relative_to_the_working_directory(
    run: ValidationRun, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def uris() -> set[str]:
        results = sarif_of(run)["runs"][0]["results"]
        return {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}

    monkeypatch.chdir(ROOT)
    assert "tests/fixtures/validate/syntax-error.ttl" in uris()
    monkeypatch.chdir(tmp_path)  # the files are elsewhere: absolute file: URIs
    assert all(uri.startswith("file:///") for uri in uris())


def test_sarif_levels_follow_severities(tmp_path: Path) -> None:
    undated = tmp_path / "undated.ttl"
    undated.write_text(
        "".join(
            line
            for line in (FIXTURES / "good.ttl").read_text("utf-8").splitlines(keepends=True)
            if "datePublished" not in line
        ),
        "utf-8",
    )
    (result,) = sarif_of(validate_files([undated]))["runs"][0]["results"]
    assert result["level"] == "warning"


def test_junit_parses_with_a_testcase_per_file(run: ValidationRun) -> None:
    suites = ET.fromstring(format_run(run, ReportFormat.JUNIT))
    assert suites.tag == "testsuites"
    cases = list(suites.iter("testcase"))
    assert [case.get("name") for case in cases] == [r.file for r in run.files]
    failures = [failure for case in cases for failure in case.findall("failure")]
    assert len(failures) == 8
    assert all(failure.get("type") == "Violation" for failure in failures)
    assert all("shape: " in (failure.text or "") for failure in failures)


def test_text_ends_with_the_summary_and_colours_only_when_asked(run: ValidationRun) -> None:
    plain = format_run(run, ReportFormat.TEXT)
    assert plain.endswith(run.summary(timed=False) + "\n")
    assert "\x1b[" not in plain
    coloured = format_run(run, ReportFormat.TEXT, color=True)
    assert "\x1b[31mViolation\x1b[0m" in coloured


def test_a_report_format_is_named() -> None:
    assert ReportFormat.from_name("SARIF") is ReportFormat.SARIF
    assert ReportFormat.JUNIT.extension == "xml"
    with pytest.raises(InputError, match=r"expected: text, json, junit, sarif"):
        ReportFormat.from_name("html")


def run_on_a_terminal(*args: str, env: dict[str, str]) -> str:
    """`python -m kg ARGS` with stdout and stderr on a pseudo-terminal; what it printed."""
    main_fd, child_fd = pty.openpty()
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [sys.executable, "-m", "kg", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path, **env},
        stdin=subprocess.DEVNULL,
        stdout=child_fd,
        stderr=child_fd,
    )
    os.close(child_fd)
    output = b""
    while True:
        ready, _, _ = select.select([main_fd], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(main_fd)
    process.wait(timeout=60)
    return output.decode("utf-8", errors="replace")


def test_on_a_terminal_text_is_coloured_with_progress() -> None:
    # NO_COLOR set but empty counts as not set (no-color.org).
    shown = run_on_a_terminal("validate", "tests/fixtures/validate", env={"NO_COLOR": ""})
    assert "\x1b[31mViolation" in shown
    assert "validated 9 of 9 files" in shown


def test_no_color_turns_colour_off_on_a_terminal() -> None:
    shown = run_on_a_terminal("validate", "tests/fixtures/validate", env={"NO_COLOR": "1"})
    assert "\x1b[" not in shown
    assert "Violation" in shown
